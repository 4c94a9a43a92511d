/**
 * Starting and stopping what the bench measures: the service (dist/src/main.js, one process per backend
 * and worker count) and the HTTP floor. Every child is on loopback, has an IPC channel (so it exits when
 * the bench does, even on SIGKILL), is tracked here, and is stopped on exit, error or Ctrl-C.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CLOCK_TICKS, statCpuSeconds } from './threads.js';
import { log, ROOT, SERVICE_MAIN, sleep } from './util.js';

export type Backend = 'memory' | 'local';

/**
 * The service configurations a run measures side by side: the memory backend, the local backend as a user
 * gets it (default CACHE_BYTES), and the local backend with its cache off (CACHE_BYTES=0: every read a
 * scan of the Parquet file, the seed's comparison).
 */
export type ServiceName = 'memory' | 'local' | 'local-nocache';

export const SERVICES: Record<ServiceName, { backend: Backend; env: Record<string, string>; description: string }> = {
  memory: { backend: 'memory', env: {}, description: 'memory backend' },
  local: { backend: 'local', env: {}, description: 'local backend, default CACHE_BYTES' },
  'local-nocache': { backend: 'local', env: { CACHE_BYTES: '0' }, description: 'local backend, CACHE_BYTES=0 (cache off)' },
};

const PROBE = pathToFileURL(join(ROOT, 'dist/bench/probe/el-probe.js')).href;
const FLOOR = join(ROOT, 'dist/bench/floor-server.js');

export interface ProcStatus {
  rss_mb: number;
  hwm_mb: number;
}

export interface EventLoopReading {
  p50_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  samples: number;
  resolution_ms: number;
}

export interface ServerHandle {
  label: string;
  url: string;
  pid: number;
  backend?: Backend;
  /** The configuration's name (e.g. local-nocache); the backend for a server started without one. */
  name?: string;
  workers?: number;
  status(): ProcStatus | null;
  /** Main-thread event-loop delay from the preloaded probe since the last reset (service only). */
  probeEventLoop(reset: boolean): Promise<EventLoopReading | null>;
  logTail(): string;
  /** Stops the server; its data directory is removed unless `keepData`. */
  stop(opts?: { keepData?: boolean }): Promise<void>;
  /** Service only: stops it and starts it again on the same data directory (nothing in any cache). */
  restart?(): Promise<ServerHandle>;
}

const live = new Set<{ proc: ChildProcess; dataDir?: string }>();

/** /proc/<pid>/status: resident set now and its high-water mark, in MB (10^6 bytes). */
export function procStatus(pid: number): ProcStatus | null {
  try {
    const s = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(s)?.[1] ?? NaN);
    return { rss_mb: (kb('VmRSS') * 1024) / 1e6, hwm_mb: (kb('VmHWM') * 1024) / 1e6 };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system, all threads) a process has used, from /proc/<pid>/stat; null if gone. */
export function procCpuSeconds(pid: number): number | null {
  try {
    return statCpuSeconds(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Busy and total CPU seconds of the whole machine (all cores), from /proc/stat. */
function machineCpuSeconds(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0];
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const idle = v[3] + v[4];
  const total = v.reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / CLOCK_TICKS, total: total / CLOCK_TICKS };
}

/** The bench process and every process it started, at any depth (servers, a browser and its renderers, helpers). */
function ourPids(): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      /* the process ended */
    }
  }
  const out = [process.pid];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}

/**
 * CPU used on the machine between start() and stop() by processes other than the bench and those it started
 * (its servers, a browser): the noise a run had to share the cores with, in cores (0..available parallelism).
 */
export class ForeignCpu {
  private start0?: { busy: number; ours: number; at: number };
  private ours(): number {
    return ourPids().reduce((n, pid) => n + (procCpuSeconds(pid) ?? 0), 0);
  }
  start(): this {
    this.start0 = { busy: machineCpuSeconds().busy, ours: this.ours(), at: performance.now() };
    return this;
  }
  stop(): number {
    const s = this.start0!;
    const wall = (performance.now() - s.at) / 1000;
    if (wall <= 0) return 0;
    const foreign = machineCpuSeconds().busy - s.busy - (this.ours() - s.ours);
    return Math.max(0, foreign / wall);
  }
}

