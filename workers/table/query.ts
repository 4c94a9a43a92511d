import pl from 'nodejs-polars';
import type { Filter, TableQuery } from '../protocol.js';
import { TaskError } from '../task-error.js';
import { portableType } from './describe.js';

type Schema = Record<string, pl.DataType>;

/**
 * Filters (AND), then sort, then projection, as one lazy plan: on the local backend Polars pushes the
 * filters and the projection into the Parquet scan, skipping row groups by their statistics.
 */
export function applyQuery(lazy: pl.LazyDataFrame, schema: Schema, query: TableQuery): pl.LazyDataFrame {
  let plan = lazy;
  if (query.filters.length) plan = plan.filter(query.filters.map((f) => filterExpr(f, schema[f.column])).reduce((a, b) => a.and(b)));
  if (query.sort.length) {
    // Chained stable sorts, last key first, give a multi-key sort (this binding takes one direction per call).
    for (const key of [...query.sort].reverse()) plan = plan.sort(key.column, key.descending, true, true);
  }
  if (query.columns) plan = plan.select(...query.columns.map((c) => pl.col(c)));
  return plan;
}

export function countRows(plan: pl.LazyDataFrame): number {
  return Number(plan.select(pl.len().alias('n')).collectSync().getColumn('n').get(0));
}

function filterExpr(f: Filter, dtype: pl.DataType): pl.Expr {
  const col = pl.col(f.column);
  switch (f.op) {
    case 'is_null':
      return col.isNull();
    case 'not_null':
      return col.isNotNull();
    case 'contains':
    case 'startswith':
      if (portableType(dtype) !== 'string') {
        throw new TaskError(400, 'invalid_request', `filter ${f.op} needs a text column; "${f.column}" is ${portableType(dtype)}`);
      }
      return f.op === 'contains' ? col.str.contains(escapeRegex(f.values[0])) : col.str.startsWith(f.values[0]);
    case 'in':
      return col.isIn(pl.Series(f.values.map((v) => literal(f, v, dtype))).cast(dtype));
    default: {
      const v = pl.lit(literal(f, f.values[0], dtype)).cast(dtype);
      return { eq: col.eq(v), ne: col.neq(v), lt: col.lt(v), lte: col.ltEq(v), gt: col.gt(v), gte: col.gtEq(v) }[f.op];
    }
  }
}

/**
 * A filter value as the column's type would hold it, checked by casting it with Polars itself (strict), so
 * `2024-13-01` for a date column or `1.5` for an integer column is a 400 that names the filter.
 */
function literal(f: Filter, value: string, dtype: pl.DataType): string | boolean {
  const type = portableType(dtype);
  if (type === 'boolean') {
    if (!/^(true|false)$/i.test(value)) throw badValue(f, value, type);
    return value.toLowerCase() === 'true';
  }
  try {
    const cast = pl.Series([value]).cast(dtype, true);
    if (cast.nullCount() > 0) throw new Error('null');
  } catch {
    throw badValue(f, value, type);
  }
  return value;
}

function badValue(f: Filter, value: string, type: string): TaskError {
  const article = /^[aeiou]/.test(type) ? 'an' : 'a';
  return new TaskError(400, 'invalid_request', `filter[${f.column}]${f.op}: "${value}" is not ${article} ${type} value, as the column "${f.column}" needs`);
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
