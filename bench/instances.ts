/**
 * Several instances over one DATA_DIR and a PostgreSQL catalog (issue 13), side by side in one run with the
 * single instance users get by default:
 *   - sqlite:       one instance, WORKERS=2, the embedded SQLite catalog (the baseline);
 *   - postgres:     one instance, WORKERS=2, CATALOG_URL (what the shared catalog costs per request);
 *   - 2 × postgres: two instances, WORKERS=1 each, on one DATA_DIR and catalog, the load split between them
 *                   (two load generators at half the connections each, run together).
 * 100-row JSON pages at random offsets of the 3M-row flights table (already read, so cached), interleaved
 * repetitions, medians. Then upload + read-back: the flights Parquet uploaded through one instance and its first
 * page read through the other, against the same through one instance.
 * On this 2-core machine two instances share the same two cores: this measures the overhead of the shared
 * catalog and of splitting, not scaling — more instances help only on more machines (or cores).
 *   npm run build && npm run build:bench && node dist/bench/instances.js [--reps 3] [--seconds 5] [--concurrency 64]
 */
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalPostgres } from '../test/support/embedded-postgres.js';
import { getText, postFile, uploadFile, type Uploaded } from './client.js';
import { TABLE_ROWS } from './data.js';
import { runLoad, type LoadFigures } from './load.js';
import { dataPath } from './scenarios/pages.js';
import { installCleanup, startService, stopAll, waitIdle, type ServerHandle } from './servers.js';
import { log, median, PARQUET_PATH } from './util.js';

const { values: args } = parseArgs({
  options: {
    reps: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '64' },
  },
});
const reps = Number(args.reps);
const seconds = Number(args.seconds);
const concurrency = Number(args.concurrency);

interface Setup {
  name: string;
  servers: ServerHandle[];
  path: string;
}

installCleanup();
const postgres = await startLocalPostgres();
const dirs: string[] = [];
const newDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'dataset-bench-instances-'));
  dirs.push(dir);
  return dir;
};

const setups: Setup[] = [];
{
  const single = await startService({ backend: 'local', name: 'sqlite', workers: 2, dataDir: newDir() });
  const table = await uploadFile(single.url, PARQUET_PATH, 'flights');
  setups.push({ name: 'sqlite (1 instance, WORKERS=2)', servers: [single], path: dataPath(table) });
}
{
  const env = { CATALOG_URL: await postgres.newDatabase('bench_one') };
  const one = await startService({ backend: 'local', name: 'postgres', workers: 2, dataDir: newDir(), env });
  const table = await uploadFile(one.url, PARQUET_PATH, 'flights');
  setups.push({ name: 'postgres (1 instance, WORKERS=2)', servers: [one], path: dataPath(table) });
}
let across: { same: Uploaded; other_ms: number } | undefined;
{
  const env = { CATALOG_URL: await postgres.newDatabase('bench_two') };
  const dataDir = newDir();
  const a = await startService({ backend: 'local', name: 'postgres-a', workers: 1, dataDir, env });
  const b = await startService({ backend: 'local', name: 'postgres-b', workers: 1, dataDir, env });
  const table = await uploadFile(a.url, PARQUET_PATH, 'flights');
  setups.push({ name: '2 × postgres (WORKERS=1 each, load split)', servers: [a, b], path: dataPath(table) });
  // Upload through a, read through b, against upload + read through a (the table above).
  const started = performance.now();
  const up = await postFile(`${a.url}/api/datasets/upload`, PARQUET_PATH, { name: 'flights (across)' });
  const body = JSON.parse(up.text) as { dataset: { id: number }; version: { id: number } };
  await getText(`${b.url}/api/datasets/${body.dataset.id}/versions/${body.version.id}/data?offset=0&limit=1`);
  across = { same: table, other_ms: performance.now() - started };
}

/** One load run over a setup: its servers share the connections, run together; req/s summed, p99 the worst. */
async function load(setup: Setup, seed: number, durationS: number): Promise<{ rps: number; p99_ms: number; non2xx: number }> {
  const share = Math.ceil(concurrency / setup.servers.length);
  const figures: LoadFigures[] = await Promise.all(
    setup.servers.map((s, i) => runLoad({ url: s.url, dataPath: setup.path, totalRows: TABLE_ROWS, rows: 100, format: 'json', concurrency: share, durationS, seed: seed * 10 + i })),
  );
  return { rps: figures.reduce((n, f) => n + f.rps, 0), p99_ms: Math.max(...figures.map((f) => f.p99_ms)), non2xx: figures.reduce((n, f) => n + f.non2xx, 0) };
}

const runs = new Map<string, { rps: number; p99_ms: number; non2xx: number }[]>();
for (const s of setups) await load(s, 0, 2); // warm-up: every instance has read the table
for (let rep = 0; rep < reps; rep++) {
  for (let k = 0; k < setups.length; k++) {
    const s = setups[(k + rep) % setups.length];
    await waitIdle(setups.flatMap((x) => x.servers.map((srv) => srv.pid)));
    const fig = await load(s, rep + 1, seconds);
    log(`${s.name}: ${fig.rps.toFixed(0)} req/s, p99 ${fig.p99_ms} ms, non-2xx ${fig.non2xx}`);
    runs.set(s.name, [...(runs.get(s.name) ?? []), fig]);
  }
}

const base = setups[0].name;
const med = (name: string, f: (r: { rps: number; p99_ms: number }) => number) => median((runs.get(name) ?? []).map(f));
const lines = [
  `100-row JSON pages of the 3M-row flights table (cached), c=${concurrency} in all, medians of ${reps} interleaved runs of ${seconds} s. ` +
    'Two instances share this machine\'s two cores: overhead, not scaling.',
  '',
  '| setup | req/s | × sqlite | p99 ms | × sqlite | non-2xx |',
  '|---|---:|---:|---:|---:|---:|',
  ...setups.map((s) => {
    const rps = med(s.name, (r) => r.rps);
    const p99 = med(s.name, (r) => r.p99_ms);
    const bad = (runs.get(s.name) ?? []).reduce((n, r) => n + r.non2xx, 0);
    return `| ${s.name} | ${rps.toFixed(0)} | ${(rps / med(base, (r) => r.rps)).toFixed(2)} | ${p99.toFixed(1)} | ${(p99 / med(base, (r) => r.p99_ms)).toFixed(2)} | ${bad} |`;
  }),
  '',
  `Upload + first page of the 3M-row flights Parquet: through one instance ${across!.same.readable_ms.toFixed(0)} ms; ` +
    `uploaded through one and read through the other ${across!.other_ms.toFixed(0)} ms (${(across!.other_ms / across!.same.readable_ms).toFixed(2)}×).`,
];
console.log(lines.join('\n'));
await stopAll();
await postgres.destroy();
for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
process.exit(0);
