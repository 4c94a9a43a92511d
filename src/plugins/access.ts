import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { type ApiKey, type Scope, findKey, grants } from '../auth/api-keys.js';
import { DownloadTokens } from '../auth/download-tokens.js';
import { ApiError } from '../errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: ApiKey;
  }
  interface FastifyInstance {
    /** Download tokens (POST …/download-tokens, used by GET /api/downloads/{token}), kept where the catalog keeps them. */
    downloadTokens: DownloadTokens;
  }
  interface FastifyContextConfig {
    /** The scope a key needs for this route when it is not the one its method implies (METHOD_SCOPES). */
    scope?: Scope;
    /** The route takes a credential of its own in its URL (a download token) instead of an API key. */
    ownCredential?: boolean;
  }
}

/** The scope each method needs, unless the route says otherwise (`config.scope`); any other method needs admin. */
export const METHOD_SCOPES: Record<string, Scope> = { GET: 'read', HEAD: 'read', POST: 'write', PATCH: 'write', PUT: 'write', DELETE: 'admin' };

/**
 * Access to /api: when API keys are configured every /api request needs `Authorization: Bearer <key>`
 * (401 without a valid one, 403 when its scopes do not allow the method: GET read, POST/PATCH write,
 * DELETE admin; a route may name another scope in `config.scope`, e.g. minting a download token is a POST
 * that needs read). A route with `config.ownCredential` (GET /api/downloads/{token}) checks its own: the
 * download tokens this plugin keeps. Keys are matched by hash, in constant time, and never logged.
 * RATE_LIMIT_PER_MINUTE limits each key (or each client address when no keys are configured). /health,
 * /metrics and /docs stay open.
 */
export default fp(async function access(app: FastifyInstance, opts: { keys: ApiKey[]; ratePerMinute: number; downloadTokenTtlMs: number }) {
  const { keys } = opts;
  app.decorateRequest('apiKey', undefined);
  app.decorate('downloadTokens', new DownloadTokens(opts.downloadTokenTtlMs, app.catalog.downloadTokenRecords(opts.downloadTokenTtlMs)));

  // Without keys the API is open: no hook at all, rather than one that returns at once on every request.
  if (keys.length > 0) {
    app.addHook('onRequest', async (req) => {
      if (!req.url.startsWith('/api/') || req.routeOptions.config.ownCredential) return;
      const header = req.headers.authorization;
      const token = header?.startsWith('Bearer ') ? header.slice(7).trim() : undefined;
      const key = token ? findKey(keys, token) : undefined;
      if (!key) {
        throw new ApiError(401, 'unauthorized', token ? 'the API key is not valid' : 'send an API key as "Authorization: Bearer <key>"', {
          'www-authenticate': 'Bearer',
        });
      }
      const needed = req.routeOptions.config.scope ?? METHOD_SCOPES[req.method] ?? 'admin';
      if (!grants(key, needed)) {
        throw new ApiError(403, 'forbidden', `the key "${key.name}" lacks the "${needed}" scope needed for ${req.method}`);
      }
      req.apiKey = key;
    });
  }

  if (opts.ratePerMinute > 0) {
    await app.register(rateLimit, {
      max: opts.ratePerMinute,
      timeWindow: 60_000,
      hook: 'preHandler', // after authentication, so the limit is per key
      keyGenerator: (req: FastifyRequest) => (req.apiKey ? `key:${req.apiKey.name}` : `ip:${req.ip}`),
      allowList: (req: FastifyRequest) => !req.url.startsWith('/api/'),
      errorResponseBuilder: (_req, ctx) =>
        new ApiError(429, 'rate_limited', `more than ${ctx.max} requests in a minute (RATE_LIMIT_PER_MINUTE); retry in ${Math.ceil(ctx.ttl / 1000)} s`),
    });
  }
});
