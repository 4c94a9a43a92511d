/**
 * Excel number formats: what a number cell means. Shared by the .xlsx and .xls readers, so both read a
 * workbook the same way.
 *
 * Excel stores dates, times of day and durations as plain numbers (days since the date system's epoch,
 * fractions of a day); only the cell's number format says which. A format code is classified here:
 *  - SheetJS's SSF (`XLSX.SSF.is_date`) decides whether a code shows a date or time at all, and its table
 *    gives the codes of the built-in format ids (a file stores only the id of a built-in format);
 *  - then the code's first section (the one Excel uses for positive numbers) is scanned, skipping what SSF
 *    skips (quoted text, `\x`, `_x`, `*x`, `[Red]`, `[$-409]`), for the parts it shows:
 *      `[h]`, `[mm]`, `[ss]` (elapsed time)              → duration
 *      y, d, e, g, b, or m as a month                     → date   (with time parts too → datetime)
 *      h, s, AM/PM, or m as minutes (after h, before s)   → time
 *    A code SSF calls a date in which the scan finds neither is taken as a date.
 *  - codes that show no date: `@` → text, anything else → number.
 *
 * The value of a number cell under each kind (excelNumberToCell):
 *  - number, text: the number (a number in an `@` cell is still a number; the format only changes how it looks)
 *  - duration: signed elapsed milliseconds, serial × 86,400,000 rounded to the millisecond (36 h = 1.5)
 *  - time: the time of day in milliseconds when the serial is in [0, 1); a serial with a day part is a
 *    datetime (the format hides the day; the cell still holds it)
 *  - date, datetime: see excelSerialToDate; a serial that is not a date Excel or LibreOffice can show
 *    stays a number.
 */
import * as XLSX from '@e965/xlsx';
import type { CellValue } from './cells-to-frame.js';
import { MS_PER_DAY, excelSerialToDate } from './excel-serial.js';

export type FormatKind = 'number' | 'text' | 'date' | 'datetime' | 'time' | 'duration';

/**
 * The kind of a format code (`yyyy-mm-dd`, `[h]:mm:ss`, `0.00`, `@` …); see the module header. Never throws:
 * a code SSF cannot parse is a number format.
 */
export function formatKind(code: string): FormatKind {
  let isDate = false;
  try {
    isDate = XLSX.SSF.is_date(code) === true;
  } catch {
    isDate = false;
  }
  const parts = scanSection(firstSection(code));
  if (!isDate) return parts.text && !parts.digits ? 'text' : 'number';
  if (parts.elapsed) return 'duration';
  if (parts.date && parts.time) return 'datetime';
  if (parts.time) return 'time';
  return 'date';
}

/**
 * The kind of a built-in format id (0–163), from SSF's table of built-in codes. The East Asian date ids whose
 * codes depend on the locale and are never written to a file (27–36, 50–58) are dates, except 32 and 33,
 * which show a time of day (`h"時"mm"分"`, `h"時"mm"分"ss"秒"`) in every locale (ECMA-376 Part 1, 18.8.30).
 */
export function builtinFormatKind(id: number): FormatKind {
  const code = (XLSX.SSF.get_table() as Record<number, string | undefined>)[id];
  if (code !== undefined) return formatKind(code);
  if (id === 32 || id === 33) return 'time';
  if ((id >= 27 && id <= 36) || (id >= 50 && id <= 58)) return 'date';
  return 'number';
}

/**
 * What a number cell holds, given its format's kind and the workbook's date system: a number, a Date (whose UTC
 * fields are the wall clock in the file), or a time of day / duration in milliseconds. Never null.
 */
export function excelNumberToCell(serial: number, kind: FormatKind, date1904: boolean): Exclude<CellValue, null> {
  switch (kind) {
    case 'number':
    case 'text':
      return serial;
    case 'duration':
      return Number.isFinite(serial) ? { kind: 'duration', ms: Math.round(serial * MS_PER_DAY) + 0 } : serial;
    case 'time': {
      const ms = Math.round(serial * MS_PER_DAY) + 0;
      if (ms >= 0 && ms < MS_PER_DAY) return { kind: 'time', ms };
      return excelSerialToDate(serial, date1904) ?? serial;
    }
    default:
      return excelSerialToDate(serial, date1904) ?? serial;
  }
}

// ---- the format code scan -----------------------------------------------------------------------------

interface Parts {
  date: boolean;
  time: boolean;
  elapsed: boolean;
  text: boolean;
  digits: boolean;
}

/** The code up to its first `;` outside quotes, brackets and escapes. */
function firstSection(code: string): string {
  for (let i = 0; i < code.length; i++) {
    const c = code[i];
    if (c === '"') i = skipQuoted(code, i);
    else if (c === '\\' || c === '_' || c === '*') i++;
    else if (c === '[') i = skipBracket(code, i);
    else if (c === ';') return code.slice(0, i);
  }
  return code;
}

function skipQuoted(code: string, i: number): number {
  const end = code.indexOf('"', i + 1);
  return end < 0 ? code.length : end;
}

function skipBracket(code: string, i: number): number {
  const end = code.indexOf(']', i + 1);
  return end < 0 ? code.length : end;
}

const ELAPSED = /^(?:h+|m+|s+)$/i;

function scanSection(section: string): Parts {
  const parts: Parts = { date: false, time: false, elapsed: false, text: false, digits: false };
  // 'D' (a date part), 'h', 'm' (month or minute, decided below), 's', 'A' (AM/PM), '[h]', '[m]', '[s]'
  const tokens: string[] = [];
  const at = (i: number, word: string) => section.slice(i, i + word.length).toLowerCase() === word;
  for (let i = 0; i < section.length; i++) {
    const c = section[i].toLowerCase();
    if (c === '"') i = skipQuoted(section, i);
    else if (c === '\\' || c === '_' || c === '*') i++;
    else if (c === '[') {
      const end = skipBracket(section, i);
      const inner = section.slice(i + 1, end);
      if (ELAPSED.test(inner)) tokens.push(`[${inner[0].toLowerCase()}]`);
      i = end;
    } else if (at(i, 'general')) i += 6;
    else if (at(i, 'am/pm') || at(i, '上午/下午')) (tokens.push('A'), (i += 4));
    else if (at(i, 'a/p')) (tokens.push('A'), (i += 2));
    else if (c === 'e' && (section[i + 1] === '+' || section[i + 1] === '-')) i++; // scientific notation
    else if (c === 'y' || c === 'd' || c === 'e' || c === 'g' || c === 'b') pushToken(tokens, 'D');
    else if (c === 'h' || c === 'm' || c === 's') pushToken(tokens, c);
    else if (c === '@') parts.text = true;
    else if (c === '0' || c === '#' || c === '?') parts.digits = true;
  }
  tokens.forEach((token, k) => {
    if (token[0] === '[') parts.elapsed = true;
    else if (token === 'D') parts.date = true;
    else if (token !== 'm') parts.time = true;
    // m is minutes right after an hour or right before seconds, else the month
    else if (/h/.test(tokens[k - 1] ?? '') || /s/.test(tokens[k + 1] ?? '')) parts.time = true;
    else parts.date = true;
  });
  return parts;
}

/** `yyyy` is one year token, `mm` one month/minute token. */
function pushToken(tokens: string[], token: string): void {
  if (tokens[tokens.length - 1] !== token) tokens.push(token);
}
