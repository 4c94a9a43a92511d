import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Requests slower than this are logged at every level that shows warnings. */
export const SLOW_REQUEST_MS = 1000;

/**
 * The access log, at the least cost per request. Fastify's own request logging (an "incoming request" and a
 * "request completed" line, serialized and written per request) took a sixth of the main thread's time at
 * 64 connections of 100-row pages, so it runs only at LOG_LEVEL=debug (or trace). At the default `info`
 * (and `warn`) one line is written per request that an operator must look at: answered with a 5xx, or
 * slower than SLOW_REQUEST_MS. Counts and latencies of every request are in /metrics.
 */
export default fp(async function requestLog(app: FastifyInstance, opts: { everyRequest: boolean }) {
  if (opts.everyRequest) return;
  app.addHook('onResponse', (req, reply, done) => {
    const ms = reply.elapsedTime;
    if (reply.statusCode >= 500 || ms >= SLOW_REQUEST_MS) {
      req.log.warn({ method: req.method, url: req.url, statusCode: reply.statusCode, responseTime: Math.round(ms) }, reply.statusCode >= 500 ? 'request failed' : 'slow request');
    }
    done();
  });
});

/** Whether Fastify logs every request itself (its two lines per request): only at debug and trace. */
export const logsEveryRequest = (level: string) => level === 'debug' || level === 'trace';
