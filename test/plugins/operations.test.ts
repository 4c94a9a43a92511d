/**
 * The operator's view: /metrics, the OpenAPI document at /docs, and load shedding when a pool is saturated.
 */
import t from 'tap';
import { metricValue } from '../support/metrics.js';
import { BACKENDS, getJson, startServer, upload } from '../support/server.js';

for (const backend of BACKENDS) {
  t.test(`${backend}: /metrics and /docs`, async (t) => {
    const server = await startServer(t, { backend });
    const up = await upload(server, 'a,b\n1,x\n2,y\n', 'm.csv');
    const data = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data`;
    for (let i = 0; i < 3; i++) t.equal((await getJson(server, data)).status, 200);
    t.equal((await getJson(server, '/api/datasets/999')).status, 404);

    const res = await fetch(`${server.url}/metrics`);
    t.match(res.headers.get('content-type'), /^text\/plain/);
    const text = await res.text();
    t.equal(metricValue(text, 'http_requests_total', { route: '/api/datasets/:id/versions/:vid/data', status: '200' }), 3);
    t.equal(metricValue(text, 'http_requests_total', { route: '/api/datasets/:id', status: '404' }), 1);
    // The start-up request that warms the rows route (src/warm-up.ts, a 404) is nobody's: not counted.
    t.equal(metricValue(text, 'http_requests_total', { route: '/api/datasets/:id/versions/:vid/data', status: '404' }), undefined, 'no 404 on the rows route');
    t.equal(metricValue(text, 'http_request_duration_seconds_count', { route: '/api/datasets/upload', status: '201' }), 1);
    // The latency histogram is cumulative and ends with every request.
    const route = { route: '/api/datasets/:id/versions/:vid/data', status: '200' };
    const buckets = ['0.001', '0.01', '0.1', '1', '10', '120', '+Inf'].map((le) => metricValue(text, 'http_request_duration_seconds_bucket', { ...route, le })!);
    t.same([...buckets].sort((a, b) => a - b), buckets, 'buckets never decrease');
    t.equal(buckets.at(-1), 3, '+Inf holds every request');
    t.ok(metricValue(text, 'http_request_duration_seconds_sum', route)! > 0);
    // At LOG_LEVEL=info requests that went well are counted here, not logged one by one.
    t.notOk(server.logs.some((l) => l.includes('incoming request') || l.includes('request completed')), 'no per-request log lines at info');
    for (const name of ['nodejs_eventloop_lag_p99_seconds', 'process_resident_memory_bytes']) {
      t.ok((metricValue(text, name, {}) ?? -1) >= 0, `${name} is exported`);
    }
    const pools = (await getJson(server, '/health')).body.workers.pools as { name: string }[];
    for (const p of pools) t.equal(metricValue(text, 'worker_pool_queue_depth', { pool: p.name }), 0, `queue depth of ${p.name}`);
    if (backend === 'memory') {
      const shards = (await getJson(server, '/health')).body.workers.shards;
      for (const s of shards) {
        t.equal(metricValue(text, 'shard_bytes', { shard: String(s.shard) }), s.bytes, `shard ${s.shard} bytes as in /health`);
        t.equal(metricValue(text, 'shard_datasets', { shard: String(s.shard) }), s.datasets);
      }
      t.equal(shards.reduce((n: number, s: any) => n + s.datasets, 0), 1);
    }

    const doc = await getJson(server, '/docs/json');
    t.equal(doc.status, 200);
    t.match(doc.body.openapi, /^3\./);
    for (const path of ['/api/datasets/upload', '/api/datasets', '/api/datasets/{id}/versions/{vid}/data', '/api/datasets/{id}/versions/{vid}/statistics/refresh', '/health']) {
      t.ok(doc.body.paths[path], `OpenAPI documents ${path}`);
    }
    t.same(
      doc.body.paths['/api/datasets'].get.parameters.find((p: any) => p.name === 'sort_by').schema.enum,
      ['name', 'created_at', 'updated_at', 'file_size', 'current_version', 'row_count'],
      'from the route schemas',
    );
    const ui = await fetch(`${server.url}/docs`);
    t.equal(ui.status, 200);
    t.match(await ui.text(), /swagger/i, 'a browsable UI');

    // /health asks each data worker for its figures in the background, at most every 250 ms (ShardPool.reports):
    // polled back to back for 1.5 s, a worker's `measured_at` changes a few times, not on every call.
    const seen = new Map<string, Set<string>>();
    let calls = 0;
    const started = performance.now();
    while (performance.now() - started < 1500) {
      for (const w of (await getJson(server, '/health')).body.workers.data) seen.set(w.name, (seen.get(w.name) ?? new Set()).add(w.measured_at));
      calls++;
    }
    const elapsed = performance.now() - started;
    t.equal(seen.size, 2, 'both data workers report');
    for (const [name, stamps] of seen) {
      // The first call may show figures asked up to 250 ms before the loop began.
      t.ok(stamps.size >= 2 && stamps.size <= Math.floor(elapsed / 250) + 2, `${name}: ${stamps.size} distinct reports in ${calls} calls over ${Math.round(elapsed)} ms`);
    }
  });
}

t.test('a saturated pool sheds load with 503 and Retry-After, then recovers', async (t) => {
  const server = await startServer(t, { backend: 'memory', env: { WORKERS: '1', MAX_QUEUE: '1' } });
  const rows = Array.from({ length: 300_000 }, (_, i) => `${i},${(i * 7919) % 10007}.5,name ${i % 5000}`);
  const up = await upload(server, `id,value,label\n${rows.join('\n')}\n`, 'load.csv');
  t.equal(up.status, 201);
  const refresh = `${server.url}/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/statistics/refresh?detailed=true`;

  // One task runs, one waits (MAX_QUEUE=1); the rest of a simultaneous burst cannot queue.
  const burst = await Promise.all(
    Array.from({ length: 12 }, async () => {
      const res = await fetch(refresh, { method: 'POST' });
      return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.json() };
    }),
  );
  const shed = burst.filter((r) => r.status === 503);
  const served = burst.filter((r) => r.status === 200);
  t.ok(shed.length >= 1, `some requests were shed (${shed.length} of ${burst.length})`);
  t.ok(served.length >= 1, `and some were served (${served.length})`);
  t.equal(shed.length + served.length, burst.length, 'nothing but 200 or 503');
  for (const r of shed) {
    t.equal(r.retryAfter, '1');
    t.match(r.body, { error_code: 'overloaded', detail: /queue is full/ });
  }
  const after = await getJson(server, '/health');
  t.equal(after.body.status, 'ok', 'healthy again once the queue drained');
  const again = await fetch(refresh, { method: 'POST' });
  t.equal(again.status, 200, 'and serving');
  // Each refused request is in the log at info, with its status: what an operator needs to see.
  const failed = server.logs.filter((l) => l.includes('"request failed"') && l.includes('"statusCode":503'));
  t.equal(failed.length, shed.length, 'one log line per 503');

  // Pages go to the shard on a port of their own, past Piscina's queue: they count against MAX_QUEUE too.
  const busy = fetch(refresh, { method: 'POST' });
  await new Promise((r) => setTimeout(r, 200));
  const data = `${server.url}/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data`;
  const pages = await Promise.all(Array.from({ length: 8 }, (_, i) => fetch(`${data}?offset=${i * 10}&limit=10`).then(async (r) => ({ status: r.status, body: await r.json() }))));
  t.equal((await busy).status, 200);
  const refused = pages.filter((p) => p.status === 503);
  t.ok(refused.length >= 1, `pages behind a busy shard were refused (${refused.length} of ${pages.length})`);
  for (const p of refused) t.match(p.body, { error_code: 'overloaded', detail: /queue is full/ });
  for (const p of pages.filter((p) => p.status === 200)) t.equal(p.body.data.length, 10);
  t.equal(pages.filter((p) => p.status === 200).length + refused.length, pages.length, 'nothing but 200 or 503');
});
