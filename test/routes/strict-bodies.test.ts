/**
 * JSON bodies are checked as sent: a wrong type or an unknown field is a 400 whose detail names the field, and
 * nothing is coerced or stored. Query strings and path parameters keep the conversion HTTP needs. Both backends.
 */
import t, { type Test } from 'tap';
import { SETUPS, getJson, startServer, upload, type Server } from '../support/server.js';

const send = (server: Server, method: string, path: string, body: unknown) =>
  getJson(server, path, { method, headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

function isFieldError(t: Test, res: { status: number; body: any }, detail: RegExp, label: string) {
  t.equal(res.status, 400, `${label}: 400`);
  t.equal(res.body?.error_code, 'invalid_request', `${label}: invalid_request`);
  t.match(res.body?.detail, detail, `${label}: the detail names the field`);
  t.match(res.body?.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `${label}: timestamp`);
}

for (const { backend, catalog, name } of SETUPS) {
  t.test(name, async (t) => {
    const server = await startServer(t, { backend, catalog });
    const up = await upload(server, 'city,pop\nOslo,700000\nBergen,290000\n', 'cities.csv', { name: 'cities', description: 'two cities', tags: 'nordic,towns' });
    t.equal(up.status, 201);
    const id = up.body.dataset.id as number;
    const vid = up.body.version.id as number;
    const before = (await getJson(server, `/api/datasets/${id}`)).body;

    t.test('PATCH: wrong types and unknown fields are 400s naming the field; the dataset is unchanged', async (t) => {
      const cases: [unknown, RegExp][] = [
        [{ tags: 'x' }, /^body\.tags must be array$/],
        [{ name: 5 }, /^body\.name must be string$/],
        [{ description: ['x'] }, /^body\.description must be string,null$/],
        [{ tags: ['ok', 7] }, /^body\.tags\.1 must be string$/],
        [{ name: null }, /^body\.name must be string$/],
        [{ name: 'fine', colour: 'red' }, /^body has an unknown field "colour"; allowed: name, description, tags$/],
        [['name'], /body must be a JSON object/],
        ['"cities"', /body must be a JSON object/],
      ];
      for (const [body, detail] of cases) {
        isFieldError(t, await send(server, 'PATCH', `/api/datasets/${id}`, body), detail, `PATCH ${JSON.stringify(body)}`);
      }
      t.same((await getJson(server, `/api/datasets/${id}`)).body, before, 'the dataset is exactly as before');
    });

    t.test('PATCH with the right types still works', async (t) => {
      const ok = await send(server, 'PATCH', `/api/datasets/${id}`, { name: ' renamed ', tags: [' a ', 'a', 'b'], description: null });
      t.equal(ok.status, 200);
      t.match(ok.body, { name: 'renamed', tags: ['a', 'b'], description: null });
      const back = await send(server, 'PATCH', `/api/datasets/${id}`, { name: before.name, tags: before.tags, description: before.description });
      t.same(back.body.tags, before.tags);
    });

    t.test('SQL body: strict', async (t) => {
      const path = `/api/datasets/${id}/versions/${vid}/query`;
      isFieldError(t, await send(server, 'POST', path, { sql: 5 }), /^body\.sql must be string$/, 'sql a number');
      isFieldError(t, await send(server, 'POST', path, { sql: 'SELECT * FROM data', limit: '5' }), /^body\.limit must be integer$/, 'limit a string');
      isFieldError(t, await send(server, 'POST', path, { sql: 'SELECT * FROM data', page: true }), /^body\.page must be integer$/, 'page a boolean');
      isFieldError(t, await send(server, 'POST', path, { sql: 'SELECT * FROM data', rows: 5 }), /unknown field "rows"; allowed: sql, page, page_size, offset, limit, int64/, 'unknown field');
      const ok = await send(server, 'POST', path, { sql: 'SELECT count(*) AS n FROM data', limit: 5 });
      t.equal(ok.status, 200);
      t.same(ok.body.data, [{ n: 2 }]);
    });

    t.test('schema compare and version tag bodies: strict', async (t) => {
      const compare = `/api/datasets/${id}/schema/compare`;
      isFieldError(t, await send(server, 'POST', compare, { version_id_1: String(vid), version_id_2: vid }), /^body\.version_id_1 must be integer$/, 'compare id as text');
      isFieldError(t, await send(server, 'POST', compare, { version_id_1: vid, version_id_2: vid, sheet: 1 }), /^body\.sheet must be string$/, 'compare sheet a number');
      t.equal((await send(server, 'POST', compare, { version_id_1: vid, version_id_2: vid })).status, 200);

      const tag = `/api/datasets/${id}/tags/prod`;
      isFieldError(t, await send(server, 'POST', tag, { version_id: String(vid) }), /^body\.version_id must be integer$/, 'tag version_id as text');
      isFieldError(t, await send(server, 'POST', tag, { version_id: vid, description: 5 }), /^body\.description must be string,null$/, 'tag description a number');
      t.equal((await getJson(server, tag)).status, 404, 'no tag was stored');
      t.equal((await send(server, 'POST', tag, { version_id: vid })).status, 201);
    });

    t.test('query strings and path parameters are still converted', async (t) => {
      const list = await getJson(server, '/api/datasets?limit=10&offset=0&tags=nordic');
      t.equal(list.status, 200);
      t.equal(list.headers.get('x-total-count'), '1');
      t.equal(list.body.length, 1);
      const page = await getJson(server, `/api/datasets/${id}/versions/${vid}/data?page=1&page_size=1&csv_safe=false`);
      t.equal(page.status, 200);
      t.equal(page.body.page_size, 1);
      isFieldError(t, await getJson(server, '/api/datasets?limit=ten'), /^querystring\.limit must be integer$/, 'a limit that is not a number');
      isFieldError(t, await getJson(server, '/api/datasets/abc'), /^params\.id must be integer$/, 'an id that is not a number');
    });
  });
}
