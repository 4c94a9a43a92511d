/**
 * Access control: API keys made by `npm run api-key`, scopes per method, 401/403, keys never logged,
 * refusal to serve beyond loopback without keys, and per-key rate limits.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { BACKENDS, MAIN, ROOT, getJson, startServer, tmpDir, upload } from '../support/server.js';

function makeKey(name: string, scopes: string): { key: string; entry: string } {
  const out = execFileSync(process.execPath, [join(ROOT, 'dist/src/cli/api-key.js'), name, scopes], { encoding: 'utf8' });
  return { key: /key .*: (\S+)/.exec(out)![1], entry: /API_KEYS entry: (\S+)/.exec(out)![1] };
}

const reader = makeKey('reader', 'read');
const writer = makeKey('writer', 'write');
const admin = makeKey('admin', 'admin');
const auth = (k: { key: string }) => ({ authorization: `Bearer ${k.key}` });

t.test('scopes, 401 and 403', async (t) => {
  t.notOk([reader, writer, admin].some((k) => k.entry.includes(k.key)), 'the entry holds a hash, not the key');
  const server = await startServer(t, {
    backend: 'memory',
    env: { API_KEYS: [reader, writer, admin].map((k) => k.entry).join(','), RATE_LIMIT_PER_MINUTE: '1000' },
  });

  const none = await getJson(server, '/api/datasets');
  t.match(none, { status: 401, body: { error_code: 'unauthorized', detail: /Bearer/ } });
  t.equal(none.headers.get('www-authenticate'), 'Bearer');
  t.match(await getJson(server, '/api/datasets', { headers: { authorization: 'Bearer nope' } }), { status: 401, body: { detail: /not valid/ } });
  t.equal((await getJson(server, '/health')).status, 200, '/health stays open');

  const form = new FormData();
  form.set('name', 'secured');
  form.set('file', new Blob(['a,b\n1,2\n']), 's.csv');
  const denied = await fetch(`${server.url}/api/datasets/upload`, { method: 'POST', body: form, headers: auth(reader) });
  t.equal(denied.status, 403);
  t.match(await denied.json(), { error_code: 'forbidden', detail: /"reader" lacks the "write" scope/ });
  const created = await fetch(`${server.url}/api/datasets/upload`, { method: 'POST', body: form, headers: auth(writer) });
  t.equal(created.status, 201, 'write may upload');
  const id = (await created.json()).dataset.id;

  t.equal((await getJson(server, `/api/datasets/${id}`, { headers: auth(reader) })).status, 200, 'read may read');
  t.equal((await getJson(server, `/api/datasets/${id}`, { headers: auth(writer) })).status, 200, 'write may read');
  t.equal((await fetch(`${server.url}/api/datasets/${id}`, { method: 'DELETE', headers: auth(writer) })).status, 403, 'write may not delete');
  t.equal((await fetch(`${server.url}/api/datasets/${id}`, { method: 'DELETE', headers: auth(admin) })).status, 204, 'admin may');

  const logs = server.logs.join('\n');
  for (const k of [reader, writer, admin]) t.notOk(logs.includes(k.key), `the ${k.entry.split(':')[0]} key never appears in the logs`);
});

t.test('per-key rate limits', async (t) => {
  const server = await startServer(t, { backend: 'memory', env: { API_KEYS: `${reader.entry},${writer.entry}`, RATE_LIMIT_PER_MINUTE: '5' } });
  const statuses: number[] = [];
  for (let i = 0; i < 6; i++) statuses.push((await getJson(server, '/api/datasets', { headers: auth(reader) })).status);
  t.same(statuses, [200, 200, 200, 200, 200, 429]);
  const limited = await getJson(server, '/api/datasets', { headers: auth(reader) });
  t.match(limited.body, { error_code: 'rate_limited', detail: /RATE_LIMIT_PER_MINUTE/ });
  t.ok(Number(limited.headers.get('retry-after')) > 0, 'Retry-After');
  t.equal((await getJson(server, '/api/datasets', { headers: auth(writer) })).status, 200, 'another key has its own budget');
});

t.test('no API beyond loopback without keys', async (t) => {
  const cwd = tmpDir(t);
  const refused = spawnSync(process.execPath, [MAIN], { cwd, env: { PATH: process.env.PATH, HOST: '0.0.0.0', PORT: '0' }, encoding: 'utf8', timeout: 20_000 });
  t.equal(refused.status, 2);
  t.match(refused.stderr, /HOST=0\.0\.0\.0 .*API_KEYS.*ALLOW_UNAUTHENTICATED=true/);
  const badKeys = spawnSync(process.execPath, [MAIN], { cwd, env: { PATH: process.env.PATH, API_KEYS: 'x:root:abc', PORT: '0' }, encoding: 'utf8', timeout: 20_000 });
  t.equal(badKeys.status, 2);
  t.match(badKeys.stderr, /API_KEYS entry "x:root:abc" is not name:scope\+scope:sha256hex/);
});

t.test('without keys on loopback the API is open, as before', async (t) => {
  const server = await startServer(t, { backend: 'memory' });
  t.equal((await upload(server, 'a\n1\n', 'open.csv')).status, 201);
});

for (const backend of BACKENDS) {
  t.test(`${backend} backend: GET /api/access names the key's scopes, which are what the API enforces`, async (t) => {
    const both = makeKey('both', 'read+write');
    const server = await startServer(t, {
      backend,
      env: { API_KEYS: [reader, writer, admin, both].map((k) => k.entry).join(',') },
    });
    t.match(await getJson(server, '/api/access'), { status: 401, body: { error_code: 'unauthorized' } }, 'no key: 401');
    t.match(await getJson(server, '/api/access', { headers: { authorization: 'Bearer dsk_wrong' } }), { status: 401, body: { detail: /not valid/ } });

    const expected: [typeof reader, string, string[]][] = [
      [reader, 'reader', ['read']],
      [writer, 'writer', ['read', 'write']],
      [admin, 'admin', ['read', 'write', 'admin']],
      [both, 'both', ['read', 'write']],
    ];
    for (const [key, name, scopes] of expected) {
      const access = await getJson(server, '/api/access', { headers: auth(key) });
      t.same(access.body, { auth: 'api_key', key_name: name, scopes }, `${name}: its effective scopes`);
      t.notOk(JSON.stringify(access.body).includes(key.key), 'the answer never holds the key');

      // What the API does with this key, scope by scope: an upload (write) and a delete (admin).
      const form = new FormData();
      form.set('name', `by ${name}`);
      form.set('file', new Blob(['a\n1\n']), 'a.csv');
      const up = await fetch(`${server.url}/api/datasets/upload`, { method: 'POST', body: form, headers: auth(key) });
      t.equal(up.status === 201, scopes.includes('write'), `${name}: upload allowed exactly when "write" is listed (${up.status})`);
      const seed = up.status === 201 ? await up.json() : await (await fetch(`${server.url}/api/datasets/upload`, { method: 'POST', body: form, headers: auth(admin) })).json();
      const del = await fetch(`${server.url}/api/datasets/${seed.dataset.id}`, { method: 'DELETE', headers: auth(key) });
      t.equal(del.status === 204, scopes.includes('admin'), `${name}: delete allowed exactly when "admin" is listed (${del.status})`);
      const read = await getJson(server, '/api/datasets', { headers: auth(key) });
      t.equal(read.status, 200, `${name}: reads`);
    }
  });

  t.test(`${backend} backend: without API_KEYS, GET /api/access allows every scope`, async (t) => {
    const server = await startServer(t, { backend });
    t.same((await getJson(server, '/api/access')).body, { auth: 'none', scopes: ['read', 'write', 'admin'] });
  });
}
