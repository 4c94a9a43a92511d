/**
 * Data pages at random offsets, JSON and Arrow, 100 and 1,000 rows, at several concurrencies, for the HTTP
 * floor and each backend. Runs are interleaved (repetition → cell → server, the server order rotating) so
 * that drift in a noisy machine hits every server alike; figures are medians over the repetitions.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getBytes, type Uploaded } from '../client.js';
import { TABLE_ROWS } from '../data.js';
import { ARROW_STREAM, runLoad, type LoadFigures, type LoadSpec, type PageFormat } from '../load.js';
import { ForeignCpu, RssSampler, waitIdle, type ServerHandle } from '../servers.js';
import { cacheDelta, cpuPerRequest, snapshot, type ThreadCpuFigures } from '../threads.js';
import { log, median, medianOrNull, round } from '../util.js';

export interface PageCell {
  rows: number;
  format: PageFormat;
  concurrency: number;
}

export interface CellFigures extends PageCell {
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mb_per_s: number;
  non2xx: number;
  status_codes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** In some run p99 was a lower bound (see LoadFigures). */
  p99_lower_bound: boolean;
  /** Median cores used by other processes on the machine during the runs: how noisy the cell was. */
  foreign_cpu_cores: number;
  /** µs of CPU per request by thread (medians over runs); shards null when /health lists no worker threads. */
  cpu_us_per_request: { main: number | null; shards: number | null; other: number | null; total: number | null } | null;
  /** The data workers' cache over the runs (summed); null without cache figures in /health. */
  cache: { hits: number; misses: number; evictions: number; hit_ratio: number | null; bytes: number; budget_bytes: number } | null;
  /** Median of the runs' RSS peaks above their start, MB. */
  rss_peak_above_start_mb: number | null;
  runs: LoadFigures[];
}

export interface PageTarget {
  name: string;
  url: string;
  dataPath: string;
  /** Pages spread over several tables (see LoadSpec.dataPaths). */
  dataPaths?: string[];
  pid: number;
  /** Rows of the table(s) the offsets are drawn from (default the 3,000,000-row table). */
  totalRows?: number;
  /** A service (its /health lists worker threads and caches), not the HTTP floor. */
  service: boolean;
  /** Only these cells are run on this target (by the scenario's cell key); all when absent. */
  only?: (key: string) => boolean;
}

/** A target for a started service serving `path`. */
export function serviceTarget(server: ServerHandle, path: string, only?: PageTarget['only']): PageTarget {
  return { name: server.name ?? server.backend ?? server.label, url: server.url, dataPath: path, pid: server.pid, service: true, only };
}

export interface LoadSettings {
  reps: number;
  durationS: number;
  warmupS: number;
  /**
   * Seconds the whole scenario may take: past it, later repetitions are skipped (each cell keeps the runs
   * it has) so that a very slow server or a busy machine cannot stretch the run without bound.
   */
  budgetS?: number;
}

export const cellKey = (c: PageCell) => `${c.format}/${c.rows}/c${c.concurrency}`;

export function dataPath(table: Uploaded): string {
  return `/api/datasets/${table.dataset_id}/versions/${table.version_id}/data`;
}

export async function pagesScenario(targets: PageTarget[], cells: PageCell[], s: LoadSettings): Promise<Record<string, CellFigures[]>> {
  const runs = await repeatCells('pages', targets, cells, s, cellKey, (t, cell, rep, i) => ({
    url: t.url,
    dataPath: t.dataPath,
    dataPaths: t.dataPaths,
    totalRows: t.totalRows ?? TABLE_ROWS,
    rows: cell.rows,
    format: cell.format,
    concurrency: cell.concurrency,
    durationS: s.durationS,
    seed: 1000 * rep + i + 1,
  }));
  const out: Record<string, CellFigures[]> = {};
  for (const t of targets) {
    out[t.name] = cells.filter((cell) => !t.only || t.only(cellKey(cell))).map((cell) => summarize(cell, runs.get(`${t.name}|${cellKey(cell)}`) ?? []));
  }
  return out;
}

/**
 * Every cell on every target, `s.reps` times, as interleaved load runs: the targets take turns in a rotating
 * order, the first repetition warms each server and cell up, and repetitions past `s.budgetS` are skipped.
 * Returns the runs by `target|key(cell)`.
 */
export async function repeatCells<C>(
  label: string,
  targets: PageTarget[],
  cells: C[],
  s: LoadSettings,
  key: (cell: C) => string,
  spec: (target: PageTarget, cell: C, rep: number, index: number) => LoadSpec,
): Promise<Map<string, LoadFigures[]>> {
  const runs = new Map<string, LoadFigures[]>();
  const deadline = s.budgetS === undefined ? Number.POSITIVE_INFINITY : performance.now() + s.budgetS * 1000;
  for (let rep = 0; rep < s.reps; rep++) {
    for (const [i, cell] of cells.entries()) {
      if (rep > 0 && performance.now() > deadline) {
        log(`${label}: past the ${s.budgetS} s budget; repetition ${rep + 1} skipped from ${key(cell)} on`);
        break;
      }
      const order = targets.map((_, k) => targets[(k + rep + i) % targets.length]).filter((t) => !t.only || t.only(key(cell)));
      for (const t of order) {
        // Warm-up once per server and cell (first repetition): later repetitions find it warm.
        const fig = await measure(spec(t, cell, rep, i), rep === 0 ? s.warmupS : 0, t, targets.map((x) => x.pid));
        log(
          `${label} rep ${rep + 1}/${s.reps} ${t.name.padEnd(6)} ${key(cell).padEnd(18)} ${String(fig.rps).padStart(8)} req/s  p50 ${fig.p50_ms} ms  p99 ${fig.p99_ms} ms  (other load ${fig.foreign_cpu_cores} cores, drain ${fig.drain_s} s)` +
            (fig.non2xx || fig.errors ? `  non-2xx ${fig.non2xx} ${JSON.stringify(fig.status_codes)} errors ${fig.errors}` : ''),
        );
        const runKey = `${t.name}|${key(cell)}`;
        runs.set(runKey, [...(runs.get(runKey) ?? []), fig]);
      }
    }
  }
  return runs;
}

