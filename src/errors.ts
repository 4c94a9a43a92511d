/**
 * Every `error_code` the service answers with, with its HTTP status: the one list that ApiError's codes are
 * typed from and that the OpenAPI document's ErrorBody enumerates (src/schemas/errors.ts).
 */
export const ERROR_CODES = {
  invalid_request: 400,
  invalid_query: 400,
  query_timeout: 400,
  query_too_large: 400,
  result_too_large: 400,
  unauthorized: 401,
  forbidden: 403,
  dataset_not_found: 404,
  version_not_found: 404,
  sheet_not_found: 404,
  tag_not_found: 404,
  download_token_not_found: 404,
  upload_not_found: 404,
  route_not_found: 404,
  request_timeout: 408,
  data_lost: 410,
  file_too_large: 413,
  body_too_large: 413,
  unsupported_file_type: 415,
  unsupported_media_type: 415,
  unreadable_file: 422,
  file_too_complex: 422,
  parse_timeout: 422,
  rate_limited: 429,
  internal_error: 500,
  overloaded: 503,
  worker_failed: 503,
  shutting_down: 503,
  catalog_unavailable: 503,
  memory_budget_exceeded: 507,
  storage_full: 507,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The error codes answered with `status`, in ERROR_CODES order. */
export function errorCodesOf(status: number): ErrorCode[] {
  return (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => ERROR_CODES[c] === status);
}

/** An error that becomes the contract's error body: `{detail, error_code, timestamp}` with this status. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: ErrorCode,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export const badRequest = (detail: string) => new ApiError(400, 'invalid_request', detail);

/** Seconds a client waits before retrying when the catalog's database cannot be reached. */
const CATALOG_RETRY_AFTER_S = 5;

/** 503 `catalog_unavailable`: the catalog's database cannot be reached now (`reason`: what the driver said). */
export const catalogUnavailable = (reason: string) =>
  new ApiError(503, 'catalog_unavailable', `the catalog's database cannot be reached (${reason}); retry shortly`, { 'Retry-After': String(CATALOG_RETRY_AFTER_S) });
/**
 * 507 `storage_full`: a write found its file system full (DATA_DIR, the memory backend's SHARED_MEMORY_DIR, the
 * catalog's file). `doing` says what the server was doing, e.g. `receiving this upload`. The caller has undone
 * its part, so nothing stored changed.
 */
export const storageFull = (doing: string) =>
  new ApiError(
    507,
    'storage_full',
    `the server ran out of room while ${doing} (its data directory, or the shared memory the memory backend receives into, is full); nothing stored was changed: retry later, or ask the operator to free room`,
  );

/**
 * Whether `err` is a full file system: Node's ENOSPC or EDQUOT (over quota), SQLite's SQLITE_FULL. The
 * workers' own (Polars says `No space left on device`) arrive as storage_full task failures (workers/task-error.ts).
 */
export const isStorageFull = (err: unknown): boolean => ['ENOSPC', 'EDQUOT', 'SQLITE_FULL'].includes(String((err as { code?: unknown })?.code));

export const notFound = (what: 'dataset' | 'version' | 'sheet', detail: string) =>
  new ApiError(404, `${what}_not_found`, detail);

/** The contract's error body; `timestamp` is now. */
export function errorBody(code: ErrorCode, detail: string) {
  return { detail, error_code: code, timestamp: isoNow() };
}

/** ISO 8601 UTC to the second, as the contract writes timestamps: `2026-11-27T10:30:00Z` (ms since the epoch in). */
export function isoTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Now, as isoTimestamp writes it. */
export function isoNow(): string {
  return isoTimestamp(Date.now());
}

/**
 * A worker's failure (`{status, code, detail}` across the thread boundary) as an ApiError. A code missing from
 * ERROR_CODES is a bug in the worker: it leaves as 500 `internal_error`, keeping the worker's detail. A
 * `storage_full` failure's detail says what the worker was writing; storageFull words the rest.
 */
export function workerError(failure: { status: number; code: string; detail: string }): ApiError {
  if (failure.code === 'storage_full') return storageFull(failure.detail);
  if (!(failure.code in ERROR_CODES)) return new ApiError(500, 'internal_error', `${failure.code}: ${failure.detail}`);
  return new ApiError(failure.status, failure.code as ErrorCode, failure.detail);
}
