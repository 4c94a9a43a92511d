/**
 * Polars columns → Excel cell values and number formats, per type (the rules in README "Querying and
 * exporting"). A value Excel holds exactly becomes a number, boolean or date/time serial; any other value of
 * the column becomes text, decided per value (so one column may mix both).
 */
import pl from 'nodejs-polars';
import { excelSerialFromMs } from '../readers/excel-serial.js';
import { TaskError } from '../task-error.js';
import { jsonReady } from './json.js';
import { neutralizedText } from './neutralize.js';

/** Excel's sheet limits (Microsoft's "Excel specifications and limits"): rows including the header, columns, characters in a cell. */
export const XLSX_MAX_ROWS = 1_048_576;
export const XLSX_MAX_COLUMNS = 16_384;
export const XLSX_MAX_CELL_CHARS = 32_767;

const MS_PER_DAY = 86_400_000;
/** Excel shows about 15 significant digits of a number; a decimal with more is written as text. */
const EXCEL_DIGITS = 15;

export const FORMATS = { date: 'yyyy-mm-dd', datetime: 'yyyy-mm-dd hh:mm:ss', time: 'hh:mm:ss', duration: '[h]:mm:ss' } as const;
const withMillis = (format: string) => `${format}.000`;

export type Cell = number | boolean | string | null;
type Kind = 'number' | 'int64' | 'decimal' | 'boolean' | 'text' | 'date' | 'datetime' | 'time' | 'duration' | 'json' | 'null';

/** How one column is written: its kind, and the Polars expression that brings it to a JavaScript-readable form. */
export interface XlsxColumn {
  name: string;
  kind: Kind;
  /** Absent for `json` (nested values are written by Polars' JSON writer, see jsonTexts). */
  expr?: pl.Expr;
}

/** One column of a batch, ready to write: a value per row and, for temporal columns, a number format per row. */
export interface CellColumn {
  cells: Cell[];
  formats?: (string | undefined)[];
}

/**
 * The plan for each column from its Polars type. `csv_safe` (neutralizeFormulas) applies to text columns
 * (String, Categorical, Enum) only: other text (a big integer such as `-9223372036854775808`, base64, JSON, ISO
 * dates) is a rendering of a typed value and is never prefixed.
 */
export function xlsxColumns(names: string[], dtypes: pl.DataType[], neutralizeFormulas: boolean): XlsxColumn[] {
  return names.map((name, i) => {
    const dtype = dtypes[i] as pl.DataType & { timeZone?: string };
    const col = pl.col(name);
    const text = (e: pl.Expr) => (neutralizeFormulas ? neutralizedText(e) : e);
    switch (String(dtype.variant)) {
      case 'Int8':
      case 'Int16':
      case 'Int32':
      case 'UInt8':
      case 'UInt16':
      case 'UInt32':
      case 'Float32':
      case 'Float64':
        return { name, kind: 'number', expr: col };
      case 'Int64':
      case 'UInt64':
        return { name, kind: 'int64', expr: col.cast(pl.Utf8) };
      case 'Decimal':
        return { name, kind: 'decimal', expr: col.cast(pl.Utf8) };
      case 'Bool':
        return { name, kind: 'boolean', expr: col };
      case 'String':
      case 'Utf8':
        return { name, kind: 'text', expr: text(col) };
      case 'Categorical':
      case 'Enum':
        return { name, kind: 'text', expr: text(col.cast(pl.Utf8)) };
      case 'Binary':
        return { name, kind: 'text', expr: col.str.encode('base64') };
      case 'Date':
        return { name, kind: 'date', expr: col.cast(pl.Utf8) };
      case 'Datetime':
        return dtype.timeZone
          ? { name, kind: 'text', expr: col.dt.strftime('%Y-%m-%dT%H:%M:%S%.f%:z') }
          : { name, kind: 'datetime', expr: col.dt.strftime('%Y-%m-%dT%H:%M:%S%.f') };
      case 'Time':
        // Not a cast to String, which drops the fraction of a second in this Polars.
        return { name, kind: 'time', expr: col.dt.strftime('%H:%M:%S%.f') };
      case 'Duration':
        // Through nanoseconds whatever the stored unit (this binding may report the unit wrongly); strict, so a
        // duration past ±292 years is an error rather than a null.
        return { name, kind: 'duration', expr: col.cast(pl.Duration('ns'), true).cast(pl.Int64).cast(pl.Utf8) };
      case 'List':
      case 'FixedSizeList': // Polars' Array; this binding names the variant FixedSizeList
      case 'Array':
      case 'Struct':
        return { name, kind: 'json' };
      case 'Null':
        return { name, kind: 'null', expr: col };
      default:
        return { name, kind: 'text', expr: col.cast(pl.Utf8) };
    }
  });
}

