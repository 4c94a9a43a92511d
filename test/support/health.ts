import { setTimeout as sleep } from 'node:timers/promises';
import { getJson, type Server } from './server.js';

/**
 * GET /health once its figures have caught up with what was done so far: /health answers with the data
 * workers' figures at hand and asks them again in the background, so a read right after an action may be
 * older than the action. Reads until every data worker's figures were measured after this call began
 * (`measured_at`) and two such measurements in a row agree, with `sql_answers`; throws after 10 s.
 */
export async function settledHealth(server: Server): Promise<any> {
  const since = Date.now();
  const workers = (body: any): any[] => body.workers?.data ?? [];
  const fresh = (body: any) => workers(body).every((w) => Date.parse(w.measured_at) >= since);
  const figures = (body: any) => JSON.stringify([workers(body).map(({ measured_at: _, ...w }) => w), body.sql_answers]);
  const measuredAt = (body: any) => workers(body).map((w) => w.measured_at).join();
  let previous: any;
  for (let i = 0; i < 400; i++) {
    const body = (await getJson(server, '/health')).body;
    if (fresh(body)) {
      if (previous && measuredAt(previous) !== measuredAt(body) && figures(previous) === figures(body)) return body;
      if (!previous || measuredAt(previous) !== measuredAt(body)) previous = body;
    }
    await sleep(25);
  }
  throw new Error("the data workers' figures never settled");
}

/**
 * Waits until the data workers' caches stop changing (their bytes equal over two settled reads 1 s apart; at
 * most 30 s): a local page read fills the cache with the whole sheet in the background, and a test measuring
 * the server's memory must not count that.
 */
export async function cacheAtRest(server: Server): Promise<void> {
  const bytes = (body: any) => JSON.stringify(body.workers?.data?.map((w: any) => w.cache.bytes));
  let last = bytes(await settledHealth(server));
  for (let i = 0; i < 30; i++) {
    await sleep(1000);
    const now = bytes(await settledHealth(server));
    if (now === last) return;
    last = now;
  }
}
