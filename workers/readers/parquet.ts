import { readFileSync } from 'node:fs';
import pl from 'nodejs-polars';
import type { SchemaElement } from 'hyparquet';
import { unreadable } from '../task-error.js';
import { firstLine } from './csv.js';
import { uniqueHeader } from './header-names.js';
import { footerColumns, int64Series, parquetTypeName, readColumnRaw, type FooterColumn } from './parquet-footer.js';
import { withUniqueNames } from './parquet-unique-names.js';
import type { ParsedSheet, Source } from './types.js';

/** The most decimal digits the engine's Decimal type holds (Polars' Decimal is 128-bit). */
const MAX_DECIMAL_PRECISION = 38;
const isFixedOffset = (tz: string | null | undefined) => typeof tz === 'string' && /^[+-]\d\d:?\d\d$/.test(tz);
const UNIT: Record<string, 'ms' | 'us' | 'ns'> = { MILLIS: 'ms', MICROS: 'us', NANOS: 'ns' };

/**
 * Parquet: every type Polars reads, kept as it is (dates, zoned datetimes, decimals, nested types), except
 * columns Polars reads wrongly or refuses, which are read from the file by hyparquet instead:
 * - INT96 timestamps (Spark, Hive, Impala): Polars makes them Datetime(ns) and wraps what lies outside
 *   1677–2262 (the 9999-12-31 and 0001-01-01 sentinels); here Datetime(us), or (ns) when a value has
 *   nanoseconds, every instant exact.
 * - timestamps with a fixed-offset zone (`+05:30`, as pandas writes): Polars cannot parse such a zone and
 *   refuses the file; here the same instants in UTC, `Datetime(<unit>, UTC)`.
 * - FLOAT16: widened to Float32, which holds every half-precision value exactly.
 * Two top-level columns with one name (as a join writes them) are both kept, in file order, the repeats renamed
 * as every reader renames them (uniqueHeader: `value`, `value_2`); see withUniqueNames.
 * Refused with a 422 naming the column: decimals wider than 38 digits, raw binary columns (BYTE_ARRAY without
 * a text annotation: the pinned binding panics on a Binary dtype), and those types inside a list or struct.
 */
export async function readParquet(source: Source): Promise<ParsedSheet[]> {
  const { columns: footer } = footerColumns(source);
  for (const c of footer) refuseUnholdable(c);
  // Repeated names (as a join writes them): read a copy in which the repeats have unique placeholder names,
  // then name the columns as every reader does (`value`, `value_2`).
  const bytesOf = (s: Source) => (s.kind === 'path' ? readFileSync(s.path) : Buffer.from(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength));
  const unique = withUniqueNames(() => bytesOf(source), footer);
  const read: Source = unique ? { kind: 'bytes', bytes: unique.bytes } : source;
  const columns = unique ? footer.map((c, i) => ({ ...c, name: unique.names[i] })) : footer;
  const special = columns.filter(needsOwnReading);
  let frame: pl.DataFrame;
  try {
    if (special.length === 0) {
      frame =
        read.kind === 'path'
          ? pl.scanParquet(read.path).collectSync() // not readParquet: it takes a path without ".parquet" (staging/<key>/source) for inline bytes
          : pl.readParquet(bytesOf(read));
    } else {
      const rest = columns.filter((c) => !special.includes(c)).map((c) => c.name);
      frame = rest.length ? pl.readParquet(bytesOf(read), { columns: rest }) : pl.DataFrame({});
    }
  } catch (err) {
    // The footer was read, so the file is Parquet: name what Polars said.
    throw unreadable(`not a readable Parquet file (damaged data pages, or a type the engine cannot hold): ${firstLine(err)}`);
  }
  if (special.length > 0) {
    const own = new Map<string, pl.Series>();
    for (const c of special) own.set(c.name, await readOwn(read, c));
    frame = pl.DataFrame(columns.map((c) => own.get(c.name) ?? frame.getColumn(c.name)));
  }
  if (!unique) return [{ name: 'Sheet1', frame }];
  const header = uniqueHeader(footer.map((c) => c.name));
  return [{ name: 'Sheet1', frame: frame.select(...columns.map((c, i) => pl.col(c.name).alias(header[i]))) }];
}

