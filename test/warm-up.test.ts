/**
 * The start-up warm-up (src/warm-up.ts) after a restart of the local backend on stored data, over both catalogs:
 * its page goes the whole way (200, seen in the debug log), fills no cache, is not counted in /metrics, and the
 * first client's page is the same as before the restart and still fills the cache afterwards.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import t from 'tap';
import { settledHealth } from './support/health.js';
import { metricValue, scrapeMetrics } from './support/metrics.js';
import { getJson, ROOT, startServer, upload } from './support/server.js';

const WEATHER = readFileSync(join(ROOT, 'node_modules/vega-datasets/data/seattle-weather.csv'));
const DATA_ROUTE = '/api/datasets/:id/versions/:vid/data';

const cached = (health: any) => (health.workers.data as any[]).reduce((n, w) => n + w.cache.entries, 0);

for (const catalog of ['sqlite', 'postgres'] as const) {
  t.test(`local+${catalog}: the warm-up page after a restart`, async (t) => {
    const env: Record<string, string> = { LOG_LEVEL: 'debug' };
    if (catalog === 'postgres') env.CATALOG_URL = await (await import('./support/postgres.js')).newCatalogDatabase();
    const first = await startServer(t, { backend: 'local', env });
    const up = await upload(first, WEATHER, 'seattle-weather.csv', { name: 'weather' });
    t.equal(up.status, 201, 'uploaded');
    const page = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data?offset=700&limit=50`;
    const before = await getJson(first, page);
    t.equal(before.status, 200);
    await first.stop();

    const server = await startServer(t, { backend: 'local', dataDir: first.dataDir, env });
    const warmUp = server.logs
      .map((line) => JSON.parse(line))
      .find((l) => String(l.reqId).startsWith('warm-up-') && l.res?.statusCode !== undefined);
    t.equal(warmUp?.res.statusCode, 200, 'the warm-up page was served, before the server listened');
    // A fill would start within milliseconds of that page (FILL_IDLE_MS): give it time to show.
    await sleep(500);
    t.equal(cached(await settledHealth(server)), 0, 'the warm-up page filled no cache');
    const metrics = await scrapeMetrics(server);
    t.equal(metricValue(metrics, 'http_requests_total', { route: DATA_ROUTE, status: '200' }), undefined, 'not counted in /metrics');

    const after = await getJson(server, page);
    t.equal(after.status, 200);
    t.same(after.body, before.body, 'the first page after the restart is the page served before it');
    let entries = 0;
    for (let i = 0; i < 100 && entries === 0; i++) {
      entries = cached(await settledHealth(server));
      if (entries === 0) await sleep(50);
    }
    t.equal(entries, 1, "a client's page still fills the cache");
  });
}
