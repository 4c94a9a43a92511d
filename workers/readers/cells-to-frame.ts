/**
 * Cells → DataFrame, shared by the .xlsx and .xls readers. These rules are part of the product's contract.
 *
 * Header
 *  - The first non-empty row of a sheet is its header; empty rows above it are skipped.
 *  - A header name is the cell rendered as text (see Rendering). A blank header cell (missing, null, or
 *    text that is empty or only whitespace) at 1-based column n is named `column_n`.
 *  - A repeated name gets `_2`, `_3`, …: the first suffix that is neither a name already given nor any
 *    other header cell's name (so `x, x, x_2` → `x, x_3, x_2`). Names are otherwise kept as written
 *    (not trimmed). Same rule as every other format: header-names.ts.
 *  - The frame is as wide as the rightmost non-null cell anywhere in the sheet, header or data: values to
 *    the right of the header are kept under `column_n` names. Columns right of every value are not kept.
 * Rows
 *  - A cell holding an empty string is null.
 *  - Empty rows (every cell null) at the end are dropped; empty rows between data rows are kept as rows
 *    of nulls. A sheet with no non-empty row is a 0×0 frame.
 * Column types, decided from the column's non-null values
 *  - all booleans → Boolean
 *  - all numbers, each an integer within ±(2^53−1) → Int64; all numbers otherwise → Float64
 *  - all dates → Date if every one is exactly midnight UTC, else Datetime(ms) with no time zone
 *    (a Date's UTC fields are the wall-clock value stored in the file)
 *  - all times of day → Time; all durations → Duration(ms)
 *  - all null → String column of nulls
 *  - any mix → String, each value rendered as text
 * Rendering to text (header names, and values in a mixed column)
 *  - number: String(n) (`1`, `0.1`, `-2.5e-7`, `1e+21`); boolean: `true` / `false`
 *  - date: ISO 8601 with no zone: `2024-01-31` at midnight, else `2024-01-31T10:20:30.000`
 *  - time of day: `HH:MM:SS`, with `.fff` when the milliseconds are not zero (`17:00:00.500`)
 *  - duration: ISO 8601 in seconds, as the JSON writer writes Duration columns: `PT129600S` (36 h),
 *    `PT1.5S`, `-PT90S`, and `P0D` for zero
 * Which numbers are dates, times or durations is decided by their number format: number-format.ts.
 */
import pl from 'nodejs-polars';
import { type TaskError, unreadable } from '../task-error.js';
import { uniqueHeader } from './header-names.js';
import { MS_PER_DAY } from './excel-serial.js';

/** A time of day: milliseconds since midnight, 0 ≤ ms < 86,400,000. */
export interface TimeOfDay {
  kind: 'time';
  ms: number;
}
/** An elapsed time: signed milliseconds. */
export interface Duration {
  kind: 'duration';
  ms: number;
}
export type CellValue = null | string | number | boolean | Date | TimeOfDay | Duration;

/** Applies the header rule (first non-empty row) to a whole sheet, then builds the frame. */
export function gridToFrame(grid: CellValue[][], sheetName: string): pl.DataFrame {
  const first = grid.findIndex((row) => row !== undefined && !isEmptyRow(row));
  if (first < 0) return pl.DataFrame({});
  return cellsToFrame(grid[first], grid.slice(first + 1), sheetName);
}

export function cellsToFrame(header: CellValue[], rows: CellValue[][], sheetName: string): pl.DataFrame {
  let height = rows.length;
  while (height > 0 && isEmptyRow(rows[height - 1])) height--;

  let width = lastValueIndex(header) + 1;
  for (let r = 0; r < height; r++) width = Math.max(width, lastValueIndex(rows[r]) + 1);
  if (width === 0) return pl.DataFrame({});

  const names = columnNames(header, width);
  const columns: pl.Series[] = [];
  for (let c = 0; c < width; c++) {
    // Column-oriented: one array per column, never an object per row.
    const values = new Array<CellValue>(height);
    for (let r = 0; r < height; r++) values[r] = valueAt(rows[r], c);
    columns.push(toSeries(names[c], values, sheetName));
  }
  return pl.DataFrame(columns);
}

/** Renders a cell as text, for header names and mixed columns. */
export function renderCell(value: Exclude<CellValue, null>): string {
  if (value instanceof Date) {
    const iso = value.toISOString(); // always UTC: the Date's UTC fields are the stored wall clock
    return isMidnight(value) ? iso.slice(0, 10) : iso.slice(0, -1);
  }
  if (typeof value === 'object') return value.kind === 'time' ? renderTimeOfDay(value.ms) : renderDuration(value.ms);
  return String(value);
}

