import pl from 'nodejs-polars';

/**
 * Types for a CSV read entirely as text, decided from every value of each column (Polars alone looks at the
 * first rows and then fails, or turns `007` into 7 and a 20-digit number into null). A column becomes
 * the first type below that every non-null value has, and text otherwise, so no value is altered:
 *   boolean   true/false in any case
 *   integer   -?digits without leading zeros, within Int64 (larger stays text, never a rounded float)
 *   float     decimal or exponent notation, NaN, inf; no leading zeros, at most 15 integer digits
 *   date      YYYY-MM-DD (a real calendar date)
 *   datetime  YYYY-MM-DD[T| ]HH:MM:SS[.fraction up to 6 digits], optionally Z or ±HH:MM (then stored in UTC)
 */
const RULES = [
  { type: 'boolean', pattern: '^(?i:true|false)$' },
  { type: 'integer', pattern: '^-?(0|[1-9][0-9]*)$' },
  { type: 'float', pattern: '^-?((0|[1-9][0-9]{0,14})(\\.[0-9]*)?|\\.[0-9]+)([eE][+-]?[0-9]+)?$|^(?i:[+-]?(nan|inf|infinity))$' },
  { type: 'date', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
  { type: 'datetime', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?$' },
  { type: 'datetime_space', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?$' },
  { type: 'datetime_zoned', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$' },
] as const;

type Rule = (typeof RULES)[number]['type'];

export function inferTypes(frame: pl.DataFrame): pl.DataFrame {
  const names = frame.columns;
  if (names.length === 0 || frame.height === 0) return frame;
  const counts = frame.select(
    ...names.flatMap((n, i) => [
      pl.col(n).count().alias(`${i}:n`),
      ...RULES.map((r) => pl.col(n).str.contains(r.pattern).sum().alias(`${i}:${r.type}`)),
    ]),
  );
  const count = (key: string) => Number(counts.getColumn(key).get(0) ?? 0);

  const exprs = names.map((n, i) => {
    const nonNull = count(`${i}:n`);
    const rule = nonNull === 0 ? undefined : RULES.find((r) => count(`${i}:${r.type}`) === nonNull)?.type;
    return { name: n, nonNull, expr: rule ? parseAs(n, rule) : undefined };
  });
  const typed = frame.select(...exprs.map((e) => (e.expr ?? pl.col(e.name)).alias(e.name)));
  // A value that matched its pattern can still fail to convert (Int64 overflow, 2024-02-30): then the
  // column stays text, whole.
  const keep = exprs.map((e) => e.expr !== undefined && typed.getColumn(e.name).nullCount() === frame.height - e.nonNull);
  return pl.DataFrame(names.map((n, i) => (keep[i] ? typed : frame).getColumn(n)));
}

function parseAs(name: string, rule: Rule): pl.Expr {
  const c = pl.col(name);
  switch (rule) {
    case 'boolean':
      return pl.when(c.isNull()).then(pl.lit(null)).otherwise(c.str.toLowerCase().eq(pl.lit('true')));
    case 'integer':
      return c.cast(pl.Int64, false);
    case 'float':
      return c.cast(pl.Float64, false);
    case 'date':
      return c.str.strptime(pl.Date, '%Y-%m-%d');
    case 'datetime':
      return c.str.strptime(pl.Datetime('ms'), '%Y-%m-%dT%H:%M:%S%.f').cast(pl.Datetime('us'));
    case 'datetime_space':
      return c.str.strptime(pl.Datetime('ms'), '%Y-%m-%d %H:%M:%S%.f').cast(pl.Datetime('us'));
    case 'datetime_zoned':
      return c.str.replace('Z$', '+00:00').str.replace(' ', 'T').str.strptime(pl.Datetime('ms'), '%Y-%m-%dT%H:%M:%S%.f%:z');
  }
}
