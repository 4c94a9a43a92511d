/**
 * Data-worker entry: pages, exports, facets and statistics of stored sheets. Each worker is one shard: the
 * server routes every task for a version to the same worker, which holds its frames (memory) or reads its
 * Parquet files (local); `openSheet` (table/sheets.ts) hides which.
 */
import pl from 'nodejs-polars';
import { arrowForThread, encodeArrow } from './encoders/arrow.js';
import { encodeWhole, frameRows, streamExport, type RowSource } from './encoders/export.js';
import { encodeJsonPage, jsonLayout, type JsonLayout } from './encoders/json.js';
import { checkXlsxLimits } from './encoders/xlsx.js';
import { buffersOf } from './protocol.js';
import type { DataTask, ExportTask, LoadTask, FacetsResult, SnapshotResult, LoadResult, PageEnvelope, PageResult, PageTask, StatisticsResult, TableRef, TaskFailure, WorkerStatsResult } from './protocol.js';
import { filterSortProject, countRows } from './table/plan.js';
import { computeStatistics } from './table/statistics.js';
import { failureOf } from './task-error.js';
import { shardFault } from './test-faults.js';
import { withTransfer } from './transfer.js';
import { nativeOf, type NativeFrame } from './native-frame.js';
import { discard, releaseMemory } from './release-memory.js';
import { workerCache } from './table/cache.js';
import { cachedFacets, isComputed, cachedRows, resultKey } from './table/result-cache.js';
import { blockJsonPage } from './table/json-blocks.js';
import { blockArrowPage } from './table/arrow-blocks.js';
import { dropVersion, holdSheet, openLater, openSheet, type DecodedRows } from './table/sheets.js';
import { threadId } from './thread-id.js';
import { serveDirect } from './direct-port.js';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function run(
  task: DataTask,
):
  | PageResult
  | FacetsResult
  | StatisticsResult
  | LoadResult
  | SnapshotResult
  | TaskFailure
  | { dropped: number }
  | { connected: true }
  | { opening: number }
  | { warmed: true }
  | WorkerStatsResult
  | Promise<{ total_rows: number } | TaskFailure> {
  try {
    switch (task.op) {
      case 'page':
        return page(task);
      case 'export':
        // Asynchronous: its expected failures (a bad filter value, a view Excel cannot hold) are answered
        // like the others', not as a crashed task.
        return exportRows(task).catch(failureOf);
      case 'facets':
        return { body: cachedFacets(task.table, task.query, task.columns, task.limit, () => lazyPlan(task.table)) };
      case 'statistics': {
        const { lazy, schema } = openSheet(task.table);
        shardFault(Object.keys(schema)[0]);
        return { columns: computeStatistics(lazy(), schema, task.detailed) };
      }
      case 'load':
        return { bytes: load(task) };
      case 'snapshot': {
        const { decoded, lazy } = openSheet(task.table);
        const arrow = arrowForThread(decoded?.native ?? nativeOf(lazy().collectSync()), task.path);
        return withTransfer({ arrow }, buffersOf(arrow));
      }
      case 'drop':
        return { dropped: dropVersion(task.storageKey) };
      case 'stats':
        return { tid: threadId(), cache: workerCache.stats(), measured_at: new Date().toISOString() };
      case 'connect':
        serveDirect(task.port, run);
        return { connected: true };
      case 'open':
        openLater(task.tables);
        return { opening: task.tables.length };
      case 'warm-up':
        return { warmed: true };
    }
  } catch (err) {
    // Anything but a TaskError is a bug, not a lost shard: answered as such, while the shard and its data carry on.
    return failureOf(err);
  }
}

/**
 * One page of the (filtered, sorted, projected) sheet. An unfiltered page of a decoded frame, and a page of a
 * filtered or sorted view (a slice of the query's result, computed once, then cached: table/result-cache.ts),
 * is copied from blocks written once — JSON (table/json-blocks.ts) or, for Arrow stream pages of flat columns,
 * record batches (table/arrow-blocks.ts) — or else written from a zero-copy slice (Arrow file and CSV pages,
 * and rows the blocks do not serve); a projection alone is one lazy plan, sliced for the page.
 */
