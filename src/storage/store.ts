import type { TransferListItem } from 'node:worker_threads';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { SheetInfo } from '../catalog/types.js';
import type { DataTask, FileType, SqlTable, ReaderReport, ReadOptions, SqlTask, TableRef } from '../../workers/protocol.js';
import { ApiError, notFound } from '../errors.js';
import { RecentKeys } from '../../workers/recent-keys.js';
import type { PoolStats } from './pools.js';
import type { WorkerReport } from './shards.js';
import type { SqlAnswers } from './sql-answers.js';
import type { XlsxLimits } from '../../workers/xlsx-limits.js';

/** A parsed upload: its sheets and what the reader decided. */
export interface Ingested {
  sheets: SheetInfo[];
  reader: ReaderReport;
}

/**
 * A new file for an upload's bytes as they stream in (fails if `path` exists). 4 MiB of buffer, not the default
 * 16 KiB: below it every 64 KiB chunk from the socket waited for its own write to finish before the next was
 * read (the receive took ~2× as long as into memory); above it, the chunks that arrive during a write go out
 * together in one writev.
 */
export function uploadFile(path: string): WriteStream {
  return createWriteStream(path, { flags: 'wx', highWaterMark: 4 << 20 });
}

/** What an upload says of its file before it arrives. */
export interface ExpectedUpload {
  bytes: number;
  fileType: FileType;
  fileName: string;
}

/** Where an upload's bytes go while they stream in. */
export interface UploadSink {
  readonly key: string;
  readonly writable: Writable;
  /**
   * Parses the received file in a parse worker, read as `options` ask, and stores its sheets; the version is
   * not in the catalog yet. Returns the sheets and the reader's report of what it decided.
   */
  ingest(fileType: FileType, fileName: string, options: ReadOptions, log?: FastifyBaseLogger): Promise<Ingested>;
  /** Frees whatever the upload staged or stored (on any failure before the catalog commit). */
  discard(): Promise<void>;
}

/**
 * A storage backend: where sheets and uploaded files live, and which worker answers for them. Both route a
 * version's tasks to one data worker (shard, see shards.ts). `local`: Parquet under DATA_DIR, the shard chosen
 * by the storage key, which caches the frames it reads. `memory`: the frames held by the shard they were placed on.
 */
export interface TableStore {
  readonly backend: 'local' | 'memory';
  /**
   * Where an upload's file goes as it arrives. `expected`: the request's Content-Length (a hint for sizing memory;
   * 0 when unknown) and the file's type and name as the client named it (a large CSV is parsed as it arrives).
   */
  openUpload(expected: ExpectedUpload, log?: FastifyBaseLogger): Promise<UploadSink>;
  /** Runs a page or statistics task for sheet `sheetIndex` of a stored version on the worker that can answer it. */
  run<T>(key: string, sheetIndex: number, task: (table: TableRef) => DataTask, log?: FastifyBaseLogger, transfer?: TransferListItem[]): Promise<T>;
  /** Runs read-only SQL over a version's sheets (named in order) in the disposable SQL pool (workers/sql-worker.ts). */
  sql<T>(key: string, sheets: string[], task: (tables: SqlTable[]) => SqlTask, log?: FastifyBaseLogger): Promise<T>;
  /** Answers of SQL queries, kept on the main thread; drop() removes a version's. */
  readonly sqlAnswers: SqlAnswers;
  download(key: string): Readable | Buffer;
  /** Deletes the versions' data (files or frames) and what is cached of them. */
  drop(keys: string[]): Promise<void>;
  /**
   * Lets go of what this instance caches of versions another instance deleted (the data itself is that
   * instance's to delete): worker caches and SQL answers. Idempotent.
   */
  forget(keys: string[]): Promise<void>;
  stats(): StoreStats;
  /** Each data worker's figures (thread id, cache), asked of the workers; see ShardPool.reports. */
  workerReports(): Promise<WorkerReport[]>;
  close(): Promise<void>;
}

export interface StoreLimits {
  workers: number;
  maxQueue: number;
  parseTimeoutMs: number;
  sqlTimeoutMs: number;
  /** Parse and SQL workers' JavaScript heap (V8 old generation), in MB. */
  workerHeapMb: number;
  /** Zip-bomb budgets of one .xlsx workbook (XLSX_MAX_BYTES, XLSX_MAX_CELLS). */
  xlsxLimits: XlsxLimits;
  /** Memory backend only. */
  memoryLimitBytes: number;
  /** Memory backend only: SHARED_MEMORY_DIR, where parsed sheets pass to the shards ('' for buffers). */
  sharedMemoryDir: string;
  /** CACHE_BYTES: the data workers' cache budget, all workers together. */
  cacheBytes: number;
  /** READ_WHILE_RECEIVING_MIN_BYTES: CSV uploads at least this large are parsed as they arrive (read-while-receiving.ts). */
  readWhileReceivingMinBytes: number;
}

export interface ShardStats {
  shard: number;
  /** Versions whose sheets this shard holds. */
  versions: number;
  /** Arrow bytes of those sheets. */
  bytes: number;
}

export interface StoreStats {
  pools: PoolStats[];
  /** Memory backend only. */
  shards?: ShardStats[];
  /** Memory backend: bytes of uploaded files kept for /download. */
  source_bytes?: number;
  /** Memory backend: MEMORY_LIMIT, and what counts against it (frames + uploaded files). */
  memory_limit_bytes?: number;
  memory_used_bytes?: number;
}

/** A request that found a version just before a concurrent delete removed its data. */
export function deletedMeanwhile() {
  return notFound('version', 'the version was deleted while this request was being served');
}

/** 410: the catalog lists the version but its files are gone from the server (never the client's doing). */
export function filesMissing() {
  return new ApiError(
    410,
    'data_lost',
    "this version's files are missing on the server, though the catalog lists it; an operator can find and repair such versions with `npm run catalog -- check`",
  );
}

/**
 * Storage keys deleted lately, so a request that found its version just before the delete, and then misses
 * its data, answers 404 (deletedMeanwhile) rather than a failure. Bounded: the oldest are forgotten first.
 */
export class RecentlyDeleted extends RecentKeys {}
