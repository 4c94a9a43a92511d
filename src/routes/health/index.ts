import type { FastifyInstance } from 'fastify';
import { shardReport } from '../../storage/shard-report.js';

const started = Date.now();

export default async function healthRoutes(app: FastifyInstance) {
  const { catalog, store, config } = app;

  app.get('/health', { schema: { tags: ['service'], summary: 'Status, storage backend, worker pools and shards' } }, async () => {
    const stats = store.stats();
    const dataWorkers = await store.workerReports();
    return {
      status: app.overloaded() ? 'overloaded' : 'ok',
      storage_backend: store.backend,
      workers: {
        count: config.workers,
        pools: stats.pools,
        /** Each data worker's OS thread id and cache figures (query results; frames on the local backend). */
        data_workers: dataWorkers,
        ...(stats.shards && { shards: shardReport(store, catalog), source_bytes: stats.source_bytes }),
      },
      /** SQL answers kept on the main thread (a share of CACHE_BYTES). */
      sql_answers: store.sqlAnswers.stats(),
      datasets: catalog.datasetCount(),
      uptime_s: Math.round((Date.now() - started) / 1000),
    };
  });
}
