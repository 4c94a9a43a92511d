/**
 * Bare BIFF worksheet streams (no OLE2 container) uploaded as .xls, on both backends: recognised as Excel by
 * the upload check and read by the .xls reader, every value as written (see test/support/corpus/biff.ts). A
 * BIFF2 file written record by record here is the independent reference; SheetJS's BIFF2–4 files and the
 * BIFF5/8 streams of its OLE2 files are the other writers. A bare stream named .xlsx is a 415 that says what it
 * is, and BIFF5 inside its OLE2 container keeps working (excel.test.ts reads test/fixtures/legacy.xls).
 */
import t from 'tap';
import { BACKENDS, getJson, startServer, upload } from '../../support/server.js';
import { type BiffCell, biff2Worksheet, sheetjsBiff } from '../../support/corpus/biff.js';
import * as XLSX from '@e965/xlsx';

const HEADER = ['id', 'name', 'score', 'when', 'ok'];
const day = (iso: string) => new Date(`${iso}T00:00:00Z`);
const table = (names: string[]): BiffCell[][] => [
  HEADER,
  [1, names[0], 1.5, day('2024-01-31'), true],
  [2, names[1], -2.25, day('1999-12-31'), false],
  [65535, names[2], 1e21, day('1900-03-01'), true],
];
const expected = (names: string[]) => [
  { id: 1, name: names[0], score: 1.5, when: '2024-01-31', ok: true },
  { id: 2, name: names[1], score: -2.25, when: '1999-12-31', ok: false },
  { id: 65535, name: names[2], score: 1e21, when: '1900-03-01', ok: true },
];
const LATIN1 = ['Grüße', 'naïve café', 'Ærø £5'];
// SheetJS's BIFF2–5 writers write text as ASCII (non-ASCII characters become "_"), so they get ASCII text.
const ASCII = ['alpha', 'beta gamma', 'x, y; "z"'];

const cases = [
  { file: 'hand-biff2.xls', bytes: biff2Worksheet(table(LATIN1)), sheet: 'Sheet1', names: LATIN1 },
  ...(['biff2', 'biff3', 'biff4'] as const).map((bookType) => ({ file: `sheetjs-${bookType}.xls`, bytes: sheetjsBiff(table(ASCII), bookType), sheet: 'Sheet1', names: ASCII })),
  ...(['biff5', 'biff8'] as const).map((bookType) => ({ file: `bare-${bookType}.xls`, bytes: sheetjsBiff(table(ASCII), bookType), sheet: 'Data', names: ASCII })),
];

for (const backend of BACKENDS) {
  t.test(`${backend}: bare BIFF streams named .xls`, async (t) => {
    const server = await startServer(t, { backend });
    for (const c of cases) {
      const res = await upload(server, c.bytes, c.file);
      t.equal(res.status, 201, `${c.file} (starts ${c.bytes.subarray(0, 4).toString('hex')}): read (${JSON.stringify(res.body).slice(0, 300)})`);
      if (res.status !== 201) continue;
      // BIFF2–4 worksheet files hold one sheet and no sheet name.
      t.same(res.body.sheets, [{ name: c.sheet, row_count: 3, column_count: 5 }], `${c.file}: one sheet, 3 rows, 5 columns`);
      const base = `/api/datasets/${res.body.dataset.id}/versions/${res.body.version.id}`;
      const schema = await getJson(server, `${base}/schema`);
      t.same(
        schema.body.columns.map((col: any) => [col.name, col.type]),
        [['id', 'integer'], ['name', 'string'], ['score', 'float'], ['when', 'date'], ['ok', 'boolean']],
        `${c.file}: column names and types`,
      );
      const data = await getJson(server, `${base}/data`);
      t.same(data.body.data, expected(c.names), `${c.file}: every value as written`);
    }

    const bare = biff2Worksheet(table(LATIN1));
    const asXlsx = await upload(server, bare, 'renamed.xlsx');
    t.equal(asXlsx.status, 415, 'a bare BIFF stream named .xlsx: 415');
    t.match(asXlsx.body.detail, /named as XLSX but its content is a bare BIFF worksheet stream/, 'the detail says what the content is');

    const inOle2 = Buffer.from(XLSX.write(Object.assign(XLSX.utils.book_new(), { SheetNames: ['Data'], Sheets: { Data: XLSX.utils.aoa_to_sheet([['n'], [7]]) } }), { bookType: 'biff5', type: 'buffer' }) as Uint8Array);
    const ole2 = await upload(server, inOle2, 'ole2-biff5.xls');
    t.equal(ole2.status, 201, `BIFF5 in its OLE2 container still read (${JSON.stringify(ole2.body).slice(0, 200)})`);
    if (ole2.status === 201) {
      const rows = await getJson(server, `/api/datasets/${ole2.body.dataset.id}/versions/${ole2.body.version.id}/data`);
      t.same(rows.body.data, [{ n: 7 }], 'its value');
    }
  });
}
