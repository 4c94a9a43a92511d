/**
 * Starts the real service (the compiled `dist/src/main.js`, as `npm start` runs it) in a child process on an
 * ephemeral port, and stops it when the test ends. Tests talk to it over HTTP only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const ROOT = resolve(import.meta.dirname ?? __dirname, '../..');
export const MAIN = join(ROOT, 'dist/src/main.js');
export const BACKENDS = ['local', 'memory'] as const;
export type Backend = (typeof BACKENDS)[number];
export type CatalogKind = 'sqlite' | 'postgres';

/**
 * Every way the service stores what it is given: each backend with its embedded SQLite catalog, and the local
 * backend over a PostgreSQL catalog (CATALOG_URL; the memory backend refuses one). API tests run over all of them.
 */
export const SETUPS: readonly { backend: Backend; catalog: CatalogKind; name: string }[] = [
  { backend: 'local', catalog: 'sqlite', name: 'local' },
  { backend: 'memory', catalog: 'sqlite', name: 'memory' },
  { backend: 'local', catalog: 'postgres', name: 'local+postgres' },
];

export interface Server {
  url: string;
  backend: Backend;
  dataDir: string;
  proc: ChildProcess;
  /** Log lines (pino JSON) the server printed so far. */
  logs: string[];
  /** SIGTERM and wait for exit. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

export interface StartOptions {
  backend: Backend;
  /** Reuse a data directory (to restart a local server on the same data). */
  dataDir?: string;
  env?: Record<string, string>;
  nodeArgs?: string[];
  /** postgres: a new database on the tests' PostgreSQL (test/support/postgres.ts) as CATALOG_URL. */
  catalog?: CatalogKind;
}

export async function startServer(t: Teardown, opts: StartOptions): Promise<Server> {
  const ownDir = opts.dataDir === undefined;
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'dataset-service-test-'));
  const catalogEnv = opts.catalog === 'postgres' ? { CATALOG_URL: await (await import('./postgres.js')).newCatalogDatabase() } : {};
  // The memory backend's SHARED_MEMORY_DIR in a tmpfs directory of this server's own: teardown kills the server
  // (SIGKILL), which leaves its directory behind.
  const sharedMemory = opts.backend === 'memory' && existsSync('/dev/shm') ? mkdtempSync('/dev/shm/dataset-service-test-') : undefined;
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), MAIN], {
    cwd: dataDir, // no .env there, so only the settings given here apply
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      STORAGE_BACKEND: opts.backend,
      HOST: '127.0.0.1',
      PORT: '0',
      DATA_DIR: dataDir,
      WORKERS: '2',
      LOG_LEVEL: 'info',
      MALLOC_ARENA_MAX: '2', // as npm start sets them
      MALLOC_MMAP_THRESHOLD_: '4194304',
      GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
      // Tests share a small, busy machine: shedding on event-loop delay would turn its hiccups into 503s.
      // The shedding test sets its own limits.
      SHED_EVENT_LOOP_DELAY_MS: '0',
      ...(sharedMemory ? { SHARED_MEMORY_DIR: sharedMemory } : {}),
      ...catalogEnv,
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  let stderr = '';
  proc.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));

  const url = await new Promise<string>((res, rej) => {
    const lines = createInterface({ input: proc.stdout! });
    lines.on('line', (line) => {
      logs.push(line);
      const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (m) res(m[1]);
    });
    void exited.then((code) => rej(new Error(`server exited with ${code} before listening: ${stderr}`)));
  });

  const server: Server = {
    url,
    backend: opts.backend,
    dataDir,
    proc,
    logs,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
  t.teardown(async () => {
    await server.kill();
    if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    if (sharedMemory) rmSync(sharedMemory, { recursive: true, force: true });
  });
  return server;
}

/**
 * Starts the local-backend service on `dataDir` expecting it to refuse to start: its exit code and stderr. Should
 * it start after all, it is killed, so the test fails on the exit code rather than hanging.
 */
export function startRefused(dataDir: string, env: Record<string, string> = {}): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [MAIN], {
      cwd: dataDir,
      env: { PATH: process.env.PATH!, STORAGE_BACKEND: 'local', PORT: '0', DATA_DIR: dataDir, WORKERS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr!.on('data', (d) => (stderr += d));
    proc.on('exit', (code) => resolve({ code, stderr }));
    proc.stdout!.on('data', (d) => /Server listening/.test(String(d)) && proc.kill('SIGKILL'));
  });
}

/** POST a file to /api/datasets/upload the way a browser or `requests` would (multipart/form-data). */
export async function upload(
  server: Server,
  file: Uint8Array | string,
  fileName: string,
  fields: Record<string, string> = { name: fileName },
): Promise<{ status: number; body: any }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([typeof file === 'string' ? Buffer.from(file) : file]), fileName);
  const res = await fetch(`${server.url}/api/datasets/upload`, { method: 'POST', body: form });
  return { status: res.status, body: await res.json() };
}

export async function getJson(server: Server, path: string, init?: RequestInit): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** Reads a JSON body keeping integers beyond 2^53 exact (as BigInt), to check the service writes every digit. */
export function parseExact(text: string): any {
  const marked = text.replace(/(?<=[:,\[]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '"__big__$1"');
  return JSON.parse(marked, (_k, v) => (typeof v === 'string' && v.startsWith('__big__') ? BigInt(v.slice(7)) : v));
}

export function tmpDir(t: Teardown, prefix = 'dataset-service-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