function page(task: PageTask): PageResult {
  const { decoded: sheet, lazy, schema, rows: rowCount } = openSheet(task.table, task.fillCache);
  if (sheet && isPlain(task.query)) return decodedPage(task, task.table.key, sheet); // the hot path
  if (isComputed(task.query)) {
    const { result, computed } = cachedRows(task.table, task.query, () => ({ lazy: lazy(), schema }));
    // The page that computed the result is written as it is: writing the block it falls in too cost that first
    // page 2.5–5 ms more (bench/filtered.ts); the pages after it come from blocks.
    if (computed) return encodedPage(task, result.native.slice(task.offset, pageRows(task, result.rows)), result.rows, result.json);
    return decodedPage(task, resultKey(task.table, task.query), result);
  }
  const plan = filterSortProject(lazy(), schema, task.query);
  const total = task.query.filters.length === 0 ? rowCount : countRows(plan);
  const frame = plan.slice(task.offset, pageRows(task, total)).collectSync();
  return encodedPage(task, nativeOf(frame), total, task.format === 'json' ? jsonLayout(frame.columns, frame.dtypes) : undefined);
}

/**
 * Holds a parsed sheet: read from its Arrow IPC file in shared memory (Polars' scan: ~100 ms for the 3M-row
 * flights table where readIPC of a buffer took ~240), or from the buffer moved here. Returns its IPC bytes.
 */
function load(task: LoadTask): number {
  const { arrow } = task;
  if (arrow.kind === 'file') {
    holdSheet(task.key, pl.scanIPC(arrow.path).collectSync());
    return arrow.bytes;
  }
  const bytes = arrow.ipc.byteLength;
  holdSheet(task.key, pl.readIPC(Buffer.from(arrow.ipc)));
  // The frame holds its own copy: free the IPC bytes now, not whenever this shard next collects.
  discard(arrow.ipc);
  releaseMemory();
  return bytes;
}

/** Rows of the page: at most its size, none past the view's `total`. */
const pageRows = (task: PageTask, total: number) => Math.max(0, Math.min(task.size, total - task.offset));

/** The task's page of rows held decoded (a sheet or a query's result, whose blocks are kept under `rowsKey`). */
function decodedPage(task: PageTask, rowsKey: string, rows: DecodedRows): PageResult {
  const total = rows.rows;
  const count = pageRows(task, total);
  const body =
    task.format === 'json'
      ? blockJsonPage(rowsKey, rows, task.offset, count, envelopeOf(task, total), task.int64AsString)
      : task.format === 'arrow-stream'
        ? blockArrowPage(rowsKey, rows, task.offset, count)
        : undefined;
  if (body) return withTransfer({ body, total_rows: total }, [body]);
  return encodedPage(task, rows.native.slice(task.offset, count), total, rows.json);
}

/** The paging envelope of a JSON page of a view with `total` rows. */
const envelopeOf = (task: PageTask, total: number): PageEnvelope => ({
  total_rows: total,
  page: Math.floor(task.offset / task.size) + 1,
  page_size: task.size,
  total_pages: Math.ceil(total / task.size),
});

/** `rows` written in the task's format (JSON with `layout`, which must describe them). */
function encodedPage(task: PageTask, rows: NativeFrame, total: number, layout: JsonLayout | undefined): PageResult {
  const body =
    task.format === 'json'
      ? encodeJsonPage(rows, envelopeOf(task, total), task.int64AsString, layout!)
      : encodeWhole(rows, task.format, { neutralizeFormulas: task.neutralizeFormulas });
  return withTransfer({ body, total_rows: total }, [body]);
}

const isPlain = (q: PageTask['query']) => q.filters.length === 0 && q.sort.length === 0 && !q.columns;

/** A sheet's lazy plan and schema, for a query computed on a cache miss. */
function lazyPlan(table: TableRef): { lazy: pl.LazyDataFrame; schema: Record<string, pl.DataType> } {
  const { lazy, schema } = openSheet(table);
  return { lazy: lazy(), schema };
}

