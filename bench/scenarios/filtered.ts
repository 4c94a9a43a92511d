/**
 * Filtered pages: JSON pages of 100 rows at random offsets of a filtered (and possibly sorted and projected)
 * result, so every request makes the service evaluate the query over the 3,000,000 rows before slicing.
 * Offsets are drawn within the result's total (asked of each server first). Same load generator, warm-up,
 * idle waits and interleaving as the page scenario; compared afterwards (report.ts) with the unfiltered
 * JSON/100 pages of the same run and the HTTP floor. The engine floor is the same query, slice and JSON
 * encode with nodejs-polars in this process: on an in-memory DataFrame (what the memory backend holds) and
 * as a lazy scan of the Parquet file (what the local backend reads).
 */
import { createHistogram } from 'node:perf_hooks';
import pl from 'nodejs-polars';
import { getBytes } from '../client.js';
import type { Backend } from '../servers.js';
import { elapsedMs, log, PARQUET_PATH, prng, round } from '../util.js';
import { jsonPage } from './engine.js';
import { repeatCells, summarize, type CellFigures, type LoadSettings, type PageTarget } from './pages.js';

export interface FilteredQuery {
  /** Short label used in logs and tables. */
  name: string;
  filters: { column: string; op: 'eq' | 'gt'; value: string | number }[];
  columns?: string[];
  /** As the API takes it: column names, `-` for descending. */
  sort?: string[];
}

export interface FilteredCell {
  query: string;
  concurrency: number;
}

export interface FilteredFigures extends CellFigures {
  query: string;
  query_string: string;
  /** Rows matching the query, as the server reported it (X-Total-Rows); the offsets are drawn below it. */
  total_rows: number;
}

export interface FilteredEngineFigures {
  query: string;
  query_string: string;
  total_rows: number;
  ops: number;
  /** Memory analogue: filter/sort/projection + slice + JSON encode on a DataFrame already in memory. */
  in_memory_p50_ms: number;
  /** Local analogue: the same as a lazy scan of the Parquet file (pl.scanParquet … collectSync). */
  lazy_scan_p50_ms: number;
}

export function queryString(q: FilteredQuery): string {
  const parts = q.filters.map((f) => `filter[${f.column}]${f.op}=${encodeURIComponent(String(f.value))}`);
  if (q.columns?.length) parts.push(`columns=${q.columns.join(',')}`);
  if (q.sort?.length) parts.push(`sort=${q.sort.join(',')}`);
  return parts.join('&');
}

const filteredKey = (query: string, concurrency: number) => `${query}/c${concurrency}`;

/** Rows matching the query on a server (X-Total-Rows of a 1-row page). */
async function filteredTotal(t: PageTarget, qs: string): Promise<number> {
  const page = await getBytes(`${t.url}${t.dataPath}?${qs}&offset=0&limit=1`, 'application/json');
  const n = Number(page.totalRows);
  if (!Number.isFinite(n)) throw new Error(`${t.name}: no X-Total-Rows for ${qs}`);
  return n;
}

export async function filteredPagesScenario(
  targets: (PageTarget & { name: Backend })[],
  queries: FilteredQuery[],
  concurrencies: number[],
  s: LoadSettings,
): Promise<Record<string, FilteredFigures[]>> {
  const totals = new Map<string, number>();
  for (const q of queries) {
    for (const t of targets) {
      const n = await filteredTotal(t, queryString(q));
      totals.set(`${t.name}|${q.name}`, n);
      log(`filtered pages: ${t.name} ${q.name} (${queryString(q)}): ${n} matching rows`);
    }
  }
  const cells: FilteredCell[] = queries.flatMap((q) => concurrencies.map((concurrency) => ({ query: q.name, concurrency })));
  const byName = new Map(queries.map((q) => [q.name, q]));
  const runs = await repeatCells(
    'filtered pages',
    targets,
    cells,
    s,
    (cell) => filteredKey(cell.query, cell.concurrency),
    (t, cell, rep, i) => ({
      url: t.url,
      dataPath: t.dataPath,
      query: queryString(byName.get(cell.query)!),
      totalRows: totals.get(`${t.name}|${cell.query}`)!,
      rows: 100,
      format: 'json',
      concurrency: cell.concurrency,
      durationS: s.durationS,
      seed: 5000 + 1000 * rep + i,
    }),
  );
  const out: Record<string, FilteredFigures[]> = {};
  for (const t of targets) {
    out[t.name] = cells.map((cell) => ({
      query: cell.query,
      query_string: queryString(byName.get(cell.query)!),
      total_rows: totals.get(`${t.name}|${cell.query}`)!,
      ...summarize({ rows: 100, format: 'json', concurrency: cell.concurrency }, runs.get(`${t.name}|${filteredKey(cell.query, cell.concurrency)}`) ?? []),
    }));
  }
  return out;
}

function polarsFilter(q: FilteredQuery): pl.Expr {
  const parts = q.filters.map((f) => (f.op === 'eq' ? pl.col(f.column).eq(pl.lit(f.value)) : pl.col(f.column).gt(pl.lit(f.value))));
  return parts.reduce((a, b) => a.and(b));
}

function polarsQuery(lazy: pl.LazyDataFrame, q: FilteredQuery): pl.LazyDataFrame {
  let out = lazy.filter(polarsFilter(q));
  if (q.sort?.length) {
    const by = q.sort.map((c) => c.replace(/^-/, ''));
    const descending = q.sort.map((c) => c.startsWith('-'));
    // nodejs-polars takes one column with one flag, or several columns with a flag each.
    out = by.length === 1 ? out.sort(by[0], descending[0], true) : out.sort(by, descending, true);
  }
  if (q.columns?.length) out = out.select(...q.columns);
  return out;
}

/**
 * The engine floor of each query: `ops` pages (after 3 unrecorded) at random offsets of the result, each
 * one evaluated from scratch (no cached result, as the service has none between requests), p50 ms.
 */
export function filteredEngineFloor(queries: FilteredQuery[], ops: number): FilteredEngineFigures[] {
  log(`engine floor, filtered pages: ${queries.length} quer${queries.length === 1 ? 'y' : 'ies'}, ${ops} pages each`);
  const frame = pl.readParquet(PARQUET_PATH);
  const out: FilteredEngineFigures[] = [];
  for (const q of queries) {
    const total = Number(frame.lazy().filter(polarsFilter(q)).select(pl.len().alias('n')).collectSync().getColumn('n').get(0));
    const time = (source: () => pl.LazyDataFrame) => {
      const random = prng(4242);
      const span = Math.max(1, total - 100);
      const h = createHistogram({ lowest: 1, highest: 60_000_000, figures: 3 });
      for (let i = 0; i < ops + 3; i++) {
        const t = process.hrtime.bigint();
        const page = polarsQuery(source(), q).slice(Math.floor(random() * span), 100).collectSync();
        jsonPage(page);
        if (i >= 3) h.record(Math.max(1, Math.round(elapsedMs(t) * 1000)));
      }
      return round(h.percentile(50) / 1000, 3);
    };
    const inMemory = time(() => frame.lazy());
    const scan = time(() => pl.scanParquet(PARQUET_PATH));
    out.push({ query: q.name, query_string: queryString(q), total_rows: total, ops, in_memory_p50_ms: inMemory, lazy_scan_p50_ms: scan });
    log(`engine floor, filtered ${q.name}: ${total} rows; page p50 ${inMemory} ms in memory, ${scan} ms lazy scan`);
  }
  return out;
}
