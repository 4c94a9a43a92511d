/** Per-column statistics of a sheet (computed in a worker, cached in the catalog). */
import { Type } from 'typebox';
import { Count, Id, Nullable, SheetName, Timestamp } from './common.js';

const Figure = (description: string) => Nullable(Type.Number({ description }));

const ColumnStatistics = Type.Object(
  {
    column_name: Type.String(),
    data_type: Type.String({ description: 'portable type' }),
    null_count: Count(),
    unique_count: Nullable(Count('distinct non-null values; null for lists and structs')),
    min: Type.Unknown({ description: 'numbers, strings, booleans, dates and times; null otherwise' }),
    max: Type.Unknown(),
    mean: Figure('numeric columns, NaN skipped'),
    median: Figure('numeric columns'),
    std_dev: Figure('sample standard deviation, numeric columns'),
    quantiles: Type.Optional(Type.Record(Type.String(), Nullable(Type.Number()), { description: 'detailed, numeric: p5, p10, p25, p50, p75, p90, p95' })),
    histogram: Type.Optional(
      Type.Object(
        { bin_edges: Type.Array(Type.Union([Type.Number(), Type.String()]), { description: 'numbers, or ISO strings for dates/datetimes' }), counts: Type.Array(Count()) },
        { additionalProperties: false, description: 'detailed, numeric and temporal: 20 equal-width bins' },
      ),
    ),
    top_values: Type.Optional(
      Type.Array(Type.Object({ value: Type.Unknown(), count: Count() }, { additionalProperties: false }), { description: 'detailed, string and boolean: the 10 most frequent' }),
    ),
  },
  { additionalProperties: false },
);

export const Statistics = Type.Object(
  {
    dataset_id: Id('dataset id'),
    version_id: Id('version id'),
    sheet: Type.String(),
    total_rows: Count(),
    total_columns: Count(),
    file_size: Count('bytes of the uploaded file'),
    detailed: Type.Boolean({ description: 'true after a refresh with detailed=true' }),
    columns: Type.Array(ColumnStatistics),
    computed_at: Timestamp,
  },
  {
    additionalProperties: false,
    examples: [
      {
        dataset_id: 3,
        version_id: 7,
        sheet: 'Sheet1',
        total_rows: 1461,
        total_columns: 2,
        file_size: 48_213,
        detailed: false,
        columns: [
          { column_name: 'temp_max', data_type: 'float', null_count: 0, unique_count: 67, min: -1.6, max: 35.6, mean: 16.44, median: 15.6, std_dev: 7.35 },
          { column_name: 'weather', data_type: 'string', null_count: 0, unique_count: 5, min: 'drizzle', max: 'sun', mean: null, median: null, std_dev: null },
        ],
        computed_at: '2026-11-27T10:30:00Z',
      },
    ],
  },
);

export const StatisticsRefreshQuery = Type.Object(
  { sheet: Type.Optional(SheetName), detailed: Type.Boolean({ default: false, description: 'add quantiles, histograms and top values' }) },
  { additionalProperties: false },
);