function renderTimeOfDay(ms: number): string {
  const iso = new Date(ms).toISOString(); // 1970-01-01THH:MM:SS.fffZ
  return ms % 1000 === 0 ? iso.slice(11, 19) : iso.slice(11, 23);
}

function renderDuration(ms: number): string {
  if (ms === 0) return 'P0D';
  const abs = Math.abs(ms);
  const fraction = abs % 1000 ? `.${String(abs % 1000).padStart(3, '0').replace(/0+$/, '')}` : '';
  return `${ms < 0 ? '-' : ''}PT${Math.floor(abs / 1000)}${fraction}S`;
}

/**
 * A workbook whose sheets are all chart (or dialog, macro) sheets has no table to serve: a 422 that says so,
 * rather than a version without sheets. Shared by both readers.
 */
export function noWorksheets(others: string[]): TaskError {
  return unreadable(
    others.length
      ? `the workbook has no worksheet to read: its sheets (${others.map((n) => `"${n}"`).join(', ')}) are chart ` +
          'sheets or other sheets without cells; add a worksheet with the data and upload again'
      : 'the workbook lists no sheets; open it in Excel, save it, and upload again',
  );
}

// ---- internals ----------------------------------------------------------------------------------------

function valueAt(row: CellValue[] | undefined, c: number): CellValue {
  const v = row?.[c];
  return v === undefined || v === '' ? null : v;
}

function lastValueIndex(row: CellValue[] | undefined): number {
  if (!row) return -1;
  for (let c = row.length - 1; c >= 0; c--) if (valueAt(row, c) !== null) return c;
  return -1;
}

function isEmptyRow(row: CellValue[] | undefined): boolean {
  return lastValueIndex(row) < 0;
}

function isMidnight(d: Date): boolean {
  return d.getTime() % MS_PER_DAY === 0;
}

function columnNames(header: CellValue[], width: number): string[] {
  const text: (string | null)[] = [];
  for (let c = 0; c < width; c++) {
    const v = valueAt(header, c);
    text.push(v === null ? null : renderCell(v));
  }
  return uniqueHeader(text); // the same naming as every other format
}

const BOOL = 1;
const INT = 2;
const FLOAT = 4;
const MIDNIGHT = 8;
const DATETIME = 16;
const TEXT = 32;
const TIME = 64;
const DURATION = 128;

function kindOf(v: Exclude<CellValue, null>, sheetName: string, column: string, row: number): number {
  switch (typeof v) {
    case 'boolean':
      return BOOL;
    case 'number':
      return Number.isSafeInteger(v) ? INT : FLOAT;
    case 'string':
      return TEXT;
    default:
      if (!(v instanceof Date)) return v.kind === 'time' ? TIME : DURATION;
      if (Number.isNaN(v.getTime())) {
        throw unreadable(`sheet "${sheetName}", column "${column}", data row ${row + 1}: invalid date`);
      }
      return isMidnight(v) ? MIDNIGHT : DATETIME;
  }
}

function toSeries(name: string, values: CellValue[], sheetName: string): pl.Series {
  let kinds = 0;
  values.forEach((v, r) => {
    if (v !== null) kinds |= kindOf(v, sheetName, name, r);
  });
  try {
    switch (kinds) {
      case BOOL:
        return pl.Series(name, values, pl.Bool);
      case INT:
        // Plain numbers with an Int64 dtype are exact here (all are safe integers); bigint input came back
        // all-null in nodejs-polars 0.24.1.
        return pl.Series(name, values, pl.Int64);
      case FLOAT:
      case INT | FLOAT:
        return pl.Series(name, values, pl.Float64);
      case MIDNIGHT:
        return pl.Series(name, values, pl.Datetime('ms')).cast(pl.Date);
      case DATETIME:
      case MIDNIGHT | DATETIME:
        return pl.Series(name, values, pl.Datetime('ms'));
      case TIME: // from integers (ns since midnight): the binding takes no JavaScript value for a Time
        return pl.Series(name, values.map((v) => (v === null ? null : (v as TimeOfDay).ms * 1e6)), pl.Int64).cast(pl.Time);
      case DURATION:
        return pl.Series(name, values.map((v) => (v === null ? null : (v as Duration).ms)), pl.Int64).cast(pl.Duration('ms'));
      default: // all null, all text, or a mix
        return pl.Series(
          name,
          values.map((v) => (v === null ? null : renderCell(v))),
          pl.Utf8,
        );
    }
  } catch (err) {
    const reason = String((err as Error).message).split('\n')[0];
    throw unreadable(`sheet "${sheetName}", column "${name}": the column could not be built (${reason})`);
  }
}
