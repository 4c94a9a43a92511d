/**
 * Results of table queries (filters, sort, projection: plan.ts) and facets, kept in the worker's cache
 * (workers/table/cache.ts), so the pages after the first of a filtered or sorted view are slices, not the
 * query again. (SQL answers are cached by the main thread: src/storage/sql-answers.ts.)
 *
 * What is kept is the result frame itself (filtered, sorted, projected), not its row selection: measured on the
 * 3M-row flights table, a 100-row slice of the result costs ~16 µs, a gather of the same rows by index from the
 * sheet ~700 µs, and a selection needs the sheet's own frame at hand, which the local backend may not cache. The
 * selection is smaller (4 bytes a row against the projected row's width), which the byte budget accounts for.
 */
import type pl from 'nodejs-polars';
import { jsonLayout } from '../encoders/json.js';
import { heldBytes, nativeOf } from '../native-frame.js';
import type { Filter, TableQuery, TableRef } from '../protocol.js';
import { workerCache } from './cache.js';
import { computeFacets } from './facets.js';
import { filterSortProject } from './plan.js';
import type { DecodedRows } from './sheets.js';

/** What an entry costs besides its data (key, objects, an empty frame's own bytes): no entry is free. */
const ENTRY_BYTES = 1024;

/** A computed table query: its rows (decoded, so its pages come from blocks as a sheet's do) and the frame. */
export interface CachedRows extends DecodedRows {
  frame: pl.DataFrame;
}

/** A sheet as a lazy plan and its column types, made only on a cache miss. */
export type OpenSheet = () => { lazy: pl.LazyDataFrame; schema: Record<string, pl.DataType> };

/** Whether a query needs computing over the whole sheet (filters or sort); projection alone is a slice of it. */
export const isComputed = (query: TableQuery): boolean => query.filters.length > 0 || query.sort.length > 0;

/**
 * The query as one text that equivalent requests share: filters are ANDed, so their order and repeats do not
 * matter (sorted, deduplicated), nor do the order and repeats of an `in` list; sort keys and projected columns
 * keep their order, which the result has. Values stay as written (`1` and `01` are two entries, never merged).
 */
export function normalizeQuery(query: TableQuery): string {
  const filters = query.filters.map((f): Filter => ({ column: f.column, op: f.op, values: f.op === 'in' ? [...new Set(f.values)].sort() : f.values }));
  const texts = [...new Set(filters.map((f) => JSON.stringify([f.column, f.op, f.values])))].sort();
  return `[${texts.join(',')}]${JSON.stringify([query.sort.map((s) => [s.column, s.descending]), query.columns ?? null])}`;
}

/** The cache key of a query's result: `<storage key>/<sheet index>?<normalized query>`. */
export const resultKey = (table: TableRef, query: TableQuery): string => `${table.key}?${normalizeQuery(query)}`;

/**
 * The rows of `query` over the sheet, computed in one plan on a miss and kept within the worker's budget
 * (a result larger than the budget is returned, not kept) under resultKey, the prefix of its pages' blocks
 * too; `computed`: this call computed them. Throws the filter's TaskError for a bad value.
 */
export function cachedRows(table: TableRef, query: TableQuery, open: OpenSheet): { result: CachedRows; computed: boolean } {
  const key = resultKey(table, query);
  const cached = workerCache.get(key) as CachedRows | undefined;
  if (cached) return { result: cached, computed: false };
  const { lazy, schema } = open();
  const frame = filterSortProject(lazy, schema, query).collectSync();
  const native = nativeOf(frame);
  const dtypes = frame.dtypes;
  const result = { frame, native, json: jsonLayout(frame.columns, dtypes), rows: native.height };
  workerCache.set(key, result, heldBytes(native, dtypes) + ENTRY_BYTES);
  return { result, computed: true };
}

/**
 * The facets body (see computeFacets) of `columns` over the rows `query` keeps, cached as its text under
 * `<storage key>/<sheet index>?facets:<normalized query, columns, limit>` with its UTF-8 byte length.
 */
export function cachedFacets(table: TableRef, query: TableQuery, columns: string[], limit: number, open: OpenSheet): string {
  const key = `${table.key}?facets:${normalizeQuery(query)}${JSON.stringify([columns, limit])}`;
  const cached = workerCache.get(key) as string | undefined;
  if (cached !== undefined) return cached;
  const { lazy, schema } = open();
  const body = computeFacets(filterSortProject(lazy, schema, query), columns, limit);
  workerCache.set(key, body, Buffer.byteLength(body) + ENTRY_BYTES);
  return body;
}
