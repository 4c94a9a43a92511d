import { badRequest } from '../../../errors.js';
import { DATA_MEDIA_TYPES, FORMATS, type PagingQuery } from '../../../schemas/data.js';
import type { DataFormat } from '../../../../workers/protocol.js';

export const MAX_JSON_PAGE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

/**
 * The rows asked for, from `page`/`page_size` or `offset`/`limit` (not both): the worker clips them to the
 * (filtered) table. JSON pages hold at most MAX_JSON_PAGE rows; exports (every other format) have no cap
 * and, without paging parameters, stream every row (size null).
 */
export function requestedWindow(q: PagingQuery, format: DataFormat): { offset: number; size: number | null } {
  const byPage = q.page !== undefined || q.page_size !== undefined;
  const byOffset = q.offset !== undefined || q.limit !== undefined;
  if (byPage && byOffset) throw badRequest('use either page and page_size or offset and limit, not both');
  if (format !== 'json' && !byPage && !byOffset) return { offset: 0, size: null };
  const size = (byOffset ? q.limit : q.page_size) ?? DEFAULT_PAGE_SIZE;
  if (format === 'json' && size > MAX_JSON_PAGE) {
    throw badRequest(
      `${byOffset ? 'limit' : 'page_size'} is ${size}; JSON pages hold at most ${MAX_JSON_PAGE} rows (for more, ask for an export: Arrow, CSV, NDJSON, Parquet or xlsx by Accept or ?format=)`,
    );
  }
  return { offset: byOffset ? (q.offset ?? 0) : ((q.page ?? 1) - 1) * size, size };
}

/** Formats chosen for the Accept headers seen: clients send few distinct ones, each parsed once (at most ACCEPT_MEMO kept). */
const acceptMemo = new Map<string, DataFormat>();
const ACCEPT_MEMO = 256;

/** `?format=` wins; then the first media type of Accept that we produce; JSON otherwise. */
export function chooseFormat(format: DataFormat | undefined, accept: string | undefined): DataFormat {
  if (format) return format;
  if (accept === undefined) return 'json';
  let found = acceptMemo.get(accept);
  if (found === undefined) {
    found = formatOfAccept(accept);
    if (acceptMemo.size < ACCEPT_MEMO) acceptMemo.set(accept, found);
  }
  return found;
}

function formatOfAccept(accept: string): DataFormat {
  for (const part of accept.split(',')) {
    const type = part.split(';')[0].trim().toLowerCase();
    const found = FORMATS.find((f) => DATA_MEDIA_TYPES[f] === type);
    if (found) return found;
  }
  return 'json';
}

const CONTENT_TYPES = Object.fromEntries(
  FORMATS.map((f) => [f, f === 'json' || f === 'csv' ? `${DATA_MEDIA_TYPES[f]}; charset=utf-8` : DATA_MEDIA_TYPES[f]]),
) as Record<DataFormat, string>;

/** The Content-Type header of a format's answers. */
export function contentType(format: DataFormat): string {
  return CONTENT_TYPES[format];
}