function needsOwnReading(c: FooterColumn): boolean {
  if (c.nested) return false;
  const { element } = c;
  return element.type === 'INT96' || element.logical_type?.type === 'FLOAT16' || isFixedOffset((c.arrow?.type as { timezone?: string } | undefined)?.timezone);
}

/** 422 for a column the engine cannot hold without loss, naming it and its type. */
function refuseUnholdable(c: FooterColumn): void {
  const refuse = (element: SchemaElement, why: string) => {
    throw unreadable(`column "${c.name}"${element === c.element ? '' : ` (its field "${element.name}")`} is ${parquetTypeName(element)}: ${why}; nothing was stored`);
  };
  const check = (element: SchemaElement, inside: boolean) => {
    // Raw bytes (BYTE_ARRAY with no text annotation): this engine build panics when it hands a Binary dtype over.
    const text = ['STRING', 'ENUM', 'JSON'].includes(element.logical_type?.type ?? '') || ['UTF8', 'ENUM', 'JSON'].includes(element.converted_type ?? '');
    if (element.type === 'BYTE_ARRAY' && !text && element.logical_type?.type !== 'DECIMAL' && element.converted_type !== 'DECIMAL') {
      refuse(element, 'raw binary values, which this engine build (nodejs-polars 0.24.1) cannot hold; store them as base64 or hex text, or leave the column out');
    }
    const precision = element.logical_type?.type === 'DECIMAL' ? element.logical_type.precision : element.converted_type === 'DECIMAL' ? element.precision : undefined;
    if (precision !== undefined && precision > MAX_DECIMAL_PRECISION) refuse(element, `the engine holds decimals of at most ${MAX_DECIMAL_PRECISION} digits`);
    if (inside && (element.type === 'INT96' || element.logical_type?.type === 'FLOAT16')) refuse(element, 'this type is read only as a top-level column');
  };
  check(c.element, false);
  for (const element of c.descendants) check(element, true);
  if (c.nested) {
    if (JSON.stringify(c.arrow?.type ?? '').includes('"timezone":"+') || /timezone":"-\d/.test(JSON.stringify(c.arrow?.type ?? ''))) {
      throw unreadable(`column "${c.name}" holds timestamps with a fixed-offset zone inside a list or struct, which the engine cannot read; nothing was stored`);
    }
  }
}

/** A column hyparquet reads, as the Polars series that holds it exactly (see readParquet). */
async function readOwn(source: Source, c: FooterColumn): Promise<pl.Series> {
  const values = await readColumnRaw(source, c.name);
  const { element } = c;
  if (element.logical_type?.type === 'FLOAT16') return pl.Series(c.name, values as (number | null)[], pl.Float64).cast(pl.Float32);
  if (element.type === 'INT96') {
    const nanos = values as (bigint | null)[];
    const micros = nanos.every((v) => v == null || v % 1000n === 0n);
    const counts = micros ? nanos.map((v) => (v == null ? null : v / 1000n)) : nanos;
    try {
      return int64Series(c.name, counts).cast(pl.Datetime(micros ? 'us' : 'ns'));
    } catch {
      throw unreadable(`column "${c.name}" (INT96) holds instants with nanoseconds outside 1677–2262, which the engine cannot hold; nothing was stored`);
    }
  }
  // A timestamp with a fixed-offset zone: Parquet stores it as a count of its unit since the epoch, in UTC.
  const logical = element.logical_type;
  const unit = logical?.type === 'TIMESTAMP' ? UNIT[logical.unit] : element.converted_type === 'TIMESTAMP_MILLIS' ? 'ms' : 'us';
  return int64Series(c.name, values as (bigint | null)[]).cast(pl.Datetime(unit, 'UTC'));
}
