import type { TransferListItem } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import type { DataTask, FileType, ParseResult, ReadOptions, SqlTable, SqlTask, TableRef } from '../../workers/protocol.js';
import type { FastifyBaseLogger } from 'fastify';
import { WorkerPool, createParsePool, createSqlPool, retryableFailure } from './pools.js';
import { ShardPool, type WorkerReport } from './shards.js';
import { SqlAnswers, cacheShares } from './sql-answers.js';
import { ownedKey, ownerOf, type Instance } from '../instances/instance.js';
import { FileSystemVersionFiles, type VersionFiles } from './version-files.js';
import { ReadWhileReceiving } from './read-while-receiving.js';
import { deletedMeanwhile, filesMissing, type ExpectedUpload, type Ingested, type StoreLimits, type TableStore, type UploadSink } from './store.js';

/**
 * Local backend: Parquet files and uploaded files under DATA_DIR, every file operation through VersionFiles
 * (version-files.ts: the layout, staging and atomic publishing), beside the catalog (catalog.sqlite unless
 * CATALOG_URL; instance.lock with SQLite: instances/data-dir-lock.ts). Keys are `<instance id>.<uuid>`
 * (instances/instance.ts): several instances may share DATA_DIR (with a shared catalog), and each knows whose
 * an entry is. A version is published whole before it is in the catalog; at start-up, staged uploads and
 * uncatalogued versions are removed when the instance that made them is provably dead (catalog liveInstances) —
 * never another live instance's upload in flight. So a crash at any moment leaves either the whole version or
 * no trace of it, once its instance is known to be gone.
 *
 * Every request for a version goes to one data worker (shard), chosen from its storage key; that worker
 * *caches* the sheets it reads (decoded frames within its share of CACHE_BYTES), where the memory backend's
 * shards *hold* them.
 */
/** Sheets a shard opens at start-up (see openRecent); a kept scan of the flights file holds ~0.8 MB. */
const OPEN_AT_START = 32;

export class LocalStore implements TableStore {
  readonly backend = 'local';
  private readonly parsePool: WorkerPool;
  private readonly shards: ShardPool;
  private readonly sqlPool: WorkerPool;
  readonly sqlAnswers: SqlAnswers;
  private readonly readWhileReceivingMinBytes: number;

  private constructor(
    private readonly files: VersionFiles,
    limits: StoreLimits,
    private readonly me: Instance,
  ) {
    this.readWhileReceivingMinBytes = limits.readWhileReceivingMinBytes;
    const shares = cacheShares(limits.cacheBytes);
    this.sqlAnswers = new SqlAnswers(shares.sqlAnswers);
    this.parsePool = createParsePool(limits);
    // A shard that dies loses only its cache: the Parquet files are intact, so a retry works.
    this.shards = new ShardPool({ ...limits, cacheBytes: shares.dataWorkers, failure: retryableFailure });
    this.sqlPool = createSqlPool(limits);
  }

  /**
   * Opens DATA_DIR for `me`. `knownKeys`: every version in the catalog; `live`: the instances that may still own
   * what they staged (this one included), read after knownKeys, so a version committed in between by a live
   * instance is kept as its owner's.
   */
  static async open(dataDir: string, limits: StoreLimits, knownKeys: Set<string>, instances: { me: Instance; live: Set<string> }): Promise<LocalStore> {
    const files = await FileSystemVersionFiles.open(dataDir);
    const store = new LocalStore(files, limits, instances.me);
    const dead = (key: string) => !instances.live.has(ownerOf(key) ?? '');
    for (const key of await files.stagedKeys()) {
      if (dead(key)) await files.removeStaged(key);
    }
    for (const key of await files.publishedKeys()) {
      if (!knownKeys.has(key) && dead(key)) await files.remove(key);
    }
    void store.openRecent([...knownKeys].reverse()).catch(() => undefined);
    return store;
  }

  /**
   * Has each shard open the scans of its most recent sheets in the background (footer, schema, a first row:
   * ~5-10 ms a sheet that the first page after a restart paid), up to OPEN_AT_START sheets a shard. `keys`:
   * storage keys, newest first.
   */
  private async openRecent(keys: string[]): Promise<void> {
    const tables: Extract<TableRef, { kind: 'parquet' }>[][] = Array.from({ length: this.shards.count }, () => []);
    for (const key of keys.slice(0, OPEN_AT_START * this.shards.count)) {
      const shard = this.shards.hashed(key);
      if (tables[shard].length >= OPEN_AT_START) continue;
      for (const index of await this.files.sheetIndexes(key)) {
        if (tables[shard].length < OPEN_AT_START) tables[shard].push({ kind: 'parquet', key: `${key}/${index}`, path: this.files.sheetLocation(key, index) });
      }
    }
    tables.forEach((list, shard) => list.length > 0 && this.shards.open(shard, list));
  }

