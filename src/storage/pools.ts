import { Piscina } from 'piscina';
import { ApiError } from '../errors.js';
import { isFailure } from '../../workers/protocol.js';

const WORKERS_DIR = new URL('../../workers/', import.meta.url);

export type WorkerEntry = 'parse-worker' | 'data-worker';

/** A Piscina pool running one of the worker entry points from `workers/`. */
export function createPool(entry: WorkerEntry, options: { minThreads: number; maxThreads: number; idleTimeout?: number }): Piscina {
  return new Piscina({
    filename: new URL(`${entry}.js`, WORKERS_DIR).href,
    minThreads: options.minThreads,
    maxThreads: options.maxThreads,
    idleTimeout: options.idleTimeout ?? Number.POSITIVE_INFINITY,
  });
}

/**
 * Runs a task and unwraps its answer: an expected failure reported by the worker becomes an ApiError with
 * the worker's status and detail.
 */
export async function runTask<T>(pool: Piscina, task: object, transferList: ArrayBuffer[] = []): Promise<T> {
  const result = await pool.run(task, { transferList });
  if (isFailure(result)) throw new ApiError(result.error.status, result.error.code, result.error.detail);
  return result as T;
}

export function poolStats(pool: Piscina) {
  return {
    threads: pool.threads.length,
    queued: pool.queueSize,
    utilization: Number(pool.utilization.toFixed(3)),
  };
}
