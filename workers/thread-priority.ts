import { readdirSync, readFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { threadId } from './thread-id.js';

/**
 * How far below the HTTP thread's scheduling priority background work runs: a Linux nice value, per thread.
 * Under full load on a small machine the OS shares the cores among every runnable thread, so without it the
 * event loop waits behind Polars' threads for time slices while a large upload is parsed (bench/mixed.ts).
 * 5 (a third of the main thread's CPU share when both want a core) rather than 10 (a tenth): at 10 the first
 * page of a new query on the local backend took 2–4 ms longer whenever anything else on the machine ran (Polars'
 * pool serves those queries too); at 5 it took as long as before, and the mixed scenario kept its gain.
 */
export const BACKGROUND_NICE = 5;

/** Threads the engine starts for itself: Polars' pool, its async executor, the Parquet sink's runtime. */
const ENGINE_THREAD = /^(polars-\d+|async-executor|tokio-rt-worker)/;

/**
 * Puts this worker thread and the engine's threads BACKGROUND_NICE below the process's priority (the main
 * thread's). For the parse and SQL workers, whose work can wait a time slice; the shards that serve pages
 * keep the process's priority (lowered, they lost ~17% of page throughput to the client and main thread).
 * The engine's threads are shared by every worker and start when first needed, so the parse worker runs this
 * before each task; each call costs one listing of /proc/self/task (~0.1 ms).
 * Linux only; elsewhere, or when refused, threads keep their priority.
 */
export function runInBackground(): void {
  const target = Math.min(19, base() + BACKGROUND_NICE);
  lower(threadId(), target);
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      if (ENGINE_THREAD.test(readFileSync(`/proc/self/task/${tid}/comm`, 'utf8'))) lower(Number(tid), target);
    } catch {
      /* the thread ended meanwhile */
    }
  }
}

function base(): number {
  try {
    return getPriority(process.pid);
  } catch {
    return 0;
  }
}

function lower(tid: number, target: number): void {
  if (!tid) return;
  try {
    if (getPriority(tid) < target) setPriority(tid, target);
  } catch {
    /* not permitted, or not Linux */
  }
}
