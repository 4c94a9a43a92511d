import type { Catalog } from '../catalog/catalog.js';
import { MemoryStore } from './memory-store.js';
import type { TableStore } from './store.js';

export interface ShardReport {
  shard: number;
  versions: number;
  datasets: number;
  bytes: number;
}

/** Memory backend: per shard, the versions and datasets it holds and their Arrow bytes; [] for local. */
export async function shardReport(store: TableStore, catalog: Catalog): Promise<ShardReport[]> {
  const shards = store.stats().shards;
  if (!shards || !(store instanceof MemoryStore)) return [];
  const datasets = shards.map(() => new Set<number>());
  for (const [key, datasetId] of await catalog.datasetOfKeys()) {
    const shard = store.shardOf(key);
    if (shard !== undefined) datasets[shard].add(datasetId);
  }
  return shards.map((s) => ({ ...s, datasets: datasets[s.shard].size }));
}
