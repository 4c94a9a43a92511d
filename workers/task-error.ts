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
