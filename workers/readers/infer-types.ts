import pl from 'nodejs-polars';
import { _Expr } from 'nodejs-polars/bin/lazy/expr/index.js';
import { TaskError, unreadable } from '../task-error.js';
import { exactType, isText } from '../table/describe.js';
import type { ColumnDecision, ForcibleType } from './types.js';

/**
 * Types for a CSV read entirely as text, decided from every value of each column (Polars alone looks at the
 * first rows and then fails, or turns `007` into 7 and a 20-digit number into null). Empty fields are null
 * first, quoted (`""`) or not. A column becomes the first type below that every non-null value has, and
 * text otherwise, so no value is altered:
 *   boolean   true/false in any case
 *   integer   -?digits without leading zeros, within Int64
 *   float     decimal or exponent notation, NaN, inf; no leading zeros; and every value exact as a float64:
 *             its significant digits are those of the float's shortest round-trip form (`0.30000000000000004`
 *             is a float; `12345678901234.5678`, `1e400` (infinity) and `1e-400` (zero) are not)
 *   decimal   -?digits[.digits] without exponent, at most 38 digits: Decimal(38, s), s the most fractional
 *             digits in the column, so every digit is kept (`99999999999999.99`, a 20-digit integer)
 *   date      YYYY-MM-DD (a real calendar date)
 *   datetime  YYYY-MM-DD[T| ]HH:MM:SS[.fraction up to 6 digits], optionally Z or ±HH:MM (then stored in UTC);
 *             seconds 00–59 (a leap second has no timestamp: Polars would make it the next minute)
 *
 * Cost: the first rows pick the candidate types in JavaScript, so a text column costs nothing more; a
 * candidate is then checked against the whole column by one Polars pass (a regex, or the integer's prefix tests;
 * for floats, one round-trip comparison too) and converted by one cast, every column's in one select (see
 * inferTypes).
 */
type Rule = {
  type: string;
  /** The pattern, in JavaScript for the sample. */
  js: RegExp;
  /** Optional whole-column check past the pattern: true for each value the type holds exactly. */
  exact?: (c: pl.Expr) => pl.Expr;
  /** The typed column, or undefined when the column cannot take the type after all. */
  convert: (c: pl.Expr, text: pl.Series) => pl.Expr | undefined;
  /** False when convert first needs the whole column (the decimal's scale): not tried in the shared select. */
  perValue?: false;
} & (
  | {
      /** The same pattern in Rust's regex syntax, for the whole column. */
      polars: string;
      shape?: undefined;
    }
  | {
      /**
       * Instead of the pattern, for a rule whose conversion already refuses (gives null) every value off the
       * pattern but a few this test names: true for each value that, if it converts, has the pattern. Cheaper
       * than a regex call per value (~19 against ~37 ns here).
       */
      shape: (c: pl.Expr) => pl.Expr;
      polars?: undefined;
    }
);

/** Significant digits of a number written in text: no sign, exponent, point, leading or trailing zeros. */
const significantDigits = (c: pl.Expr) =>
  c.str
    .toLowerCase()
    .str.replace('^[-+]', '')
    .str.replace('^infinity$', 'inf')
    .str.replace('e.*$', '')
    .str.replace('\\.', '')
    .str.replace('^0+', '')
    .str.replace('0+$', '');

/** Largest Polars decimal precision: more digits than this stay text. */
const MAX_DECIMAL_DIGITS = 38;

/**
 * Decimal(38, s) with s the most fractional digits of any value, so the cast rounds nothing (Polars' string
 * to decimal cast rounds extra digits silently); undefined when some value needs more than 38 digits.
 */
function toDecimal(c: pl.Expr, text: pl.Series): pl.Expr | undefined {
  const widths = pl
    .DataFrame([text.alias('v')])
    .select(
      pl.col('v').str.replace('^-', '').str.replace('\\..*$', '').str.replace('^0$', '').str.lengths().max().alias('int'),
      pl.col('v').str.replace('^[^.]*\\.?', '').str.lengths().max().alias('scale'),
    );
  const integerDigits = Number(widths.getColumn('int').get(0) ?? 0);
  const scale = Number(widths.getColumn('scale').get(0) ?? 0);
  if (integerDigits + scale > MAX_DECIMAL_DIGITS) return undefined;
  return c.cast(pl.Decimal(MAX_DECIMAL_DIGITS, scale), true);
}

