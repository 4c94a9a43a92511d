import type { TransferListItem } from 'node:worker_threads';
import type { FastifyBaseLogger } from 'fastify';
import { Piscina } from 'piscina';
import { ApiError, workerError } from '../errors.js';
import { isFailure, type DataTask, type DirectRequest, type ParseTask, type SqlTask } from '../../workers/protocol.js';
import { DirectChannel } from './direct-channel.js';
import type { XlsxLimits } from '../../workers/xlsx-limits.js';

const WORKERS_DIR = new URL('../../workers/', import.meta.url);

export type WorkerEntry = 'parse-worker' | 'data-worker' | 'sql-worker';

export type FailureReason = 'crash' | 'timeout' | 'heap';

export interface PoolOptions {
  minThreads: number;
  maxThreads: number;
  /** Tasks allowed to wait; past it a request gets 503 instead of joining an ever longer queue. */
  maxQueue: number;
  idleTimeout?: number;
  /** Tasks a worker interleaves: exports wait on the client between batches, and must not hold the worker. */
  concurrentTasksPerWorker?: number;
  /** A task running longer is stopped (its worker is terminated and replaced). */
  taskTimeoutMs?: number;
  /** A worker whose JavaScript heap would pass this many MB is stopped and replaced, instead of the process dying. */
  heapLimitMb?: number;
  /** The error a client gets when its task's worker died, ran out of time or of heap. */
  failure: (reason: FailureReason, detail: string) => ApiError;
  /** Called when a worker ends without the pool being closed (a crash; for shards, their data is gone). */
  onWorkerLost?: () => void;
  /** Settings every worker of the pool reads once at start (`workerData` of node:worker_threads). */
  workerData?: unknown;
  /**
   * Single-thread pools whose worker answers `connect` (data workers): `runDirect` sends tasks on a port
   * straight to the worker, past Piscina (see DirectChannel). No task timeout applies to those.
   */
  direct?: boolean;
}

export interface RunOptions {
  /** The task's timeout (taskTimeoutMs) counts from when this resolves, not from the start (default: now). */
  timeoutFrom?: Promise<unknown>;
}

export interface PoolStats {
  name: string;
  threads: number;
  queued: number;
  max_queue: number;
  utilization: number;
  completed: number;
}

/** A named Piscina pool running one of the entry points in `workers/`. */
export class WorkerPool {
  private readonly piscina: Piscina;
  private readonly maxQueue: number;
  private closing = false;
  /** The direct channel to the pool's one worker, once opened; reopened after that worker is replaced. */
  private direct?: Promise<DirectChannel>;
  /** The same channel once open, and what the pool's earlier channels completed, for stats(). */
  private channel?: DirectChannel;
  private directCompleted = 0;
  /** Tasks `run` has started and not yet seen end. */
  private running = 0;

  constructor(
    readonly name: string,
    entry: WorkerEntry,
    private readonly options: PoolOptions,
  ) {
    this.maxQueue = options.maxQueue;
    this.piscina = new Piscina({
      filename: new URL(`${entry}.js`, WORKERS_DIR).href,
      minThreads: options.minThreads,
      maxThreads: options.maxThreads,
      maxQueue: options.maxQueue,
      idleTimeout: options.idleTimeout ?? Number.POSITIVE_INFINITY,
      concurrentTasksPerWorker: options.concurrentTasksPerWorker ?? 1,
      resourceLimits: options.heapLimitMb ? { maxOldGenerationSizeMb: options.heapLimitMb } : undefined,
      // Workers wait for tasks with Atomics.waitAsync, so their event loop turns between tasks. With the
      // default blocking wait it never did, and the finalizers that free Polars' memory (napi runs them
      // from the event loop) never ran: a deleted dataset's frames stayed in memory for good. The page
      // throughput is the same either way (measured with autocannon at concurrency 64).
      atomics: 'async',
      // Piscina's timing histograms cost per task, and reading its utilization built their whole summary
      // (mean, deviation, a dozen percentiles) per pool: milliseconds of the main thread per /health. See utilization().
      recordTiming: false,
      workerData: options.workerData,
    });
    // Piscina emits 'error' for a worker that dies between tasks; unheard, that event would end the process.
    this.piscina.on('error', () => undefined);
    this.piscina.on('workerDestroy', () => {
      // Tasks sent on the lost worker's port fail as its Piscina tasks do; the next task opens a new channel.
      this.dropDirect(() => (this.closing ? shuttingDown() : options.failure('crash', 'the worker ended')));
      // Idle parse workers also end this way, harmlessly; shards never idle out, so for them this is a loss.
      if (!this.closing) options.onWorkerLost?.();
    });
    // Opened now, not on the first page: connecting costs a Piscina round trip to a worker that may still be
    // starting, which the first page after a restart paid. A failure here leaves it to the first page to retry.
    if (options.direct) {
      this.direct = this.openDirect();
      this.direct.catch(() => undefined);
    }
  }

