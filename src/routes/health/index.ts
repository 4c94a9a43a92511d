import type { FastifyInstance } from 'fastify';
import { MemoryStore } from '../../storage/memory-store.js';

const started = Date.now();

export default async function healthRoutes(app: FastifyInstance) {
  const { catalog, store, config } = app;

  app.get('/health', async () => {
    const workers: Record<string, unknown> = { count: config.workers, ...store.health() };
    if (store instanceof MemoryStore) {
      // Per shard: how many datasets have a version there.
      const byShard = new Map<number, Set<number>>();
      for (const [key, datasetId] of catalog.datasetOfKeys()) {
        const shard = store.shardOf(key);
        if (shard === undefined) continue;
        if (!byShard.has(shard)) byShard.set(shard, new Set());
        byShard.get(shard)!.add(datasetId);
      }
      workers.shards = (workers.shards as { shard: number }[]).map((s) => ({ ...s, datasets: byShard.get(s.shard)?.size ?? 0 }));
    }
    return {
      status: 'ok',
      storage_backend: store.backend,
      workers,
      datasets: catalog.datasetCount(),
      uptime_s: Math.round((Date.now() - started) / 1000),
    };
  });
}