/**
 * The cells of every column of `batch`, column by column. `firstRow` is the sheet row of the batch's first
 * row (1-based, the header being row 1), for the error naming a cell over Excel's character limit.
 */
export function batchCells(batch: pl.DataFrame, columns: XlsxColumn[], firstRow: number): CellColumn[] {
  const plain = columns.filter((c) => c.kind !== 'json');
  const prepared = plain.length ? batch.select(...plain.map((c) => c.expr!.alias(c.name))) : undefined;
  return columns.map((c, ci) => {
    const raw: unknown[] = c.kind === 'json' ? jsonTexts(batch, c.name) : prepared!.getColumn(c.name).toArray();
    const out: CellColumn = { cells: new Array(raw.length) };
    if (c.kind === 'date' || c.kind === 'datetime' || c.kind === 'time' || c.kind === 'duration') out.formats = new Array(raw.length);
    for (let r = 0; r < raw.length; r++) {
      const v = raw[r];
      if (v === null || v === undefined) {
        out.cells[r] = null;
        continue;
      }
      const cell = toCell(c.kind, v, out, r);
      if (typeof cell === 'string' && cell.length > XLSX_MAX_CELL_CHARS) throw tooLong(cell.length, ci, c.name, firstRow + r);
      out.cells[r] = typeof cell === 'string' ? xmlSafe(cell) : cell;
    }
    return out;
  });
}

function toCell(kind: Kind, v: unknown, out: CellColumn, r: number): Cell {
  switch (kind) {
    case 'number': {
      const n = v as number;
      if (Number.isFinite(n)) return n;
      return Number.isNaN(n) ? 'NaN' : n > 0 ? 'inf' : '-inf'; // as the CSV export writes them
    }
    case 'int64': {
      const n = Number(v);
      return Number.isSafeInteger(n) ? n : (v as string);
    }
    case 'decimal':
      return significantDigits(v as string) <= EXCEL_DIGITS ? Number(v) : (v as string);
    case 'boolean':
      return v as boolean;
    case 'date':
      return temporal(dateMs(v as string), FORMATS.date, v as string, out, r, (ms) => excelSerialFromMs(ms));
    case 'datetime':
      return temporal(datetimeMs(v as string), FORMATS.datetime, v as string, out, r, (ms) => excelSerialFromMs(ms));
    case 'time':
      return temporal(timeMs(v as string), FORMATS.time, v as string, out, r, (ms) => ms / MS_PER_DAY);
    case 'duration': {
      const ns = BigInt(v as string);
      if (ns % 1_000_000n !== 0n) return isoDuration(ns);
      return temporal(Number(ns / 1_000_000n), FORMATS.duration, '', out, r, (ms) => ms / MS_PER_DAY);
    }
    default:
      return v as string;
  }
}

