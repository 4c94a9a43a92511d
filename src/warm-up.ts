import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MAX_ID } from './schemas/common.js';

/** The start-up request's id: random per process, so no client can send it to stay out of /metrics. */
const WARM_UP_REQUEST_ID = `warm-up-${randomUUID()}`;

/** The largest id the catalogs store; no dataset has it before 2^31 − 1 uploads. */
const NO_SUCH_ID = MAX_ID;

/**
 * One request through the rows route (`…/data`) before the server listens. V8 compiles a function on its first
 * call, and the first page after a restart paid for the route's own code on the main thread: its hooks, the
 * validators generated for its parameters and query, the catalog's statements, the hand-off to the shard and the
 * reply (profiled with --cpu-prof: 47 samples of the main thread before the worker got the first page, 8 for the
 * next page). With a stored version it asks for the first row of the most recently updated dataset's latest
 * version, so the whole path runs; that page does not fill the cache (PageTask.fillCache), and the shard has
 * opened the version's scan at start anyway (LocalStore.open). Without a stored version (always so on the memory
 * backend, whose catalog starts empty) it asks for a version that cannot exist, a 404. Measured with
 * bench/cold-page.ts on the flights table: the first page took ~2 ms less with the 404 request than with none,
 * and with the whole path medians of 11.17 and 10.21 ms against 13.93 and 13.57 with the 404 alone (two runs of
 * 30 restarts each, alternated; fewer are noise here: 12 restarts of one build against itself differed by 3.4 ms).
 * Timed per stage before: 1.6 ms from the handler to the shard, 1.5 ms from the shard's answer to the response,
 * 0.1–0.2 ms each on the next page. Asking twice, or for 100 rows, gained nothing measurable (10.6 against 11.49).
 * It comes from a documentation address (RFC 5737), so it counts against no client's rate limit, and /metrics
 * leaves it out (isWarmUp). It carries no key: with API_KEYS set it is refused (401) and warms only the hooks
 * before that check. Never throws.
 */
export async function warmUp(app: FastifyInstance): Promise<void> {
  // Before listen() nothing holds the process open, and the channels to the shards do not (direct-channel.ts):
  // without this timer Node would exit, its event loop empty, while the page is on its way.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    const url = (await storedPage(app)) ?? `/api/datasets/${NO_SUCH_ID}/versions/${NO_SUCH_ID}/data?offset=0&limit=1`;
    await app
      .inject({ method: 'GET', url, headers: { 'x-request-id': WARM_UP_REQUEST_ID }, remoteAddress: '192.0.2.1' })
      .catch(() => undefined);
  } finally {
    clearInterval(keepAlive);
  }
}

/** The first row of the most recently updated dataset's latest version, or undefined when none is stored. */
async function storedPage(app: FastifyInstance): Promise<string | undefined> {
  try {
    const { items } = await app.catalog.listDatasets({ limit: 1, offset: 0, tags: [], sortBy: 'updated_at', sortOrder: 'desc' });
    const dataset = items[0];
    const version = dataset && (await app.catalog.latestVersion(dataset.id));
    return version ? `/api/datasets/${dataset.id}/versions/${version.id}/data?offset=0&limit=1` : undefined;
  } catch {
    return undefined; // the catalog is unreachable: the request for nothing still warms most of the route
  }
}

/** Whether `req` is warmUp's request. */
export const isWarmUp = (req: FastifyRequest): boolean => req.id === WARM_UP_REQUEST_ID;
