/**
 * Unit tests (no server) of Excel serial dates (workers/readers/excel-serial.ts): the 1900 system with its
 * fictitious 1900-02-29 (serial 60), serials below 1 as LibreOffice writes them, the 1904 system, the
 * 0001–9999 range, and the inverse the xlsx export uses. Expected instants are worked out by hand (days
 * between dates), never from the module.
 */
import t from 'tap';
import { excelSerialFromMs, excelSerialToDate } from '../../../workers/readers/excel-serial.js';

const iso = (serial: number, date1904 = false) => excelSerialToDate(serial, date1904)?.toISOString() ?? null;

t.test('1900 system', async (t) => {
  t.equal(iso(1), '1900-01-01T00:00:00.000Z', 'serial 1');
  t.equal(iso(59), '1900-02-28T00:00:00.000Z');
  t.equal(iso(60), null, "Excel's 1900-02-29 never existed");
  t.equal(iso(60.75), null, 'nor any time of it');
  t.equal(iso(61), '1900-03-01T00:00:00.000Z', 'from here on, counted from 1899-12-30');
  t.equal(iso(45292), '2024-01-01T00:00:00.000Z', '54 years and 13 leap days after 1970, plus 25,569');
  t.equal(iso(45292.5), '2024-01-01T12:00:00.000Z');
  t.equal(iso(45292 + 1 / 86_400_000 / 3), '2024-01-01T00:00:00.000Z', 'rounded to the millisecond');
  t.equal(iso(0), '1899-12-30T00:00:00.000Z', 'serial 0, as LibreOffice and OLE Automation read it');
  t.equal(iso(-1), '1899-12-29T00:00:00.000Z');
  t.equal(iso(0.25), '1899-12-30T06:00:00.000Z', 'a time of day alone');
});

t.test('1904 system', async (t) => {
  t.equal(iso(0, true), '1904-01-01T00:00:00.000Z');
  t.equal(iso(59, true), '1904-02-29T00:00:00.000Z', 'a real leap day, no quirk');
  t.equal(iso(60, true), '1904-03-01T00:00:00.000Z');
  t.equal(iso(-1, true), '1903-12-31T00:00:00.000Z');
});

t.test('range: 0001-01-01 to 9999-12-31', async (t) => {
  t.equal(iso(2_958_465), '9999-12-31T00:00:00.000Z', "Excel's largest date");
  t.equal(iso(2_958_465.999), '9999-12-31T23:58:33.600Z');
  t.equal(iso(2_958_466), null, 'year 10000');
  t.equal(iso(-693_593), '0001-01-01T00:00:00.000Z');
  t.equal(iso(-693_594), null, 'before year 1');
  t.equal(iso(Number.NaN), null);
  t.equal(iso(Number.POSITIVE_INFINITY), null);
});

t.test('excelSerialFromMs: the 1900 system, for writing', async (t) => {
  t.equal(excelSerialFromMs(Date.UTC(1900, 0, 1)), 1);
  t.equal(excelSerialFromMs(Date.UTC(1900, 1, 28)), 59);
  t.equal(excelSerialFromMs(Date.UTC(1900, 2, 1)), 61, 'skips the fictitious 60');
  t.equal(excelSerialFromMs(Date.UTC(2024, 0, 1, 12)), 45292.5);
  t.equal(excelSerialFromMs(Date.UTC(1899, 11, 31)), null, 'Excel shows nothing before 1900');
  t.equal(excelSerialFromMs(Date.UTC(9999, 11, 31, 23, 59, 59, 999)) !== null, true, 'the last millisecond of 9999');
  t.equal(excelSerialFromMs(Date.UTC(10000, 0, 1)), null);
  t.equal(excelSerialFromMs(Number.NaN), null);
  const broken: number[] = [];
  for (let s = 1; s < 200_000; s += s < 100 ? 1 : 997) {
    if (s === 60) continue;
    if (excelSerialFromMs(excelSerialToDate(s, false)!.getTime()) !== s) broken.push(s);
  }
  t.same(broken, [], 'whole serials round-trip');
});
