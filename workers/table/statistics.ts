import pl from 'nodejs-polars';
import { jsonRows } from '../encoders/json.js';
import { portableType } from './describe.js';

const NUMERIC = new Set(['integer', 'float', 'decimal']);
const TEMPORAL = new Set(['date', 'datetime', 'time', 'duration']);
const ORDERED = new Set([...NUMERIC, ...TEMPORAL, 'string', 'boolean']);
const QUANTILES = [5, 10, 25, 50, 75, 90, 95];
const HISTOGRAM_BINS = 20;
const TOP_VALUES = 10;

/**
 * Per-column statistics as JSON text (an array of objects). Aggregates run in one lazy query, so on the
 * local backend only the columns' pages of the Parquet file are read. Min and max are written by Polars'
 * JSON writer so 64-bit integers keep every digit and datetimes come out as ISO 8601; every other figure is
 * a float64 or a count, exact in JavaScript. A figure a column cannot have (the mean of strings) is null.
 */
export function computeStatistics(table: pl.LazyDataFrame, schema: Record<string, pl.DataType>, detailed: boolean): string {
  const names = Object.keys(schema);
  if (names.length === 0) return '[]';
  const types = names.map((n) => portableType(schema[n]));

  const aggs: pl.Expr[] = [];
  names.forEach((name, i) => {
    const c = pl.col(name);
    const t = types[i];
    aggs.push(c.nullCount().cast(pl.Float64).alias(`${i}:null_count`));
    // nUnique counts null as a value; unique_count is over the non-null values (corrected below).
    if (t !== 'list' && t !== 'struct') aggs.push(c.nUnique().cast(pl.Float64).alias(`${i}:unique_count`));
    if (ORDERED.has(t)) aggs.push(c.min().alias(`${i}:min`), c.max().alias(`${i}:max`));
    if (NUMERIC.has(t)) {
      // NaN is not a number to average: figures are over the non-NaN values, as min and max already are.
      const asFloat = c.cast(pl.Float64);
      const f = asFloat.filter(asFloat.isNotNan());
      aggs.push(f.mean().alias(`${i}:mean`), f.median().alias(`${i}:median`), f.std().alias(`${i}:std_dev`));
      if (detailed) for (const q of QUANTILES) aggs.push(f.quantile(q / 100).alias(`${i}:p${q}`));
    }
  });
  const row = table.select(...aggs).collectSync();
  const value = (key: string): number | null => (row.columns.includes(key) ? (row.getColumn(key).get(0) as number) : null);

  return `[${names
    .map((name, i) => {
      const t = types[i];
      const nulls = value(`${i}:null_count`) ?? 0;
      const distinct = value(`${i}:unique_count`);
      const head = {
        column_name: name,
        data_type: t,
        null_count: nulls,
        unique_count: distinct === null ? null : distinct - (nulls > 0 ? 1 : 0),
      };
      const minMax = ORDERED.has(t)
        ? jsonRows(row.select(pl.col(`${i}:min`).alias('min'), pl.col(`${i}:max`).alias('max'))).toString().slice(2, -2)
        : '"min":null,"max":null';
      const rest: Record<string, unknown> = {
        mean: finite(value(`${i}:mean`)),
        median: finite(value(`${i}:median`)),
        std_dev: finite(value(`${i}:std_dev`)),
      };
      if (detailed) Object.assign(rest, details(table, name, schema[name], (q) => finite(value(`${i}:p${q}`))));
      return `{${JSON.stringify(head).slice(1, -1)},${minMax},${JSON.stringify(rest).slice(1, -1)}}`;
    })
    .join(',')}]`;
}

function details(table: pl.LazyDataFrame, name: string, dtype: pl.DataType, quantile: (q: number) => number | null) {
  const type = portableType(dtype);
  const out: Record<string, unknown> = {};
  if (NUMERIC.has(type)) {
    out.quantiles = Object.fromEntries(QUANTILES.map((q) => [`p${q}`, quantile(q)]));
    out.histogram = histogram(table, name, dtype, 'number');
  } else if (type === 'date' || type === 'datetime') {
    out.histogram = histogram(table, name, dtype, type);
  } else if (type === 'string' || type === 'boolean') {
    out.top_values = topValues(table, name);
  }
  return out;
}

/**
 * Equal-width bins over [min, max] of the column's finite values. Dates and datetimes are binned on their
 * physical integer (days, or time units since the epoch) and their edges written back as ISO 8601.
 */
function histogram(table: pl.LazyDataFrame, name: string, dtype: pl.DataType, kind: 'number' | 'date' | 'datetime') {
  const col = pl.col(name);
  const x = (kind === 'number' ? col : col.cast(pl.Int64)).cast(pl.Float64);
  const values = table.select(x.alias('x')).filter(pl.col('x').isNotNull().and(pl.col('x').isFinite())).collectSync();
  const s = values.getColumn('x');
  if (s.length === 0) return { bin_edges: [], counts: [] };
  const lo = s.min() as number;
  const hi = s.max() as number;
  const width = hi > lo ? (hi - lo) / HISTOGRAM_BINS : 1;
  const bins = hi > lo ? HISTOGRAM_BINS : 1;
  const counted = values
    .select(pl.col('x').sub(lo).div(width).floor().clip(0, bins - 1).cast(pl.Int32).alias('bin'))
    .getColumn('bin')
    .valueCounts();
  const counts = new Array<number>(bins).fill(0);
  for (const r of counted.toRecords() as { bin: number; count: number }[]) counts[r.bin] = Number(r.count);
  const edges = Array.from({ length: bins + 1 }, (_, k) => (k === bins ? hi : lo + k * width));
  return { bin_edges: kind === 'number' ? edges : edges.map((e) => temporalIso(e, kind, dtype)), counts };
}

function temporalIso(physical: number, kind: 'date' | 'datetime', dt: pl.DataType): string {
  if (kind === 'date') return new Date(Math.round(physical) * 86_400_000).toISOString().slice(0, 10);
  const d = dt as pl.DataType & { timeUnit?: string; timeZone?: string };
  const perMs = d.timeUnit === 'ns' ? 1e6 : d.timeUnit === 'us' ? 1e3 : 1;
  const iso = new Date(Math.round(physical / perMs)).toISOString();
  return d.timeZone ? iso : iso.slice(0, -1);
}

function topValues(table: pl.LazyDataFrame, name: string) {
  const counts = table
    .select(pl.col(name))
    .dropNulls()
    .groupBy(name)
    .agg(pl.len().alias('count'))
    // Ties in count are ordered by value: a stable sort by count after a sort by value.
    .sort(name, false, false, true)
    .sort('count', true, false, true)
    .limit(TOP_VALUES)
    .collectSync();
  return (counts.toRecords() as Record<string, unknown>[]).map((r) => ({ value: r[name], count: Number(r.count) }));
}

function finite(v: number | null): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}
