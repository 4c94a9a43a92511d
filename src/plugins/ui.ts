import fastifyStatic from '@fastify/static';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { PAGE_ASSETS, pageFiles, sameModification } from '../ui-files.js';

/**
 * The served paths (`index.html`, `ui/…`), after checking that the build's copy of each file is there and
 * is that of the current source (same size and modification time). Throws, saying to run `npm run build`,
 * when it is not: the page would otherwise be served stale or half.
 */
function builtPageFiles(): Set<string> {
  const paths = new Set<string>();
  for (const { path, source } of pageFiles()) {
    const src = statSync(source);
    let built;
    try {
      built = statSync(join(PAGE_ASSETS, path));
    } catch {
      throw new Error(`the web page's files are not built (${join(PAGE_ASSETS, path)} is missing): run npm run build`);
    }
    if (built.size !== src.size || !sameModification(src, built)) {
      throw new Error(`the web page's built files are out of date (${source} changed since the build): run npm run build`);
    }
    paths.add(path);
  }
  return paths;
}

/**
 * The web page: `GET /` is public/index.html, `/ui/<file>` its own modules and styles (public/ui/), and
 * `/ui/vendor/<package>/<path>` the ES modules it imports from node_modules (a fixed list, src/ui-files.ts).
 * Served from the copies `npm run build` made in dist/ui-assets by @fastify/static with `preCompressed`: the
 * brotli or gzip sibling the request's Accept-Encoding allows (else the file itself), `Vary: Accept-Encoding`,
 * ETag and Last-Modified of the file sent — compressed once at build time, never per request. Nothing is
 * fetched from outside the service; hidden from the OpenAPI document. Paths not in the list go to the app's
 * not-found handler (`route_not_found`). Throws at registration when the built files are missing or stale.
 */
export default async function ui(app: FastifyInstance): Promise<void> {
  const served = builtPageFiles();
  await app.register(fastifyStatic, { root: PAGE_ASSETS, serve: false, preCompressed: true });
  const hide = { schema: { hide: true } };

  app.get('/', hide, (_req, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false }));

  app.get('/ui/*', hide, (req, reply) => {
    const path = `ui/${(req.params as { '*': string })['*']}`;
    if (!served.has(path)) return reply.callNotFound();
    // Vendor versions are pinned in package-lock.json: an hour of caching spares the grid module on each reload.
    // The page's own modules change with the service, so they are revalidated (If-None-Match → 304).
    const cacheControl = path.startsWith('ui/vendor/') ? 'public, max-age=3600' : 'no-cache';
    return reply.header('cache-control', cacheControl).sendFile(path, { cacheControl: false });
  });
}
