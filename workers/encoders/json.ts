import pl from 'nodejs-polars';
import type { PageEnvelope } from '../protocol.js';
import { nativeOf, wrapped, written, type NativeFrame } from '../native-frame.js';
import { ownedCopy } from '../transfer.js';
import { notRepresentable } from '../task-error.js';

type DType = pl.DataType & { timeZone?: string; __inner?: DType; fields?: { name: string; dtype: DType }[] };

const isNaiveDatetime = (dt: DType) => String(dt.variant) === 'Datetime' && !dt.timeZone;
/**
 * Types Polars' JSON writer gets right as they are (naive datetimes aside, see fixNaiveDatetimes): times with
 * every fraction digit (`08:30:00.123456789`), durations as ISO 8601 in seconds (`PT129600S`, `-PT90S`, `P0D`).
 */
const WRITTEN_AS_IS = new Set(['Int8', 'Int16', 'Int32', 'UInt8', 'UInt16', 'UInt32', 'Float32', 'Float64', 'Bool', 'Utf8', 'String', 'Date', 'Datetime', 'Decimal', 'Null', 'Time', 'Duration']);
const NESTED = new Set(['List', 'FixedSizeList', 'Struct']);

/** The inner types of a list, fixed-size list or struct type (none for a flat type). */
function innerTypes(dt: DType): DType[] {
  if (dt.fields) return dt.fields.map((f) => f.dtype);
  return dt.__inner ? [dt.__inner] : [];
}

/** Whether binary values sit anywhere inside this nested type (Polars' text writers panic on them). */
const holdsBinary = (dt: DType): boolean => innerTypes(dt).some((t) => String(t.variant) === 'Binary' || holdsBinary(t));

/**
 * A binary column as base64 text, null kept. This binding has no binary encoder, so the bytes come out as
 * lists of UInt8 and are encoded here (per value, in the worker).
 */
function base64Series(s: pl.Series): pl.Series {
  const bytes = s.cast(pl.List(pl.UInt8)).toArray() as (number[] | null)[];
  return pl.Series(s.name, bytes.map((b) => (b === null ? null : Buffer.from(b).toString('base64'))), pl.Utf8);
}

/** 400 for a column a text format cannot hold: binary inside a list or struct. */
function refuseNestedBinary(frame: pl.DataFrame, format: string): void {
  frame.dtypes.forEach((dt, i) => {
    if (NESTED.has(String(dt.variant)) && holdsBinary(dt as DType)) {
      throw notRepresentable(
        `column "${frame.columns[i]}" holds binary values inside a ${String(dt.variant).toLowerCase()}, which ${format} cannot write; ` +
          'ask for Arrow or Parquet, or leave the column out with columns=',
      );
    }
  });
}

/** `frame` with every binary column as base64 text. */
function binaryAsBase64(frame: pl.DataFrame): pl.DataFrame {
  const binary = frame.dtypes.flatMap((dt, i) => (String(dt.variant) === 'Binary' ? [frame.columns[i]] : []));
  return binary.length ? frame.withColumns(...binary.map((name) => base64Series(frame.getColumn(name)))) : frame;
}

/**
 * Casts the columns whose Polars JSON form is not the contract's: naive datetimes (Polars writes a space,
 * ISO 8601 wants `T`), categoricals, binary (base64), and 64-bit integers when a client asks for strings.
 * Everything else is written by Polars' own writer, which keeps integers exact, writes floats in
 * shortest round-trip form, NaN and ±Infinity as null, dates as `YYYY-MM-DD`, zoned datetimes as RFC 3339,
 * times with every fraction digit, durations as ISO 8601 (`PT129600S`) and decimals as strings with every digit.
 * Binary inside a list or struct is a 400 (see refuseNestedBinary).
 */
export function jsonReady(frame: pl.DataFrame, int64AsString = false): pl.DataFrame {
  refuseNestedBinary(frame, 'JSON');
  const dtypes = frame.dtypes;
  const exprs = frame.columns.map((name, i) => {
    const col = pl.col(name);
    const dt = dtypes[i] as DType;
    switch (String(dt.variant)) {
      case 'Datetime':
        return dt.timeZone ? col : col.dt.strftime('%Y-%m-%dT%H:%M:%S%.f');
      case 'Categorical':
      case 'Enum':
        return col.cast(pl.Utf8);
      case 'Int64':
      case 'UInt64':
        return int64AsString ? col.cast(pl.Utf8) : col;
      default:
        return col;
    }
  });
  return binaryAsBase64(frame.select(...exprs));
}

