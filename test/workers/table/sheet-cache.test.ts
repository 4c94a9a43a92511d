/**
 * The data workers' cache (CACHE_BYTES): on the local backend a shard keeps the frames of the sheets it read,
 * within its share of the budget, least recently used out first. Checked on both backends against the real
 * server: the cache stays within budget while more tables are read than it holds; pages served from it equal
 * pages served cold and csv-parse's reading of the uploaded file; a delete, during or after cached reads,
 * answers 404 and frees the entry; a new version never serves an older version's rows; CACHE_BYTES=0 serves
 * the same pages. /health's `workers.data` and /metrics show each worker's figures.
 */
import type { CacheStats } from '../../../workers/protocol.js';
import { parse } from 'csv-parse/sync';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { BACKENDS, getJson, startServer, upload, type Server } from '../../support/server.js';
import { settledHealth } from '../../support/health.js';

/** Small: each worker's 1 MiB holds two of the 20,000-row tables (about 0.46 MB each decoded), not ten. */
const CACHE_BYTES = 2 * 1024 * 1024;
const ROWS = 20_000;

interface Row {
  id: number;
  value: number;
  label: string;
  flag: boolean;
}

/** A table of its own for each seed (values exact in float64, so they read back as written). */
function table(seed: number): string {
  let x = seed * 7919 + 17;
  const next = () => (x = (Math.imul(x, 48271) + 11) >>> 0);
  const lines = ['id,value,label,flag'];
  for (let i = 0; i < ROWS; i++) lines.push(`${i},${next() % 100_000}.${[25, 5, 75][next() % 3]},s${seed}-${next() % 9973},${next() % 2 === 0}`);
  return lines.join('\n') + '\n';
}

/** csv-parse's reading of a table, typed as the columns are. */
function expected(csv: string): Row[] {
  return (parse(csv, { columns: true }) as Record<string, string>[]).map((r) => ({ id: Number(r.id), value: Number(r.value), label: r.label, flag: r.flag === 'true' }));
}

type CacheFigures = CacheStats;

async function dataWorkers(server: Server): Promise<{ name: string; tid: number; cache: CacheFigures; measured_at: string }[]> {
  return (await getJson(server, '/health')).body.workers.data;
}

const total = (ws: { cache: CacheFigures }[], field: keyof CacheFigures) => ws.reduce((n, w) => n + w.cache[field], 0);

/** Polls /health until `ok` holds (the workers' figures are asked of them, and a busy one may answer late). */
async function until(server: Server, ok: (ws: { cache: CacheFigures }[]) => boolean): Promise<{ cache: CacheFigures }[]> {
  let ws = await dataWorkers(server);
  for (let i = 0; i < 200 && !ok(ws); i++) ws = (await sleep(25), await dataWorkers(server));
  return ws;
}

/** The workers' figures once they have caught up with what was done so far (see settledHealth). */
async function settled(server: Server): Promise<{ name: string; tid: number; cache: CacheFigures }[]> {
  return (await settledHealth(server)).workers.data;
}

const dataPath = (up: { body: any }, query = '') => `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data${query}`;

async function text(server: Server, path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, text: await res.text() };
}

/**
 * Local backend: requests `path` until an answer came from the cache (the workers' hit count moved), which it
 * returns; the first requests are cold and fill the cache after answering. With the cache full, a sheet is
 * admitted only once asked for clearly more often lately than what it would evict (ByteBudgetCache.makeRoom):
 * after ~150 requests here, where each table was asked for about that often before the next. Asks in batches of
 * ten between two reads of the figures; once a batch hit, one more request whose hit is seen is the answer.
 * Memory: the held frame's answer.
 */
async function fromCache(server: Server, path: string): Promise<string> {
  if (server.backend === 'memory') return (await text(server, path)).text;
  const hits = async () => total(await settled(server), 'hits');
  let seen = await hits();
  for (let i = 0, batch = 1; i < 600; i += batch, batch = 10) {
    for (let j = 0; j < batch; j++) await text(server, path);
    const now = await hits();
    if (now > seen) {
      const answer = await text(server, path);
      if ((seen = await hits()) > now) return answer.text;
    } else seen = now;
  }
  throw new Error(`${path} was never served from the cache`);
}

