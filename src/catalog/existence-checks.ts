/**
 * Per-request checks that versions still exist, batched: every check asked while no query is in flight joins one
 * `SELECT … WHERE id = ANY(…)` sent on the next turn of the event loop; checks asked while a query is in flight
 * wait for the next one. So each check is answered by a query sent after it was asked — a version deleted
 * (committed) before a request arrived is never reported as existing — while at high concurrency one round trip
 * answers many requests instead of one each.
 */
export class ExistenceChecks {
  private pending = new Map<number, { resolve: (exists: boolean) => void; reject: (err: unknown) => void }[]>();
  private inFlight = false;
  private scheduled = false;

  /** `query`: the ids among those given that exist now. Its errors reject the checks it was asked for. */
  constructor(private readonly query: (ids: number[]) => Promise<Set<number>>) {}

  exists(id: number): Promise<boolean> {
    return new Promise((resolve, reject) => {
      const waiting = this.pending.get(id);
      if (waiting) waiting.push({ resolve, reject });
      else this.pending.set(id, [{ resolve, reject }]);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.inFlight || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => void this.flush());
  }

  private async flush(): Promise<void> {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    this.inFlight = true;
    try {
      const found = await this.query([...batch.keys()]);
      for (const [id, waiting] of batch) for (const w of waiting) w.resolve(found.has(id));
    } catch (err) {
      for (const waiting of batch.values()) for (const w of waiting) w.reject(err);
    } finally {
      this.inFlight = false;
      if (this.pending.size > 0) this.schedule();
    }
  }
}
