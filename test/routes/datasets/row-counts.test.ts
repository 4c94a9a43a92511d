/**
 * `row_count` on datasets (`GET /api/datasets`, `GET /api/datasets/{id}`, the upload's and PATCH's answers): the
 * current version's rows summed over its sheets, null without a version; `sort_by=row_count`. Compared with
 * the versions' own sheets (`…/versions/{vid}/sheets`), an independent reading from another route.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SETUPS, ROOT, getJson, startServer, tmpDir, upload, type Server } from '../../support/server.js';

const XLSX = readFileSync(join(ROOT, 'test/fixtures/multi-sheet.xlsx'));
const csv = (rows: number) => 'n,label\n' + Array.from({ length: rows }, (_, i) => `${i},row ${i}`).join('\n') + '\n';

/** The rows of a version, summed from its sheet list. */
async function sheetRows(server: Server, ds: number, vid: number): Promise<number> {
  const sheets = await getJson(server, `/api/datasets/${ds}/versions/${vid}/sheets`);
  return sheets.body.reduce((n: number, s: { row_count: number }) => n + s.row_count, 0);
}

for (const { backend, catalog, name } of SETUPS) {
  t.test(name, async (t) => {
    const server = await startServer(t, { backend, catalog });

    const small = await upload(server, csv(3), 'small.csv', { name: 'small' });
    t.equal(small.status, 201);
    t.equal(small.body.dataset.row_count, 3, 'the upload answer carries the new dataset’s row_count');
    const big = await upload(server, csv(250), 'big.csv', { name: 'big' });
    const book = await upload(server, XLSX, 'book.xlsx', { name: 'book' });
    t.equal(book.status, 201);
    const bookRows = await sheetRows(server, book.body.dataset.id, book.body.version.id);
    t.ok(book.body.sheets.length > 1, 'the workbook has several sheets');
    t.equal(book.body.dataset.row_count, bookRows, 'a workbook: the sum over its sheets');
    t.equal(book.body.dataset.row_count, book.body.version.row_count, 'the same as its version’s row_count');

    // A new version of "small": the dataset follows its current version.
    const v2 = await upload(server, csv(40), 'small-2.csv', { dataset_id: String(small.body.dataset.id) });
    t.equal(v2.body.dataset.row_count, 40, 'a new version: its rows');
    const one = await getJson(server, `/api/datasets/${small.body.dataset.id}`);
    t.equal(one.body.row_count, 40, 'GET /api/datasets/{id}');
    t.equal(one.body.row_count, one.body.versions[0].row_count, 'the newest version’s rows');

    const sorted = async (order: string) =>
      (await getJson(server, `/api/datasets?sort_by=row_count&sort_order=${order}`)).body.map((d: any) => [d.name, d.row_count]);
    const asc = await sorted('asc');
    t.same(asc.map((p: any[]) => p[1]), [...asc.map((p: any[]) => p[1])].sort((a, b) => a - b), 'ascending by row_count');
    t.same(asc.map((p: any[]) => p[0]).sort(), ['big', 'book', 'small'], 'every dataset once');
    t.same(await sorted('desc'), [...asc].reverse(), 'descending is the reverse');
    const paged = await getJson(server, '/api/datasets?sort_by=row_count&sort_order=desc&limit=1&offset=1');
    t.same(paged.body.map((d: any) => d.name), [asc[1][0]], 'paging applies after the sort');

    // Deleting the current version falls back to the previous one; deleting every version leaves null.
    const dsId = small.body.dataset.id;
    t.equal((await fetch(`${server.url}/api/datasets/${dsId}/versions/${v2.body.version.id}`, { method: 'DELETE' })).status, 204);
    t.equal((await getJson(server, `/api/datasets/${dsId}`)).body.row_count, 3, 'back to version 1’s rows');
    t.equal((await fetch(`${server.url}/api/datasets/${dsId}/versions/${small.body.version.id}`, { method: 'DELETE' })).status, 204);
    const empty = await getJson(server, `/api/datasets/${dsId}`);
    t.match(empty.body, { row_count: null, current_version: null, version_count: 0 }, 'no version: row_count is null');
    const listed = (await getJson(server, '/api/datasets?sort_by=row_count&sort_order=asc')).body;
    t.same(listed.map((d: any) => d.row_count), [null, bookRows < 250 ? bookRows : 250, bookRows < 250 ? 250 : bookRows], 'a dataset without versions sorts first ascending');

    const patched = await fetch(`${server.url}/api/datasets/${big.body.dataset.id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ description: 'more rows' }),
    });
    t.equal((await patched.json()).row_count, 250, 'PATCH answers with row_count too');
    t.match(await getJson(server, '/api/datasets?sort_by=rows'), { status: 400, body: { detail: /row_count/ } }, 'an unknown sort key lists the keys');
  });
}

t.test('a DATA_DIR made before row_count gains it on start', async (t) => {
  const { default: Database } = await import('better-sqlite3');
  const dataDir = tmpDir(t);
  // The view as it was before row_count, in an otherwise empty catalog.
  const old = new Database(join(dataDir, 'catalog.sqlite'));
  old.exec(`CREATE TABLE datasets (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, description TEXT, tags TEXT NOT NULL DEFAULT '[]',
              created_at TEXT NOT NULL, updated_at TEXT NOT NULL, last_version_number INTEGER NOT NULL DEFAULT 0);
            CREATE VIEW dataset_view AS SELECT d.id, d.name, d.description, d.tags, d.created_at, d.updated_at, NULL AS current_version,
              0 AS file_size, 0 AS version_count FROM datasets d;`);
  old.close();
  const server = await startServer(t, { backend: 'local', dataDir });
  const up = await upload(server, csv(7), 'seven.csv', { name: 'seven' });
  t.equal(up.status, 201);
  t.equal((await getJson(server, '/api/datasets')).body[0].row_count, 7);
});