  /**
   * Runs a task and unwraps its answer: a failure the worker reports (a bad file, a lost frame) becomes an
   * ApiError with its status and detail; a full queue becomes 503 with Retry-After. With a logger, one
   * debug line per task carries the request id, the pool and the worker's time.
   */
  async run<T>(task: DataTask | ParseTask | SqlTask, transferList: TransferListItem[] = [], log?: FastifyBaseLogger, opts: RunOptions = {}): Promise<T> {
    if (this.piscina.queueSize >= this.maxQueue) throw overloaded(this.name);
    const started = performance.now();
    const timeout = this.options.taskTimeoutMs;
    const stop = timeout ? new AbortController() : undefined;
    let timer: NodeJS.Timeout | undefined;
    let ended = false;
    void (opts.timeoutFrom ?? Promise.resolve()).then(() => {
      if (stop && !ended) timer = setTimeout(() => stop.abort(), timeout).unref();
    });
    let result: unknown;
    this.running++;
    try {
      result = await this.piscina.run(task, { transferList: transferList as never, signal: stop?.signal });
    } catch (err) {
      const message = String((err as Error)?.message ?? err);
      if (/queue is at limit/i.test(message)) throw overloaded(this.name);
      if ((err as Error)?.name === 'AbortError') throw this.options.failure('timeout', `stopped after ${timeout! / 1000} s`);
      if (this.closing) throw shuttingDown();
      log?.warn({ pool: this.name, op: task.op, err: message }, 'worker failed');
      if ((err as { code?: string })?.code === 'ERR_WORKER_OUT_OF_MEMORY') throw this.options.failure('heap', `over ${this.options.heapLimitMb} MB`);
      throw this.options.failure('crash', message);
    } finally {
      this.running--;
      ended = true;
      clearTimeout(timer);
    }
    log?.debug({ pool: this.name, op: task.op, worker_ms: Math.round((performance.now() - started) * 10) / 10 }, 'worker task');
    if (isFailure(result)) throw workerError(result.error);
    return result as T;
  }

  /** Whether a task started now would leave at least one of the pool's threads free for others. */
  hasSpareThread(): boolean {
    return this.running + 1 < this.options.maxThreads;
  }

  /**
   * `run` for a pool made with `direct`: the task goes on a port straight to the worker, and is answered as
   * `run` answers (failures as ApiErrors, a full queue as 503).
   */
  async runDirect<T>(task: DirectRequest['task'], transferList: TransferListItem[] = [], log?: FastifyBaseLogger): Promise<T> {
    if (this.closing) throw shuttingDown();
    this.direct ??= this.openDirect();
    const channel = await this.direct;
    if (this.piscina.queueSize + channel.inFlight >= this.maxQueue) throw overloaded(this.name);
    const started = log && (log.level === 'debug' || log.level === 'trace') ? performance.now() : 0;
    const result = await channel.send(task, transferList);
    if (started) log!.debug({ pool: this.name, op: task.op, worker_ms: Math.round((performance.now() - started) * 10) / 10, direct: true }, 'worker task');
    if (isFailure(result)) throw workerError(result.error);
    return result as T;
  }

  private async openDirect(): Promise<DirectChannel> {
    if (!this.options.direct) throw new Error(`the ${this.name} pool was not made with direct: true`);
    const { channel, workerPort } = DirectChannel.open();
    try {
      await this.run({ op: 'connect', port: workerPort }, [workerPort]);
      // One round trip before any client's rides the channel (see WarmUpTask); nobody asked for it: not counted.
      await channel.send({ op: 'warm-up' });
      channel.completed = 0;
    } catch (err) {
      this.direct = undefined;
      throw err;
    }
    this.channel = channel;
    return channel;
  }

  private dropDirect(error: () => unknown): void {
    const direct = this.direct;
    this.direct = undefined;
    if (this.channel) this.directCompleted += this.channel.completed;
    this.channel = undefined;
    void direct?.then((channel) => channel.close(error), () => undefined);
  }

