import { setTimeout as sleep } from 'node:timers/promises';
import { getJson, type Server } from './server.js';

/**
 * GET /health once its figures have caught up with what was done so far: /health answers with the data
 * workers' figures at hand and asks them again in the background, so a read right after an action may be one
 * read old. Reads until two reads 25 ms apart agree on `workers.data` and `sql_answers`; throws after 5 s.
 */
export async function settledHealth(server: Server): Promise<any> {
  const figures = (body: any) => JSON.stringify([body.workers?.data, body.sql_answers]);
  let body = (await getJson(server, '/health')).body;
  for (let i = 0; i < 200; i++) {
    await sleep(25);
    const next = (await getJson(server, '/health')).body;
    if (figures(next) === figures(body)) return next;
    body = next;
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