for (const backend of BACKENDS) {
  t.test(`${backend}: the cache holds to CACHE_BYTES and serves the same pages`, async (t) => {
    const started = Date.now();
    const server = await startServer(t, { backend, env: { CACHE_BYTES: String(CACHE_BYTES) } });
    const workers = await dataWorkers(server);
    t.same(workers.map((w) => w.name), ['shard-0', 'shard-1'], 'one entry per data worker');
    for (const w of workers) {
      // A sixteenth of CACHE_BYTES is the SQL answers' (src/storage/sql-answers.ts), the rest the data workers'.
      t.equal(w.cache.budget_bytes, Math.floor((CACHE_BYTES - Math.floor(CACHE_BYTES / 16)) / 2), `${w.name}: an equal share of CACHE_BYTES`);
      t.ok(w.tid > 0, `${w.name}: its OS thread id`);
      const measured = Date.parse(w.measured_at);
      t.ok(measured >= started && measured <= Date.now(), `${w.name}: measured since this test asked (${w.measured_at})`);
    }

    t.test('many tables: within budget, evicting, every page right', async (t) => {
      for (let seed = 1; seed <= 10; seed++) {
        const csv = table(seed);
        const up = await upload(server, csv, `t${seed}.csv`);
        t.equal(up.status, 201);
        const rows = expected(csv);
        const page = 1 + (seed * 37) % 200; // 100 rows a page
        const path = dataPath(up, `?page=${page}&page_size=100`);
        const cold = await text(server, path);
        const cached = await fromCache(server, path);
        t.equal(cached, cold.text, `table ${seed}: the cached page is the cold page, byte for byte`);
        t.same(JSON.parse(cached).data, rows.slice((page - 1) * 100, page * 100), `table ${seed}: and csv-parse's rows`);
        // Another window and a filtered, sorted, projected page, over the cached frame now.
        const offset = (seed * 1543) % (ROWS - 700);
        t.same((await getJson(server, dataPath(up, `?offset=${offset}&limit=700`))).body.data, rows.slice(offset, offset + 700), `table ${seed}: offset/limit`);
        const query = await getJson(server, dataPath(up, '?filter[flag]eq=true&filter[value]gt=50000&sort=-id&columns=id,value&page=2&page_size=50'));
        const want = rows.filter((r) => r.flag && r.value > 50_000).sort((a, b) => b.id - a.id);
        t.equal(query.body.total_rows, want.length, `table ${seed}: filtered count`);
        t.same(query.body.data, want.slice(50, 100).map(({ id, value }) => ({ id, value })), `table ${seed}: filtered, sorted page`);
        for (const w of await settled(server)) t.ok(w.cache.bytes <= w.cache.budget_bytes, `${w.name}: ${w.cache.bytes} bytes within its budget`);
      }
      const after = await settled(server);
      if (backend === 'local') {
        t.ok(total(after, 'evictions') > 0, `more tables than the budget holds: ${total(after, 'evictions')} evictions`);
        t.ok(total(after, 'entries') > 0 && total(after, 'entries') < 10, `some tables stay cached (${total(after, 'entries')})`);
        t.ok(total(after, 'hits') > 0 && total(after, 'misses') > 0, 'hits and misses counted');
      } else {
        // Frames are held outside the cache; what it keeps is each table's filtered, sorted query result (each
        // page here is the one that computed its result, written as it is: no block).
        t.equal(total(after, 'entries'), 10, 'memory shards cache the ten query results, not their frames');
      }

      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      const fresh = await dataWorkers(server);
      for (const w of fresh) {
        t.match(metrics, new RegExp(`^worker_cache_budget_bytes\\{worker="${w.name}"\\} ${w.cache.budget_bytes}$`, 'm'), `/metrics: ${w.name} budget`);
        for (const name of ['worker_cache_bytes', 'worker_cache_entries', 'worker_cache_hits_total', 'worker_cache_misses_total', 'worker_cache_evictions_total']) {
          t.match(metrics, new RegExp(`^${name}\\{worker="${w.name}"\\} \\d+$`, 'm'), `/metrics: ${name} of ${w.name}`);
        }
        t.match(metrics, new RegExp(`^worker_cache_evictions_total\\{worker="${w.name}"\\} ${w.cache.evictions}$`, 'm'), `/metrics: ${w.name} evictions as in /health`);
      }
    });

    t.test('a delete after cached reads answers 404 and frees the entry', async (t) => {
      const csv = table(100);
      const up = await upload(server, csv, 'doomed.csv');
      const path = dataPath(up, '?page=3&page_size=100');
      await fromCache(server, path);
      const before = await settled(server);
      t.equal((await fetch(`${server.url}/api/datasets/${up.body.dataset.id}`, { method: 'DELETE' })).status, 204);
      t.equal((await text(server, path)).status, 404, 'the deleted version answers 404');
      if (backend === 'local') {
        const after = await until(server, (ws) => total(ws, 'entries') === total(before, 'entries') - 1);
        t.equal(total(after, 'entries'), total(before, 'entries') - 1, 'its entry is gone');
        t.ok(total(after, 'bytes') < total(before, 'bytes'), 'and its bytes');
      }
    });

    t.test('a delete during cached and cold reads: 200 with the right rows, or 404; nothing left behind', async (t) => {
      const baseline = await settled(server);
      for (const seed of [200, 201]) {
        const csv = table(seed);
        const rows = expected(csv);
        const up = await upload(server, csv, `raced-${seed}.csv`);
        // seed 200: cached before the delete; seed 201: its first reads race the delete (a fill may be pending).
        if (seed === 200) await fromCache(server, dataPath(up, '?page=1&page_size=100'));
        const reads = Array.from({ length: 40 }, (_, i) => getJson(server, dataPath(up, `?page=${1 + i * 5}&page_size=100`)).then((r) => ({ ...r, page: 1 + i * 5 })));
        const deleted = fetch(`${server.url}/api/datasets/${up.body.dataset.id}`, { method: 'DELETE' });
        const more = Array.from({ length: 20 }, (_, i) => getJson(server, dataPath(up, `?page=${2 + i * 7}&page_size=100`)).then((r) => ({ ...r, page: 2 + i * 7 })));
        t.equal((await deleted).status, 204);
        for (const r of await Promise.all([...reads, ...more])) {
          if (r.status === 200) t.same(r.body.data, rows.slice((r.page - 1) * 100, r.page * 100), `seed ${seed}: page ${r.page} answered before the delete, right`);
          else t.match(r, { status: 404, body: { error_code: /_not_found$/ } }, `seed ${seed}: page ${r.page} after the delete: 404`);
        }
        t.equal((await getJson(server, dataPath(up))).status, 404, `seed ${seed}: 404 afterwards`);
      }
      // Give any fill that was pending its turn, then check it kept nothing of the deleted versions.
      await sleep(500);
      const after = await until(server, (ws) => total(ws, 'entries') <= total(baseline, 'entries'));
      t.ok(total(after, 'entries') <= total(baseline, 'entries'), `no entry of a deleted version is left (${total(after, 'entries')} ≤ ${total(baseline, 'entries')})`);
    });

    t.test('a new version never serves the older version\'s rows', async (t) => {
      const v1csv = table(300);
      const v2csv = table(301);
      const v1 = await upload(server, v1csv, 'versions.csv');
      const path1 = dataPath(v1, '?page=7&page_size=100');
      const v1page = await fromCache(server, path1);
      t.same(JSON.parse(v1page).data, expected(v1csv).slice(600, 700), 'version 1, cached');
      const v2 = await upload(server, v2csv, 'versions.csv', { dataset_id: String(v1.body.dataset.id) });
      t.equal(v2.status, 201);
      const path2 = dataPath(v2, '?page=7&page_size=100');
      t.same((await getJson(server, path2)).body.data, expected(v2csv).slice(600, 700), 'version 2, cold: its own rows');
      t.same(JSON.parse(await fromCache(server, path2)).data, expected(v2csv).slice(600, 700), 'version 2, cached: its own rows');
      t.equal((await text(server, path1)).text, v1page, 'version 1 still serves its own');
      t.equal((await fetch(`${server.url}/api/datasets/${v1.body.dataset.id}/versions/${v1.body.version.id}`, { method: 'DELETE' })).status, 204);
      t.same((await getJson(server, path2)).body.data, expected(v2csv).slice(600, 700), 'version 2 after version 1 is deleted');
      t.equal((await getJson(server, path1)).status, 404);
    });
  });

  if (backend === 'local') {
    t.test('local: a cached sheet counts what its frame holds, the 16-byte view of every string included', async (t) => {
      const server = await startServer(t, { backend, env: { CACHE_BYTES: String(64 << 20) } });
      const csv = table(500);
      const rows = expected(csv);
      const up = await upload(server, csv, 'sized.csv');
      // Arrow pages: no JSON blocks are written, so the sheet is the cache's only entry once it is read.
      const arrow = { headers: { accept: 'application/vnd.apache.arrow.stream' } };
      t.equal((await fetch(`${server.url}${dataPath(up, '?offset=100&limit=100')}`, arrow)).status, 200);
      const ws = await until(server, (w) => total(w, 'entries') === 1);
      t.equal(total(ws, 'entries'), 1, 'the sheet is cached');
      const bytes = total(ws, 'bytes');
      // id (Int64) and value (Float64): 8 bytes a row each; label: one 16-byte view a row (its text, at most 12
      // bytes here, inside it); flag: a bit a row. Polars' own estimate counted the labels' text, not the views.
      const labelBytes = rows.reduce((n, r) => n + Buffer.byteLength(r.label), 0);
      t.ok(rows.every((r) => Buffer.byteLength(r.label) <= 12), 'every label fits in its view');
      const held = ROWS * (8 + 8 + 16) + ROWS / 8;
      t.ok(bytes >= held, `${bytes} bytes counted ≥ the ${held} the columns hold`);
      t.ok(bytes <= held + labelBytes + 4096, `${bytes} bytes counted ≤ those + the labels' ${labelBytes} bytes of text (counted twice) + 4 KiB`);
    });
  }

  t.test(`${backend}: CACHE_BYTES=0 keeps nothing and serves the same pages`, async (t) => {
    const server = await startServer(t, { backend, env: { CACHE_BYTES: '0' } });
    const csv = table(400);
    const rows = expected(csv);
    const up = await upload(server, csv, 'uncached.csv');
    for (let i = 0; i < 3; i++) {
      for (const page of [1, 57, 200]) t.same((await getJson(server, dataPath(up, `?page=${page}&page_size=100`))).body.data, rows.slice((page - 1) * 100, page * 100), `page ${page}, read ${i + 1}`);
    }
    await sleep(200); // a fill, were one (wrongly) scheduled, would have run
    for (const w of await dataWorkers(server)) t.match(w.cache, { budget_bytes: 0, bytes: 0, entries: 0, hits: 0 }, `${w.name}: nothing cached`);
  });
}
