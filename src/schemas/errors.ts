/** The error body every 4xx/5xx answer has, and the per-status entries routes declare from it. */
import { Type, type Static } from 'typebox';
import { ERROR_CODES, errorCodesOf, type ErrorCode } from '../errors.js';
import { ResponseHeaders } from './common.js';

/** `{detail, error_code, timestamp}`: added once to the app (app.addSchema) and referenced by every route. */
export const ErrorBody = Type.Object(
  {
    detail: Type.String({ description: 'what was wrong, in words a user can act on (which field, which line, which limit)' }),
    error_code: Type.Unsafe<ErrorCode>({ type: 'string', enum: Object.keys(ERROR_CODES), description: 'stable, machine-readable; the HTTP status says its class' }),
    timestamp: Type.String({ description: 'ISO 8601 UTC' }),
  },
  {
    $id: 'ErrorBody',
    additionalProperties: false,
    description: 'The error body of every 4xx and 5xx answer.',
    examples: [{ detail: 'dataset 42 does not exist', error_code: 'dataset_not_found', timestamp: '2026-11-27T10:30:00Z' }],
  },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** Statuses every `/api` operation can answer: no or a bad API key, rate limit, a bug, overload, a full disk under a catalog write. */
export const API_ERRORS = [401, 403, 429, 500, 503, 507] as const;

const WHEN: Record<number, string> = {
  400: 'malformed request: a bad parameter or body field (the detail names it)',
  401: 'API keys are configured and none or a wrong one was sent',
  403: "the API key's scopes do not allow this method",
  404: 'what the path names does not exist (error_code says which)',
  408: 'the upload did not arrive within REQUEST_TIMEOUT_S',
  410: "the version's data is lost: its memory shard restarted (memory backend), or its files are missing on the server (local)",
  413: 'the upload is larger than MAX_UPLOAD_BYTES (refused while streaming)',
  415: 'a file type or request media type that is not supported',
  422: 'a supported file that cannot be read faithfully (the detail says where)',
  429: 'more than RATE_LIMIT_PER_MINUTE requests in a minute',
  500: 'a bug; it has been logged',
  503: 'overloaded, a worker failed, shutting down, or the catalog database unreachable; retry after Retry-After',
  507: "the memory backend's memory budget would be exceeded, or the server's storage is full; nothing stored is harmed",
};

/**
 * The error responses of an operation: for each status, a reference to ErrorBody described with when it
 * happens and its error codes (from ERROR_CODES); 429 and 503 carry `Retry-After`.
 */
export function errorResponses(...statuses: number[]): Record<number, object> {
  const out: Record<number, object> = {};
  for (const status of [...new Set(statuses)].sort()) {
    const description = `${WHEN[status] ?? 'error'}. error_code: ${errorCodesOf(status).join(', ')}`;
    out[status] = {
      description,
      ...(status === 429 || status === 503 ? { headers: ResponseHeaders.retryAfter } : {}),
      content: { 'application/json': { schema: Type.Ref('ErrorBody') } },
    };
  }
  return out;
}