/**
 * The (filtered, sorted, projected) rows, or one window of them, streamed through the task's port in the
 * requested format after a `{start}` message with the row count.
 */
async function exportRows(task: ExportTask): Promise<{ total_rows: number } | TaskFailure> {
  try {
    // An export reads the sheet in batches as the client takes them; it does not fill the cache, which would
    // hold the whole sheet in memory beside a download that may stall for minutes.
    const sheet = openSheet(task.table, false);
    const sheetRows = sheet.rows;
    const { schema } = sheet;
    const lazy = sheet.lazy();
    const held = sheet.decoded?.frame;
    const { filters, sort, columns } = task.query;
    let total: number;
    let rows: RowSource;
    /** The exported rows as a lazy plan, for the xlsx checks. */
    let view: () => pl.LazyDataFrame;
    if (filters.length === 0 && sort.length === 0) {
      // Rows in stored order: each batch is taken as it is sent — a zero-copy slice of the held frame, or
      // a scan of just the row groups it needs — so a whole-table export starts at once and holds one batch.
      total = sheetRows;
      const from = task.offset;
      const projected = columns ? filterSortProject(lazy, schema, task.query) : lazy;
      rows = {
        height: Math.max(0, Math.min(task.size ?? total, total - from)),
        slice: (offset, length) => (held && !columns ? held.slice(from + offset, length) : projected.slice(from + offset, length).collectSync()),
      };
      const height = rows.height;
      view = () => projected.slice(from, height);
    } else {
      // A filtered or sorted result is computed once (or taken from the cache, as pages are), then sent in batches.
      const { result } = cachedRows(task.table, task.query, () => ({ lazy, schema }));
      total = result.rows;
      const frame = result.frame.slice(task.offset, Math.max(0, Math.min(task.size ?? total, total - task.offset)));
      rows = frameRows(frame);
      view = () => frame.lazy();
    }
    if (task.format === 'xlsx') {
      // Before `start`, so a view Excel cannot hold is a 4xx, not a download cut short.
      // Names and types in column order from an empty slice (a schema record puts names such as "2024" first).
      const empty = rows.slice(0, 0);
      checkXlsxLimits(view(), rows.height, empty.columns, empty.dtypes, task.neutralizeFormulas);
    }
    // `start` (which lets the server send 200 and headers) only once the first batch is encoded: a column the
    // format cannot hold is still a clean 4xx.
    const ready = () => task.port.postMessage({ start: true, total_rows: total, rows: rows.height });
    await streamExport(rows, task.format, task.port, { neutralizeFormulas: task.neutralizeFormulas, sheetName: task.sheetName }, ready);
    return { total_rows: total };
  } catch (err) {
    task.port.close();
    // Returned, not thrown: this is an async task, outside run()'s catch (see failureOf).
    return failureOf(err);
  }
}

/**
 * A worker's first page pays for the binding's first calls (code paged in, JIT): a Parquet scan, a slice
 * and the encoders, run once on a one-row file here at start-up instead.
 */
const WARM_UP_KEY = 'warm-up';

function warmUp(): void {
  const path = join(tmpdir(), `dataset-service-warm-up-${process.pid}-${threadId()}.parquet`);
  try {
    // The dtypes most tables have, each with its own path in the JSON encoder (naive datetimes get their own pass).
    pl.DataFrame({ a: [1], b: ['x'], c: [1.5], d: [true], e: [new Date(0)] }).writeParquet(path);
    const frame = openSheet({ kind: 'parquet', key: `${WARM_UP_KEY}/0`, path }, false).lazy().slice(0, 1).collectSync();
    encodeJsonPage(nativeOf(frame), { total_rows: 1, page: 1, page_size: 1, total_pages: 1 }, false, jsonLayout(frame.columns, frame.dtypes));
    encodeArrow(nativeOf(frame), 'stream');
  } catch {
    // Only an optimisation: a worker that cannot write its temporary directory serves all the same.
  } finally {
    dropVersion(WARM_UP_KEY);
    rmSync(path, { force: true });
  }
}
warmUp();