  async openUpload(expected: ExpectedUpload, log?: FastifyBaseLogger): Promise<UploadSink> {
    const key = ownedKey(this.me, randomUUID());
    const staged = await this.files.stage(key);
    const output = { kind: 'parquet', dir: staged.sheetsDir } as const;
    const early = ReadWhileReceiving.start(this.parsePool, { ...expected, minBytes: this.readWhileReceivingMinBytes }, { output }, staged.sourcePath, staged.source, log);
    return {
      key,
      writable: staged.source,
      ingest: async (fileType: FileType, fileName: string, options: ReadOptions, log?: FastifyBaseLogger): Promise<Ingested> => {
        const task = { op: 'parse', fileType, fileName, source: { kind: 'path', path: staged.sourcePath }, options, output } as const;
        // The source's fsync (~50 ms for 127 MB on this VM's disk) runs beside the parse, which reads the file
        // from the page cache; both are done before the version is published, so a crash still leaves the whole
        // version or none of it.
        const synced = staged.syncSource();
        const parsed = early ? early.finish(options) : this.parsePool.run<ParseResult>(task, [], log);
        const [, result] = await Promise.all([synced, parsed.finally(() => synced.catch(() => undefined))]);
        await this.files.publish(key);
        return { sheets: result.sheets, reader: result.reader };
      },
      discard: async () => {
        staged.source.destroy();
        await early?.abort();
        await this.files.discard(key);
      },
    };
  }

  run<T>(key: string, sheetIndex: number, task: (table: TableRef) => DataTask, log?: FastifyBaseLogger, transfer: TransferListItem[] = []): Promise<T> {
    const table: TableRef = { kind: 'parquet', key: `${key}/${sheetIndex}`, path: this.files.sheetLocation(key, sheetIndex) };
    return this.unlessDeleted(key, sheetIndex + 1, this.shards.run<T>(this.shards.hashed(key), key, task(table), transfer, log));
  }

  sql<T>(key: string, sheets: string[], task: (tables: SqlTable[]) => SqlTask, log?: FastifyBaseLogger): Promise<T> {
    const tables = sheets.map((name, i) => ({ name, source: { kind: 'parquet' as const, path: this.files.sheetLocation(key, i) } }));
    return this.unlessDeleted(key, sheets.length, this.sqlPool.run<T>(task(tables), [], log));
  }

  /**
   * A delete that removed the files while a worker read them: the version is gone (404), not the worker. Files
   * missing from a version nobody deleted (its first `sheets` sheets and source checked): lost on the server (410).
   */
  private unlessDeleted<T>(key: string, sheets: number, work: Promise<T>): Promise<T> {
    return work.catch((err) => {
      if (this.shards.wasDeleted(key) || !this.files.exists(key)) throw deletedMeanwhile();
      throw this.files.complete(key, sheets) ? err : filesMissing();
    });
  }

  download(key: string) {
    if (!this.files.complete(key, 0)) throw this.files.exists(key) ? filesMissing() : deletedMeanwhile();
    return this.files.source(key);
  }

  async drop(keys: string[]): Promise<void> {
    for (const key of keys) this.sqlAnswers.dropVersion(key);
    for (const key of keys) {
      // The shard first: it forgets the version's frames and answers 404 for it from then on, so no request
      // reads a file half removed and no cache fill brings the version back.
      await this.shards.drop(key, this.shards.hashed(key)).catch(() => undefined); // a lost shard lost its cache too
      await this.files.remove(key);
    }
  }

  async forget(keys: string[]): Promise<void> {
    for (const key of keys) this.sqlAnswers.dropVersion(key);
    for (const key of keys) await this.shards.drop(key, this.shards.hashed(key)).catch(() => undefined);
  }

  stats() {
    return { pools: [this.parsePool.stats(), ...this.shards.poolStats(), this.sqlPool.stats()] };
  }

  workerReports(): Promise<WorkerReport[]> {
    return this.shards.reports();
  }

  async close(): Promise<void> {
    await Promise.all([this.parsePool.destroy(), this.shards.destroy(), this.sqlPool.destroy()]);
  }
}