const FRACTION = '(\\.[0-9]{1,6})?';
/**
 * Seconds 00–59. A leap second (`23:59:60`) has no microsecond timestamp of its own: Polars' parse turns it into
 * the next day's 00:00:00, a different value, so a column holding one stays text.
 */
const SECONDS = '[0-5][0-9]';

/**
 * Polars' exact-format parse. The binding's public strptime always asks for inexact matching, which is
 * six times slower (2.7 s against 0.42 s for 3M datetimes); every value here has already matched the
 * format's pattern, so exact parsing is both correct and fast. Uses the pinned binding's internal call.
 */
type RawExpr = { strToDatetime(...args: unknown[]): unknown; strToDate(...args: unknown[]): unknown };
const raw = (c: pl.Expr) => (c as unknown as { _expr: RawExpr })._expr;
// Not strict: a value of the right shape that is no calendar date (2024-02-30) becomes null, so the column
// tries the next type (or a forced type names it), instead of Polars raising.
const parseDatetime = (c: pl.Expr, format: string) => _Expr(raw(c).strToDatetime(format, 'us', undefined, false, true, true, undefined) as never);
const parseDate = (c: pl.Expr, format: string) => _Expr(raw(c).strToDate(format, false, true, true) as never);
const RULES: Rule[] = [
  {
    type: 'boolean',
    js: /^(true|false)$/i,
    polars: '^(?i:true|false)$',
    convert: (c) => pl.when(c.isNull()).then(pl.lit(null)).otherwise(c.str.toLowerCase().eq(pl.lit('true'))),
  },
  {
    type: 'integer',
    js: /^-?(0|[1-9][0-9]*)$/,
    // Polars' cast reads `[+-]?[0-9]+` within Int64 and gives null for anything else (pinned by
    // test/workers/readers/infer-types.test.ts); of what it reads, the pattern refuses a plus sign and leading zeros.
    shape: (c) =>
      c.str
        .startsWith('+')
        .or(c.str.startsWith('0').and(c.neq(pl.lit('0'))))
        .or(c.str.startsWith('-0').and(c.neq(pl.lit('-0'))))
        .not(),
    convert: (c) => c.cast(pl.Int64, false),
  },
  {
    type: 'float',
    js: /^-?((0|[1-9][0-9]*)(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$|^[+-]?(nan|inf|infinity)$/i,
    polars: '^-?((0|[1-9][0-9]*)(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$|^(?i:[+-]?(nan|inf|infinity))$',
    // Polars writes a float's shortest round-trip form: the same digits mean the float is the value written.
    exact: (c) => significantDigits(c).eq(significantDigits(c.cast(pl.Float64, false).cast(pl.Utf8))),
    convert: (c) => c.cast(pl.Float64, false),
  },
  {
    type: 'decimal',
    js: /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/,
    polars: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$',
    convert: toDecimal,
    perValue: false,
  },
  {
    type: 'date',
    js: /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/,
    polars: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$',
    convert: (c) => parseDate(c, '%Y-%m-%d'),
  },
  {
    type: 'datetime',
    js: new RegExp(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:${SECONDS}${FRACTION}$`),
    polars: `^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:${SECONDS}${FRACTION}$`,
    convert: (c) => parseDatetime(c, '%Y-%m-%dT%H:%M:%S%.f'),
  },
  {
    type: 'datetime_space',
    js: new RegExp(`^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:${SECONDS}${FRACTION}$`),
    polars: `^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:${SECONDS}${FRACTION}$`,
    convert: (c) => parseDatetime(c, '%Y-%m-%d %H:%M:%S%.f'),
  },
  {
    type: 'datetime_zoned',
    js: new RegExp(`^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:${SECONDS}${FRACTION}(Z|[+-][0-9]{2}:[0-9]{2})$`),
    polars: `^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:${SECONDS}${FRACTION}(Z|[+-][0-9]{2}:[0-9]{2})$`,
    convert: (c) =>
      parseDatetime(c.str.replace('Z$', '+00:00').str.replace(' ', 'T'), '%Y-%m-%dT%H:%M:%S%.f%:z'),
  },
];

const SAMPLE_ROWS = 2_000;

/** The contract's portable type of a rule (the three datetime spellings are one type). */
const portable = (rule: Rule) => (rule.type.startsWith('datetime') ? 'datetime' : rule.type);

/** A typed column and why it has its type. */
export interface TypedColumns {
  frame: pl.DataFrame;
  decisions: Map<string, Pick<ColumnDecision, 'decided_by' | 'text_because'>>;
}

/**
 * Types every column of an all-text frame (see the rules above), or as `forced` says (`column_types`): returns
 * a frame of the same shape and why each column got its type. Empty fields must already be null (the CSV
 * reader reads `''` as null: CSV cannot tell an empty string from a missing value across writers, so `""`
 * reads as an empty field does).
 * Throws a 422 TaskError naming the data row (1-based) and column of the first value a forced type cannot hold.
 *
 * Cost: each column's first candidate (from the sample) is checked and converted in one `select` over the
 * whole frame, which Polars runs off this thread, column beside column; `alongside` (the reader's row-shape
 * check) runs on this thread meanwhile, and what it throws is thrown. Only a column that fails its candidate
 * (it turns to text late, or needs a decimal) is then tried again, type by type.
 */
export async function inferTypes(frame: pl.DataFrame, forced: Readonly<Record<string, ForcibleType>> = {}, alongside?: () => void): Promise<TypedColumns> {
  const decisions: TypedColumns['decisions'] = new Map();
  if (frame.width === 0) {
    alongside?.();
    return { frame, decisions };
  }
  const sample = frame.head(SAMPLE_ROWS);
  const firstTry = new Map<string, number>(); // column → index of its candidate rule
  for (const name of frame.columns) {
    if (forced[name] !== undefined) continue;
    const values = sampleValues(sample, name);
    const at = values.length ? RULES.findIndex((rule) => values.every((v) => rule.js.test(v))) : -1;
    if (at >= 0 && RULES[at].perValue !== false) firstTry.set(name, at);
  }
  // One plan for every candidate: a value that fails its rule's check becomes null, so a column passes when
  // its typed form has no more nulls than its text.
  const pending = firstTry.size
    ? frame
        .lazy()
        .select(...[...firstTry].map(([name, at]) => checked(RULES[at], pl.col(name), frame.getColumn(name)).alias(name)))
        .collect()
    : undefined;
  try {
    alongside?.();
  } catch (err) {
    await pending?.catch(() => undefined);
    throw err;
  }
  const tried = await pending;
  const columns = frame.columns.map((name) => {
    const type = forced[name];
    if (type !== undefined) {
      decisions.set(name, { decided_by: 'column_types' });
      return forcedColumn(frame, name, type);
    }
    const at = firstTry.get(name);
    const text = frame.getColumn(name);
    if (at !== undefined && tried) {
      const typed = tried.getColumn(name);
      if (typed.nullCount() === text.nullCount()) {
        decisions.set(name, { decided_by: 'inferred' });
        return typed;
      }
    }
    const { series, text_because } = typedColumn(frame, name, sampleValues(sample, name), at === undefined ? 0 : at + 1);
    decisions.set(name, text_because ? { decided_by: 'inferred', text_because } : { decided_by: 'inferred' });
    return series;
  });
  return { frame: pl.DataFrame(columns), decisions };
}

/** The column converted by `rule` where the value passes the rule's whole check, null elsewhere. */
const checked = (rule: Rule, c: pl.Expr, text: pl.Series): pl.Expr => pl.when(valid(rule, c)).then(rule.convert(c, text)!).otherwise(pl.lit(null));

/**
 * True for each value that has the rule's pattern (and is exact in its type, when the rule says how to tell) —
 * or, for a rule with a `shape` test, for each value that has it if it converts: callers count a value as the
 * type's only where it is also converted (checked, or a conversion with no more nulls than the text).
 */
const valid = (rule: Rule, c: pl.Expr): pl.Expr => (rule.exact ? matches(rule, c).and(rule.exact(c)) : matches(rule, c));

/** The rule's whole-column pattern test (its regex, or its shape test). */
const matches = (rule: Rule, c: pl.Expr): pl.Expr => (rule.shape ? rule.shape(c) : c.str.contains(rule.polars));

function sampleValues(sample: pl.DataFrame, name: string): string[] {
  return (sample.getColumn(name).toArray() as (string | null)[]).filter((v): v is string => v !== null);
}

/** The column typed by the first rule from `from` on that the sample and then the whole column pass; text otherwise. */
function typedColumn(frame: pl.DataFrame, name: string, sample: string[], from: number): { series: pl.Series; text_because?: ColumnDecision['text_because'] } {
  const text = frame.getColumn(name);
  const nonNull = text.len() - text.nullCount();
  if (nonNull === 0) return { series: text };
  const c = pl.col(name);
  for (const rule of RULES.slice(from)) {
    if (!sample.every((v) => rule.js.test(v))) continue;
    const matching = Number(frame.select(valid(rule, c).sum().alias('n')).getColumn('n').get(0) ?? 0);
    if (matching !== nonNull) continue;
    const converted = rule.convert(c, text);
    if (converted === undefined) continue;
    const typed = frame.select(converted.alias(name)).getColumn(name);
    // A value can match its pattern and still not convert (Int64 overflow, 2024-02-30): try the next type.
    if (typed.nullCount() === text.nullCount()) return { series: typed };
  }
  // Text. If its first value looked like a type, say which value made it text (shown with the version).
  const candidate = RULES.find((rule) => rule.js.test(sample[0]));
  if (!candidate) return { series: text };
  // The first value the candidate does not hold: off its pattern, or of its shape but no value (2024-02-30).
  const fails = candidate.perValue === false ? valid(candidate, c).not() : checked(candidate, c, text).isNull();
  const first = firstRow(frame, name, fails);
  return { series: text, text_because: first && { candidate: portable(candidate), ...first } };
}

/**
 * The first data row (1-based) where `where` holds and the column is not null, with the column's value there
 * as Polars writes it (this binding misreads a UInt64 above Int64's range as -1).
 */
function firstRow(frame: pl.DataFrame, name: string, where: pl.Expr): { row: number; value: string } | undefined {
  const hit = frame.withRowIndex('__row', 1).filter(where.and(pl.col(name).isNotNull())).head(1);
  return hit.height ? { row: Number(hit.getColumn('__row').get(0)), value: String(hit.select(pl.col(name).cast(pl.Utf8)).getColumn(name).get(0)) } : undefined;
}

/**
 * `column_types`: the column converted to `type` by the rules' own conversions (any of the datetime spellings),
 * with no exactness check — the client asked for the type — but never a value lost: a value the type cannot
 * hold is a 422 naming its row and column.
 */
function forcedColumn(frame: pl.DataFrame, name: string, type: ForcibleType): pl.Series {
  const text = frame.getColumn(name);
  if (type === 'string') return text;
  const c = pl.col(name);
  let failure: { row: number; value: string } | undefined;
  for (const rule of RULES.filter((r) => portable(r) === type)) {
    // Numbers are cast as Polars reads them (`007` is 7); other types only from values of their pattern,
    // since their parsers raise on a value that does not fit rather than give null.
    const candidates = type === 'integer' || type === 'float' ? frame : frame.select(pl.when(matches(rule, c)).then(c).otherwise(pl.lit(null)).alias(name));
    const converted = rule.convert(c, candidates.getColumn(name));
    const typed = converted && candidates.select(converted.alias(name)).getColumn(name);
    if (typed && typed.nullCount() === text.nullCount()) return typed;
    if (typed) failure ??= firstRow(pl.DataFrame([text, typed.alias('__typed')]), name, pl.col('__typed').isNull());
  }
  const where = failure ? `data row ${failure.row}, column ${JSON.stringify(name)}: ${JSON.stringify(failure.value)}` : `column ${JSON.stringify(name)}`;
  throw unreadable(`column_types asks for ${type}, but ${where} is not a${/^[aeiou]/.test(type) ? 'n' : ''} ${type}${type === 'decimal' ? ' of at most 38 digits' : ''}; nothing was stored`);
}

/**
 * 400 when `column_types` names a column that is not among `names` (the columns read); `scope` says where
 * they were looked for, e.g. `the file` or `no sheet read`.
 */
export function checkForcedNames(forced: Readonly<Record<string, ForcibleType>> | undefined, names: readonly string[], scope: string): void {
  const unknown = Object.keys(forced ?? {}).filter((name) => !names.includes(name));
  if (unknown.length === 0) return;
  throw new TaskError(
    400,
    'invalid_request',
    `column_types names ${unknown.map((n) => JSON.stringify(n)).join(', ')}, which ${scope}; the columns read: ${names.map((n) => JSON.stringify(n)).join(', ')}`,
  );
}

/**
 * `column_types` for a frame whose columns already have types (Excel, Parquet): text columns are converted by
 * the CSV rules (forcedColumn), others cast; a value that does not survive the cast is a 422 naming its data
 * row and column. Columns not named in `forced` are kept as they are.
 */
export function forceTypes(frame: pl.DataFrame, forced: Readonly<Record<string, ForcibleType>>): pl.DataFrame {
  if (!frame.columns.some((name) => forced[name] !== undefined)) return frame;
  return pl.DataFrame(
    frame.getColumns().map((series) => {
      const type = forced[series.name];
      if (type === undefined) return series;
      if (isText(series.dtype)) return forcedColumn(frame, series.name, type);
      const refuse = (where: string, why = 'cannot be one') => {
        throw unreadable(`column_types asks for ${type}, but ${where} (${exactType(series.dtype)}) ${why}; nothing was stored`);
      };
      const column = `column ${JSON.stringify(series.name)}`;
      try {
        // Decimals keep the source's scale (a float's digits are as many as Polars prints).
        const scale = (series.dtype as { scale?: number }).scale;
        const target = { string: pl.Utf8, integer: pl.Int64, float: pl.Float64, decimal: pl.Decimal(38, scale ?? 9), boolean: pl.Bool, date: pl.Date, datetime: pl.Datetime('us') }[type];
        const cast = series.cast(target, false);
        if (type === 'string') return cast; // text holds every value
        // A value is lost when the cast gives null, or one that does not cast back to it: 1.5 → 1, a
        // datetime → its date, 2^64−1 → a float.
        const both = pl.DataFrame([series.alias('__source'), cast.alias('__typed'), cast.cast(series.dtype, false).alias('__back')]);
        let lost = pl.col('__source').isNotNull().and(pl.col('__typed').isNull().or(pl.col('__back').neq(pl.col('__source'))));
        // Casting back saturates (2^64 as a float becomes UInt64's maximum again): integers beyond 2^53 are
        // no float's exact value.
        if (type === 'float' && /^U?Int/.test(String(series.dtype.variant))) {
          lost = lost.or(pl.col('__source').cast(pl.Float64).abs().gt(pl.lit(2 ** 53)));
        }
        if (Number(both.select(lost.sum().alias('n')).getColumn('n').get(0) ?? 0) === 0) return cast;
        const hit = firstRow(both, '__source', lost);
        return refuse(hit ? `data row ${hit.row}, ${column}: ${JSON.stringify(hit.value)}` : column);
      } catch (err) {
        if (err instanceof TaskError) throw err;
        return refuse(column, `cannot be converted (${String((err as Error).message ?? err).split('\n')[0]})`);
      }
    }),
  );
}
