import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';
import { errorResponses } from '../schemas/errors.js';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { shardReport } from '../storage/shard-report.js';
import { exportsInFlight } from '../routes/datasets/versions/export.js';
import type { CacheStats } from '../../workers/protocol.js';
import { RequestMetrics } from './request-metrics.js';
import { isWarmUp } from '../warm-up.js';

/**
 * Prometheus metrics at GET /metrics: requests and latency per route and status, worker pools and shards,
 * each data worker's cache, exports in flight, plus prom-client's process metrics (event-loop delay, memory, GC). Pool and shard figures are read at
 * scrape time, so they cost nothing between scrapes.
 */
export default fp(async function metrics(app: FastifyInstance) {
  const registry = new Registry();
  // Event-loop delay at 1 ms resolution (prom-client's default samples every 10 ms, which alone reads ~10 ms).
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 1 });
  const registers = [registry];
  const requests = new RequestMetrics();
  for (const m of requests.exposed()) registry.registerMetric(m as unknown as Metric);

  // The catalog: whether it answers, its pool (PostgreSQL), and each round trip to its database. A scrape
  // collects every metric at once; the two gauges below share one health check (one round trip) per scrape.
  let health: ReturnType<typeof app.catalog.health> | undefined;
  const catalogHealth = () => (health ??= app.catalog.health().finally(() => (health = undefined)));
  new Gauge({
    name: 'catalog_reachable',
    help: 'The catalog answered at scrape time (1) or not (0: requests that need it get 503)',
    labelNames: ['kind'],
    registers,
    async collect() {
      const { kind, reachable } = await catalogHealth();
      this.set({ kind }, reachable ? 1 : 0);
    },
  });
  new Gauge({
    name: 'catalog_pool_connections',
    help: 'PostgreSQL catalog: connections of the pool by state (total, idle) and requests waiting for one',
    labelNames: ['state'],
    registers,
    async collect() {
      const { connections } = await catalogHealth();
      if (connections) for (const [state, n] of Object.entries(connections)) this.set({ state }, n);
    },
  });
  const catalogQueries = new Histogram({
    name: 'catalog_query_seconds',
    help: 'PostgreSQL catalog: duration of each round trip to the database',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 3],
    registers,
  });
  app.catalog.observeQueries((seconds) => catalogQueries.observe(seconds));

  const pools = () => app.store.stats().pools;
  new Gauge({
    name: 'worker_pool_queue_depth',
    help: 'Tasks waiting for a worker, per pool or memory shard',
    labelNames: ['pool'],
    registers,
    collect() {
      for (const p of pools()) this.set({ pool: p.name }, p.queued);
    },
  });
  new Gauge({
    name: 'worker_pool_utilization',
    help: 'Share of time the pool threads were busy since start (0-1)',
    labelNames: ['pool'],
    registers,
    collect() {
      for (const p of pools()) this.set({ pool: p.name }, p.utilization);
    },
  });
  new Gauge({
    name: 'worker_pool_threads',
    help: 'Live worker threads per pool',
    labelNames: ['pool'],
    registers,
    collect() {
      for (const p of pools()) this.set({ pool: p.name }, p.threads);
    },
  });
  const shardGauge = (name: string, help: string, field: 'versions' | 'datasets' | 'bytes') =>
    new Gauge({
      name,
      help,
      labelNames: ['shard'],
      registers,
      async collect() {
        for (const s of await shardReport(app.store, app.catalog)) this.set({ shard: String(s.shard) }, s[field]);
      },
    });
  shardGauge('shard_datasets', 'Memory backend: datasets with a version on the shard', 'datasets');
  shardGauge('shard_versions', 'Memory backend: versions held by the shard', 'versions');
  shardGauge('shard_bytes', 'Memory backend: Arrow bytes of the sheets held by the shard', 'bytes');

  // Each data worker's cache, labelled by worker (`shard-<i>`, as in /health's workers.data).
  const workerFigure = (cache: keyof CacheStats) => async () => (await app.store.workerReports()).map((w) => ({ worker: w.name, value: w.cache[cache] }));
  const workerGauge = (name: string, help: string, cache: keyof CacheStats) => {
    const figures = workerFigure(cache);
    new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers,
      async collect() {
        for (const f of await figures()) this.set({ worker: f.worker }, f.value);
      },
    });
  };
  const workerCounter = (name: string, help: string, cache: keyof CacheStats) => {
    const figures = workerFigure(cache);
    new Counter({
      name,
      help,
      labelNames: ['worker'],
      registers,
      async collect() {
        // The worker counts; a replaced worker starts again from 0, as a restarted process would.
        this.reset();
        for (const f of await figures()) this.inc({ worker: f.worker }, f.value);
      },
    });
  };
  workerGauge('worker_cache_budget_bytes', "The data worker's share of CACHE_BYTES", 'budget_bytes');
  workerGauge('worker_cache_bytes', 'Bytes of the frames and query results the data worker keeps', 'bytes');
  workerGauge('worker_cache_entries', 'Entries in the data worker cache', 'entries');
  workerCounter('worker_cache_hits_total', 'Lookups the data worker cache answered', 'hits');
  workerCounter('worker_cache_misses_total', 'Lookups the data worker cache could not answer', 'misses');
  workerCounter('worker_cache_evictions_total', 'Entries evicted, least recently used first, to stay within the budget', 'evictions');

  // SQL answers kept on the main thread: sizes as gauges, the since-start counts as counters.
  for (const [field, kind, help] of [
    ['budget_bytes', 'gauge', 'SQL answer cache: its share of CACHE_BYTES'],
    ['bytes', 'gauge', 'SQL answer cache: bytes of the answers kept'],
    ['entries', 'gauge', 'SQL answer cache: answers kept'],
    ['hits', 'counter', 'SQL answer cache: queries answered from it'],
    ['misses', 'counter', 'SQL answer cache: queries run'],
    ['evictions', 'counter', 'SQL answer cache: answers let go to stay in budget'],
  ] as const) {
    const name = `sql_answers_${field}${kind === 'counter' ? '_total' : ''}`;
    const value = () => app.store.sqlAnswers.stats()[field];
    if (kind === 'gauge') {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value());
        },
      });
    } else {
      new Counter({
        name,
        help,
        registers,
        collect() {
          this.reset();
          this.inc(value());
        },
      });
    }
  }

  new Gauge({
    name: 'export_streams',
    help: 'Exports being sent',
    registers,
    collect() {
      this.set(exportsInFlight().exports);
    },
  });
  new Gauge({
    name: 'export_buffered_bytes',
    help: 'Export bytes received from the workers and not yet taken by the kernel (stream buffers and response write queues)',
    registers,
    collect() {
      this.set(exportsInFlight().bytes);
    },
  });

  app.addHook('onResponse', (req, reply, done) => {
    if (isWarmUp(req)) return done();
    requests.observe(req.method, req.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.get('/metrics', {
    schema: {
      tags: ['service'],
      operationId: 'getMetrics', summary: 'Prometheus metrics',
      response: {
        200: { description: 'the Prometheus text exposition format', content: { 'text/plain': { schema: Type.String({ description: 'text/plain; version=0.0.4' }) } } },
        ...errorResponses(500),
      },
    },
  }, async (_req, reply) =>
    reply.type(registry.contentType).send(await registry.metrics()),
  );
});
