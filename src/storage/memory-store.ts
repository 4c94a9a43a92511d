import type { TransferListItem } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createReadStream } from 'node:fs';
import { Writable, type Readable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { ApiError } from '../errors.js';
import { buffersOf } from '../../workers/protocol.js';
import type { DataTask, FileType, LoadResult, Source, ParseResult, ReadOptions, SheetArrow, SqlTable, SnapshotResult, SqlTask, TableRef } from '../../workers/protocol.js';
import { WorkerPool, createParsePool, createSqlPool } from './pools.js';
import { ShardPool, type WorkerReport } from './shards.js';
import { SqlAnswers, cacheShares } from './sql-answers.js';
import { HandoffDir } from './handoff-dir.js';
import { ReadWhileReceiving } from './read-while-receiving.js';
import { deletedMeanwhile, uploadFile, type ExpectedUpload, type Ingested, type StoreLimits, type StoreStats, type TableStore, type UploadSink } from './store.js';

interface Placement {
  shard: number;
  bytes: number;
}

/**
 * Memory backend: every sheet of a version lives as a Polars DataFrame in one shard worker, chosen as the
 * shard holding the fewest bytes when the version arrives. A shard is a single-thread pool, which gives
 * the worker affinity Piscina lacks: every task for a version goes to the one thread that holds it (the
 * local backend routes the same way, by its storage key, to a shard that caches what it reads).
 * Nothing touches the disk. With a shared-memory file system (SHARED_MEMORY_DIR, a tmpfs: handoff-dir.ts) an
 * upload streams into a file there, which the parse worker reads in place and `/download` serves, and parsed
 * sheets reach their shard as files there; without one (or with no Content-Length to reserve room by), the
 * upload is gathered into one buffer on the main thread, moved to the parse worker and back, and kept for
 * `/download`, and the sheets travel in buffers.
 */
export class MemoryStore implements TableStore {
  readonly backend = 'memory';
  private readonly parsePool: WorkerPool;
  private readonly shards: ShardPool;
  private readonly sqlPool: WorkerPool;
  private readonly shardBytes: number[];
  private readonly placements = new Map<string, Placement>();
  /** Each version's uploaded file: its bytes, or its file in SHARED_MEMORY_DIR. */
  private readonly sources = new Map<string, Buffer | { path: string; size: number }>();
  private sourceBytes = 0;
  /** Bytes promised to uploads still being parsed, so concurrent uploads cannot overshoot the budget together. */
  private reserved = 0;
  private readonly memoryLimit: number;
  private readonly readWhileReceivingMinBytes: number;
  /** Where parsed sheets pass from the parse workers to the shards, when there is a shared-memory file system. */
  private readonly handoff: HandoffDir | undefined;
  readonly sqlAnswers: SqlAnswers;

  constructor(limits: StoreLimits) {
    this.memoryLimit = limits.memoryLimitBytes;
    this.readWhileReceivingMinBytes = limits.readWhileReceivingMinBytes;
    this.handoff = HandoffDir.open(limits.sharedMemoryDir);
    const shares = cacheShares(limits.cacheBytes);
    this.sqlAnswers = new SqlAnswers(shares.sqlAnswers);
    this.parsePool = createParsePool(limits);
    this.shards = new ShardPool({ ...limits, cacheBytes: shares.dataWorkers, failure: () => dataLost(), onWorkerLost: (shard) => this.forgetShard(shard) });
    this.shardBytes = Array.from({ length: this.shards.count }, () => 0);
    this.sqlPool = createSqlPool(limits);
  }

  /** Whether parsed sheets reach the shards through SHARED_MEMORY_DIR (else in buffers). */
  get handsOffInSharedMemory(): boolean {
    return this.handoff !== undefined;
  }

  /**
   * Into a file in SHARED_MEMORY_DIR when it has room for the declared body (and its sheets' Arrow files after
   * it), else into a buffer. The file costs the main thread no copy and no 127 MB allocation of its own — ~200
   * ms less of its CPU for the 127 MB flights CSV, and fewer collections of its heap (see the README's benchmarks).
   */
  async openUpload(expected: ExpectedUpload, log?: FastifyBaseLogger): Promise<UploadSink> {
    const key = randomUUID();
    const dir = expected.bytes > 0 ? await this.handoff?.make(key, expected.bytes * 3) : undefined;
    if (dir) {
      const path = join(dir, 'source');
      const writable = uploadFile(path);
      // Its sheets' Arrow files go beside it once parsed, and may be written before the last byte arrives.
      const sheets = await this.handoff!.make(sheetsOf(key), expected.bytes * 2);
      const early =
        sheets === undefined
          ? undefined
          : ReadWhileReceiving.start(this.parsePool, { ...expected, minBytes: this.readWhileReceivingMinBytes }, { output: { kind: 'ipc', dir: sheets } }, path, writable, log);
      if (sheets && !early) await this.handoff!.remove(sheetsOf(key));
      return this.sink(key, writable, () => ({ kind: 'path', path }), () => writable.bytesWritten, early);
    }
    const received = new UploadBuffer(expected.bytes);
    const writable = new Writable({
      write(chunk: Buffer, _enc, done) {
        received.append(chunk);
        done();
      },
    });
    return this.sink(key, writable, () => ({ kind: 'bytes', bytes: received.take() }), () => received.size);
  }

  /**
   * An upload's sink: `take` hands over the received file once, `size` says how large it is; `early`, the parse
   * started while it arrives, if any.
   */
  private sink(key: string, writable: Writable, take: () => Source, size: () => number, early?: ReadWhileReceiving): UploadSink {
    return {
      key,
      writable,
      ingest: async (fileType: FileType, fileName: string, options: ReadOptions, log?: FastifyBaseLogger): Promise<Ingested> => {
        const bytes = size();
        // The file is kept for /download and its frames are usually at least as large: refuse before parsing.
        this.checkBudget(bytes * 2, bytes);
        this.reserved += bytes * 2;
        try {
          return await this.parseAndPlace(key, take(), bytes, fileType, fileName, options, log, early);
        } finally {
          this.reserved -= bytes * 2;
        }
      },
      discard: async () => {
        writable.destroy();
        await early?.abort();
        await this.drop([key]);
        await this.handoff?.remove(key); // the file of an upload that was never stored
        if (early) await this.handoff?.remove(sheetsOf(key)); // made with it (parseAndPlace removes it otherwise)
      },
    };
  }

  private async parseAndPlace(
    key: string,
    source: Source,
    size: number,
    fileType: FileType,
    fileName: string,
    options: ReadOptions,
    log?: FastifyBaseLogger,
    early?: ReadWhileReceiving,
  ): Promise<Ingested> {
    // Room for the sheets' Arrow files estimated as checkBudget's: twice the file (made at the start for `early`).
    const sheets = sheetsOf(key);
    const dir = early ? undefined : await this.handoff?.make(sheets, size * 2);
    try {
      const parsed = early
        ? await early.finish(options)
        : await this.parsePool.run<ParseResult>(
            { op: 'parse', fileType, fileName, source, options, output: { kind: 'ipc', dir } } as const,
            source.kind === 'bytes' ? [source.bytes.buffer as ArrayBuffer] : [],
            log,
          );
      const arrow = parsed.arrow ?? [];
      const frameBytes = arrow.reduce((n, a) => n + (a.kind === 'file' ? a.bytes : a.ipc.byteLength), 0);
      this.checkBudget(frameBytes + size, size, size * 2);
      // Counted before loading, so uploads arriving together spread over the shards.
      const placement: Placement = {
        shard: this.leastLoadedShard(),
        bytes: frameBytes,
      };
      this.placements.set(key, placement);
      this.shardBytes[placement.shard] += placement.bytes;
      for (const [i, sheet] of arrow.entries()) {
        await this.shards.run<LoadResult>(placement.shard, key, { op: 'load', key: `${key}/${i}`, arrow: sheet }, buffersOf(sheet), log);
      }
      this.sources.set(key, source.kind === 'path' ? { path: source.path, size } : Buffer.from(parsed.sourceBytes!, 0, size));
      this.sourceBytes += size;
      return { sheets: parsed.sheets, reader: parsed.reader };
    } finally {
      if (dir || early) await this.handoff?.remove(sheets);
    }
  }

  /**
   * 507 when `extra` more bytes would take the memory backend past MEMORY_LIMIT; what is stored is untouched.
   * Called before parsing (with an estimate) and again with the parsed frames' real size.
   */
  private checkBudget(extra: number, fileSize: number, ownReservation = 0): void {
    const used = this.usedBytes() + this.reserved - ownReservation;
    if (used + extra <= this.memoryLimit) return;
    throw new ApiError(
      507,
      'memory_budget_exceeded',
      `storing this ${fileSize}-byte upload needs about ${Math.max(extra, fileSize)} more bytes, but the memory backend already holds ` +
        `${used} of its ${this.memoryLimit}-byte MEMORY_LIMIT; delete datasets or raise MEMORY_LIMIT`,
    );
  }

  private usedBytes(): number {
    return this.shardBytes.reduce((a, b) => a + b, 0) + this.sourceBytes;
  }

  /** A shard's worker died: its frames are gone. Its versions now answer 410 until deleted. */
  private forgetShard(shard: number): void {
    for (const [key, p] of this.placements) if (p.shard === shard) this.placements.delete(key);
    this.shardBytes[shard] = 0;
  }

  run<T>(key: string, sheetIndex: number, task: (table: TableRef) => DataTask, log?: FastifyBaseLogger, transfer: TransferListItem[] = []): Promise<T> {
    const placement = this.placements.get(key);
    if (!placement) throw this.shards.wasDeleted(key) ? deletedMeanwhile() : dataLost();
    return this.shards.run<T>(placement.shard, key, task({ kind: 'memory', key: `${key}/${sheetIndex}` }), transfer, log);
  }

  /**
   * The shard sends a copy of each sheet (through shared memory when it can, which the query then scans for just
   * what it reads); the query runs in a disposable worker that can be stopped.
   */
  async sql<T>(key: string, sheets: string[], task: (tables: SqlTable[]) => SqlTask, log?: FastifyBaseLogger): Promise<T> {
    const name = `sql-${randomUUID()}`;
    const dir = await this.handoff?.make(name, this.placements.get(key)?.bytes ?? 0);
    try {
      const snapshots: SheetArrow[] = [];
      for (const i of sheets.keys()) {
        const path = dir && join(dir, `sheet-${i}.arrow`);
        snapshots.push((await this.run<SnapshotResult>(key, i, (table) => ({ op: 'snapshot', table, path }), log)).arrow);
      }
      const tables: SqlTable[] = sheets.map((name, i) => ({ name, source: { kind: 'arrow', arrow: snapshots[i] } }));
      return await this.sqlPool.run<T>(task(tables), buffersOf(...snapshots), log);
    } finally {
      if (dir) await this.handoff?.remove(name);
    }
  }

  download(key: string): Buffer | Readable {
    const source = this.sources.get(key);
    if (!source) throw this.shards.wasDeleted(key) ? deletedMeanwhile() : dataLost();
    return Buffer.isBuffer(source) ? source : createReadStream(source.path);
  }

  async drop(keys: string[]): Promise<void> {
    for (const key of keys) {
      this.sqlAnswers.dropVersion(key);
      const source = this.sources.get(key);
      if (source) {
        this.sourceBytes -= Buffer.isBuffer(source) ? source.length : source.size;
        this.sources.delete(key);
        if (!Buffer.isBuffer(source)) await this.handoff?.remove(key);
      }
      const p = this.placements.get(key);
      if (p) {
        this.placements.delete(key);
        this.shardBytes[p.shard] -= p.bytes;
      }
      await this.shards.drop(key, p?.shard);
    }
  }

  /** Single instance: what it holds, it deleted itself (drop). */
  async forget(): Promise<void> {}

  stats(): StoreStats {
    const shards = this.shardBytes.map((bytes, shard) => ({ shard, versions: 0, bytes }));
    for (const p of this.placements.values()) shards[p.shard].versions++;
    return {
      pools: [this.parsePool.stats(), ...this.shards.poolStats(), this.sqlPool.stats()],
      shards,
      source_bytes: this.sourceBytes,
      memory_limit_bytes: this.memoryLimit,
      memory_used_bytes: this.usedBytes(),
    };
  }

  /** Which shard holds each version, for /health's per-shard dataset counts. */
  shardOf(key: string): number | undefined {
    return this.placements.get(key)?.shard;
  }

  workerReports(): Promise<WorkerReport[]> {
    return this.shards.reports();
  }

  async close(): Promise<void> {
    await Promise.all([this.parsePool.destroy(), this.sqlPool.destroy(), this.shards.destroy()]);
    this.handoff?.close();
  }

  private leastLoadedShard(): number {
    let best = 0;
    for (let i = 1; i < this.shardBytes.length; i++) if (this.shardBytes[i] < this.shardBytes[best]) best = i;
    return best;
  }
}

/** The hand-off directory of an upload's parsed sheets (beside the one of its file, named by `key`). */
const sheetsOf = (key: string) => `${key}.sheets`;

function dataLost(): ApiError {
  return new ApiError(
    410,
    'data_lost',
    'this version was held by a memory shard whose worker failed, and its data is gone (the memory backend keeps nothing on disk); upload the file again',
  );
}

/**
 * The upload's bytes in one ArrayBuffer of its own (not Node's shared pool), so it can be moved to the
 * parser and back. Each chunk is copied as it arrives, into room sized from Content-Length when known
 * (without one, the room doubles as needed), so the main thread never stops to join a whole file at once.
 */
class UploadBuffer {
  private buffer: Uint8Array;
  size = 0;

  constructor(expected: number) {
    // Room for the whole declared body (the route refused one past MAX_UPLOAD_BYTES already): growing by
    // copying blocked the event loop for 80 ms at 64 MiB. A client may claim much and send little, but a
    // large ArrayBuffer is reserved address space whose pages become resident only as bytes arrive.
    this.buffer = new Uint8Array(new ArrayBuffer(Math.max(expected, 64 * 1024)));
  }

  append(chunk: Uint8Array): void {
    if (this.size + chunk.length > this.buffer.length) {
      const grown = new Uint8Array(new ArrayBuffer(Math.max(this.buffer.length * 2, this.size + chunk.length)));
      grown.set(this.buffer.subarray(0, this.size));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.size);
    this.size += chunk.length;
  }

  /** The bytes received (a view on the whole buffer, which moves with it); the buffer is let go here. */
  take(): Uint8Array {
    const bytes = this.buffer.subarray(0, this.size);
    this.buffer = new Uint8Array(0);
    return bytes;
  }
}
