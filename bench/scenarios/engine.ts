/**
 * The engine floor: the service's work done in this process with nodejs-polars, without HTTP, without
 * worker threads and without the service's code — read the same CSV and Parquet bytes, slice and encode
 * the same pages, compute the same statistics. (Polars' own thread pool is used, as in the service.)
 */
import { readFileSync } from 'node:fs';
import { createHistogram } from 'node:perf_hooks';
import pl from 'nodejs-polars';
import type { Inputs } from '../data.js';
import { ownCpuMs } from '../threads.js';
import { elapsedMs, log, MB, median, prng, round } from '../util.js';

export interface EngineFloor {
  csv_read_mb_s: number;
  csv_read_ms: number;
  parquet_read_mb_s: number;
  parquet_read_ms: number;
  statistics_basic_ms: number;
  statistics_detailed_ms: number;
  /** Per page, in one thread: slice at a random offset and encode (JSON with ISO datetimes, or Arrow IPC stream). */
  pages: { rows: number; format: 'json' | 'arrow'; p50_ms: number; p99_ms: number; ops_per_s: number }[];
  /** The same JSON page without the select that rewrites datetimes (Polars' writer alone), to show that select's cost. */
  json_writer_only_p50_ms: Record<string, number>;
  /**
   * What one call of nodejs-polars' JavaScript layer costs on a 100-row slice (median ms): making wrapper
   * objects (a Series per column, one Expr) against the actual work (a select with ready-made expressions,
   * the writers). The service makes such wrappers per request; this shows what that costs on this machine.
   */
  polars_js_layer_ms: Record<string, number>;
  runs: { csv_read_ms: number[]; parquet_read_ms: number[]; statistics_basic_ms: number[]; statistics_detailed_ms: number[] };
}

const QUANTILES = [5, 10, 25, 50, 75, 90, 95];

export function engineFloor(inputs: Inputs, reps: number, pageOps: number): EngineFloor {
  log('engine floor: nodejs-polars in-process');
  const csvBytes = readFileSync(inputs.csv.path);
  const parquetBytes = readFileSync(inputs.parquet.path);
  const runs = { csv_read_ms: [] as number[], parquet_read_ms: [] as number[], statistics_basic_ms: [] as number[], statistics_detailed_ms: [] as number[] };

  for (let r = 0; r < reps; r++) {
    runs.csv_read_ms.push(engineRead('csv', csvBytes).wall_ms);
    runs.parquet_read_ms.push(engineRead('parquet', parquetBytes).wall_ms);
  }

  const frame = pl.readParquet(parquetBytes);
  for (let r = 0; r < reps; r++) {
    let t = process.hrtime.bigint();
    statistics(frame, false);
    runs.statistics_basic_ms.push(elapsedMs(t));
    t = process.hrtime.bigint();
    statistics(frame, true);
    runs.statistics_detailed_ms.push(elapsedMs(t));
  }

  const pages: EngineFloor['pages'] = [];
  const writerOnly: Record<string, number> = {};
  for (const rows of [100, 1000]) {
    for (const format of ['json', 'arrow'] as const) {
      const h = timeOps(pageOps, rows, frame, (slice) => (format === 'json' ? jsonPage(slice) : slice.writeIPCStream()));
      pages.push({ rows, format, p50_ms: h.p50, p99_ms: h.p99, ops_per_s: round(1000 / h.mean, 1) });
    }
    writerOnly[String(rows)] = timeOps(pageOps, rows, frame, (slice) => slice.writeJSON({ format: 'json' })).p50;
  }

  const slice = frame.slice(1_234_567, 100);
  const ready = slice.columns.map((c) => (c === 'date' ? pl.col(c).dt.strftime('%Y-%m-%dT%H:%M:%S%.f') : pl.col(c)));
  const n = Math.max(20, Math.round(pageOps / 2));
  const jsLayer: Record<string, number> = {
    'frame.getColumns() (5 Series)': perCall(n, () => slice.getColumns()),
    'frame.schema': perCall(n, () => slice.schema),
    'pl.col(name) (1 Expr)': perCall(n, () => pl.col('delay')),
    'pl.col(date).dt.strftime(…)': perCall(n, () => pl.col('date').dt.strftime('%Y-%m-%dT%H:%M:%S%.f')),
    'select(ready-made exprs)': perCall(n, () => slice.select(...ready)),
    'writeJSON': perCall(n, () => slice.writeJSON({ format: 'json' })),
    'writeIPCStream': perCall(n, () => slice.writeIPCStream()),
  };

  const mbs = (ms: number, bytes: number) => round(bytes / MB / (ms / 1000), 1);
  const csvMs = median(runs.csv_read_ms);
  const pqMs = median(runs.parquet_read_ms);
  return {
    csv_read_mb_s: mbs(csvMs, inputs.csv.bytes),
    csv_read_ms: round(csvMs, 1),
    parquet_read_mb_s: mbs(pqMs, inputs.parquet.bytes),
    parquet_read_ms: round(pqMs, 1),
    statistics_basic_ms: round(median(runs.statistics_basic_ms), 1),
    statistics_detailed_ms: round(median(runs.statistics_detailed_ms), 1),
    pages,
    json_writer_only_p50_ms: writerOnly,
    polars_js_layer_ms: jsLayer,
    runs: {
      csv_read_ms: runs.csv_read_ms.map((x) => round(x, 1)),
      parquet_read_ms: runs.parquet_read_ms.map((x) => round(x, 1)),
      statistics_basic_ms: runs.statistics_basic_ms.map((x) => round(x, 1)),
      statistics_detailed_ms: runs.statistics_detailed_ms.map((x) => round(x, 1)),
    },
  };
}

