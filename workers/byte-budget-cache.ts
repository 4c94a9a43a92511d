/**
 * A byte-budget LRU: entries with their sizes, least recently used out first, and every key of a version
 * dropped at once. No worker library is loaded here, so the main thread uses it too (SQL answers).
 */
import type { CacheStats } from './protocol.js';

interface Entry<V> {
  value: V;
  bytes: number;
}

export class ByteBudgetCache<V = unknown> {
  /** Insertion order is recency order: a hit moves its key to the end, eviction takes from the front. */
  private readonly entries = new Map<string, Entry<V>>();
  private bytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  /** `budgetBytes` 0 turns the cache off: nothing is kept, every `get` is a miss. */
  constructor(readonly budgetBytes: number) {}

  /** The value under `key`, now the most recently used; undefined (a miss) if absent. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Whether `key` is cached, without counting a hit or a miss or changing its recency. */
  has(key: string): boolean {
    return this.entries.has(key);
  }

  /**
   * Keeps `value` as the most recently used entry, `bytes` its size, evicting the least recently used until it
   * fits. A value larger than the whole budget is not kept (returns false): it would only evict everything else.
   */
  set(key: string, value: V, bytes: number): boolean {
    this.delete(key);
    if (bytes > this.budgetBytes || this.budgetBytes === 0) return false;
    while (this.bytes + bytes > this.budgetBytes) {
      const oldest = this.entries.keys().next().value!;
      this.delete(oldest);
      this.evictions++;
    }
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    return true;
  }

  delete(key: string): boolean {
    const entry = this.entries.get(key);
    if (!entry) return false;
    this.entries.delete(key);
    this.bytes -= entry.bytes;
    return true;
  }

  /** Drops every entry of a version (keys `<storageKey>/…`); returns how many went. */
  dropVersion(storageKey: string): number {
    const prefix = `${storageKey}/`;
    let dropped = 0;
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix) && this.delete(key)) dropped++;
    return dropped;
  }

  stats(): CacheStats {
    return {
      budget_bytes: this.budgetBytes,
      bytes: this.bytes,
      entries: this.entries.size,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
    };
  }
}
