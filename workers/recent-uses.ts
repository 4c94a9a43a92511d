/**
 * How often each key was asked for lately: per key, its uses each weighted by how recent it is, halving every
 * `halfLife` uses (of any key) since — a rate, so a key used a lot until a while ago falls behind one used now,
 * and requests spread evenly over a few keys keep their counts close. The cache's admission compares these
 * (byte-budget-cache.ts, makeRoom). Keys whose count fell under 1/16 are forgotten. No worker library here.
 */
export class RecentUses {
  /** Per key: its count as of use number `at` (decays from there). */
  private readonly counts = new Map<string, { count: number; at: number }>();
  private uses = 0;

  /** `halfLife`: uses (of any key) after which a use counts half. */
  constructor(private readonly halfLife = 256) {}

  /** One use of `key` (a request for it, served from the cache or not). */
  record(key: string): void {
    const now = ++this.uses;
    const entry = this.counts.get(key);
    if (entry) {
      entry.count = this.decayed(entry) + 1;
      entry.at = now;
    } else {
      this.counts.set(key, { count: 1, at: now });
    }
    if (now % (16 * this.halfLife) === 0) this.forget();
  }

  /** Recent uses of `key`: 1 for each use now, 1/2 for one `halfLife` uses ago, and so on. */
  count(key: string): number {
    const entry = this.counts.get(key);
    return entry ? this.decayed(entry) : 0;
  }

  private decayed(entry: { count: number; at: number }): number {
    return entry.count * 2 ** (-(this.uses - entry.at) / this.halfLife);
  }

  private forget(): void {
    for (const [key, entry] of this.counts) if (this.decayed(entry) < 1 / 16) this.counts.delete(key);
  }
}
