import type { FastifyBaseLogger } from 'fastify';
import { Piscina } from 'piscina';
import { ApiError } from '../errors.js';
import { isFailure, type DataTask, type ParseTask } from '../../workers/protocol.js';

const WORKERS_DIR = new URL('../../workers/', import.meta.url);

export type WorkerEntry = 'parse-worker' | 'data-worker';

export interface PoolOptions {
  minThreads: number;
  maxThreads: number;
  /** Tasks allowed to wait; past it a request gets 503 instead of joining an ever longer queue. */
  maxQueue: number;
  idleTimeout?: number;
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

  constructor(
    readonly name: string,
    entry: WorkerEntry,
    options: PoolOptions,
  ) {
    this.maxQueue = options.maxQueue;
    this.piscina = new Piscina({
      filename: new URL(`${entry}.js`, WORKERS_DIR).href,
      minThreads: options.minThreads,
      maxThreads: options.maxThreads,
      maxQueue: options.maxQueue,
      idleTimeout: options.idleTimeout ?? Number.POSITIVE_INFINITY,
    });
  }

  /**
   * Runs a task and unwraps its answer: a failure the worker reports (a bad file, a lost frame) becomes an
   * ApiError with its status and detail; a full queue becomes 503 with Retry-After. With a logger, one
   * debug line per task carries the request id, the pool and the worker's time.
   */
  async run<T>(task: DataTask | ParseTask, transferList: ArrayBuffer[] = [], log?: FastifyBaseLogger): Promise<T> {
    if (this.piscina.queueSize >= this.maxQueue) throw overloaded(this.name);
    const started = performance.now();
    let result: unknown;
    try {
      result = await this.piscina.run(task, { transferList });
    } catch (err) {
      if (/queue is at limit/i.test(String((err as Error)?.message))) throw overloaded(this.name);
      throw err;
    }
    log?.debug({ pool: this.name, op: task.op, worker_ms: Math.round((performance.now() - started) * 10) / 10 }, 'worker task');
    if (isFailure(result)) throw new ApiError(result.error.status, result.error.code, result.error.detail);
    return result as T;
  }

  stats(): PoolStats {
    return {
      name: this.name,
      threads: this.piscina.threads.length,
      queued: this.piscina.queueSize,
      max_queue: this.maxQueue,
      utilization: Number(this.piscina.utilization.toFixed(3)),
      completed: this.piscina.completed,
    };
  }

  destroy(): Promise<void> {
    return this.piscina.destroy();
  }
}

function overloaded(pool: string): ApiError {
  return new ApiError(503, 'overloaded', `the ${pool} queue is full; retry shortly`, { 'retry-after': '1' });
}
