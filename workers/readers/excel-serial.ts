/**
 * Excel serial date numbers <-> wall-clock instants, for the readers (number-format.ts) and the xlsx export
 * encoder. Kept apart from number-format.ts so the encoder does not load SheetJS.
 */

/** Milliseconds in a day: a serial's unit. */
export const MS_PER_DAY = 86_400_000;
const DAYS_1900_TO_1970 = 25_569; // 1970-01-01 counted from 1899-12-30, the 1900 system's day 0 for serials ≥ 61
const DAYS_1904_TO_1970 = 24_107; // … and from 1904-01-01, the 1904 system's day 0
const MIN_MS = -62_135_596_800_000; // 0001-01-01T00:00:00
const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999

/**
 * The wall-clock value of an Excel serial date number, as a Date whose UTC fields hold it, rounded to the
 * millisecond (writers store about 15 significant digits); null outside 0001-01-01 … 9999-12-31, and for the
 * 1900 system's serial 60.
 *  - 1900 system (Excel's default): serial 1 is 1900-01-01. Excel counts a 29 February 1900 that never existed
 *    (serial 60, kept as a number here), so serials 1–59 are one day later than a count from 1899-12-30
 *    gives, and serials ≥ 61 are counted from 1899-12-30. Serials below 1 (0, and the negative serials
 *    LibreOffice writes for earlier dates) count from 1899-12-30 too, as LibreOffice and OLE Automation do:
 *    −1 is 1899-12-29.
 *  - 1904 system: serial 0 is 1904-01-01, negatives before it; no leap-year quirk.
 */
export function excelSerialToDate(serial: number, date1904: boolean): Date | null {
  if (!Number.isFinite(serial)) return null;
  let days: number;
  if (date1904) days = serial - DAYS_1904_TO_1970;
  else if (serial >= 61 || serial < 1) days = serial - DAYS_1900_TO_1970;
  else if (serial < 60) days = serial - DAYS_1900_TO_1970 + 1;
  else return null; // [60, 61): Excel's 1900-02-29
  const ms = Math.round(days * MS_PER_DAY);
  return ms >= MIN_MS && ms <= MAX_MS ? new Date(ms) : null;
}

/**
 * The inverse of excelSerialToDate for the 1900 system, for writing workbooks: the serial number of a
 * wall-clock instant given as milliseconds since 1970-01-01T00:00 read in UTC fields (no time zone involved);
 * null before 1900-01-01 or after 9999-12-31T23:59:59.999, which Excel cannot show. January–February 1900
 * are one day lower, for the 29 February 1900 Excel counts.
 */
export function excelSerialFromMs(ms: number): number | null {
  const serial = ms / MS_PER_DAY + DAYS_1900_TO_1970;
  if (!Number.isFinite(serial) || serial < 2 || serial > MAX_MS / MS_PER_DAY + DAYS_1900_TO_1970) return null;
  return serial < 61 ? serial - 1 : serial;
}

