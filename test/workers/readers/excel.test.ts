/**
 * Excel through the real server, both backends: a multi-sheet .xlsx and a legacy .xls written by Perl
 * (Excel::Writer::XLSX, Spreadsheet::WriteExcel — see fixtures/make-fixtures.pl), compared with the values
 * that script wrote (fixtures/*.expected.json), not with anything our readers produced.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { BACKENDS, ROOT, getJson, startServer, upload } from '../../support/server.js';

interface ExpectedSheet {
  name: string;
  columns: string[];
  types: string[];
  rows: unknown[][];
}

const FIXTURES = join(ROOT, 'test/fixtures');
const workbooks = [
  { file: 'multi-sheet.xlsx', as: 'multi-sheet.xlsx' },
  { file: 'multi-sheet.xlsx', as: 'same-bytes.xlsm' },
  { file: 'legacy.xls', as: 'legacy.xls' },
];

/** Datetimes are compared as instants: the file holds milliseconds, the service may omit a zero fraction. */
function comparable(value: unknown, type: string): unknown {
  return type === 'datetime' && typeof value === 'string' ? Date.parse(`${value}Z`) : value;
}

for (const backend of BACKENDS) {
  t.test(`${backend} backend`, async (t) => {
    const server = await startServer(t, { backend });
    for (const wb of workbooks) {
      t.test(wb.as, async (t) => {
        const expected: ExpectedSheet[] = JSON.parse(readFileSync(join(FIXTURES, `${wb.file}.expected.json`), 'utf8'));
        const bytes = readFileSync(join(FIXTURES, wb.file));
        const res = await upload(server, bytes, wb.as, { name: wb.as });
        t.equal(res.status, 201, JSON.stringify(res.body));
        t.same(
          res.body.sheets,
          expected.map((s) => ({ name: s.name, row_count: s.rows.length, column_count: s.columns.length })),
          'every worksheet, in workbook order, with its name and size',
        );
        const base = `/api/datasets/${res.body.dataset.id}/versions/${res.body.version.id}`;
        for (const sheet of expected) {
          const q = `sheet=${encodeURIComponent(sheet.name)}`;
          const schema = await getJson(server, `${base}/schema?${q}`);
          t.same(schema.body.columns.map((c: any) => c.name), sheet.columns, `${sheet.name}: header names`);
          t.same(schema.body.columns.map((c: any) => c.type), sheet.types, `${sheet.name}: column types`);
          const data = await getJson(server, `${base}/data?${q}&page_size=1000`);
          t.equal(data.body.total_rows, sheet.rows.length);
          const got = data.body.data.map((row: any) => sheet.columns.map((c, i) => comparable(row[c], sheet.types[i])));
          const want = sheet.rows.map((row) => row.map((v, i) => comparable(v, sheet.types[i])));
          t.same(got, want, `${sheet.name}: every value`);
        }
        const first = expected[0];
        const stats = await getJson(server, `${base}/statistics`);
        t.equal(stats.body.sheet, first.name, 'statistics default to the first sheet');
        const intCol = first.columns[first.types.indexOf('integer')];
        const values = first.rows.map((r) => r[first.types.indexOf('integer')]).filter((v): v is number => typeof v === 'number');
        t.match(stats.body.columns.find((c: any) => c.column_name === intCol), {
          min: Math.min(...values),
          max: Math.max(...values),
          null_count: first.rows.length - values.length,
        });
        const download = await fetch(`${server.url}${base}/download`);
        t.same(Buffer.from(await download.arrayBuffer()), bytes, 'download gives back the uploaded bytes');
      });
    }

    t.test('a file that is not what its name says', async (t) => {
      const xls = readFileSync(join(FIXTURES, 'legacy.xls'));
      const asXlsx = await upload(server, xls, 'renamed.xlsx');
      t.match(asXlsx, { status: 415, body: { error_code: 'unsupported_file_type', detail: /OLE2/ } });
      const zipAsCsv = await upload(server, readFileSync(join(FIXTURES, 'multi-sheet.xlsx')), 'table.csv');
      t.match(zipAsCsv, { status: 415, body: { detail: /ZIP/ } });
      const corrupt = Buffer.from(readFileSync(join(FIXTURES, 'multi-sheet.xlsx')));
      corrupt.fill(0x41, 200, 2000);
      const bad = await upload(server, corrupt, 'corrupt.xlsx');
      t.equal(bad.status, 422, JSON.stringify(bad.body));
      t.equal(bad.body.error_code, 'unreadable_file');
    });
  });
}
