/**
 * Unit tests (no server) of the upload's type check (src/upload/file-type.ts): the type named by the
 * extension, and the first bytes checked against it, so a `.csv` that is a ZIP is never parsed. Refusals are
 * 415 `unsupported_file_type` with the details asserted exactly.
 */
import t, { type Test } from 'tap';
import { checkContent, typeFromName } from '../../src/upload/file-type.js';
import { thrown } from '../support/thrown.js';

const SUPPORTED = 'CSV (.csv, .tsv, .txt), Excel (.xlsx, .xlsm, .xls) or Parquet (.parquet)';
const head = (...bytes: number[]) => new Uint8Array(bytes);
const ZIP = head(0x50, 0x4b, 0x03, 0x04, 0x14, 0x00);
const OLE2 = head(0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1);
const PARQUET = new Uint8Array(Buffer.from('PAR1\x15\x04'));
const BIFF8 = head(0x09, 0x08, 0x10, 0x00, 0x00, 0x06);
const text = (s: string) => new Uint8Array(Buffer.from(s));

function refusal(t: Test, fn: () => unknown): string {
  const err = thrown(fn);
  t.equal(err.statusCode, 415);
  t.equal(err.code, 'unsupported_file_type');
  return err.message;
}

t.test('the type by extension, any case', async (t) => {
  t.same(
    ['a.csv', 'b.TSV', 'c.txt', 'd.parquet', 'e.PQ', 'f.xlsx', 'g.XlSm', 'h.xls', 'x.y.csv'].map(typeFromName),
    ['csv', 'csv', 'csv', 'parquet', 'parquet', 'xlsx', 'xlsm', 'xls', 'csv'],
  );
  t.equal(refusal(t, () => typeFromName('notes.pdf')), `"notes.pdf": .pdf files are not supported; upload ${SUPPORTED}`);
  t.equal(refusal(t, () => typeFromName('data.csv.gz')), `"data.csv.gz": .gz files are not supported; upload ${SUPPORTED}`, 'the last extension counts');
  t.equal(refusal(t, () => typeFromName('README')), `"README": a file without an extension is not supported; upload ${SUPPORTED}`);
  t.equal(refusal(t, () => typeFromName('.csv')), `".csv": a file without an extension is not supported; upload ${SUPPORTED}`, 'a dot file has no extension');
});

t.test('content that matches its name passes', async (t) => {
  t.doesNotThrow(() => checkContent('a.csv', 'csv', text('id,name\n1,x\n')));
  t.doesNotThrow(() => checkContent('a.csv', 'csv', head(0xff, 0xfe, 0x69, 0x00, 0x64, 0x00)), 'UTF-16 text with its BOM, NULs and all');
  t.doesNotThrow(() => checkContent('a.parquet', 'parquet', PARQUET));
  t.doesNotThrow(() => checkContent('a.xlsx', 'xlsx', ZIP));
  t.doesNotThrow(() => checkContent('a.xlsx', 'xlsx', OLE2), 'a password-protected workbook (the reader says so)');
  t.doesNotThrow(() => checkContent('a.xls', 'xls', OLE2));
  t.doesNotThrow(() => checkContent('a.xls', 'xls', BIFF8), 'a bare BIFF stream');
  t.doesNotThrow(() => checkContent('a.parquet', 'parquet', text('PA')), 'under 4 bytes: left to the reader');
});

t.test('content that does not match is a 415 saying what it is', async (t) => {
  const tail = `upload ${SUPPORTED} with the extension that matches its content`;
  t.equal(refusal(t, () => checkContent('a.csv', 'csv', ZIP)), `"a.csv" is named as CSV but its content is a ZIP archive (such as .xlsx); ${tail}`);
  t.equal(refusal(t, () => checkContent('a.parquet', 'parquet', text('id,name\n'))), `"a.parquet" is named as PARQUET but its content is text; ${tail}`);
  t.equal(refusal(t, () => checkContent('a.xlsx', 'xlsx', PARQUET)), `"a.xlsx" is named as XLSX but its content is a Parquet file; ${tail}`);
  t.equal(
    refusal(t, () => checkContent('a.xlsx', 'xlsx', BIFF8)),
    `"a.xlsx" is named as XLSX but its content is a bare BIFF worksheet stream (a legacy .xls of Excel 2.x–5 or an exporter, without an OLE2 container); ${tail}`,
  );
  t.equal(
    refusal(t, () => checkContent('a.csv', 'csv', OLE2)),
    `"a.csv" is named as CSV but its content is an OLE2 compound file (a legacy .xls, or a password-protected workbook); ${tail}`,
  );
  t.equal(refusal(t, () => checkContent('a.csv', 'csv', text('id\0name\n'))), `"a.csv" is named as CSV but its content is binary data; ${tail}`, 'a NUL byte without a BOM');
  t.equal(refusal(t, () => checkContent('a.xls', 'xls', text('<html>'))), `"a.xls" is named as XLS but its content is text; ${tail}`, 'an HTML "xls" export');
});
