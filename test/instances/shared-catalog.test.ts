/**
 * Several instances over one DATA_DIR and one PostgreSQL catalog (CATALOG_URL), as behind a load balancer, on a
 * real PostgreSQL the test starts itself: an upload through one is read through the others as soon as its 201 is
 * sent; concurrent new versions through different instances are numbered densely; a delete through one is a 404
 * through the others at once; an instance killed mid-upload leaves nothing another would show, and its restart
 * is clean; an instance that starts never removes another's upload in flight.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { controlledUpload } from '../support/controlled-upload.js';
import { newCatalogDatabase } from '../support/postgres.js';
import { getJson, startServer, tmpDir, upload, type Server } from '../support/server.js';

const CSV = 'id,city,temp\n1,Oslo,-3.5\n2,Lima,19.25\n3,Pune,31\n';
const BIG_ROWS = 200_000;
const BIG = Buffer.from(['id,label', ...Array.from({ length: BIG_ROWS }, (_, i) => `${i},row ${i}`)].join('\n') + '\n');

/** `count` instances on one DATA_DIR and one catalog database. */
async function instances(t: Test, count: number): Promise<{ servers: Server[]; start: () => Promise<Server>; dataDir: string }> {
  const dataDir = tmpDir(t, 'shared-');
  const env = { CATALOG_URL: await newCatalogDatabase() };
  const start = () => startServer(t, { backend: 'local', dataDir, env });
  const servers: Server[] = [];
  for (let i = 0; i < count; i++) servers.push(await start());
  return { servers, start, dataDir };
}

/** Entries in all of a server's data-worker caches (/health). */
async function cachedEntries(server: Server): Promise<number> {
  const { body } = await getJson(server, '/health');
  return body.workers.data.reduce((n: number, w: any) => n + w.cache.entries, 0);
}

/** Polls `check` until it holds; false if it never does within 200 tries 50 ms apart (a bound, not a timing). */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

t.test('an upload through one instance is read through the others', async (t) => {
  const { servers: [a, b, c] } = await instances(t, 3);
  const up = await upload(a, CSV, 'cities.csv', { name: 'Cities' });
  t.equal(up.status, 201);
  const { dataset, version } = up.body;
  for (const [name, s] of [['b', b], ['c', c]] as const) {
    t.same((await getJson(s, `/api/datasets/${dataset.id}`)).body.versions.map((v: any) => v.id), [version.id], `${name} lists the version`);
    const page = await getJson(s, `/api/datasets/${dataset.id}/versions/${version.id}/data`);
    t.same(page.body.data, [{ id: 1, city: 'Oslo', temp: -3.5 }, { id: 2, city: 'Lima', temp: 19.25 }, { id: 3, city: 'Pune', temp: 31 }], `${name} serves the rows`);
    const file = await fetch(`${s.url}/api/datasets/${dataset.id}/versions/${version.id}/download`);
    t.equal(await file.text(), CSV, `${name} serves the uploaded file`);
  }
  const minted = await fetch(`${a.url}/api/datasets/${dataset.id}/versions/${version.id}/download-tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format: 'original' }) });
  t.equal(minted.status, 201);
  const { url } = await minted.json();
  const used = await fetch(`${b.url}${url}`);
  t.equal(used.status, 200, 'a download token minted through a is used through b');
  t.equal(await used.text(), CSV);
  const again = await getJson(c, url);
  t.equal(again.status, 404, 'and only once, through any instance');
  t.match(again.body.detail, /already used/);
});

t.test('8 concurrent new versions through different instances are numbered densely', async (t) => {
  const { servers } = await instances(t, 2);
  const first = await upload(servers[0], CSV, 'v1.csv', { name: 'Counted' });
  const id = first.body.dataset.id;
  const answers = await Promise.all(
    Array.from({ length: 8 }, (_, i) => upload(servers[i % 2], `n\n${i}\n`, `v${i + 2}.csv`, { dataset_id: String(id) })),
  );
  t.same(answers.map((a) => a.status), Array(8).fill(201), 'every upload is accepted');
  t.same(answers.map((a) => a.body.version.version_number).sort((x, y) => x - y), [2, 3, 4, 5, 6, 7, 8, 9], 'numbers 2..9, each once');
  for (const s of servers) {
    const listed = (await getJson(s, `/api/datasets/${id}/versions`)).body.map((v: any) => v.version_number);
    t.same(listed, [9, 8, 7, 6, 5, 4, 3, 2, 1], 'every instance lists the same dense numbers');
  }
});

t.test('a delete through one instance is a 404 through the others at once', async (t) => {
  const { servers: [a, b] } = await instances(t, 2);
  const up = await upload(a, CSV, 'gone.csv', { name: 'Gone' });
  const { dataset, version } = up.body;
  const dataPath = `/api/datasets/${dataset.id}/versions/${version.id}/data`;
  t.equal((await getJson(b, dataPath)).status, 200, 'b served it');
  t.ok(await eventually(async () => (await cachedEntries(b)) > 0), 'b cached it');
  const patched = await fetch(`${a.url}/api/datasets/${dataset.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Renamed', tags: ['x'] }) });
  t.equal(patched.status, 200);
  t.match((await getJson(b, `/api/datasets/${dataset.id}`)).body, { name: 'Renamed', tags: ['x'] }, 'a PATCH through a is seen through b');
  const stats = await getJson(a, `/api/datasets/${dataset.id}/versions/${version.id}/statistics`);
  const refreshed = await fetch(`${b.url}/api/datasets/${dataset.id}/versions/${version.id}/statistics/refresh?detailed=true`, { method: 'POST' });
  t.equal(refreshed.status, 200);
  const refreshedBody = await refreshed.json();
  t.equal(refreshedBody.detailed, true);
  t.same((await getJson(a, `/api/datasets/${dataset.id}/versions/${version.id}/statistics`)).body, refreshedBody, "a statistics refresh through b is what a serves next");
  t.not(stats.body.detailed, true, 'a served the plain statistics before');
  const tagged = await fetch(`${a.url}/api/datasets/${dataset.id}/tags/prod`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version_id: version.id }) });
  t.equal(tagged.status, 201);
  t.equal((await getJson(b, `/api/datasets/${dataset.id}/versions/tag/prod`)).body.id, version.id, 'a tag set through a is seen through b');
  t.equal((await fetch(`${a.url}/api/datasets/${dataset.id}/versions/${version.id}`, { method: 'DELETE' })).status, 204);
  for (const path of [dataPath, `/api/datasets/${dataset.id}/versions/${version.id}`, `/api/datasets/${dataset.id}/versions/tag/prod`]) {
    t.equal((await getJson(b, path)).status, 404, `b: ${path} is 404 right after a's 204`);
  }
  t.ok(await eventually(async () => (await cachedEntries(b)) === 0), "b's cache let go of it (a's delete was notified)");
  t.equal((await fetch(`${b.url}/api/datasets/${dataset.id}`, { method: 'DELETE' })).status, 204, 'the dataset deleted through b');
  t.equal((await getJson(a, `/api/datasets/${dataset.id}`)).status, 404, 'a: 404');
});

