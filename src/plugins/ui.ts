import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import type { FastifyInstance } from 'fastify';

/** The repository root: this file runs as dist/src/plugins/ui.js. */
const ROOT = resolve(import.meta.dirname, '../../..');
const PUBLIC = join(ROOT, 'public');

/**
 * The browser ES modules the page imports, by URL prefix under /ui/vendor/: the npm package, the folders of it
 * that are served (only .js, .mjs and .css files there) and, for single-file bundles, just those files. Lit's
 * modules import each other, so its folders are served whole. Nothing else of node_modules is reachable. The
 * import map in public/index.html names the same URLs.
 */
const VENDORED: Record<string, { pkg: string; dirs: string[]; only?: string[] }> = {
  lit: { pkg: 'lit', dirs: ['', 'directives', 'decorators'] },
  'lit-html': { pkg: 'lit-html', dirs: ['', 'directives'] },
  'lit-element': { pkg: 'lit-element', dirs: [''] },
  '@lit/reactive-element': { pkg: '@lit/reactive-element', dirs: ['', 'decorators'] },
  'ag-grid-community': { pkg: 'ag-grid-community', dirs: ['dist/package'], only: ['main.esm.min.mjs'] },
  'ag-stack': { pkg: 'ag-stack', dirs: ['dist/package'], only: ['main.esm.min.mjs'] },
  uplot: { pkg: 'uplot', dirs: ['dist'], only: ['uPlot.esm.js', 'uPlot.min.css'] },
};
const SERVED_FILE = /^[A-Za-z0-9_.-]+\.(?:js|mjs|css)$/;
const PAGE_FILE = /^[A-Za-z0-9_-]+\.(?:js|css)$/;

/** The folder holding an installed package (looked up the way Node resolves it from here). */
function packageRoot(pkg: string): string {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths(pkg) ?? []) {
    if (existsSync(join(dir, pkg, 'package.json'))) return join(dir, pkg);
  }
  throw new Error(`the page needs the npm package ${pkg}; run npm ci`);
}

/**
 * The web page: `GET /` is public/index.html, `/ui/<file>` its own modules and styles (public/ui/), and
 * `/ui/vendor/<package>/<path>` the ES modules it imports from node_modules (a fixed list, VENDORED). No
 * build step; nothing is fetched from outside the service. Served from disk by @fastify/static (ETag,
 * ranges), hidden from the OpenAPI document. Unknown paths go to the app's not-found handler (`route_not_found`).
 */
export default async function ui(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, { root: PUBLIC, serve: false });
  const roots = Object.fromEntries(Object.entries(VENDORED).map(([prefix, v]) => [prefix, { root: packageRoot(v.pkg), dirs: new Set(v.dirs), only: v.only }]));
  const hide = { schema: { hide: true } };

  app.get('/', hide, (_req, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html', PUBLIC, { cacheControl: false }));

  app.get('/ui/*', hide, (req, reply) => {
    const path = (req.params as { '*': string })['*'];
    if (!path.startsWith('vendor/')) {
      if (!PAGE_FILE.test(path)) return reply.callNotFound();
      return reply.header('cache-control', 'no-cache').sendFile(path, join(PUBLIC, 'ui'), { cacheControl: false });
    }
    // vendor/<prefix>/<dir>/<file>, where <prefix> may hold one slash (@lit/reactive-element)
    const rest = path.slice('vendor/'.length);
    const prefix = Object.keys(roots).find((p) => rest.startsWith(p + '/'));
    if (!prefix) return reply.callNotFound();
    const inPackage = rest.slice(prefix.length + 1);
    const slash = inPackage.lastIndexOf('/');
    const dir = slash < 0 ? '' : inPackage.slice(0, slash);
    const file = inPackage.slice(slash + 1);
    const { root, dirs, only } = roots[prefix];
    if (!dirs.has(dir) || !SERVED_FILE.test(file) || (only && !only.includes(file)) || !existsSync(join(root, dir, file))) return reply.callNotFound();
    // Versions are pinned in package-lock.json; an hour of caching spares the 1.3 MB grid on each reload.
    return reply.header('cache-control', 'public, max-age=3600').sendFile(join(dir, file), root, { cacheControl: false });
  });
}
