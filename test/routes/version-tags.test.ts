/**
 * Version tags (`/api/datasets/{id}/tags/{tag_name}`, `…/versions/tag/{tag_name}`, `…/versions/number/{n}`) and
 * schema comparison (`POST /api/datasets/{id}/schema/compare`), on both backends, against the real server.
 */
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { writeParquet } from '../support/parquet-writer.js';
import { SETUPS, ROOT, getJson, startServer, upload, type Server } from '../support/server.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const NAME_RULE = /1 to 64 characters of letters \(A-Z, a-z\), digits, '\.', '_' and '-'/;

const post = (server: Server, path: string, body: unknown) =>
  getJson(server, path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
/** A POST whose path is sent exactly as written (fetch would resolve `.` and `..` segments). */
function rawPost(server: Server, path: string, body: unknown): Promise<{ status: number; body: any }> {
  const data = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const { hostname, port } = new URL(server.url);
    const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) };
    const req = request({ hostname, port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c) => (text += c)).on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(data);
  });
}
const del = (server: Server, path: string) => getJson(server, path, { method: 'DELETE' });

/** v1 → v2: columns reordered (no change by itself); `code` int → string; `score` gains a null; `qty` int → string
 * and gains a null; `legacy` removed; `email` added. */
const COMPARE_V1 = 'id,name,code,score,qty,legacy\n1,Ann,10,1.5,5,x\n2,Bob,20,2.5,6,y\n3,Cid,30,3.5,7,z\n';
const COMPARE_V2 = 'name,id,code,score,qty,email\nAnn,1,A10,1.5,five,ann@example.org\nBob,2,20,,6,bob@example.org\nCid,3,30,3.5,,cid@example.org\n';
/** The same columns as COMPARE_V1, with the same types and nullability, in another order and with other values. */
const COMPARE_V1_REORDERED = 'legacy,qty,score,code,name,id\nq,8,9.25,40,Dee,4\n';

