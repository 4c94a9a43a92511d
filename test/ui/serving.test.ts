/**
 * The page's files over HTTP (no browser): `/` is the page, its modules and the vendored ES modules its
 * import map names are served, and nothing else of node_modules is reachable; unknown paths keep the API's
 * `route_not_found` answer, /docs still works, and no page route shows up in the OpenAPI document.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { BACKENDS, ROOT, startServer } from '../support/server.js';

const html = readFileSync(join(ROOT, 'public/index.html'), 'utf8');
const importMap = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]) as { imports: Record<string, string> };

for (const backend of BACKENDS) {
  t.test(`${backend}: the page and its modules are served, nothing else`, async (t) => {
    const server = await startServer(t, { backend });
    const get = (path: string) => fetch(server.url + path);

    const page = await get('/');
    t.equal(page.status, 200);
    t.match(page.headers.get('content-type'), /^text\/html/);
    t.equal(await page.text(), html, '/ is public/index.html');

    // Every full-file entry of the import map answers JavaScript equal to the file in node_modules.
    for (const [specifier, url] of Object.entries(importMap.imports)) {
      if (url.endsWith('/')) continue;
      const res = await get(url);
      t.equal(res.status, 200, `${specifier} → ${url}`);
      t.match(res.headers.get('content-type'), /javascript/, `${url} is JavaScript`);
      const onDisk = readFileSync(join(ROOT, 'node_modules', url.slice('/ui/vendor/'.length)));
      t.ok(Buffer.from(await res.arrayBuffer()).equals(onDisk), `${url} is the installed file`);
    }
    for (const own of ['/ui/app.js', '/ui/api.js', '/ui/access.js', '/ui/route.js', '/ui/datasets-view.js', '/ui/upload-view.js', '/ui/table-view.js', '/ui/grid-header.js', '/ui/table-filters.js', '/ui/dataset-view.js', '/ui/key-control.js', '/ui/sql-view.js', '/ui/health-view.js', '/ui/stats-view.js', '/ui/style.css', '/ui/vendor/uplot/dist/uPlot.min.css']) {
      t.equal((await get(own)).status, 200, own);
    }
    t.equal((await get('/ui/vendor/lit/directives/repeat.js')).status, 200, 'a module under a mapped folder prefix');

    // Not reachable: other packages, other files of served packages, traversal, unknown paths.
    for (const path of [
      '/ui/vendor/nodejs-polars/package.json',
      '/ui/vendor/lit/package.json',
      '/ui/vendor/lit/development/index.js',
      '/ui/vendor/lit/index.js.map',
      '/ui/vendor/ag-grid-community/package.json',
      '/ui/vendor/ag-grid-community/dist/package/main.cjs.js',
      '/ui/vendor/ag-grid-community/dist/package/main.esm.mjs',
      '/ui/vendor/uplot/dist/uPlot.cjs.js',
      '/ui/vendor/lit/../nodejs-polars/bin/index.js',
      '/ui/vendor/lit/%2e%2e/%2e%2e/package.json',
      '/ui/..%2f..%2fpackage.json',
      '/ui/vendor/',
      '/ui/nope.js',
      '/index.html.bak',
    ]) {
      const res = await get(path);
      t.equal(res.status, 404, `${path} is not served`);
      t.equal((await res.json()).error_code, 'route_not_found', `${path}: the API's 404 body`);
    }

    const unknownApi = await get('/api/nothing-here');
    t.equal(unknownApi.status, 404);
    t.match(await unknownApi.json(), { error_code: 'route_not_found', detail: 'no route GET /api/nothing-here' });
    t.equal((await get('/docs')).status, 200, '/docs still answers');
    const doc = (await (await get('/docs/json')).json()) as { paths: Record<string, unknown> };
    t.same(Object.keys(doc.paths).filter((p) => p === '/' || p.startsWith('/ui')), [], 'page routes are not in the OpenAPI document');
  });
}