/**
 * CPU (in cores) below which a server counts as idle: 0.1 normally; a profiled server (--cpu-prof samples
 * every thread all the time) never gets that low, so the bench raises it.
 */
let idleCores = 0.1;
export function setIdleThreshold(cores: number): void {
  idleCores = cores;
}

/**
 * Waits until none of the given processes is using CPU (a server still working through requests whose
 * clients are gone, from the previous load run, would otherwise steal from the next). Returns seconds waited.
 */
export async function waitIdle(pids: number[], maxMs = 30_000): Promise<number> {
  const began = performance.now();
  const windowMs = 200;
  while (performance.now() - began < maxMs) {
    const a = pids.map((p) => procCpuSeconds(p) ?? 0);
    await sleep(windowMs);
    const b = pids.map((p) => procCpuSeconds(p) ?? 0);
    if (b.every((x, i) => x - a[i] <= idleCores * (windowMs / 1000) + 1e-9)) break;
  }
  return (performance.now() - began) / 1000;
}

/** Samples a process's RSS every `intervalMs` between start() and stop(). */
export class RssSampler {
  peak_mb = 0;
  private timer?: NodeJS.Timeout;
  constructor(private readonly pid: number, private readonly intervalMs = 50) {}
  start(): this {
    this.peak_mb = procStatus(this.pid)?.rss_mb ?? 0;
    this.timer = setInterval(() => {
      const s = procStatus(this.pid);
      if (s && s.rss_mb > this.peak_mb) this.peak_mb = s.rss_mb;
    }, this.intervalMs);
    return this;
  }
  stop(): number {
    clearInterval(this.timer);
    const s = procStatus(this.pid);
    if (s && s.rss_mb > this.peak_mb) this.peak_mb = s.rss_mb;
    return this.peak_mb;
  }
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => res(port));
    });
  });
}

interface SpawnSpec {
  label: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  dataDir?: string;
  /** Another build's dist/src/main.js, to measure it beside this one (bench/hot-path.ts). */
  main?: string;
}

/**
 * Spawns on a free loopback port and waits until /health answers. The service logs its port only at
 * `info`, and the bench runs it at `warn`, so the bench picks the port; a lost race is retried.
 */
