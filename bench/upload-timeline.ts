/**
 * Where one upload's wall time goes, thread by thread: the ~127 MB flights CSV uploaded end to end (POST until
 * the first page is served, as bench/client.ts uploadFile does) to a real server per backend, while every
 * thread's CPU (/proc/<pid>/task/<tid>/stat, utime + stime) is read every 20 ms. Prints, per upload, each
 * thread's CPU ms and a timeline in 100 ms steps of the threads that were busy (≥ 20 ms of CPU in the step):
 * `main`, `shard<tid>` (the data workers /health lists), `polars-N` (Polars' pool, shared by every worker),
 * `async-executor` (the Parquet sink), and `node<tid>` (other worker threads: the parse worker is the one busy
 * before the Polars pool). A thread with less CPU than wall time in a step was waiting — for the client, a
 * lock, or a core (the machine's other load). Environment: BACKENDS (default `memory,local`), REPS (2),
 * FILE (another file to upload), CPU_PROF=<dir> (the server also writes V8 `.cpuprofile`s there, one per
 * thread, worker threads included, for DevTools).
 *   npm run build && npm run build:bench && node dist/bench/upload-timeline.js
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { deleteDataset, health, uploadFile } from './client.js';
import { prepareInputs } from './data.js';
import { installCleanup, startService, stopAll, waitIdle, type Backend } from './servers.js';
import { statCpuSeconds, workerThreads } from './threads.js';
import { log, MB, round, sleep } from './util.js';

const STEP_MS = 100;
const SAMPLE_MS = 20;

/** CPU ms so far and name of each live thread of `pid`. */
function threads(pid: number): Map<number, { name: string; ms: number }> {
  const out = new Map<number, { name: string; ms: number }>();
  let tids: string[] = [];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      out.set(Number(t), { name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), ms: statCpuSeconds(stat) * 1000 });
    } catch {
      /* the thread ended between the listing and the read */
    }
  }
  return out;
}

async function main(): Promise<void> {
  installCleanup();
  const path = process.env.FILE ?? prepareInputs().csv.path;
  const backends = (process.env.BACKENDS ?? 'memory,local').split(',') as Backend[];
  const reps = Number(process.env.REPS ?? 2);
  const nodeArgs = process.env.CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROF}`] : [];
  for (const backend of backends) {
    const server = await startService({ backend, workers: 2, nodeArgs });
    const shards = new Set(workerThreads(await health(server.url)).map((w) => w.tid));
    for (let rep = 0; rep < reps; rep++) {
      await waitIdle([server.pid]);
      await sleep(300);
      const steps: Map<string, number>[] = [];
      const total = new Map<string, number>();
      const label = (tid: number, name: string) =>
        tid === server.pid ? 'main' : shards.has(tid) ? `shard${tid}` : /^(polars|async-executor)/.test(name) ? name : `${name}${tid}`;
      let before = threads(server.pid);
      const start = performance.now();
      const timer = setInterval(() => {
        const now = threads(server.pid);
        const step = Math.floor((performance.now() - start) / STEP_MS);
        for (const [tid, { name, ms }] of now) {
          const used = ms - (before.get(tid)?.ms ?? 0);
          if (used <= 0) continue;
          const l = label(tid, name);
          (steps[step] ??= new Map()).set(l, (steps[step].get(l) ?? 0) + used);
          total.set(l, (total.get(l) ?? 0) + used);
        }
        before = now;
      }, SAMPLE_MS);
      const up = await uploadFile(server.url, path, 'timeline');
      await sleep(SAMPLE_MS * 2);
      clearInterval(timer);
      const busy = (m: Map<string, number>, min: number) =>
        [...m].filter(([, ms]) => ms >= min).sort((a, b) => b[1] - a[1]).map(([l, ms]) => `${l}:${round(ms, 0)}`).join(' ');
      console.log(`\n${backend} #${rep + 1}: ${round(statSync(path).size / MB, 1)} MB, 201 after ${round(up.upload_ms, 0)} ms, first page after ${round(up.readable_ms, 0)} ms`);
      console.log(`CPU ms by thread: ${busy(total, 20)}`);
      for (let s = 0; s < steps.length; s++) console.log(`${String(s * STEP_MS).padStart(6)} ms  ${busy(steps[s] ?? new Map(), 20)}`);
      await deleteDataset(server.url, up.dataset_id);
    }
    await server.stop();
  }
  await stopAll();
  log('done');
}

await main();
