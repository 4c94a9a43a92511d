/**
 * Which Parquet layout serves pages and exports best: the 3M-row flights table written as the parse worker
 * writes it, at several row-group sizes (and data page size limits), read through the real data worker in
 * this process, variants interleaved round by round. Figures are process CPU (all threads) in ms, medians,
 * with each variant's ratio to 32,767-row groups (what the service writes) from the same run.
 *
 *   npm run build && npm run build:bench && node dist/bench/parquet-layout.js [rows[:pageBytes] ...]
 *
 * Columns: open = a cold 100-row page (a sheet this worker never opened: footer, schema, row count, slice);
 * page 100 / page 1000 = later pages of that sheet at random offsets; csv / arrow = whole-table exports.
 */
import { copyFileSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import pl from 'nodejs-polars';
import run from '../workers/data-worker.js';
import type { ExportFormat, TableQuery } from '../workers/protocol.js';
import { TABLE_ROWS } from './data.js';
import { CACHE_DIR, PARQUET_PATH, median } from './util.js';

const ROUNDS = Number(process.env.ROUNDS ?? 20);
const EXPORT_ROUNDS = Number(process.env.EXPORT_ROUNDS ?? 3);
const specs = process.argv.slice(2).length ? process.argv.slice(2) : ['32767', '16384', '8192', '32767:8192'];
const dir = join(CACHE_DIR, 'parquet-layout');
const plain: TableQuery = { filters: [], sort: [] };

/** Writes the flights table with `rowGroupSize` rows per group (and a data page limit), as parse-worker.ts does. */
function write(frame: pl.DataFrame, spec: string): string {
  const [rows, pageBytes] = spec.split(':').map(Number);
  const path = join(dir, `rg${spec.replace(':', 'p')}.parquet`);
  const sink = frame.lazy().sinkParquet(path, {
    compression: 'lz4',
    statistics: true,
    rowGroupSize: rows,
    ...(pageBytes ? { dataPagesizeLimit: pageBytes } : {}),
    sinkOptions: { syncOnClose: 'all', maintainOrder: true, mkdir: false },
  });
  (sink as unknown as { collectSync(engine: string): unknown }).collectSync('auto');
  return path;
}

/** Process CPU of `fn` in ms (user + system, every thread). */
async function cpu(fn: () => unknown): Promise<number> {
  const start = process.cpuUsage();
  const out = await fn();
  if (out && typeof out === 'object' && 'error' in out) throw new Error(JSON.stringify(out));
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

const page = (path: string, offset: number, size: number) =>
  run({ op: 'page', table: { kind: 'parquet', key: `${path}/0`, path }, query: plain, offset, size, format: 'json', int64AsString: false, neutralizeFormulas: false, fillCache: true });

async function exportAll(path: string, format: ExportFormat) {
  const { port1, port2 } = new MessageChannel();
  port1.on('message', (m: { chunk?: ArrayBuffer }) => m.chunk && port1.postMessage('more'));
  const out = await run({ op: 'export', table: { kind: 'parquet', key: `${path}/0`, path }, query: plain, offset: 0, size: null, format, neutralizeFormulas: false, port: port2 });
  port1.close();
  return out;
}

async function main() {
  mkdirSync(dir, { recursive: true });
  const frame = pl.readParquet(PARQUET_PATH);
  const files = new Map(specs.map((s) => [s, write(frame, s)]));
  const figures = new Map<string, Record<string, number[]>>(specs.map((s) => [s, {}]));
  const add = (spec: string, name: string, ms: number) => (figures.get(spec)![name] ??= []).push(ms);
  const offset = (size: number) => Math.floor(Math.random() * (TABLE_ROWS - size));
  for (let r = 0; r < ROUNDS; r++) {
    for (const spec of specs) {
      const fresh = join(dir, `cold-${r}-${spec.replace(":", "p")}.parquet`); // a new path: kept scans are keyed by it
      copyFileSync(files.get(spec)!, fresh);
      add(spec, 'open', await cpu(() => page(fresh, offset(100), 100)));
      for (let i = 0; i < 3; i++) add(spec, 'page 100', await cpu(() => page(fresh, offset(100), 100)));
      add(spec, 'page 1000', await cpu(() => page(fresh, offset(1000), 1000)));
      rmSync(fresh);
    }
  }
  for (let r = 0; r < EXPORT_ROUNDS; r++) {
    for (const spec of specs) {
      add(spec, 'csv', await cpu(() => exportAll(files.get(spec)!, 'csv')));
      add(spec, 'arrow', await cpu(() => exportAll(files.get(spec)!, 'arrow-stream')));
    }
  }
  const names = ['open', 'page 100', 'page 1000', 'csv', 'arrow'];
  const base = figures.get(specs[0])!;
  console.log(`| rows per group[:page bytes] | file MB | ${names.join(' | ')} |`);
  console.log(`|---|---:|${names.map(() => '---:').join('|')}|`);
  for (const spec of specs) {
    const f = figures.get(spec)!;
    const cells = names.map((n) => `${median(f[n]).toFixed(2)} (${(median(f[n]) / median(base[n])).toFixed(2)}×)`);
    console.log(`| ${spec} | ${(statSync(files.get(spec)!).size / 1e6).toFixed(2)} | ${cells.join(' | ')} |`);
  }
  console.log(`\nprocess CPU ms, medians of ${ROUNDS} rounds (exports ${EXPORT_ROUNDS}); ratios to ${specs[0]}`);
}

await main();
