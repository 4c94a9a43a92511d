import pl from 'nodejs-polars';

/**
 * Formula-injection guard for text (CSV and xlsx `csv_safe=true`): a value beginning with `=`, `+`, `-`, `@`,
 * tab or carriage return gets a leading `'`, so a spreadsheet shows it as text instead of running it.
 * `text` must be a String expression; nulls stay null.
 */
export function neutralizedText(text: pl.Expr): pl.Expr {
  return pl.when(text.str.contains('^[=+\\-@\\t\\r]')).then(pl.lit("'").add(text)).otherwise(text);
}
