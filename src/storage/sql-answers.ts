/**
 * Answers of `POST …/query` (SQL), kept on the main thread within a byte budget, least recently used out first.
 *
 * Here rather than in a worker: SQL runs in the disposable SQL pool, whose workers are stopped on a timeout and
 * idle out, so they cannot keep anything; and a hit here costs no task at all (on the memory backend not even the
 * snapshots of the version's sheets). What is kept is the answer's encoded bytes, sent as they are. The budget is a
 * share of CACHE_BYTES (cacheShares), shown in /health and /metrics; a delete drops a version's answers with its
 * data (the stores' drop()).
 */
import { ByteBudgetCache } from '../../workers/byte-budget-cache.js';
import type { CacheStats, SqlTask } from '../../workers/protocol.js';
import { RecentlyDeleted } from './store.js';

/** What the route sends back for a query: the encoded body and the rows the query matched. */
export interface SqlAnswer {
  body: Buffer;
  total_rows: number;
}

/** The request's fields that decide its answer (the tables are the version's, named by its storage key). */
export type SqlRequest = Pick<SqlTask, 'sql' | 'maxRows' | 'offset' | 'size' | 'format' | 'int64AsString'>;

export class SqlAnswers {
  private readonly cache: ByteBudgetCache<SqlAnswer>;
  /** Versions dropped: an answer that was computed while its version was deleted is not kept. */
  private readonly dropped = new RecentlyDeleted();

  /** `budgetBytes` 0: nothing is kept. */
  constructor(budgetBytes: number) {
    this.cache = new ByteBudgetCache<SqlAnswer>(budgetBytes);
  }

  /**
   * `<storage key>/sql?<request>`: the SQL text as sent (only surrounding white space trimmed, so two texts that
   * may differ in meaning never share an answer), SQL_MAX_ROWS, the window, the format and the int64 mode.
   */
  private static key(storageKey: string, r: SqlRequest): string {
    return `${storageKey}/sql?${JSON.stringify([r.sql.trim(), r.maxRows, r.offset, r.size, r.format, r.int64AsString])}`;
  }

  get(storageKey: string, request: SqlRequest): SqlAnswer | undefined {
    return this.cache.get(SqlAnswers.key(storageKey, request));
  }

  /** Keeps an answer unless it is larger than the whole budget, or its version was deleted meanwhile. */
  set(storageKey: string, request: SqlRequest, answer: SqlAnswer): void {
    if (this.dropped.has(storageKey)) return;
    const key = SqlAnswers.key(storageKey, request);
    this.cache.set(key, answer, answer.body.byteLength + Buffer.byteLength(key));
  }

  /** Drops every answer over a version (on its delete). */
  dropVersion(storageKey: string): number {
    this.dropped.add(storageKey);
    return this.cache.dropVersion(storageKey);
  }

  stats(): CacheStats {
    return this.cache.stats();
  }
}

/**
 * How CACHE_BYTES is split: a sixteenth for SQL answers on the main thread (answers are pages or bounded
 * results, and SQL is the rarer path), the rest for the data workers' caches (which ShardPool splits equally).
 */
export function cacheShares(cacheBytes: number): { sqlAnswers: number; dataWorkers: number } {
  const sqlAnswers = Math.floor(cacheBytes / 16);
  return { sqlAnswers, dataWorkers: cacheBytes - sqlAnswers };
}
