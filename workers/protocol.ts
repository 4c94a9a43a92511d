/**
 * The messages that cross the thread boundary. This module imports types only, so the main thread can
 * import it without loading a worker's libraries.
 */
import type { SheetInfo } from '../src/catalog/types.js';
import type { FileType, Source } from './readers/types.js';
import type { TaskFailure } from './task-error.js';

export type { FileType, SheetInfo, Source, TaskFailure };

/** A stored sheet: a Parquet file any worker can scan (local) or a frame held by one shard (memory). */
export type TableRef = { kind: 'parquet'; path: string } | { kind: 'memory'; key: string };

/** Formats streamed in batches: the whole result, or a window of it when paging parameters are given. */
export type ExportFormat = 'csv' | 'ndjson' | 'parquet' | 'arrow-stream' | 'arrow-file';

/** JSON is served as capped pages; every other format is an export. */
export type DataFormat = 'json' | ExportFormat;

/** The JSON page's envelope fields besides `data` and `columns`; the worker writes the whole body. */
export interface PageEnvelope {
  total_rows: number;
  page: number;
  page_size: number;
  total_pages: number;
}

export type FilterOp = 'eq' | 'ne' | 'lt' | 'lte' | 'gt' | 'gte' | 'in' | 'contains' | 'startswith' | 'is_null' | 'not_null';

/** `filter[column]op=value`; values are text, compared by the column's type in the worker. */
export interface Filter {
  column: string;
  op: FilterOp;
  values: string[];
}

/** What to keep and in which order, before paging: filters (AND), sort keys, projected columns. */
export interface TableQuery {
  filters: Filter[];
  sort: { column: string; descending: boolean }[];
  /** Absent: every column. */
  columns?: string[];
}

/**
 * One window of the (filtered, sorted, projected) rows, encoded whole and sent back in one message: JSON pages,
 * and export windows small enough that streaming them would only add overhead (see ONE_MESSAGE_ROWS).
 */
export interface PageTask {
  op: 'page';
  table: TableRef;
  query: TableQuery;
  offset: number;
  /** Rows per page (JSON pages always have one). */
  size: number;
  format: DataFormat;
  /** Write Int64/UInt64 as JSON strings, for clients whose numbers are doubles. */
  int64AsString: boolean;
  /** CSV only: see ExportTask. */
  neutralizeFormulas: boolean;
}

/** Export windows of at most this many rows are encoded in one piece and answered as a page task. */
export const ONE_MESSAGE_ROWS = 65_536;

/**
 * Export messages (`{chunk}`, each at most ONE_MESSAGE_ROWS rows or 1 MiB of a whole file) the main thread may
 * hold unread: the worker sends one more only for each "more" it gets back (credit-based flow control).
 */
export const EXPORT_CREDITS = 4;

/** Streams the (filtered, sorted, projected) rows through `port`; the task's result comes after `{end}`. */
export interface ExportTask {
  op: 'export';
  table: TableRef;
  query: TableQuery;
  offset: number;
  size: number | null;
  format: ExportFormat;
  neutralizeFormulas: boolean;
  port: import('node:worker_threads').MessagePort;
}

/** Memory backend: a copy of a held sheet as Arrow IPC, for a query worker that holds no data. */
export interface SnapshotTask {
  op: 'snapshot';
  table: TableRef;
}

export interface SnapshotResult {
  ipc: ArrayBuffer;
}

/** A table a SQL query may read: a sheet's Parquet file, or a snapshot of a held frame. */
export interface QueryTable {
  name: string;
  source: { kind: 'parquet'; path: string } | { kind: 'ipc'; ipc: ArrayBuffer };
}

/** Read-only SQL over a version's sheets, already checked by the server; runs in a disposable worker. */
export interface SqlTask {
  op: 'sql';
  sql: string;
  tables: QueryTable[];
  /** A result with more rows is refused (400). */
  maxRows: number;
  offset: number;
  /** Rows per JSON page; null for Arrow without paging (the whole result). */
  size: number | null;
  format: 'json' | 'arrow-stream' | 'arrow-file';
  int64AsString: boolean;
}

export interface FacetsTask {
  op: 'facets';
  table: TableRef;
  query: TableQuery;
  columns: string[];
  limit: number;
}

export interface StatisticsTask {
  op: 'statistics';
  table: TableRef;
  detailed: boolean;
}

/** Memory backend: a shard takes ownership of a parsed sheet, sent as Arrow IPC. */
export interface LoadTask {
  op: 'load';
  key: string;
  ipc: ArrayBuffer;
}

export interface DropTask {
  op: 'drop';
  keys: string[];
}

export type DataTask = PageTask | ExportTask | FacetsTask | StatisticsTask | LoadTask | DropTask | SnapshotTask;

/** Encoded bytes, ready to send, and the rows the query matched (before paging). */
export interface PageResult {
  body: ArrayBuffer;
  total_rows: number;
}

/** The facets response body as JSON text (values written by Polars, so they keep every digit). */
export interface FacetsResult {
  body: string;
}

/** `columns` is JSON text (an array), so 64-bit min/max values keep every digit. */
export interface StatisticsResult {
  columns: string;
}

export interface LoadResult {
  bytes: number;
}

export interface ParseTask {
  op: 'parse';
  fileType: FileType;
  fileName: string;
  source: Source;
  /** local: write `sheet-<i>.parquet` into `dir`; memory: return each sheet as Arrow IPC. */
  output: { kind: 'parquet'; dir: string } | { kind: 'ipc' };
}

export interface ParseResult {
  sheets: SheetInfo[];
  /** One per sheet, for output `ipc`. */
  ipc?: ArrayBuffer[];
  /** The source bytes handed back (memory backend keeps them for /download). */
  sourceBytes?: ArrayBuffer;
}

export function isFailure(r: unknown): r is TaskFailure {
  return typeof r === 'object' && r !== null && 'error' in r;
}
