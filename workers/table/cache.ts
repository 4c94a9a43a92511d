/**
 * One data worker's cache: decoded sheets (the local backend's frames read from Parquet) and table query
 * results and facets (both backends, result-cache.ts), kept within a byte budget, least recently used out
 * first. The server gives each data worker an equal share of CACHE_BYTES.
 *
 * Keys start with the version's storage key (`<storage key>/<sheet index>…`), so everything a version owns
 * is dropped with one call to `dropVersion`, whether a delete here or, later, a shared catalog asks.
 */

import { workerData } from 'node:worker_threads';
import { ByteBudgetCache } from '../byte-budget-cache.js';

/** This worker's cache; the server sets its budget in bytes as `workerData.cacheBytes` (its share of CACHE_BYTES). */
export const workerCache = new ByteBudgetCache((workerData as { cacheBytes?: number } | null)?.cacheBytes ?? 0);
