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

export const pagingProperties = {
  page: { type: 'integer', minimum: 1 },
  page_size: { type: 'integer', minimum: 1 },
  offset: { type: 'integer', minimum: 0 },
  limit: { type: 'integer', minimum: 1 },
} as const;

/**
 * The rows asked for, from `page`/`page_size` or `offset`/`limit` (not both): the worker clips them to the
 * (filtered) table. JSON pages hold at most MAX_JSON_PAGE rows; other formats have no cap and, without
 * paging parameters, return every row (size null).
 */
export function requestedWindow(q: PagingQuery, format: PageFormat): { offset: number; size: number | null } {
  const byPage = q.page !== undefined || q.page_size !== undefined;
  const byOffset = q.offset !== undefined || q.limit !== undefined;
  if (byPage && byOffset) throw badRequest('use either page and page_size or offset and limit, not both');
  if (format !== 'json' && !byPage && !byOffset) return { offset: 0, size: null };
  const size = (byOffset ? q.limit : q.page_size) ?? DEFAULT_PAGE_SIZE;
  if (format === 'json' && size > MAX_JSON_PAGE) {
    throw badRequest(
      `${byOffset ? 'limit' : 'page_size'} is ${size}; JSON pages hold at most ${MAX_JSON_PAGE} rows (ask for Arrow with Accept: application/vnd.apache.arrow.stream for more)`,
    );
  }
  return { offset: byOffset ? (q.offset ?? 0) : ((q.page ?? 1) - 1) * size, size };
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
