/**
 * The worker side of a table query (`/data`, `/facets`: filters, sort, projection, parsed by the server from
 * the query string): one lazy Polars plan over a sheet. Not SQL (that is sql-worker.ts).
 */
import pl from 'nodejs-polars';
import type { Filter, TableQuery } from '../protocol.js';
import { TaskError } from '../task-error.js';
import { isText, portableType } from './describe.js';

type Schema = Record<string, pl.DataType>;

/**
 * Filters (AND), then sort, then projection, as one lazy plan: on the local backend Polars pushes the
 * filters and the projection into the Parquet scan, skipping row groups by their statistics.
 */
export function filterSortProject(lazy: pl.LazyDataFrame, schema: Schema, query: TableQuery): pl.LazyDataFrame {
  let plan = lazy;
  if (query.filters.length) plan = plan.filter(query.filters.map((f) => filterExpr(f, schema[f.column])).reduce((a, b) => a.and(b)));
  if (query.sort.length) {
    // Chained stable sorts, last key first, give a multi-key sort (this binding takes one direction per call).
    for (const key of [...query.sort].reverse()) plan = plan.sort(key.column, key.descending, true, true);
  }
  if (query.columns) plan = plan.select(...query.columns.map((c) => pl.col(c)));
  return plan;
}

/** The number of rows `plan` yields, counted by Polars without collecting them. */
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
        throw new TaskError(400, 'invalid_request', `filter[${f.column}]${f.op}: ${f.op} needs a text column; "${f.column}" is ${portableType(dtype)}`);
      }
      return f.op === 'contains' ? col.str.contains(escapeRegex(f.values[0])) : col.str.startsWith(f.values[0]);
    case 'in': {
      const clock = clockType(dtype);
      if (clock) return col.cast(clock).isIn(pl.Series(f.values.map((v) => String(clockNanos(f, v, dtype)))).cast(pl.Int64).cast(clock));
      return col.isIn(pl.Series(f.values.map((v) => literal(f, v, dtype))).cast(dtype));
    }
    default: {
      const clock = clockType(dtype);
      // Times and durations are compared in nanoseconds (Polars cannot read them from text; see clockNanos).
      const c = clock ? col.cast(clock) : col;
      const v = clock
        ? pl.lit(String(clockNanos(f, f.values[0], dtype))).cast(pl.Int64).cast(clock)
        : isText(dtype)
          ? pl.lit(f.values[0])
          : pl.lit(literal(f, f.values[0], dtype)).cast(dtype);
      // Only the one comparison asked for: every expression this binding builds costs about a millisecond of
      // JavaScript (its wrapper), more than the query itself on a first page (see result-cache.ts).
      switch (f.op) {
        case 'eq':
          return c.eq(v);
        case 'ne':
          return c.neq(v);
        case 'lt':
          return c.lt(v);
        case 'lte':
          return c.ltEq(v);
        case 'gt':
          return c.gt(v);
        case 'gte':
          return c.gtEq(v);
      }
    }
  }
}

/** Time columns, and durations as nanoseconds (any unit casts to it exactly), for comparison with clockNanos. */
function clockType(dtype: pl.DataType): pl.DataType | undefined {
  const type = portableType(dtype);
  return type === 'time' ? pl.Time : type === 'duration' ? pl.Duration('ns') : undefined;
}

const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const DURATION = /^(-)?P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)(?:\.(\d{1,9}))?S)?)?$/;

/**
 * A time (`HH:MM:SS[.fffffffff]`) or ISO 8601 duration (`PT129600S`, `-PT1M30S`, `P1DT2H`, `PT0.000001S` — the
 * forms JSON pages write) as nanoseconds, for a filter on a time or duration column: Polars casts no text to
 * these types. Anything else is the filter's 400.
 */
function clockNanos(f: Filter, value: string, dtype: pl.DataType): bigint {
  const fraction = (digits: string | undefined) => BigInt((digits ?? '').padEnd(9, '0'));
  if (portableType(dtype) === 'time') {
    const m = TIME.exec(value);
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 59 || Number(m[3]) > 59) throw badValue(f, value, 'time (HH:MM:SS[.fffffffff])');
    return ((BigInt(m[1]) * 60n + BigInt(m[2])) * 60n + BigInt(m[3])) * 1_000_000_000n + fraction(m[4]);
  }
  const m = DURATION.exec(value);
  if (!m || value === 'P' || value.endsWith('T')) throw badValue(f, value, 'duration (ISO 8601, e.g. PT129600S or -PT1M30S)');
  const seconds = ((BigInt(m[2] ?? 0) * 24n + BigInt(m[3] ?? 0)) * 60n + BigInt(m[4] ?? 0)) * 60n + BigInt(m[5] ?? 0);
  const nanos = seconds * 1_000_000_000n + fraction(m[6]);
  return m[1] ? -nanos : nanos;
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
