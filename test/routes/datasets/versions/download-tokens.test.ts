/**
 * Download tokens (POST …/download-tokens, GET /api/downloads/{token}) with API keys on, both backends: a token
 * downloads its view once without an Authorization header, never carries the key, and its bytes equal the same
 * export fetched from `…/data` with the key (and a `format: "original"` token's bytes equal `…/download`'s); a
 * second use, an expired or unknown token, a changed query and a bad view are refused with a clear detail.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SETUPS, ROOT, getJson, startServer, type Server } from '../../../support/server.js';

const CSV = readFileSync(join(ROOT, 'test/fixtures/contract/seattle-weather-2012-01.csv'));

function makeKey(name: string, scopes: string): { key: string; entry: string } {
  const out = execFileSync(process.execPath, [join(ROOT, 'dist/src/cli/api-key.js'), name, scopes], { encoding: 'utf8' });
  return { key: /key .*: (\S+)/.exec(out)![1], entry: /API_KEYS entry: (\S+)/.exec(out)![1] };
}
const reader = makeKey('reader', 'read');
const writer = makeKey('writer', 'write');
const KEYS = { API_KEYS: `${reader.entry},${writer.entry}` };
const auth = (k?: { key: string }) => (k ? { authorization: `Bearer ${k.key}` } : {});

async function uploadCsv(server: Server, key?: { key: string }): Promise<{ ds: number; vid: number }> {
  const form = new FormData();
  form.set('name', 'weather');
  form.set('file', new Blob([CSV]), 'seattle-weather.csv');
  const res = await fetch(`${server.url}/api/datasets/upload`, { method: 'POST', body: form, headers: auth(key) });
  const body = await res.json();
  return { ds: body.dataset.id, vid: body.version.id };
}

async function mint(server: Server, ds: number, vid: number, view: unknown, key?: { key: string }) {
  return getJson(server, `/api/datasets/${ds}/versions/${vid}/download-tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...auth(key) },
    body: JSON.stringify(view),
  });
}

async function bytes(server: Server, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${server.url}${path}`, { headers });
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

for (const { backend, catalog, name } of SETUPS) {
  t.test(`${name}, API keys on`, async (t) => {
    const server = await startServer(t, { backend, catalog, env: KEYS });
    const { ds, vid } = await uploadCsv(server, writer);
    const data = `/api/datasets/${ds}/versions/${vid}/data`;

    t.test('a token downloads its view once, the same bytes as the export with the key', async (t) => {
      const view = { format: 'csv', filters: { 'filter[weather]in': 'rain,sun', 'filter[temp_max]gte': '8' }, sort: '-temp_max,date', columns: 'date,temp_max,weather' };
      t.equal((await mint(server, ds, vid, view)).status, 401, 'minting needs a key');
      const minted = await mint(server, ds, vid, view, reader);
      t.equal(minted.status, 201, 'the read scope mints');
      const { token, url, expires_at } = minted.body;
      t.match(token, /^[A-Za-z0-9_-]{43}$/);
      t.equal(url, `/api/downloads/${token}`);
      t.notOk(url.includes(reader.key) || url.includes(writer.key), 'the URL never holds a key');
      const ttl = Date.parse(expires_at) - Date.now();
      t.ok(ttl > 50_000 && ttl <= 60_000, `expires in about 60 s (${ttl} ms)`);

      const withKey = await bytes(server, `${data}?format=csv&filter[weather]in=rain,sun&filter[temp_max]gte=8&sort=-temp_max,date&columns=date,temp_max,weather`, auth(reader));
      t.equal(withKey.status, 200);
      const first = await bytes(server, url);
      t.equal(first.status, 200, 'no Authorization header needed');
      t.ok(first.bytes.equals(withKey.bytes), 'the same bytes as …/data with the key');
      t.ok(withKey.bytes.toString().split('\n').length > 5, 'a real export, several rows');
      t.equal(first.headers.get('content-type'), withKey.headers.get('content-type'));
      t.equal(first.headers.get('x-total-rows'), withKey.headers.get('x-total-rows'));
      t.match(first.headers.get('content-disposition'), /^attachment; filename="seattle-weather\.csv"/);
      t.equal(first.headers.get('cache-control'), 'no-store');

      const again = await getJson(server, url);
      t.match(again, { status: 404, body: { error_code: 'download_token_not_found', detail: /already used.*POST \/api\/datasets\/\d+\/versions\/\d+\/download-tokens/ } }, 'a second use');
      const withKeyAgain = await getJson(server, url, { headers: auth(reader) });
      t.equal(withKeyAgain.status, 404, 'a key does not revive a used token');
    });

    t.test('each export format, and a window', async (t) => {
      for (const [view, query] of [
        [{ format: 'parquet' }, 'format=parquet'],
        [{ format: 'arrow-stream', offset: 3, limit: 7, sort: 'wind' }, 'format=arrow-stream&offset=3&limit=7&sort=wind'],
        [{ format: 'ndjson', filters: { 'filter[precipitation]gt': '0' }, csv_safe: true }, 'format=ndjson&filter[precipitation]gt=0&csv_safe=true'],
        [{ format: 'arrow-file', columns: 'date' }, 'format=arrow-file&columns=date'],
      ] as const) {
        const minted = await mint(server, ds, vid, view, reader);
        t.equal(minted.status, 201, `${query}: minted`);
        const viaToken = await bytes(server, minted.body.url);
        const viaKey = await bytes(server, `${data}?${query}`, auth(reader));
        t.equal(viaToken.status, 200);
        t.ok(viaToken.bytes.length > 0 && viaToken.bytes.equals(viaKey.bytes), `${query}: the same bytes`);
      }
      const xlsx = await mint(server, ds, vid, { format: 'xlsx', filters: { 'filter[weather]eq': 'sun' } }, reader);
      const book = await bytes(server, xlsx.body.url);
      t.equal(book.status, 200);
      t.equal(book.headers.get('content-type'), 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
      t.equal(book.bytes.subarray(0, 2).toString(), 'PK', 'a zip');
      t.match(book.headers.get('content-disposition'), /filename="seattle-weather\.xlsx"/);
      const sunny = await getJson(server, `${data}?filter[weather]eq=sun&page_size=1`, { headers: auth(reader) });
      t.equal(book.headers.get('x-total-rows'), String(sunny.body.total_rows), 'the filtered rows');
    });

    t.test('format "original": the uploaded file, once, as …/download answers it with the key', async (t) => {
      const minted = await mint(server, ds, vid, { format: 'original' }, reader);
      t.equal(minted.status, 201, 'the read scope mints it');
      t.notOk(minted.body.url.includes(reader.key), 'the URL never holds the key');
      const withKey = await bytes(server, `/api/datasets/${ds}/versions/${vid}/download`, auth(reader));
      t.equal(withKey.status, 200);
      const viaToken = await bytes(server, minted.body.url);
      t.equal(viaToken.status, 200, 'no Authorization header needed');
      t.ok(viaToken.bytes.equals(CSV) && viaToken.bytes.equals(withKey.bytes), 'the uploaded bytes, as …/download answers them');
      for (const h of ['content-type', 'content-disposition', 'content-length']) t.equal(viaToken.headers.get(h), withKey.headers.get(h), h);
      t.equal(viaToken.headers.get('cache-control'), 'no-store');
      t.match(await getJson(server, minted.body.url), { status: 404, body: { error_code: 'download_token_not_found', detail: /already used/ } }, 'single-use');
      t.match(
        await mint(server, ds, vid, { format: 'original', sheet: 'Sheet1', csv_safe: true }, reader),
        { status: 400, body: { error_code: 'invalid_request', detail: /format "original" is the uploaded file as it is: sheet, csv_safe cannot apply/ } },
        'no view fields with the original file',
      );
      t.match(await mint(server, ds, 999_999, { format: 'original' }, reader), { status: 404, body: { error_code: 'version_not_found' } });
    });

    t.test('the token fixes the view: a query is refused, and the token stays usable', async (t) => {
      const minted = await mint(server, ds, vid, { format: 'csv', columns: 'date' }, reader);
      const changed = await getJson(server, `${minted.body.url}?format=parquet`);
      t.match(changed, { status: 400, body: { error_code: 'invalid_request', detail: /format/ } });
      const other = await getJson(server, `${minted.body.url}?filter[weather]eq=sun`);
      t.equal(other.status, 400, 'another filter');
      const used = await bytes(server, minted.body.url);
      t.equal(used.status, 200, 'still downloads its own view once');
      t.equal(used.bytes.toString().split('\n')[0], 'date', 'its columns');
    });

    t.test('unknown tokens, concurrent uses', async (t) => {
      t.match(await getJson(server, '/api/downloads/not-a-token'), { status: 404, body: { error_code: 'download_token_not_found', detail: /no such download token/ } });
      const minted = await mint(server, ds, vid, { format: 'csv' }, reader);
      const head = await fetch(`${server.url}${minted.body.url}`, { method: 'HEAD' });
      t.not(head.status, 200, 'no HEAD (a link checker must not use up the token)');
      const both = await Promise.all([bytes(server, minted.body.url), bytes(server, minted.body.url)]);
      t.same(both.map((r) => r.status).sort(), [200, 404], 'two uses at once: one download');

    });

    t.test('a bad view is a 400 when minting, naming what is wrong', async (t) => {
      const cases: [unknown, RegExp][] = [
        [{ format: 'csv', columns: 'colour' }, /no column "colour"/],
        [{ format: 'csv', filters: { 'filter[temp_max]gte': 'hot' } }, /temp_max/],
        [{ format: 'csv', filters: { 'filter[weather]EQ': 'sun' } }, /unknown filter operator "EQ"/],
        [{ format: 'csv', filters: { weather: 'sun' } }, /weather/],
        [{ format: 'json' }, /format/],
        [{ format: 'csv', limit: '5' }, /body\.limit must be integer/],
        [{ format: 'csv', colour: 'red' }, /colour/],
        [{}, /format/],
      ];
      for (const [view, detail] of cases) {
        t.match(await mint(server, ds, vid, view, reader), { status: 400, body: { error_code: 'invalid_request', detail } }, JSON.stringify(view));
      }
      t.match(await mint(server, ds, vid, { format: 'csv', sheet: 'nope' }, reader), { status: 404, body: { error_code: 'sheet_not_found' } });
      t.match(await mint(server, ds, 999_999, { format: 'csv' }, reader), { status: 404, body: { error_code: 'version_not_found' } });
    });
  });

  t.test(`${backend} backend: expiry, a deleted version, and no API keys`, async (t) => {
    // A TTL short enough to wait out, long enough that "in time" holds on a loaded machine (no race with it).
    const server = await startServer(t, { backend, env: { DOWNLOAD_TOKEN_TTL_S: '4' } });
    const { ds, vid } = await uploadCsv(server);
    const minted = await mint(server, ds, vid, { format: 'csv' });
    t.equal(minted.status, 201, 'without API_KEYS minting works the same');
    const late = await mint(server, ds, vid, { format: 'csv' });
    t.equal((await bytes(server, minted.body.url)).status, 200, 'used in time');
    // expires_at is whole seconds (the true expiry is up to 1 s later): wait until it has surely passed.
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(late.body.expires_at) + 1_200 - Date.now())));
    t.match(await getJson(server, late.body.url), { status: 404, body: { error_code: 'download_token_not_found', detail: /expired.*DOWNLOAD_TOKEN_TTL_S/ } }, 'expired');

    const doomed = await mint(server, ds, vid, { format: 'csv' });
    t.equal((await fetch(`${server.url}/api/datasets/${ds}`, { method: 'DELETE' })).status, 204);
    t.match(await getJson(server, doomed.body.url), { status: 404, body: { error_code: /^(dataset|version)_not_found$/ } }, 'the version was deleted since');
  });
}
