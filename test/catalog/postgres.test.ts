/**
 * The PostgreSQL catalog (CATALOG_URL) against a real PostgreSQL that the test starts (test/support/postgres.ts):
 * what /health and /metrics say of it, and a database that goes away under traffic — requests that need the
 * catalog get 503 `catalog_unavailable` with Retry-After (never a 500), the process stays up, and everything
 * works again, with nothing lost, once PostgreSQL is back. The API suites (api, version-tags) run over this
 * catalog too (SETUPS in test/support/server.ts).
 */
import { connect, createServer, type Socket } from 'node:net';
import t from 'tap';
import { newCatalogDatabase, restartPostgres } from '../support/postgres.js';
import { getJson, startServer, upload } from '../support/server.js';

const CSV = 'id,name\n1,Ada\n2,Grace\n';

t.test('/health and /metrics name the catalog', async (t) => {
  const sqlite = await startServer(t, { backend: 'local' });
  t.match((await getJson(sqlite, '/health')).body, { status: 'ok', catalog: { kind: 'sqlite', reachable: true } });
  t.notOk((await getJson(sqlite, '/health')).body.catalog.connections, 'no pool for SQLite');

  const server = await startServer(t, { backend: 'local', catalog: 'postgres' });
  t.equal((await upload(server, CSV, 'people.csv')).status, 201);
  const health = await getJson(server, '/health');
  t.match(health.body, { status: 'ok', datasets: 1, catalog: { kind: 'postgres', reachable: true, connections: { total: Number, idle: Number, waiting: 0 } } });
  t.ok(health.body.catalog.connections.total >= 1, 'the pool holds a connection');
  const metrics = await (await fetch(`${server.url}/metrics`)).text();
  t.match(metrics, /^catalog_reachable\{kind="postgres"\} 1$/m);
  t.match(metrics, /^catalog_pool_connections\{state="total"\} [1-9]\d*$/m);
  const count = /^catalog_query_seconds_count (\d+)$/m.exec(metrics);
  t.ok(count && Number(count[1]) > 0, 'round trips to the database are timed');
  // One health check (SELECT 1) per scrape, shared by the gauges that show it. Between two scrapes with
  // nothing else running the count moves by that one round trip (an instance heartbeat may add one more).
  const counts: number[] = [];
  for (let i = 0; i < 6; i++) counts.push(Number(/^catalog_query_seconds_count (\d+)$/m.exec(await (await fetch(`${server.url}/metrics`)).text())![1]));
  const steps = counts.slice(1).map((n, i) => n - counts[i]);
  t.equal(Math.min(...steps), 1, `one round trip per scrape (counts ${counts.join(', ')})`);
});

t.test('PostgreSQL stopped under traffic: 503 with Retry-After, then recovery with nothing lost', async (t) => {
  const server = await startServer(t, { backend: 'local', catalog: 'postgres' });
  const first = await upload(server, CSV, 'people.csv', { name: 'People' });
  t.equal(first.status, 201);
  const { dataset, version } = first.body;
  const dataPath = `/api/datasets/${dataset.id}/versions/${version.id}/data`;
  const before = await getJson(server, dataPath);
  t.equal(before.status, 200);
  t.match((await getJson(server, '/health')).body, { status: 'ok', datasets: 1 }, 'a load balancer polls /health');

  await restartPostgres(async () => {
    for (const path of ['/api/datasets', `/api/datasets/${dataset.id}`, dataPath]) {
      const res = await getJson(server, path);
      t.equal(res.status, 503, `${path}: 503 while the catalog is down`);
      t.equal(res.body.error_code, 'catalog_unavailable');
      t.match(res.body.detail, /catalog's database cannot be reached/);
      t.equal(res.headers.get('retry-after'), '5', 'Retry-After says when to try again');
    }
    const refused = await upload(server, 'id\n3\n', 'more.csv', { dataset_id: String(dataset.id) });
    t.equal(refused.status, 503, 'an upload while the catalog is down is refused, not half-stored');
    t.equal(refused.body.error_code, 'catalog_unavailable');
    const health = await getJson(server, '/health');
    t.equal(health.status, 200, '/health still answers');
    t.match(health.body, { status: 'degraded', catalog: { kind: 'postgres', reachable: false }, datasets: 1 });
    t.equal(server.proc.exitCode, null, 'the process stays up');
  });

  // Back: the pool reconnects on the next request.
  const after = await getJson(server, dataPath);
  t.equal(after.status, 200, 'pages are served again');
  t.same(after.body, before.body, 'the same rows as before the outage');
  const health = await getJson(server, '/health');
  t.match(health.body, { status: 'ok', catalog: { reachable: true } });
  const versions = await getJson(server, `/api/datasets/${dataset.id}/versions`);
  t.equal(versions.body.length, 1, 'the upload refused during the outage left no version');
  const again = await upload(server, 'id\n3\n', 'more.csv', { dataset_id: String(dataset.id) });
  t.equal(again.status, 201, 'uploads work again');
  t.equal(again.body.version.version_number, 2, 'numbering continues densely');
});

/**
 * A TCP proxy in front of PostgreSQL that, once armed, passes the next COMMIT on to the server, then cuts the
 * connection when the server answers: the commit happened, the service never hears of it.
 */
async function commitCutter(target: URL): Promise<{ url: string; arm: () => void; close: () => void }> {
  let armed = false;
  const sockets = new Set<Socket>();
  const proxy = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    sockets.add(client).add(upstream);
    let cutOnReply = false;
    client.on('data', (d) => {
      if (armed && d.includes('COMMIT')) {
        armed = false;
        cutOnReply = true;
      }
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (cutOnReply) {
        client.destroy();
        upstream.destroy();
      } else client.write(d);
    });
    for (const s of [client, upstream]) s.on('error', () => undefined).on('close', () => (client.destroy(), upstream.destroy()));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const url = new URL(target);
  url.port = String((proxy.address() as { port: number }).port);
  return { url: url.toString(), arm: () => (armed = true), close: () => (proxy.close(), sockets.forEach((s) => s.destroy())) };
}

t.test('a connection lost while an upload commits: 503, and the files are kept for the version that was stored', async (t) => {
  const cutter = await commitCutter(new URL(await newCatalogDatabase()));
  t.teardown(cutter.close);
  const server = await startServer(t, { backend: 'local', env: { CATALOG_URL: cutter.url } });
  const first = await upload(server, CSV, 'people.csv', { name: 'People' });
  t.equal(first.status, 201);
  cutter.arm();
  const cut = await upload(server, 'id,name\n3,Linus\n', 'more.csv', { dataset_id: String(first.body.dataset.id) });
  t.equal(cut.status, 503, 'the upload is answered 503');
  t.equal(cut.body.error_code, 'catalog_unavailable');
  t.match(cut.body.detail, /whether it was stored is unknown/);
  // The database did commit it: the version is listed, and its files were kept, so it reads back.
  const versions = await getJson(server, `/api/datasets/${first.body.dataset.id}/versions`);
  t.same(versions.body.map((v: any) => v.version_number), [2, 1], 'the version was committed');
  const page = await getJson(server, `/api/datasets/${first.body.dataset.id}/versions/${versions.body[0].id}/data`);
  t.equal(page.status, 200, 'and its files are there');
  t.same(page.body.data, [{ id: 3, name: 'Linus' }]);
});
