import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../schemas/errors.js';
import { Health } from '../../schemas/health.js';
import { shardReport } from '../../storage/shard-report.js';

const started = Date.now();

/** `GET /health`: open (no API key), never shed, serialized from its schema. */
export default async function healthRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, store, config } = app;
  let lastDatasetCount = 0;

  app.get('/health', {
    schema: { tags: ['service'], operationId: 'getHealth', summary: 'Status, storage backend, worker pools, data workers and their caches, shards, catalog', response: { 200: Health, ...errorResponses(500) } },
  }, async () => {
    const stats = store.stats();
    const catalogHealth = await catalog.health();
    if (catalogHealth.reachable) lastDatasetCount = await catalog.datasetCount().catch(() => lastDatasetCount);
    return {
      status: !catalogHealth.reachable ? ('degraded' as const) : app.overloaded() ? ('overloaded' as const) : ('ok' as const),
      storage_backend: store.backend,
      workers: {
        count: config.workers,
        pools: stats.pools,
        data: await store.workerReports(),
        ...(stats.shards && { shards: await shardReport(store, catalog), source_bytes: stats.source_bytes }),
      },
      sql_answers: store.sqlAnswers.stats(),
      catalog: catalogHealth,
      datasets: lastDatasetCount,
      uptime_s: Math.round((Date.now() - started) / 1000),
    };
  });
}
