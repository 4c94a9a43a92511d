/**
 * A set of the last `capacity` keys added (the oldest forgotten first), for "was this version deleted lately?"
 * on both sides of the thread boundary: the server's stores and the data workers. Storage keys are never
 * reused, so forgetting a very old one only turns a long-gone version's answer from 404 into a miss.
 * No worker library is loaded here, so the main thread uses it too.
 */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity = 10_000) {}

  add(key: string): void {
    if (this.keys.size >= this.capacity) this.keys.delete(this.keys.values().next().value!);
    this.keys.add(key);
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }
}
