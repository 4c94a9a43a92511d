/**
 * A byte-budget LRU: entries with their sizes, least recently used out first, and every key of a version
 * dropped at once. No worker library is loaded here, so the main thread uses it too (SQL answers).
 *
 * Large entries that cost much to make (a local sheet's decoded frame) come in through `makeRoom` first: it
 * admits them only if they were asked for clearly more often lately than what they would evict (see ADMIT_*),
 * so requests spread over more such entries than the budget holds do not replace one by another on every
 * miss (each replacement a whole-file read), and it evicts before the entry is made, not after.
 */
import type { CacheStats } from './protocol.js';
import { RecentUses } from './recent-uses.js';

/**
 * makeRoom admits a key when its recent uses (RecentUses: halving every 256 uses) > ADMIT_FACTOR × the victims'
 * + ADMIT_MARGIN. Uses spread evenly over 2–4 keys give each a count of ~90–185: 1.5× is over 5 standard
 * deviations of their difference away, so the cached key stays; a key asked for while the victims are
 * not overtakes them after at most ~150 uses (its count grows as theirs decays). The margin keeps the first few
 * requests (counts of 1–3) from deciding.
 */
const ADMIT_FACTOR = 1.5;
const ADMIT_MARGIN = 8;

interface Entry<V> {
  value: V;
  bytes: number;
}

export class ByteBudgetCache<V = unknown> {
  /** Insertion order is recency order: a hit moves its key to the end, eviction takes from the front. */
  private readonly entries = new Map<string, Entry<V>>();
  private bytes = 0;
  /** Bytes promised by makeRoom to entries being made (not yet `set`): kept free of other entries. */
  private reserved = 0;
  /** Uses of every key asked for (hits and misses), for makeRoom's admission. */
  private readonly uses = new RecentUses();
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  /** `budgetBytes` 0 turns the cache off: nothing is kept, every `get` is a miss. */
  constructor(readonly budgetBytes: number) {}

  /** The value under `key`, now the most recently used; undefined (a miss) if absent. */
  get(key: string): V | undefined {
    this.uses.record(key);
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
   * fits. A value larger than the whole budget, less what makeRoom reserved, is not kept (returns false): it
   * would only evict everything else. An entry made after makeRoom: `release` its reservation first.
   */
  set(key: string, value: V, bytes: number): boolean {
    this.delete(key);
    if (bytes > this.budgetBytes - this.reserved || this.budgetBytes === 0) return false;
    while (this.bytes + this.reserved + bytes > this.budgetBytes) {
      const oldest = this.entries.keys().next().value!;
      this.delete(oldest);
      this.evictions++;
    }
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    return true;
  }

  /**
   * Admission of an entry of about `bytes` under `key` that is not made yet: true if it fits in what is free, or
   * if the entries it would evict (least recently used first) were used less (see ADMIT_FACTOR); then they are
   * evicted now and `bytes` reserved (see `release`). False: nothing changed — the caller does without the entry.
   * Also false for a zero budget, `bytes` over the budget, or room held by other reservations.
   */
  makeRoom(key: string, bytes: number): boolean {
    if (this.budgetBytes === 0 || bytes > this.budgetBytes) return false;
    let free = this.budgetBytes - this.bytes - this.reserved;
    const victims: string[] = [];
    let victimUses = 0;
    for (const [victim, entry] of this.entries) {
      if (free >= bytes) break;
      victims.push(victim);
      free += entry.bytes;
      victimUses += this.uses.count(victim);
    }
    if (free < bytes) return false;
    if (victims.length > 0 && this.uses.count(key) <= ADMIT_FACTOR * victimUses + ADMIT_MARGIN) return false;
    for (const victim of victims) {
      this.delete(victim);
      this.evictions++;
    }
    this.reserved += bytes;
    return true;
  }

  /** Gives back `bytes` that makeRoom reserved (the entry is made and about to be `set`, or abandoned). */
  release(bytes: number): void {
    this.reserved = Math.max(0, this.reserved - bytes);
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
