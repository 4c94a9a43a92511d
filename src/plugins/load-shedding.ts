import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** True while new work is being refused: the event loop is lagging or a worker queue is full. */
    overloaded(): boolean;
  }
}

const WINDOW_MS = 500;

/**
 * Load shedding instead of collapse. New `/api` requests get 503 with Retry-After while the main thread's
 * event-loop delay (the worst over the last half second) is above SHED_EVENT_LOOP_DELAY_MS; a worker pool
 * or shard whose queue holds MAX_QUEUE tasks refuses more the same way (see WorkerPool.run). /health and
 * /metrics keep answering, so operators can see why.
 */
export default fp(async function loadShedding(app: FastifyInstance, opts: { maxEventLoopDelayMs: number }) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  let recentMaxMs = 0;
  const timer = setInterval(() => {
    recentMaxMs = delay.max / 1e6;
    delay.reset();
  }, WINDOW_MS).unref();

  const lagging = () => opts.maxEventLoopDelayMs > 0 && recentMaxMs > opts.maxEventLoopDelayMs;
  app.decorate('overloaded', () => lagging() || app.store.stats().pools.some((p) => p.queued >= p.max_queue));

  if (opts.maxEventLoopDelayMs > 0) {
    // A callback hook, not an async one: no promise per request for a check that almost always passes.
    app.addHook('onRequest', (req, _reply, done) => {
      if (recentMaxMs <= opts.maxEventLoopDelayMs || !req.url.startsWith('/api/')) return done();
      done(
        new ApiError(503, 'overloaded', `the server is overloaded (event-loop delay ${Math.round(recentMaxMs)} ms); retry shortly`, {
          'retry-after': '1',
        }),
      );
    });
  }
  app.addHook('onClose', async () => {
    clearInterval(timer);
    delay.disable();
  });
});
