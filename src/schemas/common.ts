/** Schema pieces every route group uses: ids in the path, the sheet parameter, timestamps, byte bodies. */
import { Type, type Static, type TSchema } from 'typebox';

/** The largest id the catalogs store: PostgreSQL's `integer`. */
export const MAX_ID = 2_147_483_647;

/** A positive integer id (datasets, versions). A larger one is a 400, never a lookup of a rounded number. */
export const Id = (description: string) => Type.Integer({ minimum: 1, maximum: MAX_ID, description });

/**
 * A row position or count in a query (offset, limit, page): at most 2^53 − 1, so the number answered back is
 * the one sent (`99999999999999999999` would be read as 1e20).
 */
export const RowNumber = (minimum: 0 | 1, options: { description?: string; default?: number } = {}) =>
  Type.Integer({ minimum, maximum: Number.MAX_SAFE_INTEGER, ...options });

export const DatasetParams = Type.Object({ id: Id('dataset id') });
export type DatasetParams = Static<typeof DatasetParams>;

export const VersionParams = Type.Object({ id: Id('dataset id'), vid: Id('version id (global, not the version_number)') });
export type VersionParams = Static<typeof VersionParams>;

export const SheetName = Type.String({ minLength: 1, description: 'sheet name; default: the first sheet' });

/** `?sheet=`, and nothing else. */
export const SheetQuery = Type.Object({ sheet: Type.Optional(SheetName) }, { additionalProperties: false });
export type SheetQuery = Static<typeof SheetQuery>;

/** ISO 8601 UTC to the second, as every timestamp of the contract. */
export const Timestamp = Type.String({ description: 'ISO 8601 UTC, e.g. 2026-11-27T10:30:00Z', examples: ['2026-11-27T10:30:00Z'] });

export const Count = (description?: string) => Type.Integer({ minimum: 0, ...(description && { description }) });

/**
 * `T` or null: a scalar as `type: [T, 'null']` (one check, and Ajv says `must be string,null`), anything
 * else as `anyOf [T, null]`.
 */
export function Nullable<T extends TSchema>(schema: T) {
  const type = (schema as { type?: unknown }).type;
  if (typeof type === 'string' && type !== 'object' && type !== 'array') {
    return Type.Unsafe<Static<T> | null>({ ...schema, type: [type, 'null'] });
  }
  return Type.Union([schema, Type.Null()]);
}

/** Bytes of a non-JSON answer (a file, an export), as OpenAPI describes a binary body. */
export const Bytes = (description: string) => Type.String({ format: 'binary', description });

/** A `204 No Content` answer. */
export const NoContent = (description: string) => Type.Null({ description });

/** Response headers (OpenAPI 3 response `headers`), each an integer or a string with its meaning. */
export const ResponseHeaders = {
  totalCount: { 'X-Total-Count': Type.Integer({ minimum: 0, description: 'how many datasets match, over all pages' }) },
  totalRows: { 'X-Total-Rows': Type.Integer({ minimum: 0, description: 'rows of the (filtered) result, over all pages' }) },
  contentDisposition: (what: string) => ({ 'Content-Disposition': Type.String({ description: `attachment; filename="…"; filename*=UTF-8''… — ${what}` }) }),
  retryAfter: { 'Retry-After': Type.Integer({ minimum: 0, description: 'seconds to wait before retrying' }) },
} as const;
