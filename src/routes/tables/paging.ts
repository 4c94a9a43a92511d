import { badRequest } from '../../errors.js';
import type { PageFormat } from '../../../workers/protocol.js';

export const MAX_JSON_PAGE = 1000;
export const DEFAULT_PAGE_SIZE = 100;

export interface PagingQuery {
  page?: number;
  page_size?: number;
  offset?: number;
  limit?: number;
}

export interface Slice {
  offset: number;
  /** Rows actually in the slice (clipped to the table). */
  limit: number;
  page: number;
  page_size: number;
  total_pages: number;
}

/**
 * Rows to serve from `page`/`page_size` or `offset`/`limit` (not both). JSON pages hold at most
 * MAX_JSON_PAGE rows; Arrow has no cap, and without paging parameters it returns the whole sheet.
 */
export function slice(q: PagingQuery, totalRows: number, format: PageFormat): Slice {
  const byPage = q.page !== undefined || q.page_size !== undefined;
  const byOffset = q.offset !== undefined || q.limit !== undefined;
  if (byPage && byOffset) throw badRequest('use either page and page_size or offset and limit, not both');
  const whole = format !== 'json' && !byPage && !byOffset;
  const size = whole ? Math.max(totalRows, 1) : (byOffset ? q.limit : q.page_size) ?? DEFAULT_PAGE_SIZE;
  if (format === 'json' && size > MAX_JSON_PAGE) {
    throw badRequest(
      `${byOffset ? 'limit' : 'page_size'} is ${size}; JSON pages hold at most ${MAX_JSON_PAGE} rows (ask for Arrow with Accept: application/vnd.apache.arrow.stream for more)`,
    );
  }
  const offset = byOffset ? (q.offset ?? 0) : ((q.page ?? 1) - 1) * size;
  return {
    offset,
    limit: Math.max(0, Math.min(size, totalRows - offset)),
    page: Math.floor(offset / size) + 1,
    page_size: size,
    total_pages: Math.ceil(totalRows / size),
  };
}

const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
const ARROW_FILE = 'application/vnd.apache.arrow.file';

export function formatFromAccept(accept: string | undefined): PageFormat {
  if (!accept) return 'json';
  if (accept.includes(ARROW_STREAM)) return 'arrow-stream';
  if (accept.includes(ARROW_FILE)) return 'arrow-file';
  return 'json';
}

export const CONTENT_TYPE: Record<PageFormat, string> = {
  json: 'application/json; charset=utf-8',
  'arrow-stream': ARROW_STREAM,
  'arrow-file': ARROW_FILE,
};