/**
 * One measured run: every server idle first, an unrecorded warm-up (connections, JIT, caches), the run with
 * the machine's other CPU use recorded, then the time the server needs to finish what was left queued.
 * Around the run (start until idle again): CPU per thread per request sent, the cache counters, RSS.
 */
async function measure(spec: LoadSpec, warmupS: number, t: PageTarget, allPids: number[]): Promise<LoadFigures> {
  await waitIdle(allPids);
  if (warmupS > 0) {
    await runLoad({ ...spec, durationS: warmupS, seed: spec.seed ^ 0x5eed });
    await waitIdle([t.pid]);
  }
  const before = await snapshot(t.url, t.pid, t.service);
  const rss = new RssSampler(t.pid, 50).start();
  const rssStart = rss.peak_mb;
  const foreign = new ForeignCpu().start();
  const fig = await runLoad(spec);
  fig.foreign_cpu_cores = round(foreign.stop(), 2);
  fig.drain_s = round(await waitIdle([t.pid]), 1);
  fig.rss_peak_mb = round(rss.stop(), 1);
  fig.rss_start_mb = round(rssStart, 1);
  const after = await snapshot(t.url, t.pid, t.service);
  fig.threads = cpuPerRequest(t.pid, before, after, fig.sent);
  fig.cache = cacheDelta(before, after);
  return fig;
}

export function summarize(cell: PageCell, runs: LoadFigures[]): CellFigures {
  const med = (f: (r: LoadFigures) => number) => round(median(runs.map(f)), 3);
  const sum = (f: (r: LoadFigures) => number) => runs.reduce((n, r) => n + f(r), 0);
  return {
    ...cell,
    rps: round(median(runs.map((r) => r.rps)), 1),
    p50_ms: med((r) => r.p50_ms),
    p90_ms: med((r) => r.p90_ms),
    p99_ms: med((r) => r.p99_ms),
    max_ms: med((r) => r.max_ms),
    mb_per_s: med((r) => r.mb_per_s),
    non2xx: sum((r) => r.non2xx),
    status_codes: runs.reduce<Record<string, number>>((acc, r) => {
      for (const [k, v] of Object.entries(r.status_codes)) acc[k] = (acc[k] ?? 0) + v;
      return acc;
    }, {}),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    p99_lower_bound: runs.some((r) => r.p99_lower_bound),
    foreign_cpu_cores: med((r) => r.foreign_cpu_cores ?? Number.NaN),
    cpu_us_per_request: runs.some((r) => r.threads)
      ? {
          main: cpuMedian(runs, (x) => x.main_us),
          shards: cpuMedian(runs, (x) => x.shards_us),
          other: cpuMedian(runs, (x) => x.other_us),
          total: cpuMedian(runs, (x) => x.total_us),
        }
      : null,
    cache: runs.some((r) => r.cache)
      ? (() => {
          const c = runs.map((r) => r.cache).filter((x) => x != null);
          const hits = c.reduce((n, x) => n + x.hits, 0);
          const misses = c.reduce((n, x) => n + x.misses, 0);
          const last = c[c.length - 1];
          return { hits, misses, evictions: c.reduce((n, x) => n + x.evictions, 0), hit_ratio: hits + misses ? round(hits / (hits + misses), 3) : null, bytes: last.bytes, budget_bytes: last.budget_bytes };
        })()
      : null,
    rss_peak_above_start_mb: roundOrNullMb(medianOrNull(runs.map((r) => (r.rss_peak_mb ?? NaN) - (r.rss_start_mb ?? NaN)))),
    runs,
  };
}

const cpuMedian = (runs: LoadFigures[], f: (x: ThreadCpuFigures) => number | null) => medianOrNull(runs.map((r) => (r.threads ? f(r.threads) : null)));
const roundOrNullMb = (x: number | null) => (x === null ? null : round(x, 1));

/**
 * Fetches, once, the real bytes of a page of each variant from the service, for the floor to serve, and
 * writes the floor's variants file. Returns its path.
 */
export async function floorVariants(server: ServerHandle, table: Uploaded, rows: number[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dataset-bench-floor-'));
  const variants = [];
  for (const n of rows) {
    for (const format of ['json', 'arrow'] as const) {
      const page = await getBytes(`${server.url}${dataPath(table)}?offset=1234567&limit=${n}`, format === 'arrow' ? ARROW_STREAM : 'application/json');
      const file = join(dir, `${format}-${n}`);
      writeFileSync(file, page.body);
      variants.push({ rows: n, format, content_type: page.contentType, total_rows: page.totalRows, body_file: file, bytes: page.body.length });
    }
  }
  const path = join(dir, 'variants.json');
  writeFileSync(path, JSON.stringify(variants));
  log(`floor pages: ${variants.map((v) => `${v.format}/${v.rows} ${v.bytes} B`).join(', ')}`);
  return path;
}
