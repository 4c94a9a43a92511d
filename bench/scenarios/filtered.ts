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
import { getBytes, getOverAgent, oneConnection } from '../client.js';
import { waitIdle } from '../servers.js';
import { elapsedMs, log, median, PARQUET_PATH, prng, round } from '../util.js';
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
  /**
   * A first page as the service must answer it, median ms over the same query variants the servers get
   * (see firstPageVariant): the whole result collected (its height is X-Total-Rows), its first 100 rows
   * encoded as JSON. On the in-memory DataFrame, and as a lazy scan of the Parquet file.
   */
  first_page_in_memory_ms: number;
  first_page_lazy_scan_ms: number;
}

/** A first page of a query never asked before, per server: median ms and each variant's ms. */
export interface FirstPageFigures {
  query: string;
  p50_ms: number;
  runs_ms: number[];
}

/**
 * Variant k (1, 2, …) of a query: its first `gt` filter's value raised by k, so each variant is a query the
 * server has not computed before (nothing cached), with nearly the same cost. The load runs use variant 0.
 */
export function firstPageVariant(q: FilteredQuery, k: number): FilteredQuery {
  const i = q.filters.findIndex((f) => f.op === 'gt' && typeof f.value === 'number');
  if (i < 0) throw new Error(`query ${q.name} has no numeric gt filter to vary`);
  return { ...q, filters: q.filters.map((f, j) => (j === i ? { ...f, value: (f.value as number) + k } : f)) };
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

/** The engine's first page of each query, as FilteredEngineFigures' first_page_* (medians over the same variants). */
export type EngineFirstPages = Map<string, Pick<FilteredEngineFigures, 'first_page_in_memory_ms' | 'first_page_lazy_scan_ms'>>;

/**
 * The first page (offset 0, 100 rows, JSON) of `times` variants of each query, one request at a time with
 * the servers idle, the servers taking turns, each over its own kept-alive connection (client.ts
 * getOverAgent, as the cold first page). Run before the load runs, so no variant was ever computed.
 * Beside each variant, right before the servers get it, the engine answers it in this process (engineFirstPageMs,
 * on a DataFrame in memory and as a lazy scan): a first page takes tens of ms, and this machine's speed moves
 * within minutes, so the baseline is measured in the same minute as what it is compared with.
 */
export async function filteredFirstPages(
  targets: PageTarget[],
  queries: FilteredQuery[],
  times: number,
): Promise<{ pages: Record<string, FirstPageFigures[]>; engine: EngineFirstPages }> {
  const ms = new Map<string, number[]>();
  const agents = new Map(targets.map((t) => [t.name, oneConnection()]));
  const frame = pl.readParquet(PARQUET_PATH);
  const engineMs = new Map<string, { inMemory: number[]; scan: number[] }>(queries.map((q) => [q.name, { inMemory: [], scan: [] }]));
  // One unrecorded answer per query first, as the servers have served pages before: this process's first query
  // pays for code and pages touched for the first time (~2× a later one).
  for (const q of queries) {
    engineFirstPageMs(() => frame.lazy(), q);
    engineFirstPageMs(() => pl.scanParquet(PARQUET_PATH), q);
  }
  for (const q of queries) {
    for (let k = 1; k <= times; k++) {
      const variant = firstPageVariant(q, k);
      await waitIdle(targets.map((x) => x.pid));
      engineMs.get(q.name)!.inMemory.push(engineFirstPageMs(() => frame.lazy(), variant));
      engineMs.get(q.name)!.scan.push(engineFirstPageMs(() => pl.scanParquet(PARQUET_PATH), variant));
      const qs = queryString(variant);
      for (const t of targets) {
        await waitIdle(targets.map((x) => x.pid));
        const start = process.hrtime.bigint();
        await getOverAgent(agents.get(t.name)!, `${t.url}${t.dataPath}?${qs}&offset=0&limit=100`, 'application/json');
        const key = `${t.name}|${q.name}`;
        ms.set(key, [...(ms.get(key) ?? []), round(elapsedMs(start), 2)]);
      }
    }
  }
  for (const agent of agents.values()) agent.destroy();
  const pages: Record<string, FirstPageFigures[]> = {};
  for (const t of targets) {
    pages[t.name] = queries.map((q) => {
      const runs = ms.get(`${t.name}|${q.name}`) ?? [];
      log(`filtered first page: ${t.name} ${q.name}: ${runs.join(', ')} ms`);
      return { query: q.name, p50_ms: round(median(runs), 2), runs_ms: runs };
    });
  }
  const engine: EngineFirstPages = new Map();
  for (const [query, { inMemory, scan }] of engineMs) {
    engine.set(query, { first_page_in_memory_ms: round(median(inMemory), 2), first_page_lazy_scan_ms: round(median(scan), 2) });
    log(`filtered first page: engine ${query}: in memory ${inMemory.map((x) => round(x, 2)).join(', ')} ms; lazy scan ${scan.map((x) => round(x, 2)).join(', ')} ms`);
  }
  return { pages, engine };
}

/** Ms for the engine to answer a first page in this process: the whole result collected (its height is X-Total-Rows), its first 100 rows as JSON. */
function engineFirstPageMs(source: () => pl.LazyDataFrame, q: FilteredQuery): number {
  const t = process.hrtime.bigint();
  const result = polarsQuery(source(), q).collectSync();
  jsonPage(result.slice(0, 100));
  return elapsedMs(t);
}

export async function filteredPagesScenario(
  targets: PageTarget[],
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
 * one evaluated from scratch (no cached result), p50 ms. Its first pages are measured beside the servers'
 * (filteredFirstPages).
 */
export function filteredEngineFloor(queries: FilteredQuery[], ops: number): Omit<FilteredEngineFigures, 'first_page_in_memory_ms' | 'first_page_lazy_scan_ms'>[] {
  log(`engine floor, filtered pages: ${queries.length} quer${queries.length === 1 ? 'y' : 'ies'}, ${ops} pages each`);
  const frame = pl.readParquet(PARQUET_PATH);
  const out: ReturnType<typeof filteredEngineFloor> = [];
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
    out.push({
      query: q.name,
      query_string: queryString(q),
      total_rows: total,
      ops,
      in_memory_p50_ms: inMemory,
      lazy_scan_p50_ms: scan,
    });
    log(`engine floor, filtered ${q.name}: ${total} rows; page p50 ${inMemory} ms in memory, ${scan} ms lazy scan`);
  }
  return out;
}
