/**
 * Per-thread CPU and cache figures of a server around one load run: CPU time per thread from
 * /proc/<pid>/task/<tid>/stat (utime + stime, in clock ticks), and the data workers' thread ids and cache
 * counters from the service's `/health` (`workers: [{ name, tid, cache: { budget_bytes, bytes, entries,
 * hits, misses, evictions } }]`). A server whose /health lists no thread ids (the HTTP floor, or a service
 * before that listing existed) has its threads split into main and "other" only.
 */
import type { CacheStats } from '../workers/protocol.js';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { health } from './client.js';
import { round } from './util.js';

/** Linux USER_HZ, the unit of /proc/<pid>/stat's CPU fields (`getconf CLK_TCK`, 100 almost everywhere). */
export const CLOCK_TICKS = (() => {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(n) && n > 0 ? n : 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a /proc stat line, in seconds (fields 14 and 15; the name in brackets may hold spaces). */
export function statCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Each live thread of a process with its /proc stat line; empty if the process is gone. */
function threadStats(pid: number): { tid: number; stat: string }[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: { tid: number; stat: string }[] = [];
  for (const t of tids) {
    try {
      out.push({ tid: Number(t), stat: readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8') });
    } catch {
      /* the thread ended between the listing and the read */
    }
  }
  return out;
}

/** CPU seconds used so far by each live thread of a process: tid → seconds. Empty if the process is gone. */
export function threadCpu(pid: number): Map<number, number> {
  return new Map(threadStats(pid).map(({ tid, stat }) => [tid, statCpuSeconds(stat)]));
}

/** CPU seconds by kind of thread: the main thread, Node's other threads (worker threads, V8 helpers), Polars' pool, the rest. */
export interface CpuByRole {
  main: number;
  node_threads: number;
  polars: number;
  other: number;
}

/**
 * CPU seconds used so far by each kind of thread of a process, told apart by the thread's name in
 * /proc/<pid>/task/<tid>/stat: the main thread (tid = pid), `node` (worker threads and V8's helpers),
 * `polars-N` (Polars' compute pool); anything else (tokio, the Parquet writer's executor) is `other`.
 */
export function cpuByRole(pid: number): CpuByRole {
  const out: CpuByRole = { main: 0, node_threads: 0, polars: 0, other: 0 };
  for (const { tid, stat } of threadStats(pid)) {
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const role: keyof CpuByRole = tid === pid ? 'main' : name === 'node' ? 'node_threads' : name.startsWith('polars') ? 'polars' : 'other';
    out[role] += statCpuSeconds(stat);
  }
  return out;
}

/** `b − a` per role, in ms (threads that ended in between are lost from `b`, so a role never goes below 0). */
export function cpuDeltaMs(a: CpuByRole, b: CpuByRole): CpuByRole {
  const d = (k: keyof CpuByRole) => Math.max(0, Math.round((b[k] - a[k]) * 1000));
  return { main: d('main'), node_threads: d('node_threads'), polars: d('polars'), other: d('other') };
}

/** CPU ms this process (the bench itself, every thread) has used so far. */
/** Every role's CPU together: a process's whole CPU over the interval a CpuByRole delta covers. */
export const totalCpu = (c: CpuByRole): number => c.main + c.node_threads + c.polars + c.other;

export function ownCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** A data worker's cache figures as /health lists them (the thread contract's CacheStats). */
export type CacheCounters = CacheStats;

export interface WorkerThread {
  name: string;
  tid: number;
  cache: CacheCounters | null;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null;

/**
 * The worker threads a /health body lists with their OS thread ids: `workers` itself when it is an array,
 * else any array under `workers` whose entries carry a numeric `tid`. Empty when there is none.
 */
export function workerThreads(body: unknown): WorkerThread[] {
  if (!isObj(body)) return [];
  const w = body.workers;
  const lists: unknown[][] = Array.isArray(w) ? [w] : isObj(w) ? Object.values(w).filter(Array.isArray) : [];
  const out: WorkerThread[] = [];
  for (const list of lists) {
    for (const e of list) {
      if (!isObj(e) || typeof e.tid !== 'number') continue;
      const c = isObj(e.cache) ? e.cache : null;
      const n = (k: string) => (c && typeof c[k] === 'number' ? (c[k] as number) : 0);
      out.push({
        name: typeof e.name === 'string' ? e.name : `tid ${e.tid}`,
        tid: e.tid,
        cache: c ? { budget_bytes: n('budget_bytes'), bytes: n('bytes'), entries: n('entries'), hits: n('hits'), misses: n('misses'), evictions: n('evictions') } : null,
      });
    }
  }
  return out;
}

/** What a server looked like at one instant: CPU per thread and (service only) its listed worker threads. */
export interface ServerSnapshot {
  at: number;
  cpu: Map<number, number>;
  workers: WorkerThread[];
}

/** Reads /health (when `withHealth`) and every thread's CPU of `pid`. Never throws: a failed /health lists no workers. */
export async function snapshot(url: string, pid: number, withHealth: boolean): Promise<ServerSnapshot> {
  let workers: WorkerThread[] = [];
  if (withHealth) {
    try {
      workers = workerThreads(await health(url));
    } catch {
      workers = [];
    }
  }
  return { at: performance.now(), cpu: threadCpu(pid), workers };
}

export interface ThreadCpuFigures {
  /** µs of CPU per request: the main thread, the data workers (threads whose /health entry has a cache), other threads. */
  main_us: number;
  /** null when /health lists no worker threads: their CPU is then inside other_us. */
  shards_us: number | null;
  other_us: number;
  total_us: number;
  /** Each listed worker: µs per request and cores used over the run (1 = one core busy all the time). */
  workers: { name: string; tid: number; us_per_request: number; cores: number }[];
  /** The busiest threads over the run, listed or not (to see one thread saturated while others idle). */
  busiest: { tid: number; role: string; cores: number }[];
  requests: number;
}

/** CPU per request between two snapshots of the same process; `requests` is what the server answered in between. */
export function cpuPerRequest(pid: number, a: ServerSnapshot, b: ServerSnapshot, requests: number): ThreadCpuFigures | null {
  if (requests <= 0 || b.cpu.size === 0) return null;
  const wallS = (b.at - a.at) / 1000;
  const listed = new Map((b.workers.length ? b.workers : a.workers).map((w) => [w.tid, w]));
  const used = new Map<number, number>();
  for (const [tid, s] of b.cpu) used.set(tid, s - (a.cpu.get(tid) ?? 0));
  const us = (s: number) => round((s * 1e6) / requests, 1);
  let main = 0;
  let shards = 0;
  let other = 0;
  for (const [tid, s] of used) {
    if (tid === pid) main += s;
    else if (listed.get(tid)?.cache) shards += s;
    else other += s;
  }
  const role = (tid: number) => (tid === pid ? 'main' : (listed.get(tid)?.name ?? 'other'));
  return {
    main_us: us(main),
    shards_us: [...listed.values()].some((w) => w.cache) ? us(shards) : null,
    other_us: us(other),
    total_us: us(main + shards + other),
    workers: [...listed.values()].map((w) => ({ name: w.name, tid: w.tid, us_per_request: us(used.get(w.tid) ?? 0), cores: round((used.get(w.tid) ?? 0) / wallS, 2) })),
    busiest: [...used.entries()]
      .sort((x, y) => y[1] - x[1])
      .slice(0, 4)
      .map(([tid, s]) => ({ tid, role: role(tid), cores: round(s / wallS, 2) })),
    requests,
  };
}

export interface CacheFigures {
  hits: number;
  misses: number;
  evictions: number;
  /** hits / (hits + misses) over the run; null when there was no lookup. */
  hit_ratio: number | null;
  /** After the run, all workers together. */
  bytes: number;
  entries: number;
  budget_bytes: number;
}

/** The data workers' cache counters between two snapshots, summed over workers; null when /health has none. */
export function cacheDelta(a: ServerSnapshot, b: ServerSnapshot): CacheFigures | null {
  const before = new Map(a.workers.filter((w) => w.cache).map((w) => [w.tid, w.cache!]));
  const after = b.workers.filter((w) => w.cache);
  if (!after.length) return null;
  const d = (k: 'hits' | 'misses' | 'evictions') => after.reduce((n, w) => n + w.cache![k] - (before.get(w.tid)?.[k] ?? 0), 0);
  const sum = (k: 'bytes' | 'entries' | 'budget_bytes') => after.reduce((n, w) => n + w.cache![k], 0);
  const hits = d('hits');
  const misses = d('misses');
  return {
    hits,
    misses,
    evictions: d('evictions'),
    hit_ratio: hits + misses > 0 ? round(hits / (hits + misses), 3) : null,
    bytes: sum('bytes'),
    entries: sum('entries'),
    budget_bytes: sum('budget_bytes'),
  };
}