async function spawnReady(spec: SpawnSpec, backend?: Backend, workers?: number): Promise<ServerHandle> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const proc = spawn(process.execPath, spec.args, {
      cwd: spec.cwd,
      env: { ...Object.fromEntries(Object.entries(spec.env).filter(([, v]) => v !== '')), PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const entry = { proc, dataDir: spec.dataDir };
    live.add(entry);
    const tail: string[] = [];
    const keep = (d: Buffer) => {
      tail.push(...d.toString().split('\n').filter(Boolean));
      if (tail.length > 40) tail.splice(0, tail.length - 40);
    };
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    const exited = new Promise<void>((res) => proc.once('exit', () => res()));
    void exited.then(() => live.delete(entry));
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    let ready = false;
    while (Date.now() < deadline && proc.exitCode === null && proc.signalCode === null) {
      try {
        const r = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
        await r.arrayBuffer();
        if (r.ok) {
          ready = true;
          break;
        }
      } catch {
        /* not listening yet */
      }
      await sleep(100);
    }
    if (!ready) {
      proc.kill('SIGKILL');
      await exited;
      const why = tail.join('\n');
      if (attempt < 3 && /EADDRINUSE/.test(why)) continue;
      if (spec.dataDir) rmSync(spec.dataDir, { recursive: true, force: true });
      throw new Error(`${spec.label} did not become ready on ${url}:\n${why}`);
    }
    let seq = 0;
    return {
      label: spec.label,
      url,
      pid: proc.pid!,
      backend,
      workers,
      status: () => procStatus(proc.pid!),
      probeEventLoop: (reset) =>
        new Promise((res) => {
          if (!proc.connected) return res(null);
          const id = ++seq;
          const timer = setTimeout(() => {
            proc.off('message', onMessage);
            res(null);
          }, 5000);
          const onMessage = (m: { type?: string; id?: number } & EventLoopReading) => {
            if (m?.type !== 'el' || m.id !== id) return;
            clearTimeout(timer);
            proc.off('message', onMessage);
            const { type: _t, id: _i, ...reading } = m;
            res(reading);
          };
          proc.on('message', onMessage);
          proc.send({ type: 'el-read', id, reset });
        }),
      logTail: () => tail.join('\n'),
      stop: async (opts) => {
        if (proc.exitCode === null && proc.signalCode === null) {
          proc.kill('SIGTERM');
          const killed = setTimeout(() => proc.kill('SIGKILL'), 15_000);
          await exited;
          clearTimeout(killed);
        }
        if (spec.dataDir && !opts?.keepData) rmSync(spec.dataDir, { recursive: true, force: true });
        live.delete(entry);
      },
    };
  }
}

export interface ServiceOptions {
  backend: Backend;
  /** Shown in logs and results; defaults to the backend. */
  name?: string;
  workers: number;
  /** Extra node arguments for the server (e.g. --cpu-prof). */
  nodeArgs?: string[];
  logLevel?: string;
  /** More environment for the server (e.g. a setting under test); an empty value unsets the variable. */
  env?: Record<string, string>;
  /** Reuse this data directory (a restart) instead of a new one. */
  dataDir?: string;
  /** Another build's dist/src/main.js, to measure it beside this one (bench/hot-path.ts). */
  main?: string;
}

/** A named configuration of SERVICES, with more options. */
export function startNamed(name: ServiceName, opts: Omit<ServiceOptions, 'backend' | 'name'>): Promise<ServerHandle> {
  const spec = SERVICES[name];
  return startService({ ...opts, backend: spec.backend, name, env: { ...spec.env, ...opts.env } });
}

export async function startService(opts: ServiceOptions): Promise<ServerHandle> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), `dataset-bench-${opts.backend}-`));
  const name = opts.name ?? opts.backend;
  const label = `service ${name} WORKERS=${opts.workers}${opts.env?.CACHE_BYTES !== undefined ? ` CACHE_BYTES=${opts.env.CACHE_BYTES}` : ''}${opts.main ? ` (${opts.main})` : ''}`;
  log(`${opts.dataDir ? 're' : ''}starting ${label}`);
  const handle = await spawnReady(
    {
      label,
      args: [...(opts.nodeArgs ?? []), '--import', PROBE, opts.main ?? SERVICE_MAIN],
      // The data directory is the working directory, so a developer's .env in the repository does not apply.
      cwd: dataDir,
      dataDir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        STORAGE_BACKEND: opts.backend,
        HOST: '127.0.0.1',
        DATA_DIR: dataDir,
        WORKERS: String(opts.workers),
        LOG_LEVEL: opts.logLevel ?? 'warn',
        // As `npm start` sets them (see the README's operators' section): without them glibc keeps freed frames.
        MALLOC_ARENA_MAX: process.env.MALLOC_ARENA_MAX ?? '2',
        MALLOC_MMAP_THRESHOLD_: process.env.MALLOC_MMAP_THRESHOLD_ ?? '4194304',
        GLIBC_TUNABLES: process.env.GLIBC_TUNABLES ?? 'glibc.malloc.hugetlb=1',
        ...opts.env,
      },
    },
    opts.backend,
    opts.workers,
  );
  handle.name = name;
  handle.restart = async () => {
    await handle.stop({ keepData: true });
    return startService({ ...opts, dataDir });
  };
  return handle;
}

/**
 * The floor, serving the page variants described in `variantsFile` (see floor-server.ts). The directory
 * holding that file is the floor's own: it is removed when the floor stops.
 */
export async function startFloor(variantsFile: string, nodeArgs: string[] = []): Promise<ServerHandle> {
  log('starting HTTP floor');
  return spawnReady({
    label: 'HTTP floor',
    args: [...nodeArgs, FLOOR, variantsFile],
    cwd: ROOT,
    dataDir: dirname(variantsFile),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
  });
}

/** Stops every child still running; safe to call more than once. */
export async function stopAll(): Promise<void> {
  await Promise.all(
    [...live].map(async ({ proc, dataDir }) => {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((res) => proc.once('exit', res));
        proc.kill('SIGTERM');
        const killed = setTimeout(() => proc.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(killed);
      }
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }),
  );
  live.clear();
}

/**
 * Ctrl-C, SIGTERM, an uncaught error or a plain exit: no server is left behind and no data directory
 * is left in the temp dir.
 */
export function installCleanup(): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping servers`);
    void stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('exit', () => {
    for (const { proc, dataDir } of live) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
