/**
 * Faults: parsers that crash or hang (TEST_FAULTS=1 makes them do so on cue), a memory shard that dies,
 * the memory budget, and SIGTERM with a request in flight. Whatever fails, what was stored before still
 * reads back identical, and nothing hangs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { BACKENDS, ROOT, getJson, startServer, tmpDir, upload, type Server } from '../support/server.js';

const GOOD = 'id,name\n1,alpha\n2,beta\n3,gamma\n';

async function rows(server: Server, up: { body: any }) {
  return getJson(server, `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data`);
}

for (const backend of BACKENDS) {
  t.test(`${backend}: a parser that crashes, hangs or fills its heap loses nothing`, async (t) => {
    const server = await startServer(t, { backend, env: { TEST_FAULTS: '1', PARSE_TIMEOUT_S: '8', WORKER_HEAP_MB: '128' } });
    const good = await upload(server, GOOD, 'good.csv');
    const before = await rows(server, good);

    const crash = await upload(server, GOOD, 'crash-parser.csv');
    t.match(crash, { status: 422, body: { error_code: 'unreadable_file', detail: /parser fail.*nothing was stored/ } });
    const hang = await upload(server, GOOD, 'hang-parser.csv');
    t.match(hang, { status: 422, body: { error_code: 'parse_timeout', detail: /PARSE_TIMEOUT_S/ } });
    const hoard = await upload(server, GOOD, 'heap-parser.csv');
    t.match(hoard, { status: 422, body: { error_code: 'file_too_complex', detail: /WORKER_HEAP_MB .*over 128 MB/ } }, 'a parser past its heap limit is stopped, not the process');

    t.same((await rows(server, good)).body, before.body, 'the stored dataset reads back identical');
    t.equal((await getJson(server, '/api/datasets')).headers.get('x-total-count'), '1', 'nothing half-made was stored');
    const after = await upload(server, GOOD, 'after.csv');
    t.equal(after.status, 201, 'the parse pool replaced its worker and parses again');
    t.equal(server.proc.exitCode, null, 'the process is still running');
  });
}

t.test('memory: a shard that dies loses only its own versions, which answer 410', async (t) => {
  const server = await startServer(t, { backend: 'memory', env: { TEST_FAULTS: '1', WORKERS: '2' } });
  const survivor = await upload(server, GOOD, 'survivor.csv');
  const doomed = await upload(server, '__crash_shard__,x\n1,2\n', 'doomed.csv');
  const shards = (await getJson(server, '/health')).body.workers.shards;
  t.same(shards.map((s: any) => s.versions), [1, 1], 'the two versions sit on different shards');
  const before = await rows(server, survivor);

  const base = `/api/datasets/${doomed.body.dataset.id}/versions/${doomed.body.version.id}`;
  const crash = await getJson(server, `${base}/statistics`);
  t.match(crash, { status: 410, body: { error_code: 'data_lost', detail: /upload the file again/ } });
  t.match(await getJson(server, `${base}/data`), { status: 410, body: { error_code: 'data_lost' } }, 'and keeps saying so');
  t.same((await rows(server, survivor)).body, before.body, 'the other shard is untouched');

  const health = (await getJson(server, '/health')).body;
  t.equal(health.workers.shards.reduce((n: number, s: any) => n + s.versions, 0), 1, 'only the survivor is held');
  const fresh = await upload(server, GOOD, 'fresh.csv');
  t.equal(fresh.status, 201);
  t.same((await rows(server, fresh)).body.data, before.body.data, 'the replaced shard takes new data');
  t.equal((await fetch(`${server.url}/api/datasets/${doomed.body.dataset.id}`, { method: 'DELETE' })).status, 204, 'a lost version can be deleted');
});

t.test('local: a data worker that dies answers 503 (retry), and the version reads again from its files', async (t) => {
  const server = await startServer(t, { backend: 'local', env: { TEST_FAULTS: '1', WORKERS: '2' } });
  const survivor = await upload(server, GOOD, 'survivor.csv');
  const doomed = await upload(server, '__crash_shard__,x\n1,2\n', 'doomed.csv');
  const before = await rows(server, survivor);
  const base = `/api/datasets/${doomed.body.dataset.id}/versions/${doomed.body.version.id}`;
  const crash = await getJson(server, `${base}/statistics`);
  t.match(crash, { status: 503, body: { error_code: 'worker_failed', detail: /retry/ } });
  t.equal(crash.headers.get('retry-after'), '1');
  t.match(await getJson(server, `${base}/data`), { status: 200, body: { data: [{ __crash_shard__: 1, x: 2 }] } }, 'the retry is served by the replaced worker');
  t.same((await rows(server, survivor)).body, before.body, 'the other version reads back identical');
  const health = (await getJson(server, '/health')).body;
  t.same(health.workers.data.map((w: any) => w.name), ['shard-0', 'shard-1'], 'both data workers are there again');
});

t.test('memory: an upload past MEMORY_LIMIT gets 507 and harms nothing', async (t) => {
  const server = await startServer(t, { backend: 'memory', env: { MEMORY_LIMIT: '400KB' } });
  const small = await upload(server, GOOD, 'small.csv');
  const before = await rows(server, small);
  const used = (await getJson(server, '/health')).body.workers;
  const big = 'n,text\n' + Array.from({ length: 20_000 }, (_, i) => `${i},some text ${i}`).join('\n');
  const refused = await upload(server, big, 'big.csv');
  t.match(refused, { status: 507, body: { error_code: 'memory_budget_exceeded', detail: /MEMORY_LIMIT/ } });
  t.same((await rows(server, small)).body, before.body);
  const after = (await getJson(server, '/health')).body.workers;
  t.same(after.shards.map((s: any) => s.bytes), used.shards.map((s: any) => s.bytes), 'no frame was loaded');
  t.equal(after.source_bytes, used.source_bytes);
  t.equal((await getJson(server, '/api/datasets')).headers.get('x-total-count'), '1');
});

t.test('memory: deleting a dataset gives its memory back, upload after upload', async (t) => {
  const server = await startServer(t, { backend: 'memory' });
  const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${server.proc.pid}/status`, 'utf8'))![1]) * 1024;
  await upload(server, GOOD, 'warm-up.csv'); // the pools' threads exist from here on
  const flights = readFileSync(join(ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet'));
  const baseline = rss();
  let secondAfter = 0;
  for (const round of [1, 2, 3]) {
    const up = await upload(server, flights, 'flights-3m.parquet');
    t.equal(up.status, 201);
    const loaded = rss();
    t.ok(loaded > baseline + 100e6, `round ${round}: 3,000,000 rows take memory (${mb(loaded - baseline)} MB)`);
    t.equal((await fetch(`${server.url}/api/datasets/${up.body.dataset.id}`, { method: 'DELETE' })).status, 204);
    // Freed on the shard's next turn of its event loop; wait a few seconds on a busy machine for a tenth back.
    // How much comes back is glibc's choice (it keeps freed memory for reuse, filling up over the first rounds:
    // 12-47% seen with another test file alongside, so it is reported, not asserted). The leak this guards
    // against added ~500 MB every round, so the bar is that nothing accumulates from round 2 to round 3
    // (-66 to +11 MB seen).
    // Then until RSS stops falling (no new low for a second): stopping at the first tenth compared one round's
    // early reading with another's late one (CI under load: 150 MB "accumulated" that came back a moment later).
    const target = loaded - (loaded - baseline) / 10;
    let after = rss();
    for (let i = 0; i < 50 && after > target; i++) after = (await sleep(100), rss());
    for (let still = 0, i = 0; still < 10 && i < 100; i++) {
      await sleep(100);
      const now = rss();
      if (now < after - 1e6) (after = now), (still = 0);
      else still++;
    }
    t.comment(`round ${round}: the delete gave back ${mb(loaded - after)} of ${mb(loaded - baseline)} MB`);
    if (round === 2) secondAfter = after;
    if (round === 3) t.ok(after <= secondAfter + 100e6, `round 3: nothing accumulates (${mb(after - secondAfter)} MB above round 2)`);
  }
});

const mb = (bytes: number) => Math.round(bytes / 1e6);

for (const backend of BACKENDS) {
  t.test(`${backend}: SIGTERM finishes the request in flight, then exits 0`, async (t) => {
    // debug: the "incoming request" line shows when the request reached the server (not logged at info).
    const server = await startServer(t, { backend, env: { LOG_LEVEL: 'debug' } });
    const csv = 'id,value,label\n' + Array.from({ length: 300_000 }, (_, i) => `${i},${(i * 7919) % 10007}.5,l${i % 999}`).join('\n');
    const up = await upload(server, csv, 'slow.csv');
    const inFlight = fetch(`${server.url}/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/statistics/refresh?detailed=true`, {
      method: 'POST',
    });
    // Let the request reach the server before the signal.
    while (!server.logs.some((l) => l.includes('statistics/refresh') && l.includes('incoming request'))) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const exit = server.stop();
    const res = await inFlight;
    t.equal(res.status, 200, 'the in-flight request completed');
    t.equal((await res.json()).total_rows, 300_000);
    t.equal(await exit, 0, 'exit status 0');
    await t.rejects(fetch(`${server.url}/health`), 'no longer accepting');
  });
}

t.test('Ctrl-C on `npm start` (SIGINT twice at once: the terminal and npm) drains as one; a later second signal exits at once', async (t) => {
  const shm = tmpDir(t, 'faults-shm-');
  const dirOf = (server: Server) => join(shm, `dataset-service-${server.proc.pid}`);
  const server = await startServer(t, { backend: 'memory', env: { LOG_LEVEL: 'debug', SHARED_MEMORY_DIR: shm } });
  const up = await upload(server, GOOD, 'good.csv');
  const inFlight = fetch(`${server.url}/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/statistics/refresh?detailed=true`, { method: 'POST' });
  while (!server.logs.some((l) => l.includes('statistics/refresh') && l.includes('incoming request'))) await new Promise((r) => setTimeout(r, 5));
  t.ok(existsSync(dirOf(server)), 'the shared-memory directory while it runs');
  const exited = new Promise<number | null>((done) => server.proc.once('exit', (code) => done(code)));
  server.proc.kill('SIGINT');
  server.proc.kill('SIGINT');
  t.equal((await inFlight).status, 200, 'the request in flight completed');
  t.equal(await exited, 0, 'exit 0 after the drain');
  t.notOk(existsSync(dirOf(server)), 'its directory removed');

  // A parser that never returns holds the drain; a second signal a second later ends it at once.
  // Each step waits for the server's own log line, not a fixed time: on a loaded machine the upload can reach
  // the server, or the server its signal handler, later than any sleep assumes (one CI run failed that way).
  const held = await startServer(t, { backend: 'memory', env: { LOG_LEVEL: 'debug', TEST_FAULTS: '1', SHARED_MEMORY_DIR: shm } });
  const logged = async (text: string) => {
    while (!held.logs.some((l) => l.includes(text))) await new Promise((r) => setTimeout(r, 5));
  };
  const hanging = upload(held, GOOD, 'hang-parser.csv').catch(() => undefined);
  await logged('"method":"POST"'); // the upload's "incoming request" line (debug)
  const heldExit = new Promise<number | null>((done) => held.proc.once('exit', (code) => done(code)));
  held.proc.kill('SIGINT');
  await logged('shutting down');
  await new Promise((r) => setTimeout(r, 1200));
  t.equal(held.proc.exitCode, null, 'still draining after the first signal');
  held.proc.kill('SIGINT');
  t.equal(await heldExit, 1, 'exit 1 at the second');
  t.notOk(existsSync(dirOf(held)), 'its directory removed too');
  await hanging;
});