/**
 * The columns Polars' CSV writer cannot write, as text: durations as in JSON (`PT129600S`), binary as base64,
 * and lists, fixed-size lists and structs as one JSON text per cell (`[1,2,3]`, `{"city":"Oslo"}`), written
 * by Polars' JSON encoder. Nulls stay empty cells.
 */
export function csvReady(frame: pl.DataFrame): pl.DataFrame {
  refuseNestedBinary(frame, 'CSV');
  const dtypes = frame.dtypes;
  const exprs = frame.columns.map((name, i) => {
    const variant = String(dtypes[i].variant);
    // The writer's one datetimeFormat has no offset; a zoned column says its offset, as JSON writes it.
    if (variant === 'Datetime' && (dtypes[i] as DType).timeZone) return pl.col(name).dt.strftime('%Y-%m-%dT%H:%M:%S%.f%:z');
    if (variant !== 'Duration' && !NESTED.has(variant)) return pl.col(name);
    // The cell's JSON text, from a one-field struct `{"v":…}`; a duration's is a JSON string, unquoted here.
    const pattern = variant === 'Duration' ? '^\\{"v":"(.*)"\\}$' : '^\\{"v":(.*)\\}$';
    const text = pl.struct([pl.col(name).alias('v')]).struct.jsonEncode().str.replace(pattern, '$1');
    return pl.when(pl.col(name).isNull()).then(pl.lit(null).cast(pl.Utf8)).otherwise(text).alias(name);
  });
  return binaryAsBase64(frame.select(...exprs));
}

/**
 * What the JSON encoder needs to know about a frame's columns, worked out once per schema: asking a frame for
 * its `columns` and `dtypes` builds JavaScript objects in this binding, a good part of a 100-row page's cost.
 */
export interface JsonLayout {
  columns: string[];
  /** Polars' writer gets every column right (naive datetimes aside), per int64 mode: [as numbers, as strings]. */
  writtenAsIs: [boolean, boolean];
  /** `"name":"` of every naive datetime column, as written before its values. */
  naiveDatetimeKeys: Buffer[];
  columnsJson: string;
}

export function jsonLayout(columns: string[], dtypes: pl.DataType[]): JsonLayout {
  const variants = (dtypes as DType[]).map((d) => String(d.variant));
  const plain = variants.every((v) => WRITTEN_AS_IS.has(v) || /^U?Int64$/.test(v));
  return {
    columns,
    writtenAsIs: [plain, plain && !variants.some((v) => /^U?Int64$/.test(v))],
    naiveDatetimeKeys: columns.filter((_, i) => isNaiveDatetime(dtypes[i] as DType)).map((name) => Buffer.from(`${JSON.stringify(name)}:"`)),
    columnsJson: JSON.stringify(columns),
  };
}

/**
 * Rows as a JSON array, e.g. `[{"a":1},{"a":2}]`, in the pieces the writer produced. The common case — flat
 * columns Polars writes as they are — skips jsonReady's select, which costs milliseconds per page even for
 * 100 rows; its naive datetimes are fixed afterwards by fixNaiveDatetimes, in the bytes.
 */
function jsonRowPieces(frame: NativeFrame, int64AsString: boolean, layout: JsonLayout): Uint8Array[] {
  if (layout.columns.length === 0) return [Buffer.from(JSON.stringify(Array.from({ length: frame.height }, () => ({}))))];
  if (!layout.writtenAsIs[int64AsString ? 1 : 0]) return [jsonReady(wrapped(frame), int64AsString).writeJSON({ format: 'json' })];
  return written((sink) => frame.writeJson(sink, { format: 'json' }));
}

