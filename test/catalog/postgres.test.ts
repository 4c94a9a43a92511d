/**
 * The PostgreSQL catalog (CATALOG_URL) against a real PostgreSQL that the test starts (test/support/postgres.ts):
 * what /health and /metrics say of it, and a database that goes away under traffic — requests that need the
 * catalog get 503 `catalog_unavailable` with Retry-After (never a 500), the process stays up, and everything
 * works again, with nothing lost, once PostgreSQL is back. The API suites (api, version-tags) run over this
 * catalog too (SETUPS in test/support/server.ts).
 */
import t from 'tap';
import { restartPostgres } from '../support/postgres.js';
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