t.test('an instance killed mid-upload leaves nothing; another starting keeps an upload in flight', async (t) => {
  const { servers: [a, b], start, dataDir } = await instances(t, 2);
  const kept = await upload(b, CSV, 'kept.csv', { name: 'Kept' });
  t.equal(kept.status, 201);

  // a is killed with half of a body staged.
  const before = entries(join(dataDir, 'staging'));
  const cut = controlledUpload(a, { name: 'Cut' }, 'cut.csv', BIG);
  await cut.send(BIG.length / 2);
  for (let i = 0; i < 500 && entries(join(dataDir, 'staging')).length === before.length; i++) await new Promise((r) => setTimeout(r, 10));
  const staged = entries(join(dataDir, 'staging')).filter((k) => !before.includes(k));
  t.equal(staged.length, 1, "a's upload is staged");
  await a.kill();

  // b keeps serving, and an upload through b is in flight while a restarts.
  t.equal((await getJson(b, `/api/datasets/${kept.body.dataset.id}/versions/${kept.body.version.id}/data`)).status, 200, 'b is unaffected');
  const slow = controlledUpload(b, { name: 'Slow' }, 'slow.csv', BIG);
  await slow.send(BIG.length / 3);
  const restarted = await start();
  t.notOk(existsSync(join(dataDir, 'staging', staged[0])), "the restart removed the killed instance's staging (its pid is gone)");
  t.equal(entries(join(dataDir, 'staging')).length, 1, "and kept b's upload in flight");
  await slow.send();
  const answer = await slow.done;
  t.equal('status' in answer && answer.status, 201, "b's upload completes");
  const slowBody = 'status' in answer ? answer.body : undefined;

  const list = (await getJson(restarted, '/api/datasets?limit=100')).body.map((d: any) => d.name).sort();
  t.same(list, ['Kept', 'Slow'], 'no trace of the cut upload; the slow one is listed through the restarted instance');
  const page = await getJson(restarted, `/api/datasets/${slowBody.dataset.id}/versions/${slowBody.version.id}/data?offset=${BIG_ROWS - 1}&limit=1`);
  t.same(page.body.data, [{ id: BIG_ROWS - 1, label: `row ${BIG_ROWS - 1}` }], 'its last row reads back through the other instance');
  const keys = entries(join(dataDir, 'versions')).sort();
  t.equal(keys.length, 2, 'versions/ holds exactly the two committed versions');
  t.same(entries(join(dataDir, 'staging')), [], 'staging is empty');
});
