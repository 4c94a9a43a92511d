import type { TransferListItem } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import type { ApiError } from '../errors.js';
import type { DataTask, OpenTask, WorkerStatsResult } from '../../workers/protocol.js';
import { WorkerPool, type FailureReason, type PoolStats } from './pools.js';
import { RecentlyDeleted, deletedMeanwhile } from './store.js';

/** One data worker's figures for /health and /metrics: its shard name, OS thread id and cache. */
export interface WorkerReport extends WorkerStatsResult {
  name: string;
}

export interface ShardPoolOptions {
  workers: number;
  maxQueue: number;
  /** CACHE_BYTES, split equally over the shards. */
  cacheBytes: number;
  /** The error a client gets when a shard's worker died (memory: its frames are gone; local: a retry works). */
  failure: (reason: FailureReason, detail: string) => ApiError;
  /** Called with the shard's index when its worker ends without the pool being closed. */
  onWorkerLost?: (shard: number) => void;
}

/**
 * How often a shard is asked for its figures at most. Asking on every /health cost the main thread a Piscina
 * task and a message per shard per call: 21% of its CPU in the bench's mixed scenario, where /health is polled
 * back to back (~800 a second) during an upload (`--cpu-prof`, 2026-12-02).
 */
const REPORT_INTERVAL_MS = 250;

/**
 * The data workers of both backends: `workers` single-thread pools ("shards"), so every task for a version
 * reaches the one thread that holds (memory) or caches (local) its frames. The store picks a version's shard;
 * this class runs tasks there, tells it about deletes, and gathers each shard's figures.
 */
export class ShardPool {
  private readonly shards: WorkerPool[];
  private readonly deleted = new RecentlyDeleted();
  /** The last figures each shard reported, its report in flight, and when it was last asked (see `reports`). */
  private readonly lastReports: (WorkerReport | undefined)[];
  private readonly pendingReports: (Promise<void> | undefined)[];
  private readonly askedAt: number[];

  constructor(options: ShardPoolOptions) {
    const { workers, maxQueue, failure, onWorkerLost } = options;
    this.shards = Array.from(
      { length: workers },
      (_, i) =>
        new WorkerPool(`shard-${i}`, 'data-worker', {
          minThreads: 1,
          maxThreads: 1,
          maxQueue,
          concurrentTasksPerWorker: 4,
          direct: true,
          failure,
          onWorkerLost: onWorkerLost && (() => onWorkerLost(i)),
          workerData: { cacheBytes: Math.floor(options.cacheBytes / workers) },
        }),
    );
    this.lastReports = this.shards.map(() => undefined);
    this.pendingReports = this.shards.map(() => undefined);
    this.askedAt = this.shards.map(() => Number.NEGATIVE_INFINITY);
  }

  get count(): number {
    return this.shards.length;
  }

  /**
   * The shard of a storage key that has no placement of its own (local backend): FNV-1a of the key modulo the
   * shard count, so every instance with the same WORKERS agrees.
   */
  hashed(key: string): number {
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    return (hash >>> 0) % this.shards.length;
  }

  /**
   * Runs a task for version `key` on shard `shard`. A failure of a version deleted meanwhile (its frames dropped,
   * its files removed) is that version's 404, not the failure.
   */
  run<T>(shard: number, key: string, task: DataTask, transfer: TransferListItem[] = [], log?: FastifyBaseLogger): Promise<T> {
    const pool = this.shards[shard];
    // Pages, the hot path, go straight to the shard's port (see direct-channel.ts); the rest through Piscina.
    const answer = task.op === 'page' ? pool.runDirect<T>(task, transfer, log) : pool.run<T>(task, transfer, log);
    return answer.catch((err) => {
      throw this.deleted.has(key) ? deletedMeanwhile() : err;
    });
  }

  /** Has shard `shard` open these sheets' scans in the background (see OpenTask); not waited for, errors ignored. */
  open(shard: number, tables: OpenTask['tables']): void {
    this.shards[shard].run({ op: 'open', tables }).catch(() => undefined);
  }

  /** Whether `key` was deleted lately (a request that finds no data for it answers 404, not a failure). */
  wasDeleted(key: string): boolean {
    return this.deleted.has(key);
  }

  /**
   * Marks version `key` deleted, then has its shard (if it has one) drop everything it holds or caches of it;
   * requests for it reaching the shard afterwards answer 404. Marked first, so a request failing meanwhile is a
   * 404 too.
   */
  async drop(key: string, shard?: number): Promise<void> {
    this.deleted.add(key);
    if (shard !== undefined) await this.shards[shard].run({ op: 'drop', storageKey: key });
  }

  /**
   * Each shard's figures, as last reported. Asking a shard means a `stats` task, which waits behind whatever
   * the shard runs (detailed statistics of a big table: seconds), so this never waits for a shard that has
   * reported before: it answers with the figures at hand and asks each shard again in the background (one
   * question in flight per shard, at most one every REPORT_INTERVAL_MS), so the next call sees figures at most
   * that old plus one call. Only a shard that has never reported (just started) is waited for.
   */
  async reports(): Promise<WorkerReport[]> {
    const now = performance.now();
    const waiting = this.shards.map((pool, i) => {
      if (!this.pendingReports[i] && now - this.askedAt[i] >= REPORT_INTERVAL_MS) {
        this.askedAt[i] = now;
        this.pendingReports[i] = pool
          .run<WorkerStatsResult>({ op: 'stats' })
          .then((r) => void (this.lastReports[i] = { name: pool.name, ...r }))
          .catch(() => undefined) // a full queue or a crash: the previous figures stand
          .finally(() => (this.pendingReports[i] = undefined));
      }
      return this.lastReports[i] ? undefined : this.pendingReports[i];
    });
    if (waiting.some((w) => w)) await Promise.all(waiting);
    return this.lastReports.flatMap((r) => (r ? [r] : []));
  }

  poolStats(): PoolStats[] {
    return this.shards.map((s) => s.stats());
  }

  destroy(): Promise<void> {
    return Promise.all(this.shards.map((s) => s.destroy())).then(() => undefined);
  }
}

