/** Table data (`…/data`): its query string, the JSON page, and the media types it can answer with. */
import { Type, type Static } from 'typebox';
import type { DataFormat, FilterOp } from '../../workers/protocol.js';
import { Bytes, Count, RowNumber, SheetName } from './common.js';

/** Each format of `…/data` and its media type (Accept, or `?format=`). */
export const DATA_MEDIA_TYPES: Record<DataFormat, string> = {
  json: 'application/json',
  csv: 'text/csv',
  ndjson: 'application/x-ndjson',
  parquet: 'application/vnd.apache.parquet',
  'arrow-stream': 'application/vnd.apache.arrow.stream',
  'arrow-file': 'application/vnd.apache.arrow.file',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
};
export const FORMATS = Object.keys(DATA_MEDIA_TYPES) as DataFormat[];

export const FILTER_OPS: FilterOp[] = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'contains', 'startswith', 'is_null', 'not_null'];

export const Paging = {
  page: Type.Optional(RowNumber(1, { description: '1-based; with page_size (not with offset/limit)' })),
  page_size: Type.Optional(RowNumber(1, { description: 'default 100; JSON at most 1000' })),
  offset: Type.Optional(RowNumber(0, { description: 'with limit (not with page/page_size)' })),
  limit: Type.Optional(RowNumber(1, { description: 'default 100; JSON at most 1000' })),
};
export type PagingQuery = { page?: number; page_size?: number; offset?: number; limit?: number };

/** Projection and sort, shared by /data and /facets. */
export const Projection = {
  columns: Type.Optional(Type.String({ description: 'comma-separated columns to return (projection), exactly as named; quote a name holding a comma: "a,b"' })),
  sort: Type.Optional(Type.String({ description: 'comma-separated columns; a leading - sorts descending, e.g. sort=a,-b or sort=-"a,b"' })),
};

/**
 * `filter[col]op=value` keys, allowed next to the declared parameters. Every key starting with `filter[` is
 * let through to parseFilters, so a misspelt one (`filter[a]EQ`, `filter[a]`) is a 400 that names it
 * rather than the schema's anonymous "must NOT have additional properties".
 */
export const FILTER_PATTERN = {
  '^filter\\[': Type.Union([Type.String(), Type.Array(Type.String())], { description: 'filter[col]op=value, op one of ' + FILTER_OPS.join(', ') }),
};

export const DataQuery = Type.Object(
  {
    sheet: Type.Optional(SheetName),
    ...Paging,
    ...Projection,
    int64: Type.Optional(Type.Unsafe<'number' | 'string'>({ type: 'string', enum: ['number', 'string'], description: 'how JSON writes 64-bit integers' })),
    format: Type.Optional(Type.Unsafe<DataFormat>({ type: 'string', enum: FORMATS, description: `instead of Accept: ${FORMATS.join(', ')}` })),
    csv_safe: Type.Boolean({ default: false, description: "CSV and xlsx: prefix text cells starting with = + - @ with ' (formula injection)" }),
  },
  { additionalProperties: false, patternProperties: FILTER_PATTERN },
);
export type DataQuery = Static<typeof DataQuery>;

/** A JSON page (encoded in the worker; documented here). Cell values keep their type: see the README. */
export const DataPage = Type.Object(
  {
    data: Type.Array(Type.Record(Type.String(), Type.Unknown()), { description: 'rows, {column: value}' }),
    columns: Type.Array(Type.String(), { description: 'column names, in order' }),
    total_rows: Count('rows of the (filtered) result'),
    page: Type.Integer({ minimum: 1, description: 'with offset/limit: the page of size limit that holds the first row, floor(offset / limit) + 1' }),
    page_size: Type.Integer({ minimum: 1, description: 'page_size, or limit' }),
    total_pages: Count(),
  },
  {
    additionalProperties: false,
    examples: [
      {
        data: [{ date: '2012-01-01', weather: 'drizzle', temp_max: 12.8 }],
        columns: ['date', 'weather', 'temp_max'],
        total_rows: 1461,
        page: 1,
        page_size: 1,
        total_pages: 1461,
      },
    ],
  },
);

/** The `content` of a 200 from /data (or the SQL route with `formats`): the JSON page and each byte format. */
export function dataContent(formats: DataFormat[] = FORMATS) {
  return Object.fromEntries(
    formats.map((f) => [DATA_MEDIA_TYPES[f], { schema: f === 'json' ? DataPage : Bytes(`the rows as ${f}`) }]),
  );
}