  stats(): PoolStats {
    return {
      name: this.name,
      threads: this.piscina.threads.length,
      // A direct channel's tasks: one runs, the rest wait (its tasks are synchronous in the worker).
      queued: this.piscina.queueSize + Math.max(0, (this.channel?.inFlight ?? 0) - 1),
      max_queue: this.maxQueue,
      utilization: Number(this.utilization().toFixed(3)),
      completed: this.piscina.completed + this.directCompleted + (this.channel?.completed ?? 0),
    };
  }

  /**
   * Share of time the pool's live threads were busy since they started: each worker's event-loop utilization
   * (a worker waits for tasks with its loop idle), which also counts a direct channel's tasks. Microseconds to read.
   */
  private utilization(): number {
    const threads = this.piscina.threads;
    if (threads.length === 0) return 0;
    return threads.reduce((n, t) => n + t.performance.eventLoopUtilization().utilization, 0) / threads.length;
  }

  destroy(): Promise<void> {
    this.closing = true;
    this.dropDirect(shuttingDown);
    return this.piscina.destroy();
  }
}

function shuttingDown(): ApiError {
  return new ApiError(503, 'shutting_down', 'the server is shutting down; retry shortly', { 'retry-after': '5' });
}

function overloaded(pool: string): ApiError {
  return new ApiError(503, 'overloaded', `the ${pool} queue is full; retry shortly`, { 'retry-after': '1' });
}

/** Parse pools: a parser that dies or runs out of time or heap on a file is that file's problem, a 422. */
export function parseFailure(reason: FailureReason, detail: string): ApiError {
  if (reason === 'timeout') return new ApiError(422, 'parse_timeout', `reading the file took longer than PARSE_TIMEOUT_S allows (${detail}); nothing was stored`);
  if (reason === 'heap') {
    return new ApiError(422, 'file_too_complex', `reading the file needed more JavaScript heap than WORKER_HEAP_MB allows (${detail}); nothing was stored`);
  }
  return new ApiError(422, 'unreadable_file', `the file made the parser fail (${detail}); nothing was stored`);
}

/**
 * The parse pool, the same for both backends: untrusted bytes are read here, in workers that hold no data.
 * One thread stays warm (a cold one spends about a second loading Polars); the rest idle out.
 */
export function createParsePool(limits: {
  workers: number;
  maxQueue: number;
  parseTimeoutMs: number;
  workerHeapMb: number;
  xlsxLimits: XlsxLimits;
}): WorkerPool {
  return new WorkerPool('parse', 'parse-worker', {
    minThreads: 1,
    maxThreads: limits.workers,
    maxQueue: limits.maxQueue,
    idleTimeout: 30_000,
    taskTimeoutMs: limits.parseTimeoutMs,
    heapLimitMb: limits.workerHeapMb,
    failure: parseFailure,
    workerData: { xlsxLimits: limits.xlsxLimits },
  });
}

/** Local data pool: the worker is replaced and the Parquet files are intact, so a retry works. */
export function retryableFailure(_reason: FailureReason, detail: string): ApiError {
  return new ApiError(503, 'worker_failed', `the worker answering this request failed (${detail}); retry shortly`, { 'retry-after': '1' });
}

/** SQL pool: a query past SQL_TIMEOUT_S is stopped with its worker, which holds no data. */
export function sqlFailure(reason: FailureReason, detail: string): ApiError {
  if (reason === 'timeout') return new ApiError(400, 'query_timeout', `the query ran longer than SQL_TIMEOUT_S allows (${detail}); narrow it with WHERE or LIMIT`);
  if (reason === 'heap') return new ApiError(400, 'query_too_large', `the query needed more JavaScript heap than WORKER_HEAP_MB allows (${detail}); narrow it`);
  return new ApiError(400, 'invalid_query', `the query made its worker fail (${detail})`);
}

/** The disposable pool that runs SQL, the same for both backends. */
export function createSqlPool(limits: { workers: number; maxQueue: number; sqlTimeoutMs: number; workerHeapMb: number }): WorkerPool {
  // Named `query` where operators see it (/health `pools`, the `pool` label in /metrics), as before.
  return new WorkerPool('query', 'sql-worker', {
    minThreads: 0,
    maxThreads: limits.workers,
    maxQueue: limits.maxQueue,
    idleTimeout: 30_000,
    taskTimeoutMs: limits.sqlTimeoutMs,
    heapLimitMb: limits.workerHeapMb,
    failure: sqlFailure,
  });
}
