/** An error that becomes the contract's error body: `{detail, error_code, timestamp}` with this status. */
export class ApiError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    detail: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
  }
}

export const badRequest = (detail: string) => new ApiError(400, 'invalid_request', detail);
export const notFound = (what: 'dataset' | 'version' | 'sheet', detail: string) =>
  new ApiError(404, `${what}_not_found`, detail);

export function errorBody(code: string, detail: string) {
  return { detail, error_code: code, timestamp: isoNow() };
}

/** ISO 8601 UTC to the second, as the contract writes timestamps: `2026-11-27T10:30:00Z`. */
export function isoNow(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}
