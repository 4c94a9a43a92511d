/**
 * Bare BIFF worksheet streams, as Excel 2.x–4 saved them and some exporters still write them (no OLE2
 * container). `biff2Worksheet` writes every record itself, from the BIFF2 layout in OpenOffice's "Excel
 * File Format" documentation, so what the service serves is compared with what was written, not with what
 * a reader (SheetJS is ours too) makes of it. `sheetjsBiff` writes the same table with SheetJS's BIFF2–4
 * writers and takes the BIFF5/BIFF8 streams out of the OLE2 files it writes for those.
 */
import * as XLSX from '@e965/xlsx';

function record(id: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUInt16LE(id, 0);
  head.writeUInt16LE(body.length, 2);
  return Buffer.concat([head, body]);
}

/**
 * Row, column and the 3-byte cell attributes of BIFF2: the XF record's index, then the FORMAT record's index
 * (XF n has FORMAT n here). Readers take the format through the XF record (SheetJS does), so both are written,
 * as Excel does.
 */
function cellHead(row: number, col: number, format: number): Buffer {
  const b = Buffer.alloc(7);
  b.writeUInt16LE(row, 0);
  b.writeUInt16LE(col, 2);
  b[4] = format & 0x3f;
  b[5] = format & 0x3f;
  return b;
}

const cp1252 = (s: string) => Buffer.from(s, 'latin1'); // the test texts are all within Latin-1 = cp1252 there

/** `when` values are dates at midnight UTC; text is written in code page 1252. */
export type BiffCell = number | string | boolean | Date;

/** Excel's 1900 serial number of a date after 1900-03-01. */
export function excelSerial(d: Date): number {
  return d.getTime() / 86_400_000 + 25_569;
}

/**
 * A BIFF2 worksheet: CODEPAGE 1252, FORMAT 0 "General" and 1 "yyyy-mm-dd", XF 0 and 1 (font 0, FORMAT 0 and
 * 1), then the cells, row by row.
 */
export function biff2Worksheet(rows: BiffCell[][]): Buffer {
  const out: Buffer[] = [];
  out.push(record(0x0009, Buffer.from([0x02, 0x00, 0x10, 0x00]))); // BOF: BIFF2, worksheet
  out.push(record(0x0042, Buffer.from([0xe4, 0x04]))); // CODEPAGE 1252
  for (const code of ['General', 'yyyy-mm-dd']) out.push(record(0x001e, Buffer.concat([Buffer.from([code.length]), cp1252(code)])));
  for (const format of [0, 1]) out.push(record(0x0043, Buffer.from([0, 0, format, 0]))); // XF (BIFF2)
  const dims = Buffer.alloc(8);
  dims.writeUInt16LE(rows.length, 2);
  dims.writeUInt16LE(Math.max(...rows.map((r) => r.length)), 6);
  out.push(record(0x0000, dims)); // DIMENSIONS
  rows.forEach((cells, r) =>
    cells.forEach((v, c) => {
      if (typeof v === 'string') {
        out.push(record(0x0004, Buffer.concat([cellHead(r, c, 0), Buffer.from([v.length]), cp1252(v)]))); // LABEL
      } else if (typeof v === 'boolean') {
        out.push(record(0x0005, Buffer.concat([cellHead(r, c, 0), Buffer.from([v ? 1 : 0, 0])]))); // BOOLERR
      } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffff) {
        const n = Buffer.alloc(2);
        n.writeUInt16LE(v);
        out.push(record(0x0002, Buffer.concat([cellHead(r, c, 0), n]))); // INTEGER
      } else {
        const n = Buffer.alloc(8);
        n.writeDoubleLE(v instanceof Date ? excelSerial(v) : v);
        out.push(record(0x0003, Buffer.concat([cellHead(r, c, v instanceof Date ? 1 : 0), n]))); // NUMBER
      }
    }),
  );
  out.push(record(0x000a, Buffer.alloc(0))); // EOF
  return Buffer.concat(out);
}

/** The table written by SheetJS as `bookType`; for biff5/biff8 the bare workbook stream out of its OLE2 file. */
export function sheetjsBiff(rows: BiffCell[][], bookType: 'biff2' | 'biff3' | 'biff4' | 'biff5' | 'biff8'): Buffer {
  // Dates as serial numbers with a date format: SheetJS would turn a Date into a serial in local time.
  const ws = XLSX.utils.aoa_to_sheet(rows.map((r) => r.map((v) => (v instanceof Date ? excelSerial(v) : v))));
  rows.forEach((r, i) => r.forEach((v, c) => v instanceof Date && (ws[XLSX.utils.encode_cell({ r: i, c })].z = 'yyyy-mm-dd')));
  const wb = XLSX.utils.book_new();
  XLSX.utils.book_append_sheet(wb, ws, 'Data');
  const bytes = Buffer.from(XLSX.write(wb, { bookType, type: 'buffer' }) as Uint8Array);
  if (bookType !== 'biff5' && bookType !== 'biff8') return bytes;
  const cfb = XLSX.CFB.read(bytes, { type: 'buffer' });
  const stream = XLSX.CFB.find(cfb, bookType === 'biff5' ? 'Book' : 'Workbook');
  if (!stream) throw new Error(`sheetjsBiff: no workbook stream in SheetJS's ${bookType} file`);
  return Buffer.from(stream.content as Uint8Array);
}
