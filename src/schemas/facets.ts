/** `…/facets`: most frequent values and distinct counts of columns. */
import { Type, type Static } from 'typebox';
import { Count, Id, SheetName } from './common.js';
import { FILTER_PATTERN } from './data.js';

export const FacetsQuery = Type.Object(
  {
    sheet: Type.Optional(SheetName),
    columns: Type.String({ description: 'comma-separated columns to count' }),
    limit: Type.Integer({ minimum: 1, maximum: 1000, default: 10, description: 'values per column' }),
  },
  { additionalProperties: false, patternProperties: FILTER_PATTERN },
);
export type FacetsQuery = Static<typeof FacetsQuery>;

export const Facets = Type.Object(
  {
    version_id: Id('version id'),
    sheet: Type.String(),
    total_rows: Count('rows the filters kept'),
    facets: Type.Array(
      Type.Object(
        {
          column: Type.String(),
          distinct_count: Count('distinct non-null values'),
          values: Type.Array(Type.Object({ value: Type.Unknown(), count: Count() }, { additionalProperties: false }), { description: 'most frequent first, ties by value' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