/**
 * Turns `"col":"2001-01-01 00:01:00"` into `"col":"2001-01-01T00:01:00"` in place for every naive datetime
 * column (Polars writes a space, ISO 8601 wants `T`). Polars writes no whitespace outside strings, so only
 * spaces are visited (found with Buffer.indexOf, a memchr: 4 µs for a 100-row page of the bench's table where
 * a byte-by-byte scan took 15 µs; where spaces are dense, text columns, it scans bytes instead). A space is a
 * datetime's separator when `-MM-DD` and a year come before it, and before those one of the columns' keys
 * `"col":"` as written, preceded by `{` or `,`: an unescaped quote is never inside a string value, and with no
 * nested columns every such key is that column's. Only for rows written as they are (see jsonRowPieces);
 * jsonReady formats its datetimes itself.
 */
export function fixNaiveDatetimes(rows: Buffer, int64AsString: boolean, layout: JsonLayout): void {
  const keys = layout.naiveDatetimeKeys;
  if (keys.length === 0 || !layout.writtenAsIs[int64AsString ? 1 : 0]) return;
  // Past this many spaces, a byte loop is cheaper than a call per space.
  let calls = rows.length >> 5;
  let sp = rows.indexOf(0x20);
  while (sp >= 0) {
    if (isDatetimeSeparator(rows, sp, keys)) rows[sp] = 0x54;
    if (--calls > 0) {
      sp = rows.indexOf(0x20, sp + 1);
      continue;
    }
    for (let at = sp + 1; at < rows.length; at++) if (rows[at] === 0x20 && isDatetimeSeparator(rows, at, keys)) rows[at] = 0x54;
    return;
  }
}

/** Whether the space at `sp` follows `<key>[-]Y…Y-MM-DD` for one of `keys` (see fixNaiveDatetimes). */
function isDatetimeSeparator(rows: Buffer, sp: number, keys: Buffer[]): boolean {
  if (rows[sp - 3] !== 0x2d || rows[sp - 6] !== 0x2d) return false;
  let i = sp - 7;
  while (i > 0 && rows[i] >= 0x30 && rows[i] <= 0x39) i--;
  if (rows[i] === 0x2d) i--; // a year before 1 is written -0044
  // rows[i] is the quote that opens the value, the last byte of the key.
  next: for (const key of keys) {
    const start = i + 1 - key.length;
    if (start < 1 || (rows[start - 1] !== 0x7b && rows[start - 1] !== 0x2c)) continue;
    for (let j = 0; j < key.length; j++) if (rows[start + j] !== key[j]) continue next;
    return true;
  }
  return false;
}

/** Rows as a JSON array, e.g. `[{"a":1},{"a":2}]` (see jsonRowPieces). */
export function jsonRows(frame: pl.DataFrame, int64AsString = false, layout = jsonLayout(frame.columns, frame.dtypes)): Buffer {
  const rows = Buffer.concat(jsonRowPieces(nativeOf(frame), int64AsString, layout));
  fixNaiveDatetimes(rows, int64AsString, layout);
  return rows;
}

/** What a JSON page body starts with, before its rows' array. */
export const JSON_PAGE_HEAD = Buffer.from('{"data":');

/** What a JSON page body ends with, after its rows' array: the columns and the paging envelope. */
export function jsonPageTail(layout: JsonLayout, envelope: PageEnvelope): Buffer {
  return Buffer.from(`,"columns":${layout.columnsJson},${JSON.stringify(envelope).slice(1)}`);
}

/**
 * The whole JSON page body, encoded here so the main thread only sends bytes. `layout` must describe
 * `frame`'s columns (the sheet's, for a held sheet's slices). (A held sheet's plain pages are copied from
 * blocks written once instead: table/json-blocks.ts, the same bytes.)
 */
export function encodeJsonPage(frame: NativeFrame, envelope: PageEnvelope, int64AsString: boolean, layout: JsonLayout): ArrayBuffer {
  const head = JSON_PAGE_HEAD;
  const pieces = jsonRowPieces(frame, int64AsString, layout);
  const tail = jsonPageTail(layout, envelope);
  const body = ownedCopy(head, ...pieces, tail);
  fixNaiveDatetimes(Buffer.from(body, head.length, body.byteLength - head.length - tail.length), int64AsString, layout);
  return body;
}