/** A serial number with its format (`.000` added when the value has milliseconds), or `text` when Excel cannot show it. */
function temporal(ms: number | null, format: string, text: string, out: CellColumn, r: number, serial: (ms: number) => number | null): Cell {
  const value = ms === null ? null : serial(ms);
  if (value === null) return text;
  out.formats![r] = ms! % 1000 === 0 ? format : withMillis(format);
  return value;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;
const TIME = /^(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/;

/** Milliseconds of a fraction of a second's digits; null when it has digits below the millisecond. */
function fractionMs(digits: string | undefined): number | null {
  if (!digits) return 0;
  if (/[1-9]/.test(digits.slice(3))) return null;
  return Number(digits.slice(0, 3).padEnd(3, '0'));
}

/** Dates before year 1900 are written as text anyway; so are years Date.UTC would misread (0–99). */
function utcMs(y: string, mo: string, d: string, h = '0', mi = '0', s = '0', frac = 0): number | null {
  const year = Number(y);
  return year < 1900 ? null : Date.UTC(year, Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), frac);
}

function dateMs(text: string): number | null {
  const m = DATE.exec(text);
  return m ? utcMs(m[1], m[2], m[3]) : null;
}

function datetimeMs(text: string): number | null {
  const m = DATETIME.exec(text);
  const frac = m ? fractionMs(m[7]) : null;
  return m && frac !== null ? utcMs(m[1], m[2], m[3], m[4], m[5], m[6], frac) : null;
}

function timeMs(text: string): number | null {
  const m = TIME.exec(text);
  const frac = m ? fractionMs(m[4]) : null;
  return m && frac !== null ? ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3])) * 1000 + frac : null;
}

/** ISO 8601 duration in seconds with every digit: `PT0.000001S`, `-PT90.5S`. */
function isoDuration(ns: bigint): string {
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  const frac = String(abs % 1_000_000_000n).padStart(9, '0').replace(/0+$/, '');
  return `${sign}PT${abs / 1_000_000_000n}${frac ? `.${frac}` : ''}S`;
}

/** Significant digits of a decimal's text (`-0.0012300` → 3). */
function significantDigits(text: string): number {
  return text.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length;
}

/**
 * Each nested value (list, array, struct) of a column as JSON text, written by Polars' JSON writer as the
 * JSON pages write it (every digit of 64-bit integers kept); null for a null value.
 */
export function jsonTexts(frame: pl.DataFrame, name: string): (string | null)[] {
  if (frame.height === 0) return [];
  const lines = jsonReady(frame.select(pl.col(name).alias('v')))
    .writeJSON({ format: 'lines' })
    .toString('utf8')
    .split('\n');
  const out: (string | null)[] = new Array(frame.height);
  // Each line is {"v":<value>}.
  for (let r = 0; r < frame.height; r++) {
    const value = lines[r].slice(5, -1);
    out[r] = value === 'null' ? null : value;
  }
  return out;
}

/**
 * Text as an OOXML string can carry it: characters XML 1.0 cannot hold (controls other than tab and line feed;
 * carriage return, which XML parsers would turn into a line feed; U+FFFE, U+FFFF) as `_xHHHH_`, and text that
 * already looks like such an escape gets its `_` escaped (`_x005F_`), as Excel does. Readers (Excel, SheetJS,
 * this service) decode both. Without this exceljs would silently drop those characters.
 */
export function xmlSafe(text: string): string {
  return /[\u0000-\u0008\u000b-\u001f\u007f\ufffe\uffff]|_x[0-9a-fA-F]{4}_/.test(text)
    ? text.replace(/[\u0000-\u0008\u000b-\u001f\u007f\ufffe\uffff]|_(?=x[0-9a-fA-F]{4}_)/g, (ch) =>
        ch === '_' ? '_x005F_' : `_x${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}_`,
      )
    : text;
}

/** `A` … `XFD` for a 0-based column index. */
export function columnLetters(index: number): string {
  let s = '';
  for (let n = index + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

/** The 4xx for a cell over Excel's limit; `row` is the sheet row (1-based, header = 1). */
export function tooLong(length: number, columnIndex: number, column: string, row: number): TaskError {
  return new TaskError(
    400,
    'invalid_request',
    `cell ${columnLetters(columnIndex)}${row} (column ${JSON.stringify(column)}, sheet row ${row}, the header being row 1) holds ` +
      `${length.toLocaleString('en-US')} characters; an Excel cell holds at most ${XLSX_MAX_CELL_CHARS.toLocaleString('en-US')}. ` +
      'The xlsx export is refused rather than cut short: filter that row out, leave the column out (columns=), or export as CSV, NDJSON or Parquet',
  );
}
