/**
 * An expected failure inside a worker (a bad file, a missing sheet). It crosses the thread boundary as a
 * plain value — structured clone would drop an Error's extra fields — and the server turns it into the
 * contract's error body with this status.
 */
export class TaskError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    detail: string,
  ) {
    super(detail);
  }
}

export interface TaskFailure {
  error: { status: number; code: string; detail: string };
}

export function unreadable(detail: string): TaskError {
  return new TaskError(422, 'unreadable_file', detail);
}

/** A readable file past a limit that protects the service (the detail names the setting). */
export function tooComplex(detail: string): TaskError {
  return new TaskError(422, 'file_too_complex', detail);
}

/** 400: the requested output cannot hold a column's values (e.g. binary inside a list, as JSON text). */
export function notRepresentable(detail: string): TaskError {
  return new TaskError(400, 'invalid_request', detail);
}

/** A full file system in Node's words (ENOSPC, EDQUOT) and in Polars' (`No space left on device (os error 28)`). */
const NO_SPACE = /\b(ENOSPC|EDQUOT)\b|No space left on device|Disk quota exceeded|os error (28|122)\b/;

/**
 * A 507 `storage_full` TaskError when `err` is a write that found its file system full, else undefined.
 * `doing` says what was being written (`storing this upload's tables`); the server words the rest
 * (src/errors.ts, storageFull).
 */
function storageFullOf(err: unknown, doing: string): TaskError | undefined {
  const text = `${String((err as { code?: unknown })?.code ?? '')} ${String((err as Error)?.message ?? err)}`;
  return NO_SPACE.test(text) ? new TaskError(507, 'storage_full', doing) : undefined;
}

/**
 * A TaskError, or a full file system met while `doing` (storageFullOf), as the value that crosses the thread
 * boundary; undefined for any other exception, which each pool words its own way.
 */
export function knownFailure(err: unknown, doing: string): TaskFailure | undefined {
  const known = err instanceof TaskError ? err : storageFullOf(err, doing);
  return known && { error: { status: known.status, code: known.code, detail: known.message } };
}

/**
 * How a data or query task's exception crosses back: a TaskError keeps its status, a full file system is a
 * 507; anything else (an exception from Polars on one request) is a 500 naming it. Never thrown on, since
 * Piscina would count a thrown task as a dead worker — for a memory shard, as data lost (410) — while the
 * worker carries on.
 */
export function failureOf(err: unknown): TaskFailure {
  return knownFailure(err, 'answering this request') ?? { error: { status: 500, code: 'internal_error', detail: `the worker failed on this request: ${(err as Error)?.message ?? String(err)}` } };
}
