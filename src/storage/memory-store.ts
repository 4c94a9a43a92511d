import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { SheetInfo } from '../catalog/types.js';
import { ApiError } from '../errors.js';
import type { DataTask, FileType, LoadResult, ParseResult, TableRef } from '../../workers/protocol.js';
import { WorkerPool } from './pools.js';
import type { StoreStats, TableStore, UploadSink } from './store.js';

interface Placement {
  shard: number;
  sheets: number;
  bytes: number;
}

/**
 * Memory backend: every sheet of a version lives as a Polars DataFrame in one shard worker, chosen as the
 * shard holding the fewest bytes when the version arrives. A shard is a single-thread pool, which gives
 * the worker affinity Piscina lacks: every task for a version goes to the one thread that holds it.
 * Uploaded files are kept here, on the main thread, as bytes for `/download`. Nothing touches the disk.
 */
export class MemoryStore implements TableStore {
  readonly backend = 'memory';
  private readonly parsePool: WorkerPool;
  private readonly shards: WorkerPool[];
  private readonly shardBytes: number[];
  private readonly placements = new Map<string, Placement>();
  private readonly sources = new Map<string, Buffer>();

  constructor(workers: number, maxQueue: number) {
    this.parsePool = new WorkerPool('parse', 'parse-worker', { minThreads: 1, maxThreads: workers, maxQueue, idleTimeout: 30_000 });
    this.shards = Array.from(
      { length: workers },
      (_, i) => new WorkerPool(`shard-${i}`, 'data-worker', { minThreads: 1, maxThreads: 1, maxQueue }),
    );
    this.shardBytes = this.shards.map(() => 0);
  }

  async openUpload(): Promise<UploadSink> {
    const key = randomUUID();
    const chunks: Buffer[] = [];
    let size = 0;
    const writable = new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk);
        size += chunk.length;
        done();
      },
    });
    return {
      key,
      writable,
      ingest: async (fileType: FileType, fileName: string, log?: FastifyBaseLogger): Promise<SheetInfo[]> => {
        // One buffer of its own (not Node's shared pool), so it can be moved to the parser and back.
        const bytes = new Uint8Array(new ArrayBuffer(size));
        let at = 0;
        for (const c of chunks.splice(0)) {
          bytes.set(c, at);
          at += c.length;
        }
        const parsed = await this.parsePool.run<ParseResult>(
          { op: 'parse', fileType, fileName, source: { kind: 'bytes', bytes }, output: { kind: 'ipc' } } as const,
          [bytes.buffer],
          log,
        );
        const ipc = parsed.ipc ?? [];
        // Counted before loading, so uploads arriving together spread over the shards.
        const placement: Placement = {
          shard: this.leastLoadedShard(),
          sheets: ipc.length,
          bytes: ipc.reduce((n, b) => n + b.byteLength, 0),
        };
        this.placements.set(key, placement);
        this.shardBytes[placement.shard] += placement.bytes;
        for (const [i, buffer] of ipc.entries()) {
          await this.shards[placement.shard].run<LoadResult>({ op: 'load', key: `${key}/${i}`, ipc: buffer }, [buffer], log);
        }
        this.sources.set(key, Buffer.from(parsed.sourceBytes!));
        return parsed.sheets;
      },
      discard: async () => {
        chunks.length = 0;
        await this.drop([key]);
      },
    };
  }

  run<T>(key: string, sheetIndex: number, task: (table: TableRef) => DataTask, log?: FastifyBaseLogger): Promise<T> {
    const placement = this.placements.get(key);
    if (!placement) throw new ApiError(410, 'data_lost', 'this version is no longer held in memory; upload it again');
    return this.shards[placement.shard].run<T>(task({ kind: 'memory', key: `${key}/${sheetIndex}` }), [], log);
  }

  download(key: string): Buffer {
    const bytes = this.sources.get(key);
    if (!bytes) throw new ApiError(410, 'data_lost', 'this version is no longer held in memory; upload it again');
    return bytes;
  }

  async drop(keys: string[]): Promise<void> {
    for (const key of keys) {
      this.sources.delete(key);
      const p = this.placements.get(key);
      if (!p) continue;
      this.placements.delete(key);
      this.shardBytes[p.shard] -= p.bytes;
      const sheetKeys = Array.from({ length: p.sheets }, (_, i) => `${key}/${i}`);
      await this.shards[p.shard].run({ op: 'drop', keys: sheetKeys });
    }
  }

  stats(): StoreStats {
    const shards = this.shards.map((_, shard) => ({ shard, versions: 0, bytes: this.shardBytes[shard] }));
    for (const p of this.placements.values()) shards[p.shard].versions++;
    return {
      pools: [this.parsePool.stats(), ...this.shards.map((s) => s.stats())],
      shards,
      source_bytes: [...this.sources.values()].reduce((n, b) => n + b.length, 0),
    };
  }

  /** Which shard holds each version, for /health's per-shard dataset counts. */
  shardOf(key: string): number | undefined {
    return this.placements.get(key)?.shard;
  }

  async close(): Promise<void> {
    await Promise.all([this.parsePool.destroy(), ...this.shards.map((s) => s.destroy())]);
  }

  private leastLoadedShard(): number {
    let best = 0;
    for (let i = 1; i < this.shardBytes.length; i++) if (this.shardBytes[i] < this.shardBytes[best]) best = i;
    return best;
  }
}