for (const { backend, catalog, name } of SETUPS) {
  t.test(name, async (t) => {
    const server = await startServer(t, { backend, catalog });

    const first = await upload(server, 'a,b\n1,2\n', 'a1.csv', { name: 'Tagged', tags: 'geo,prod-data' });
    t.equal(first.status, 201);
    const ds = first.body.dataset.id as number;
    const v1 = first.body.version.id as number;
    const second = await upload(server, 'a,b\n3,4\n', 'a2.csv', { dataset_id: String(ds) });
    const v2 = second.body.version.id as number;
    const third = await upload(server, 'a,b\n5,6\n', 'a3.csv', { dataset_id: String(ds) });
    const v3 = third.body.version.id as number;
    t.same([second.body.version.version_number, third.body.version.version_number], [2, 3]);
    const other = await upload(server, 'z\n1\n', 'other.csv', { name: 'Other', tags: 'geo' });
    const otherDs = other.body.dataset.id as number;
    const otherV = other.body.version.id as number;

    t.test('create, move, get, list, delete', async (t) => {
      const created = await post(server, `/api/datasets/${ds}/tags/production`, { version_id: v1, description: 'what runs' });
      t.equal(created.status, 201, 'a new tag is 201');
      t.same(Object.keys(created.body).sort(), ['created_at', 'dataset_id', 'description', 'name', 'updated_at', 'version_id', 'version_number']);
      t.match(created.body, { name: 'production', dataset_id: ds, version_id: v1, version_number: 1, description: 'what runs' });
      t.match(created.body.created_at, ISO);
      t.equal(created.body.updated_at, created.body.created_at);

      const moved = await post(server, `/api/datasets/${ds}/tags/production`, { version_id: v2 });
      t.equal(moved.status, 200, 'moving an existing tag is 200');
      t.same(moved.body, { ...created.body, version_id: v2, version_number: 2, updated_at: moved.body.updated_at }, 'description and created_at kept');
      t.match(moved.body.updated_at, ISO);

      const again = await post(server, `/api/datasets/${ds}/tags/production`, { version_id: v2, description: null });
      t.equal(again.status, 200, 'pointing it at the version it already has is 200 too');
      t.equal(again.body.description, null, 'description: null clears it');

      const got = await getJson(server, `/api/datasets/${ds}/tags/production`);
      t.equal(got.status, 200);
      t.same(got.body, again.body);

      const caseDiffers = await getJson(server, `/api/datasets/${ds}/tags/Production`);
      t.match(caseDiffers, { status: 404, body: { error_code: 'tag_not_found', detail: /"Production"/ } }, 'names are case-sensitive');

      const staging = await post(server, `/api/datasets/${ds}/tags/staging`, { version_id: v3 });
      t.equal(staging.status, 201);
      t.equal(staging.body.description, null, 'no description given → null');
      const edgy = await post(server, `/api/datasets/${ds}/tags/v1.2-rc_3`, { version_id: v1 });
      t.equal(edgy.status, 201, 'dots, dashes, underscores and digits are allowed');
      const longest = 'L'.repeat(64);
      t.equal((await post(server, `/api/datasets/${ds}/tags/${longest}`, { version_id: v1 })).status, 201, '64 characters are allowed');

      const list = await getJson(server, `/api/datasets/${ds}/tags`);
      t.equal(list.status, 200);
      t.same(
        list.body.map((x: any) => [x.name, x.version_id, x.version_number]),
        [[longest, v1, 1], ['production', v2, 2], ['staging', v3, 3], ['v1.2-rc_3', v1, 1]],
        'listed by name (byte order)',
      );
      t.same((await getJson(server, `/api/datasets/${otherDs}/tags`)).body, [], 'tags belong to their dataset');

      const labels = await getJson(server, '/api/datasets/tags');
      t.equal(labels.status, 200);
      t.same(labels.body, [{ name: 'geo', count: 2 }, { name: 'prod-data', count: 1 }], '/api/datasets/tags is still the dataset labels');

      const removed = await del(server, `/api/datasets/${ds}/tags/staging`);
      t.equal(removed.status, 204);
      t.equal(removed.body, undefined);
      t.match(await getJson(server, `/api/datasets/${ds}/tags/staging`), { status: 404, body: { error_code: 'tag_not_found' } });
      t.match(await del(server, `/api/datasets/${ds}/tags/staging`), { status: 404, body: { error_code: 'tag_not_found' } });
      t.match(await getJson(server, `/api/datasets/${ds}/versions/${v3}`), { status: 200, body: { id: v3 } }, 'the version stays');
      await del(server, `/api/datasets/${ds}/tags/${longest}`);
      await del(server, `/api/datasets/${ds}/tags/v1.2-rc_3`);
      t.same((await getJson(server, `/api/datasets/${ds}/tags`)).body.map((x: any) => x.name), ['production']);
    });

    t.test('resolving a version by tag and by number', async (t) => {
      const byTag = await getJson(server, `/api/datasets/${ds}/versions/tag/production`);
      const direct = await getJson(server, `/api/datasets/${ds}/versions/${v2}`);
      t.equal(byTag.status, 200);
      t.same(byTag.body, direct.body, 'same body as GET …/versions/{vid}');
      t.equal(byTag.body.id, v2);
      t.notOk('storage_key' in byTag.body);

      for (const [n, id] of [[1, v1], [2, v2], [3, v3]]) {
        const byNumber = await getJson(server, `/api/datasets/${ds}/versions/number/${n}`);
        t.same(byNumber.body, (await getJson(server, `/api/datasets/${ds}/versions/${id}`)).body, `number ${n}`);
      }
      t.match(await getJson(server, `/api/datasets/${ds}/versions/number/4`), { status: 404, body: { error_code: 'version_not_found', detail: /number 4/ } });
      t.match(await getJson(server, `/api/datasets/${ds}/versions/number/0`), { status: 400, body: { error_code: 'invalid_request', detail: /params\.n/ } });
      t.match(await getJson(server, `/api/datasets/${ds}/versions/number/two`), { status: 400, body: { error_code: 'invalid_request' } });
      t.match(await getJson(server, `/api/datasets/${ds}/versions/tag/nope`), { status: 404, body: { error_code: 'tag_not_found' } });
      t.match(await getJson(server, `/api/datasets/999999/versions/tag/production`), { status: 404, body: { error_code: 'dataset_not_found' } });
      t.match(await getJson(server, `/api/datasets/999999/versions/number/1`), { status: 404, body: { error_code: 'dataset_not_found' } });
      t.match(await getJson(server, `/api/datasets/${ds}/versions/latest`), { status: 200, body: { id: v3 } }, 'latest still resolves');
    });

    t.test('refusals', async (t) => {
      const foreign = await post(server, `/api/datasets/${ds}/tags/borrowed`, { version_id: otherV });
      t.match(foreign, { status: 404, body: { error_code: 'version_not_found', detail: new RegExp(`dataset ${ds} has no version with id ${otherV}`) } });
      t.match(await getJson(server, `/api/datasets/${ds}/tags/borrowed`), { status: 404, body: { error_code: 'tag_not_found' } }, 'nothing was created');
      t.match(await post(server, `/api/datasets/${ds}/tags/x`, { version_id: 999999 }), { status: 404, body: { error_code: 'version_not_found' } });
      t.match(await post(server, `/api/datasets/999999/tags/x`, { version_id: v1 }), { status: 404, body: { error_code: 'dataset_not_found' } });
      t.match(await getJson(server, `/api/datasets/999999/tags`), { status: 404, body: { error_code: 'dataset_not_found' } });
      t.match(await getJson(server, `/api/datasets/999999/tags/production`), { status: 404, body: { error_code: 'dataset_not_found' } });
      t.match(await del(server, `/api/datasets/999999/tags/production`), { status: 404, body: { error_code: 'dataset_not_found' } });

      for (const bad of ['has%20space', 'L'.repeat(65), 'caf%C3%A9', 'a%2Fb', 'a%2Bb', 'a:b']) {
        for (const res of [
          await post(server, `/api/datasets/${ds}/tags/${bad}`, { version_id: v1 }),
          await getJson(server, `/api/datasets/${ds}/tags/${bad}`),
          await getJson(server, `/api/datasets/${ds}/versions/tag/${bad}`),
          await del(server, `/api/datasets/${ds}/tags/${bad}`),
        ]) {
          t.match(res, { status: 400, body: { error_code: 'invalid_request', detail: NAME_RULE } }, `tag name ${decodeURIComponent(bad)}`);
        }
      }
      // `.` and `..` alone: clients resolve them as path segments, so they are refused (sent here as-is).
      for (const dots of ['.', '..']) {
        t.match(await rawPost(server, `/api/datasets/${ds}/tags/${dots}`, { version_id: v1 }), { status: 400, body: { detail: NAME_RULE } }, `tag name ${dots}`);
      }
      t.same((await getJson(server, `/api/datasets/${ds}/tags`)).body.map((x: any) => x.name), ['production'], 'no bad name was stored');

      const cases: [unknown, RegExp][] = [
        [{}, /required property 'version_id'/],
        [{ version_id: 0 }, /body\.version_id must be >= 1/],
        [{ version_id: 'latest' }, /body\.version_id must be integer/],
        [{ version_id: v1, colour: 'red' }, /unknown field "colour"; allowed: version_id, description/],
        [{ version_id: v1, description: { text: 'x' } }, /body\.description must be string,null/],
        [{ version_id: v1, description: 'd'.repeat(10_001) }, /body\.description must NOT have more than 10000 characters/],
        [[v1], /body must be a JSON object|body must be object/],
      ];
      for (const [body, detail] of cases) {
        t.match(await post(server, `/api/datasets/${ds}/tags/x`, body), { status: 400, body: { error_code: 'invalid_request', detail } }, JSON.stringify(body));
      }
      const noBody = await getJson(server, `/api/datasets/${ds}/tags/x`, { method: 'POST' });
      t.match(noBody, { status: 400, body: { error_code: 'invalid_request', detail: /JSON object.*version_id/ } }, 'no body');
      t.match(await getJson(server, `/api/datasets/0/tags`), { status: 400, body: { detail: /params\.id must be >= 1/ } });
    });

    t.test('deleting a tagged version deletes its tags', async (t) => {
      t.equal((await post(server, `/api/datasets/${ds}/tags/also-v2`, { version_id: v2 })).status, 201);
      t.equal((await post(server, `/api/datasets/${ds}/tags/newest`, { version_id: v3 })).status, 201);
      t.equal((await del(server, `/api/datasets/${ds}/versions/${v2}`)).status, 204);
      t.match(await getJson(server, `/api/datasets/${ds}/tags/production`), { status: 404, body: { error_code: 'tag_not_found' } });
      t.match(await getJson(server, `/api/datasets/${ds}/versions/tag/also-v2`), { status: 404, body: { error_code: 'tag_not_found' } });
      t.same((await getJson(server, `/api/datasets/${ds}/tags`)).body.map((x: any) => [x.name, x.version_id]), [['newest', v3]]);
      t.match(await getJson(server, `/api/datasets/${ds}/versions/number/2`), { status: 404, body: { error_code: 'version_not_found' } });
      t.match(await getJson(server, `/api/datasets/${ds}/versions/number/3`), { status: 200, body: { id: v3 } });

      // The name is free again: re-creating it is a 201, not a move.
      t.equal((await post(server, `/api/datasets/${ds}/tags/production`, { version_id: v3 })).status, 201);
      // Tags do not survive their dataset.
      t.equal((await del(server, `/api/datasets/${otherDs}`)).status, 204);
      t.match(await getJson(server, `/api/datasets/${otherDs}/tags`), { status: 404, body: { error_code: 'dataset_not_found' } });
    });

    t.test('schema compare', async (t) => {
      const a = await upload(server, COMPARE_V1, 'people.csv', { name: 'People' });
      const pid = a.body.dataset.id as number;
      const p1 = a.body.version.id as number;
      const p2 = (await upload(server, COMPARE_V2, 'people.csv', { dataset_id: String(pid) })).body.version.id as number;
      const p3 = (await upload(server, COMPARE_V1, 'people-again.csv', { dataset_id: String(pid) })).body.version.id as number;
      const p4 = (await upload(server, COMPARE_V1_REORDERED, 'people-reordered.csv', { dataset_id: String(pid) })).body.version.id as number;
      const compare = (body: unknown, id = pid) => post(server, `/api/datasets/${id}/schema/compare`, body);

      const diff = await compare({ version_id_1: p1, version_id_2: p2 });
      t.equal(diff.status, 200);
      t.same(diff.body, {
        dataset_id: pid,
        version_id_1: p1,
        version_id_2: p2,
        sheet_1: 'Sheet1',
        sheet_2: 'Sheet1',
        identical: false,
        changes: [
          { column: 'code', change_type: 'type_changed', from_type: 'integer', to_type: 'string', from_dtype: 'Int64', to_dtype: 'String' },
          { column: 'score', change_type: 'nullability_changed', from_nullable: false, to_nullable: true },
          { column: 'qty', change_type: 'type_changed', from_type: 'integer', to_type: 'string', from_dtype: 'Int64', to_dtype: 'String' },
          { column: 'qty', change_type: 'nullability_changed', from_nullable: false, to_nullable: true },
          { column: 'legacy', change_type: 'removed', type: 'string', dtype: 'String', nullable: false },
          { column: 'email', change_type: 'added', type: 'string', dtype: 'String', nullable: false },
        ],
      });

      const back = await compare({ version_id_1: p2, version_id_2: p1 });
      t.same(
        back.body.changes.map((c: any) => [c.column, c.change_type]),
        [['code', 'type_changed'], ['score', 'nullability_changed'], ['qty', 'type_changed'], ['qty', 'nullability_changed'], ['email', 'removed'], ['legacy', 'added']],
        'the reverse comparison: version 2 order first, then what only version 1 has',
      );
      t.same(back.body.changes[0], { column: 'code', change_type: 'type_changed', from_type: 'string', to_type: 'integer', from_dtype: 'String', to_dtype: 'Int64' });

      t.same((await compare({ version_id_1: p1, version_id_2: p3 })).body, {
        dataset_id: pid, version_id_1: p1, version_id_2: p3, sheet_1: 'Sheet1', sheet_2: 'Sheet1', identical: true, changes: [],
      }, 'the same columns are identical');
      t.same((await compare({ version_id_1: p1, version_id_2: p1 })).body.identical, true, 'a version against itself');
      const reordered = await compare({ version_id_1: p1, version_id_2: p4 });
      t.same([reordered.body.identical, reordered.body.changes], [true, []], 'a change of column order alone is not a change');
      t.same((await compare({ version_id_1: p1, version_id_2: p3, sheet: 'Sheet1' })).body.identical, true, 'sheet named');

      // Refusals: versions of another dataset, unknown versions, unknown sheets, bad bodies.
      const elsewhere = (await upload(server, COMPARE_V1, 'elsewhere.csv', { name: 'Elsewhere' })).body;
      t.match(await compare({ version_id_1: p1, version_id_2: elsewhere.version.id }), {
        status: 404, body: { error_code: 'version_not_found', detail: new RegExp(`dataset ${pid} has no version with id ${elsewhere.version.id}`) },
      });
      t.match(await compare({ version_id_1: elsewhere.version.id, version_id_2: p1 }), { status: 404, body: { error_code: 'version_not_found' } });
      t.match(await compare({ version_id_1: 999999, version_id_2: p1 }), { status: 404, body: { error_code: 'version_not_found', detail: /999999/ } });
      t.match(await compare({ version_id_1: p1, version_id_2: p2 }, 999999), { status: 404, body: { error_code: 'dataset_not_found' } });
      t.match(await compare({ version_id_1: p1, version_id_2: p2, sheet: 'Nope' }), { status: 404, body: { error_code: 'sheet_not_found', detail: /Nope/ } });
      const bodies: [unknown, RegExp][] = [
        [{ version_id_1: p1 }, /required property 'version_id_2'/],
        [{ version_id_2: p1 }, /required property 'version_id_1'/],
        [{ version_id_1: 'v1', version_id_2: p2 }, /body\.version_id_1 must be integer/],
        [{ version_id_1: p1, version_id_2: -2 }, /body\.version_id_2 must be >= 1/],
        [{ version_id_1: p1, version_id_2: p2, sheet: '' }, /body\.sheet/],
        [{ version_id_1: p1, version_id_2: p2, versions: [] }, /unknown field "versions"; allowed: version_id_1, version_id_2, sheet/],
      ];
      for (const [body, detail] of bodies) {
        t.match(await compare(body), { status: 400, body: { error_code: 'invalid_request', detail } }, JSON.stringify(body));
      }
      t.match(await getJson(server, `/api/datasets/${pid}/schema/compare`, { method: 'POST' }), { status: 400, body: { detail: /JSON object/ } });
    });

    t.test('schema compare: dtype changes within a portable type, and named sheets', async (t) => {
      const narrow = writeParquet([{ name: 'n', data: [1, 2, 3] }, { name: 'f', data: [1.5, 2.5, 3.5] }], [
        { name: 'root', num_children: 2 },
        { name: 'n', type: 'INT32', repetition_type: 'REQUIRED' },
        { name: 'f', type: 'FLOAT', repetition_type: 'REQUIRED' },
      ]);
      const wide = writeParquet([{ name: 'n', data: [1n, 2n, 3n] }, { name: 'f', data: [1.5, 2.5, 3.5] }], [
        { name: 'root', num_children: 2 },
        { name: 'n', type: 'INT64', repetition_type: 'REQUIRED' },
        { name: 'f', type: 'DOUBLE', repetition_type: 'REQUIRED' },
      ]);
      const a = (await upload(server, narrow, 'narrow.parquet', { name: 'Widths' })).body;
      const b = (await upload(server, wide, 'wide.parquet', { dataset_id: String(a.dataset.id) })).body;
      const diff = await post(server, `/api/datasets/${a.dataset.id}/schema/compare`, { version_id_1: a.version.id, version_id_2: b.version.id });
      t.same(diff.body.changes, [
        { column: 'n', change_type: 'type_changed', from_type: 'integer', to_type: 'integer', from_dtype: 'Int32', to_dtype: 'Int64' },
        { column: 'f', change_type: 'type_changed', from_type: 'float', to_type: 'float', from_dtype: 'Float32', to_dtype: 'Float64' },
      ]);
      t.equal(diff.body.identical, false);

      const xlsx = readFileSync(join(ROOT, 'test/fixtures/multi-sheet.xlsx'));
      const x1 = (await upload(server, xlsx, 'book.xlsx', { name: 'Book' })).body;
      const x2 = (await upload(server, xlsx, 'book.xlsx', { dataset_id: String(x1.dataset.id) })).body;
      const x3 = (await upload(server, 'nom,valeur\nA,1\n', 'book.csv', { dataset_id: String(x1.dataset.id) })).body;
      const url = `/api/datasets/${x1.dataset.id}/schema/compare`;
      const first = await post(server, url, { version_id_1: x1.version.id, version_id_2: x2.version.id });
      t.match(first.body, { sheet_1: 'Ventes été 2024', sheet_2: 'Ventes été 2024', identical: true, changes: [] }, 'the first sheet by default');
      const named = await post(server, url, { version_id_1: x1.version.id, version_id_2: x2.version.id, sheet: 'Données' });
      t.match(named.body, { sheet_1: 'Données', sheet_2: 'Données', identical: true, changes: [] });
      const missing = await post(server, url, { version_id_1: x1.version.id, version_id_2: x3.version.id, sheet: 'Données' });
      t.match(missing, { status: 404, body: { error_code: 'sheet_not_found', detail: new RegExp(`version ${x3.version.id} has no sheet "Données"`) } });
      const mixed = await post(server, url, { version_id_1: x1.version.id, version_id_2: x3.version.id });
      t.match(mixed.body, { sheet_1: 'Ventes été 2024', sheet_2: 'Sheet1', identical: false });
      const schema1 = (await getJson(server, `/api/datasets/${x1.dataset.id}/versions/${x1.version.id}/schema`)).body.columns;
      t.same(
        mixed.body.changes,
        [
          ...schema1.map((c: any) => ({ column: c.name, change_type: 'removed', type: c.type, dtype: c.dtype, nullable: c.nullable })),
          { column: 'nom', change_type: 'added', type: 'string', dtype: 'String', nullable: false },
          { column: 'valeur', change_type: 'added', type: 'integer', dtype: 'Int64', nullable: false },
        ],
        'no column in common: every column removed, then every column added',
      );
    });

    t.test('OpenAPI', async (t) => {
      const doc = (await getJson(server, '/docs/json')).body;
      const routes: [string, string][] = [
        ['/api/datasets/{id}/tags/{tag_name}', 'post'],
        ['/api/datasets/{id}/tags/{tag_name}', 'get'],
        ['/api/datasets/{id}/tags/{tag_name}', 'delete'],
        ['/api/datasets/{id}/tags', 'get'],
        ['/api/datasets/{id}/versions/tag/{tag_name}', 'get'],
        ['/api/datasets/{id}/versions/number/{n}', 'get'],
        ['/api/datasets/{id}/schema/compare', 'post'],
      ];
      for (const [path, method] of routes) {
        const op = doc.paths[path]?.[method];
        t.same(op?.tags, ['versions'], `${method} ${path} is tagged versions`);
        t.type(op?.summary, 'string', `${method} ${path} has a summary`);
      }
      t.ok(doc.paths['/api/datasets/tags'].get, 'the dataset labels route is still there');
    });
  });
}

