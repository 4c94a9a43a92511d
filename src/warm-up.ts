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
 * validators generated for its parameters and query, the catalog's statements (profiled with --cpu-prof: 47
 * samples of the main thread before the worker got the first page, 8 for the next page; measured with
 * bench/cold-page.ts, the first page took ~2 ms less with this request). It names a version that cannot
 * exist (404): nothing is read or changed. It comes from a documentation address (RFC 5737), so it counts
 * against no client's rate limit, and /metrics leaves it out (isWarmUp). Never throws.
 */
export async function warmUp(app: FastifyInstance): Promise<void> {
  await app
    .inject({
      method: 'GET',
      url: `/api/datasets/${NO_SUCH_ID}/versions/${NO_SUCH_ID}/data?offset=0&limit=1`,
      headers: { 'x-request-id': WARM_UP_REQUEST_ID },
      remoteAddress: '192.0.2.1',
    })
    .catch(() => undefined);
}

/** Whether `req` is warmUp's request. */
export const isWarmUp = (req: FastifyRequest): boolean => req.id === WARM_UP_REQUEST_ID;
