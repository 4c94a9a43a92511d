import type { ColumnInfo } from '../../catalog/types.js';
import { badRequest } from '../../errors.js';
import type { Filter, FilterOp, TableQuery } from '../../../workers/protocol.js';

const OPS: FilterOp[] = ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'contains', 'startswith', 'is_null', 'not_null'];
/** `filter[column]op`: the column may itself contain `]`; the operator is checked against OPS. */
const FILTER_KEY = /^filter\[(.+)\]([^\]]*)$/;

/** Querystring properties shared by /data and /facets: projection, filters and sort. */
export const queryProperties = {
  columns: { type: 'string', description: 'comma-separated columns to return (projection)' },
  sort: { type: 'string', description: 'comma-separated columns; a leading - sorts descending, e.g. sort=a,-b' },
} as const;

/**
 * `filter[col]op=value` keys, allowed next to the declared parameters. Every key starting with `filter[` is
 * let through to parseTableQuery, so a misspelt one (`filter[a]EQ`, `filter[a]`) is a 400 that names it
 * rather than the schema's anonymous "must NOT have additional properties".
 */
export const filterPatternProperties = {
  '^filter\\[': {
    anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'filter[col]op=value, op one of ' + OPS.join(', '),
  },
} as const;

/**
 * Reads projection, filters and sort from the query string and checks every column name and operator
 * against the sheet, so a typo is a 400 that names it. Values are checked against the column's type by
 * the worker, which converts them.
 */
export function parseTableQuery(raw: Record<string, unknown>, columns: ColumnInfo[]): TableQuery {
  const names = new Set(columns.map((c) => c.name));
  const known = (name: string, where: string) => {
    if (!names.has(name)) {
      throw badRequest(`${where}: the sheet has no column "${name}"; its columns: ${[...names].map((n) => JSON.stringify(n)).join(', ')}`);
    }
    return name;
  };

  const filters: Filter[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith('filter[')) continue;
    const m = FILTER_KEY.exec(key);
    if (!m) throw badRequest(`${key}: a filter is written filter[column]op=value, op one of ${OPS.join(', ')}`);
    const [, column, op] = m;
    if (op === '') throw badRequest(`${key}: the filter has no operator; write ${key}eq=… or use one of ${OPS.join(', ')}`);
    if (!OPS.includes(op as FilterOp)) throw badRequest(`${key}: unknown filter operator "${op}"; use one of ${OPS.join(', ')}`);
    known(column, key);
    for (const v of Array.isArray(value) ? value : [value]) {
      const text = String(v);
      filters.push({ column, op: op as FilterOp, values: op === 'in' ? text.split(',') : [text] });
    }
  }

  const sort = list(raw.sort).map((item) => {
    const descending = item.startsWith('-');
    const column = descending ? item.slice(1) : item;
    return { column: known(column, 'sort'), descending };
  });
  const projection = raw.columns === undefined ? undefined : list(raw.columns).map((c) => known(c, 'columns'));
  if (projection?.length === 0) throw badRequest('columns is empty; name at least one column or leave it out');
  return { filters, sort, columns: projection };
}

function list(value: unknown): string[] {
  if (value === undefined) return [];
  return String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