t.test('local backend: tags survive a restart, and an existing catalog gains the table', async (t) => {
  const server = await startServer(t, { backend: 'local' });
  const up = (await upload(server, 'a\n1\n', 'a.csv', { name: 'Kept' })).body;
  const created = await post(server, `/api/datasets/${up.dataset.id}/tags/production`, { version_id: up.version.id, description: 'kept' });
  t.equal(created.status, 201);
  t.equal(await server.stop(), 0);

  const again = await startServer(t, { backend: 'local', dataDir: server.dataDir });
  t.same((await getJson(again, `/api/datasets/${up.dataset.id}/tags/production`)).body, created.body, 'the tag is still there after a restart');
  t.equal(await again.stop(), 0);

  // A catalog written before version tags existed: no table, no index. Starting creates them.
  const db = new Database(join(server.dataDir, 'catalog.sqlite'));
  db.exec('DROP TABLE version_tags; DROP INDEX versions_id_dataset;');
  db.close();
  const upgraded = await startServer(t, { backend: 'local', dataDir: server.dataDir });
  t.same((await getJson(upgraded, `/api/datasets/${up.dataset.id}/tags`)).body, []);
  const recreated = await post(upgraded, `/api/datasets/${up.dataset.id}/tags/production`, { version_id: up.version.id });
  t.match(recreated, { status: 201, body: { name: 'production', version_id: up.version.id, version_number: 1 } });
  t.equal((await del(upgraded, `/api/datasets/${up.dataset.id}/versions/${up.version.id}`)).status, 204);
  t.match(await getJson(upgraded, `/api/datasets/${up.dataset.id}/tags/production`), { status: 404, body: { error_code: 'tag_not_found' } }, 'the cascade works on the upgraded catalog');
});