/**
 * The engine reading a whole file in this process: `pl.readCSV` with dates parsed (the service ends with typed
 * columns, datetimes included) or `pl.readParquet`; wall ms, and CPU ms of this process (Polars' pool included,
 * as nothing else in it runs meanwhile). The baseline of every upload figure. Throws when the file reads as no rows.
 */
export function engineRead(kind: 'csv' | 'parquet', bytes: Buffer): { wall_ms: number; cpu_ms: number } {
  const cpu = ownCpuMs();
  const t = process.hrtime.bigint();
  const frame = kind === 'csv' ? pl.readCSV(bytes, { tryParseDates: true }) : pl.readParquet(bytes);
  const wall = elapsedMs(t);
  if (frame.height === 0) throw new Error(`the ${kind} input read as no rows`);
  return { wall_ms: wall, cpu_ms: ownCpuMs() - cpu };
}

/** Median ms of one call, over n calls after a few warm-up calls. */
function perCall(n: number, op: () => unknown): number {
  for (let i = 0; i < 5; i++) op();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    op();
    times.push(elapsedMs(t));
  }
  return round(median(times), 3);
}

function timeOps(n: number, rows: number, frame: pl.DataFrame, op: (slice: pl.DataFrame) => unknown) {
  const random = prng(rows);
  const h = createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 });
  const span = frame.height - rows;
  for (let i = 0; i < n + 10; i++) {
    const t = process.hrtime.bigint();
    op(frame.slice(Math.floor(random() * span), rows));
    if (i >= 10) h.record(Math.max(1, Math.round(elapsedMs(t) * 1000)));
  }
  return { p50: round(h.percentile(50) / 1000, 3), p99: round(h.percentile(99) / 1000, 3), mean: h.mean / 1000 };
}

/** A JSON page as the contract writes it: naive datetimes as ISO 8601 with `T`, the rest by Polars' writer. */
export function jsonPage(slice: pl.DataFrame): Buffer {
  const exprs = slice.getColumns().map((s) =>
    String(s.dtype.variant) === 'Datetime' ? pl.col(s.name).dt.strftime('%Y-%m-%dT%H:%M:%S%.f') : pl.col(s.name),
  );
  const rows = slice.select(...exprs).writeJSON({ format: 'json' });
  return Buffer.concat([Buffer.from('{"data":'), rows, Buffer.from(`,"columns":${JSON.stringify(slice.columns)}}`)]);
}

/**
 * The contract's statistics: per column null and distinct counts, min and max; for numbers mean, median and
 * sample standard deviation over non-NaN values; detailed adds 7 quantiles, a 20-bin histogram (numbers,
 * dates and datetimes) and the 10 most frequent values (strings, booleans).
 */
function statistics(frame: pl.DataFrame, detailed: boolean): void {
  const lazy = frame.lazy();
  const aggs: pl.Expr[] = [];
  const kinds = frame.getColumns().map((s) => kindOf(s.dtype));
  frame.columns.forEach((name, i) => {
    const c = pl.col(name);
    aggs.push(c.nullCount().alias(`${i}:n`), c.nUnique().alias(`${i}:u`), c.min().alias(`${i}:min`), c.max().alias(`${i}:max`));
    if (kinds[i] === 'number') {
      const f = c.cast(pl.Float64).filter(c.cast(pl.Float64).isNotNan());
      aggs.push(f.mean().alias(`${i}:mean`), f.median().alias(`${i}:median`), f.std().alias(`${i}:std`));
      if (detailed) for (const q of QUANTILES) aggs.push(f.quantile(q / 100).alias(`${i}:p${q}`));
    }
  });
  lazy.select(...aggs).collectSync();
  if (!detailed) return;
  frame.columns.forEach((name, i) => {
    if (kinds[i] === 'number' || kinds[i] === 'temporal') {
      const x = (kinds[i] === 'number' ? pl.col(name) : pl.col(name).cast(pl.Int64)).cast(pl.Float64);
      const values = lazy.select(x.alias('x')).filter(pl.col('x').isNotNull().and(pl.col('x').isFinite())).collectSync();
      const s = values.getColumn('x');
      const lo = s.min() as number;
      const hi = s.max() as number;
      const width = hi > lo ? (hi - lo) / 20 : 1;
      values.select(pl.col('x').sub(lo).div(width).floor().clip(0, 19).cast(pl.Int32).alias('bin')).getColumn('bin').valueCounts();
    } else if (kinds[i] === 'text') {
      lazy
        .select(pl.col(name))
        .dropNulls()
        .groupBy(name)
        .agg(pl.len().alias('count'))
        .sort('count', true)
        .limit(10)
        .collectSync();
    }
  });
}

function kindOf(dt: pl.DataType): 'number' | 'temporal' | 'text' | 'other' {
  const v = String(dt.variant);
  if (/^(U?Int\d+|Float\d+|Decimal)$/.test(v)) return 'number';
  if (v === 'Date' || v === 'Datetime') return 'temporal';
  if (v === 'String' || v === 'Utf8' || v === 'Bool' || v === 'Boolean') return 'text';
  return 'other';
}
