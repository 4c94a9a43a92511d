/** Read-only SQL over a version's sheets (`POST …/versions/{vid}/query`, the path the README documents). */
import { Type, type Static } from 'typebox';
import { Paging } from './data.js';

export const MAX_SQL_LENGTH = 100_000;

export const SqlBody = Type.Object(
  {
    sql: Type.String({ minLength: 1, maxLength: MAX_SQL_LENGTH, description: 'one SELECT; each sheet is a table by its name, the first also as "data"' }),
    ...Paging,
    int64: Type.Optional(Type.Unsafe<'number' | 'string'>({ type: 'string', enum: ['number', 'string'], description: 'how JSON writes 64-bit integers' })),
  },
  { additionalProperties: false, examples: [{ sql: 'SELECT weather, count(*) AS days FROM data GROUP BY weather ORDER BY days DESC', page_size: 10 }] },
);
export type SqlBody = Static<typeof SqlBody>;
