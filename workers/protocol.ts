/**
 * The messages that cross the thread boundary. This module imports types only, so the main thread can
 * import it without loading a worker's libraries.
 */
import type { FileType, GrowingSource, Source } from './readers/types.js';
import type { TaskFailure } from './task-error.js';

export type { FileType, GrowingSource, Source, TaskFailure };

/** A column as the catalog keeps it and the contract returns it. */
export interface ColumnInfo {
  name: string;
  /** Portable type name: integer, float, string, boolean, date, datetime, time, duration, decimal, binary, list, struct, null. */
  type: string;
  /** The exact Polars/Arrow type, e.g. `Datetime(us, Europe/Paris)`. */
  dtype: string;
  nullable: boolean;
}

/** A stored sheet: its name, size and columns. */
export interface SheetInfo {
  name: string;
  row_count: number;
  column_count: number;
  columns: ColumnInfo[];
}

/** Column types a client may force with `column_types` (the contract's portable names that text can become). */
export const FORCIBLE_TYPES = ['string', 'integer', 'float', 'decimal', 'boolean', 'date', 'datetime'] as const;
export type ForcibleType = (typeof FORCIBLE_TYPES)[number];

/**
 * How the client asked the reader to read a file (upload form fields; all optional, checked by the server).
 * CSV only: delimiter, encoding, headerRow, skipRows. Excel only: sheets. Any format: columnTypes.
 */
export interface ReadOptions {
  /** One character. */
  delimiter?: string;
  /** An encoding name iconv-lite knows (`utf-8`, `windows-1252`, `latin1`, `utf-16le` …), lower case. */
  encoding?: string;
  /** 1-based line, counted after the skipped lines, that holds the header; null: no header line. */
  headerRow?: number | null;
  /** Lines skipped at the top of the file before anything is read (titles, notes). */
  skipRows?: number;
  /** Worksheets to read, by name, in workbook order; absent: every worksheet. */
  sheets?: string[];
  columnTypes?: Record<string, ForcibleType>;
}

/** Why a column has its type. */
export interface ColumnDecision {
  name: string;
  type: string;
  dtype: string;
  /** `inferred` from the values, forced by `column_types`, or as the `file` declares it (Parquet). */
  decided_by: 'inferred' | 'column_types' | 'file';
  /** A text column whose first value looked like `candidate`: the first data row (1-based) that is not one. */
  text_because?: { candidate: string; row: number; value: string };
}

/** What the reader decided for one upload, and why; kept with the version. */
export interface ReaderReport {
  format: FileType;
  delimiter?: string;
  delimiter_from?: 'form' | 'sep_line' | 'detected';
  encoding?: string;
  encoding_from?: 'form' | 'bom' | 'default';
  quote_escape?: 'doubled' | 'backslash';
  /** 1-based line of the file holding the header; null when the form said there is none. */
  header_row?: number | null;
  skip_rows?: number;
  sheets: { name: string; columns: ColumnDecision[] }[];
}


/**
 * A stored sheet: a Parquet file (local) or a frame held by one shard (memory). `key` is `<storage key>/<sheet
 * index>` on both, the prefix of every cache entry of the sheet (see workers/table/cache.ts).
 */
export type TableRef = { kind: 'parquet'; key: string; path: string } | { kind: 'memory'; key: string };

/**
 * Formats streamed in batches: the whole result, or a window of it when paging parameters are given. `xlsx` is
 * always streamed (never answered as a page task): its writer is asynchronous.
 */
export type ExportFormat = 'csv' | 'ndjson' | 'parquet' | 'arrow-stream' | 'arrow-file' | 'xlsx';

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

/**
 * A table query (`/data`, `/facets`; not SQL): what to keep and in which order, before paging: filters (AND),
 * sort keys, projected columns. Parsed by the server, planned by the data worker (workers/table/plan.ts).
 */
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
  /**
   * Whether a local sheet in no cache is read whole into it once this page is answered (see openSheet). false
   * for the start-up warm-up's page (src/warm-up.ts): a table nobody asked for must not take the cache.
   */
  fillCache: boolean;
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
  /** xlsx only: the worksheet's name (already made valid for Excel by the server). */
  sheetName?: string;
  port: import('node:worker_threads').MessagePort;
}

/**
 * Memory backend: a copy of a held sheet as Arrow IPC, for the SQL worker, which holds no data; written to
 * `path` (in shared memory) when given, else in a buffer.
 */
export interface SnapshotTask {
  op: 'snapshot';
  table: TableRef;
  path?: string;
}

export interface SnapshotResult {
  arrow: SheetArrow;
}

/** A table a SQL query may read: a sheet's Parquet file, or a snapshot of a held frame. */
export interface SqlTable {
  name: string;
  source: { kind: 'parquet'; path: string } | { kind: 'arrow'; arrow: SheetArrow };
}

