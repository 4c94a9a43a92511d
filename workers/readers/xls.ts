/**
 * Legacy binary .xls reader (BIFF8 from Excel 97–2003, and older BIFF2–5), through SheetJS (@e965/xlsx).
 * Every worksheet, in workbook order; cell values → CellValue, then the shared rules in cells-to-frame.ts.
 *
 * Dates, times, durations: SheetJS is asked for raw numbers and their number format codes (cellDates off), and
 * number-format.ts — the same rules as the .xlsx reader — says what each number is, with the workbook's
 * 1900/1904 date system, so the result is the wall-clock value stored in the file whatever the process time zone.
 */
import { readFileSync } from 'node:fs';
import * as XLSX from '@e965/xlsx';
import * as cptable from '@e965/xlsx/dist/cpexcel.full.mjs';
import { isBiffBof } from '../file-signatures.js';
import { unreadable } from '../task-error.js';
import { type CellValue, gridToFrame, noWorksheets } from './cells-to-frame.js';
import { excelNumberToCell, type FormatKind, formatKind } from './number-format.js';
import type { ParsedSheet, Source } from './types.js';
import { selectSheets } from './select-sheets.js';

// Code pages for BIFF2–5 files, whose text is stored in the writer's ANSI code page rather than UTF-16.
XLSX.set_cptable(cptable);

const READ_OPTIONS: XLSX.ParsingOptions = {
  type: 'buffer',
  dense: true, // rows of cells, not an object keyed by address
  cellDates: false, // raw serial numbers; converted below, independent of the process time zone
  cellNF: true, // number formats: the only style we need, to tell dates from numbers
  cellText: false,
  cellHTML: false,
  cellFormula: false, // formulas come back as their cached result only
  cellStyles: false,
  sheetStubs: false, // formatted empty cells are simply absent
  bookVBA: false, // never extract macros
  bookDeps: false,
  bookProps: false,
};

/** BIFF error codes (BoolErr / formula results) as Excel shows them. */
const ERROR_TEXT: Record<number, string> = {
  0x00: '#NULL!',
  0x07: '#DIV/0!',
  0x0f: '#VALUE!',
  0x17: '#REF!',
  0x1d: '#NAME?',
  0x24: '#NUM!',
  0x2a: '#N/A',
  0x2b: '#GETTING_DATA',
};

export function readXls(source: Source, wanted?: readonly string[]): ParsedSheet[] {
  const bytes = loadBytes(source);
  checkSignature(bytes);
  let book: XLSX.WorkBook;
  try {
    book = XLSX.read(bytes, READ_OPTIONS);
  } catch (err) {
    throw unreadable(describeReadError(err));
  }
  const date1904 = book.Workbook?.WBProps?.date1904 === true;
  const sheets: ParsedSheet[] = [];
  const others: string[] = [];
  const worksheets: { name: string; sheet: XLSX.WorkSheet }[] = [];
  for (const name of book.SheetNames) {
    const sheet = book.Sheets[name];
    // Chart, macro and dialog sheets hold no table. (SheetJS types list only 'sheet' | 'chart'.)
    if (!sheet || (sheet['!type'] !== undefined && sheet['!type'] !== 'sheet')) others.push(name);
    else worksheets.push({ name, sheet });
  }
  if (worksheets.length === 0) throw noWorksheets(others);
  for (const { name, sheet } of selectSheets(worksheets, wanted)) sheets.push({ name, frame: gridToFrame(toGrid(sheet, name, date1904), name) });
  return sheets;
}

function loadBytes(source: Source): Buffer {
  if (source.kind === 'bytes') {
    return Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength);
  }
  try {
    return readFileSync(source.path);
  } catch (err) {
    throw unreadable(`the uploaded file could not be read (${firstLine(err)})`);
  }
}

const CFB_MAGIC = Buffer.from('d0cf11e0a1b11ae1', 'hex'); // the OLE container of BIFF5/BIFF8 files

/**
 * SheetJS reads almost anything (CSV, HTML, XML, plain text) as a workbook, so only accept real binary
 * workbooks here: an OLE container (BIFF5/8), or a bare BIFF2–8 stream starting with its BOF record (Excel
 * 2.x–4 wrote worksheets so, and some exporters still do; SheetJS reads them the same way).
 */
function checkSignature(bytes: Buffer): void {
  if (bytes.subarray(0, 8).equals(CFB_MAGIC)) return;
  if (isBiffBof(bytes)) return;
  if (bytes.subarray(0, 2).toString('latin1') === 'PK') {
    throw unreadable('not a legacy .xls workbook: this is a zip archive, as .xlsx files are; upload it as .xlsx');
  }
  const start = bytes.subarray(0, 512).toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (start.startsWith('<')) {
    throw unreadable(
      'not a legacy .xls workbook: this is a web page or XML export named .xls; open it in Excel and save it as .xlsx',
    );
  }
  throw unreadable(
    'not a legacy .xls workbook (the file does not start like one); open it in Excel and save it as .xlsx',
  );
}

function describeReadError(err: unknown): string {
  const message = firstLine(err);
  if (/password|encrypt/i.test(message)) {
    return 'the workbook is password-protected; remove the password in Excel and upload again';
  }
  return `the .xls file is damaged and could not be read (${message}); re-save it in Excel and upload again`;
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0];
}

function toGrid(sheet: XLSX.WorkSheet, sheetName: string, date1904: boolean): CellValue[][] {
  const rows: XLSX.CellObject[][] = (sheet as XLSX.DenseWorkSheet)['!data'] ?? [];
  const grid: CellValue[][] = [];
  const kinds = new Map<string, FormatKind>(); // format code → kind: a sheet uses a handful of codes
  const kindOf = (code: string) => kinds.get(code) ?? kinds.set(code, formatKind(code)).get(code)!;
  for (let r = 0; r < rows.length; r++) {
    const cells = rows[r];
    if (!cells) continue;
    const row: CellValue[] = [];
    for (let c = 0; c < cells.length; c++) {
      const cell = cells[c];
      const where = () => `sheet "${sheetName}", cell ${XLSX.utils.encode_cell({ r, c })}`;
      if (cell) row[c] = valueOf(cell, date1904, kindOf, where);
    }
    grid[r] = row;
  }
  return grid;
}

function valueOf(cell: XLSX.CellObject, date1904: boolean, kindOf: (code: string) => FormatKind, where: () => string): CellValue {
  const v = cell.v;
  switch (cell.t) {
    case 'n': {
      if (v === undefined || v === null) return null; // no value, e.g. a formula never calculated
      if (typeof v !== 'number') throw unreadable(`${where()}: the number cell holds no number`);
      return excelNumberToCell(v, typeof cell.z === 'string' ? kindOf(cell.z) : 'number', date1904);
    }
    case 's':
      return v === undefined || v === null ? null : String(v);
    case 'b':
      return v === true;
    case 'e':
      return typeof v === 'number' ? (ERROR_TEXT[v] ?? '#ERROR!') : String(v);
    case 'z':
      return null;
    default:
      throw unreadable(`${where()}: unknown cell type "${String(cell.t)}"`);
  }
}
