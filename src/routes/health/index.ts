import type { FastifyInstance } from 'fastify';
import { shardReport } from '../../storage/shard-report.js';
import { healthResponse } from './schemas.js';

const started = Date.now();

export default async function healthRoutes(app: FastifyInstance) {
  const { catalog, store, config } = app;

  app.get(
    '/health',
    { schema: { tags: ['service'], summary: 'Status, storage backend, worker pools, data workers and their caches, shards', response: { 200: healthResponse } } },
    async () => {
      const stats = store.stats();
      return {
        status: app.overloaded() ? 'overloaded' : 'ok',
        storage_backend: store.backend,
        workers: {
          count: config.workers,
          pools: stats.pools,
          data: await store.workerReports(),
          ...(stats.shards && { shards: shardReport(store, catalog), source_bytes: stats.source_bytes }),
        },
        sql_answers: store.sqlAnswers.stats(),
        datasets: catalog.datasetCount(),
        uptime_s: Math.round((Date.now() - started) / 1000),
      };
    },
  );
}