/** Read-only SQL over a version's sheets, already checked by the server; runs in a disposable worker. */
export interface SqlTask {
  op: 'sql';
  sql: string;
  tables: SqlTable[];
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

/**
 * A parsed sheet on its way from the parse worker to a memory shard, as an Arrow IPC file: in a file on a
 * shared-memory file system (tmpfs: no copy into a transferable buffer, and Polars' scan reads it ~2.5× faster
 * than its readIPC of a buffer), or, where there is no room for one, in a buffer moved between the threads.
 */
export type SheetArrow = { kind: 'file'; path: string; bytes: number } | { kind: 'buffer'; ipc: ArrayBuffer };

/** The buffers among `arrows`, to list for transfer (moved, not copied) with the message that carries them. */
export function buffersOf(...arrows: SheetArrow[]): ArrayBuffer[] {
  return arrows.flatMap((a) => (a.kind === 'buffer' ? [a.ipc] : []));
}

/** Memory backend: a shard takes ownership of a parsed sheet. */
export interface LoadTask {
  op: 'load';
  key: string;
  arrow: SheetArrow;
}

/**
 * A version was deleted: the shard drops every frame it holds or caches of it (keys `<storageKey>/…`), and
 * answers 404 for it from then on.
 */
export interface DropTask {
  op: 'drop';
  storageKey: string;
}

/**
 * Local backend, at start-up: the shard opens these stored sheets' scans (footer, schema, a first row read)
 * in the background, one per event-loop turn, so the first page of each after a restart does not pay for
 * that. Answered at once.
 */
export interface OpenTask {
  op: 'open';
  tables: Extract<TableRef, { kind: 'parquet' }>[];
}

/** A data worker's own figures, for /health and /metrics. */
export interface WorkerStatsTask {
  op: 'stats';
}

/** A data worker's cache figures; counters are since the worker started. */
export interface CacheStats {
  budget_bytes: number;
  bytes: number;
  entries: number;
  hits: number;
  misses: number;
  evictions: number;
}

export interface WorkerStatsResult {
  /** The worker's OS thread id (Linux: /proc/<pid>/task/<tid>), so its CPU time can be read; 0 if unknown. */
  tid: number;
  cache: CacheStats;
  /** When the worker measured these figures (ISO 8601, ms): /health may show a busy worker's earlier ones. */
  measured_at: string;
}

/**
 * Opens a direct channel to a single-thread pool's worker: later tasks come as DirectRequest on `port`
 * (bypassing Piscina's queue) and are answered there as DirectReply.
 */
export interface ConnectTask {
  op: 'connect';
  port: import('node:worker_threads').MessagePort;
}

/**
 * Sent on a data worker's direct channel as soon as it opens, answered at once with `{ warmed: true }`: the
 * channel's code on both threads runs (and is compiled) before a client's first page rides it, which paid
 * ~0.5 ms more for the two hops otherwise (measured after a restart). The worker warms its encoders itself
 * (data-worker.ts, warmUp).
 */
export interface WarmUpTask {
  op: 'warm-up';
}

export interface DirectRequest {
  id: number;
  task: PageTask | WarmUpTask;
}

export interface DirectReply {
  id: number;
  /** What the task's `run` returned: its result, or a TaskFailure. */
  result: unknown;
}

/**
 * What one message on a direct channel carries, either way: the requests (or replies) gathered in one turn of
 * the sender's event loop. A message costs each side some microseconds whatever it holds (a MessageEvent, a
 * wake-up, the serializer's set-up); at 64 pages in flight a batch holds several.
 */
export type DirectBatch<T extends DirectRequest | DirectReply> = T[];

export type DataTask = PageTask | ExportTask | FacetsTask | StatisticsTask | LoadTask | DropTask | SnapshotTask | WorkerStatsTask | ConnectTask | OpenTask | WarmUpTask;

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
  source: Source | GrowingSource;
  /**
   * How the client asked the file to be read (upload form fields). For a `growing` source (a CSV read while it
   * is received) they come on its port once the form has arrived, and this is empty.
   */
  options: ReadOptions;
  /**
   * local: write `sheet-<i>.parquet` into `dir`; memory: return each sheet as Arrow IPC, written as
   * `sheet-<i>.arrow` into `dir` (a directory in shared memory) when given, else in a buffer.
   */
  output: { kind: 'parquet'; dir: string } | { kind: 'ipc'; dir?: string };
}

export interface ParseResult {
  sheets: SheetInfo[];
  /** What the reader decided, and why. */
  reader: ReaderReport;
  /** One per sheet, for output `ipc`. */
  arrow?: SheetArrow[];
  /** The source bytes handed back (memory backend keeps them for /download). */
  sourceBytes?: ArrayBuffer;
}

/**
 * What the main thread tells a parse worker reading an upload still arriving (a `growing` source), on its port:
 * the file is complete with `done` bytes; the form asks it read with `options`; or the upload failed.
 */
export type GrowingFileMessage = { done: number } | { options: ReadOptions } | { aborted: true };

export function isFailure(r: unknown): r is TaskFailure {
  return typeof r === 'object' && r !== null && 'error' in r;
}
