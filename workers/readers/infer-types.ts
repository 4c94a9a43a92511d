import pl from 'nodejs-polars';
import { _Expr } from 'nodejs-polars/bin/lazy/expr/index.js';

/**
 * Types for a CSV read entirely as text, decided from every value of each column (Polars alone looks at the
 * first rows and then fails, or turns `007` into 7 and a 20-digit number into null). A column becomes
 * the first type below that every non-null value has, and text otherwise, so no value is altered:
 *   boolean   true/false in any case
 *   integer   -?digits without leading zeros, within Int64 (larger stays text, never a rounded float)
 *   float     decimal or exponent notation, NaN, inf; no leading zeros, at most 15 integer digits
 *   date      YYYY-MM-DD (a real calendar date)
 *   datetime  YYYY-MM-DD[T| ]HH:MM:SS[.fraction up to 6 digits], optionally Z or ±HH:MM (then stored in UTC)
 *
 * Cost: the first rows pick the candidate types in JavaScript, so a text column costs nothing more; a
 * candidate is then checked against the whole column by one Polars regex pass and converted by one cast.
 */
interface Rule {
  type: string;
  /** The same pattern twice: JavaScript for the sample, Rust's regex syntax for the whole column. */
  js: RegExp;
  polars: string;
  convert: (c: pl.Expr) => pl.Expr;
}

const FRACTION = '(\\.[0-9]{1,6})?';

/**
 * Polars' exact-format parse. The binding's public strptime always asks for inexact matching, which is
 * six times slower (2.7 s against 0.42 s for 3M datetimes); every value here has already matched the
 * format's pattern, so exact parsing is both correct and fast. Uses the pinned binding's internal call.
 */
type RawExpr = { strToDatetime(...args: unknown[]): unknown; strToDate(...args: unknown[]): unknown };
const raw = (c: pl.Expr) => (c as unknown as { _expr: RawExpr })._expr;
const parseDatetime = (c: pl.Expr, format: string) => _Expr(raw(c).strToDatetime(format, 'us', undefined, true, true, true, undefined) as never);
const parseDate = (c: pl.Expr, format: string) => _Expr(raw(c).strToDate(format, true, true, true) as never);
const RULES: Rule[] = [
  {
    type: 'boolean',
    js: /^(true|false)$/i,
    polars: '^(?i:true|false)$',
    convert: (c) => pl.when(c.isNull()).then(pl.lit(null)).otherwise(c.str.toLowerCase().eq(pl.lit('true'))),
  },
  { type: 'integer', js: /^-?(0|[1-9][0-9]*)$/, polars: '^-?(0|[1-9][0-9]*)$', convert: (c) => c.cast(pl.Int64, false) },
  {
    type: 'float',
    js: /^-?((0|[1-9][0-9]{0,14})(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$|^[+-]?(nan|inf|infinity)$/i,
    polars: '^-?((0|[1-9][0-9]{0,14})(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$|^(?i:[+-]?(nan|inf|infinity))$',
    convert: (c) => c.cast(pl.Float64, false),
  },
  {
    type: 'date',
    js: /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/,
    polars: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
    convert: (c) => parseDate(c, '%Y-%m-%d'),
  },
  {
    type: 'datetime',
    js: new RegExp(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}${FRACTION}$`),
    polars: `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}${FRACTION}$`,
    convert: (c) => parseDatetime(c, '%Y-%m-%dT%H:%M:%S%.f'),
  },
  {
    type: 'datetime_space',
    js: new RegExp(`^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}${FRACTION}$`),
    polars: `^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}${FRACTION}$`,
    convert: (c) => parseDatetime(c, '%Y-%m-%d %H:%M:%S%.f'),
  },
  {
    type: 'datetime_zoned',
    js: new RegExp(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}${FRACTION}(Z|[+-][0-9]{2}:[0-9]{2})$`),
    polars: `^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}${FRACTION}(Z|[+-][0-9]{2}:[0-9]{2})$`,
    convert: (c) =>
      parseDatetime(c.str.replace('Z$', '+00:00').str.replace(' ', 'T'), '%Y-%m-%dT%H:%M:%S%.f%:z'),
  },
];

const SAMPLE_ROWS = 2_000;

export function inferTypes(frame: pl.DataFrame): pl.DataFrame {
  if (frame.width === 0 || frame.height === 0) return frame;
  const sample = frame.head(SAMPLE_ROWS);
  return pl.DataFrame(frame.columns.map((name) => typedColumn(frame, name, sampleValues(sample, name))));
}

function sampleValues(sample: pl.DataFrame, name: string): string[] {
  return (sample.getColumn(name).toArray() as (string | null)[]).filter((v): v is string => v !== null);
}

function typedColumn(frame: pl.DataFrame, name: string, sample: string[]): pl.Series {
  const text = frame.getColumn(name);
  const nonNull = text.len() - text.nullCount();
  if (nonNull === 0) return text;
  for (const rule of RULES) {
    if (!sample.every((v) => rule.js.test(v))) continue;
    const matching = Number(frame.select(pl.col(name).str.contains(rule.polars).sum().alias('n')).getColumn('n').get(0) ?? 0);
    if (matching !== nonNull) continue;
    const typed = frame.select(rule.convert(pl.col(name)).alias(name)).getColumn(name);
    // A value can match its pattern and still not convert (Int64 overflow, 2024-02-30): the column stays text.
    return typed.nullCount() === text.nullCount() ? typed : text;
  }
  return text;
}
