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

/**
 * How a data or query task's exception crosses back: a TaskError keeps its status; anything else (an
 * exception from Polars on one request) is a 500 naming it. Never thrown on, since Piscina would count a
 * thrown task as a dead worker — for a memory shard, as data lost (410) — while the worker carries on.
 */
export function failureOf(err: unknown): TaskFailure {
  if (err instanceof TaskError) return { error: { status: err.status, code: err.code, detail: err.message } };
  return { error: { status: 500, code: 'internal_error', detail: `the worker failed on this request: ${(err as Error)?.message ?? String(err)}` } };
}
