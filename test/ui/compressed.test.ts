/**
 * The page's files compressed (no browser; plain node:http, so the test chooses Accept-Encoding and reads the
 * bytes as sent): with `br` or `gzip` each file comes with that Content-Encoding and decompresses to exactly the
 * file in public/ or node_modules; without Accept-Encoding the file itself; a browser's header gets brotli.
 * Every answer keeps its ETag, Last-Modified, Cache-Control and `Vary: Accept-Encoding`; If-None-Match gives a
 * 304 for the same encoding, and a variant's ETag is not another's. The compressed siblings are not URLs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { join } from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import t from 'tap';
import { BACKENDS, ROOT, startServer } from '../support/server.js';

const html = readFileSync(join(ROOT, 'public/index.html'), 'utf8');
const importMap = JSON.parse(/<script type="importmap">([\s\S]*?)<\/script>/.exec(html)![1]) as { imports: Record<string, string> };

/** URL → the file it must be: the page, its own files, the import map's files, a module of a mapped folder, uPlot's styles. */
const FILES: [string, string][] = [
  ['/', join(ROOT, 'public/index.html')],
  ...readdirSync(join(ROOT, 'public/ui'))
    .filter((f) => /\.(?:js|css)$/.test(f))
    .map((f): [string, string] => [`/ui/${f}`, join(ROOT, 'public/ui', f)]),
  ...[...Object.values(importMap.imports).filter((u) => !u.endsWith('/')), '/ui/vendor/lit/directives/repeat.js', '/ui/vendor/uplot/dist/uPlot.min.css'].map(
    (u): [string, string] => [u, join(ROOT, 'node_modules', u.slice('/ui/vendor/'.length))],
  ),
];

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** GET `url` with exactly `headers` (node:http adds no Accept-Encoding and decodes nothing). */
function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
}

const DECODE: Record<string, (b: Buffer) => Buffer> = { br: brotliDecompressSync, gzip: gunzipSync };

for (const backend of BACKENDS) {
  t.test(`${backend}: the page's files go compressed, each decoding to the file itself`, async (t) => {
    const server = await startServer(t, { backend });
    for (const [url, file] of FILES) {
      const source = readFileSync(file);
      const plain = await get(server.url + url);
      t.equal(plain.status, 200, `${url} without Accept-Encoding`);
      t.notOk(plain.headers['content-encoding'], `${url} without Accept-Encoding: not encoded`);
      t.ok(plain.body.equals(source), `${url} without Accept-Encoding: the file's own bytes`);
      t.match(plain.headers.vary, /accept-encoding/i, `${url}: Vary: Accept-Encoding on the identity answer too`);
      const cacheControl = url.startsWith('/ui/vendor/') ? 'public, max-age=3600' : 'no-cache';

      for (const encoding of ['br', 'gzip']) {
        const what = `${url} with Accept-Encoding: ${encoding}`;
        const res = await get(server.url + url, { 'accept-encoding': encoding });
        t.equal(res.status, 200, what);
        t.equal(res.headers['content-encoding'], encoding, `${what}: Content-Encoding ${encoding}`);
        t.ok(DECODE[encoding](res.body).equals(source), `${what}: decodes to the file's bytes`);
        t.equal(Number(res.headers['content-length']), res.body.length, `${what}: Content-Length of the bytes sent`);
        t.equal(res.headers['content-type'], plain.headers['content-type'], `${what}: the file's own Content-Type`);
        t.match(res.headers.vary, /accept-encoding/i, `${what}: Vary: Accept-Encoding`);
        t.equal(res.headers['cache-control'], cacheControl, `${what}: Cache-Control`);
        t.ok(res.headers['last-modified'], `${what}: Last-Modified`);
        const etag = res.headers.etag!;
        t.ok(etag, `${what}: ETag`);
        t.not(etag, plain.headers.etag, `${what}: its ETag is not the identity answer's`);

        const again = await get(server.url + url, { 'accept-encoding': encoding, 'if-none-match': etag });
        t.equal(again.status, 304, `${what}, If-None-Match its ETag: 304`);
        t.equal(again.body.length, 0, `${what}, 304: no body`);
        const other = await get(server.url + url, { 'accept-encoding': encoding, 'if-none-match': plain.headers.etag! });
        t.equal(other.status, 200, `${what}, If-None-Match the identity ETag: the ${encoding} answer, not a 304`);
      }
    }

    // What Chromium sends: brotli is preferred, and the grid module (the page's largest file) shrinks.
    const grid = importMap.imports['ag-grid-community'];
    const res = await get(server.url + grid, { 'accept-encoding': 'gzip, deflate, br, zstd' });
    t.equal(res.headers['content-encoding'], 'br', "a browser's Accept-Encoding gets brotli");
    const size = readFileSync(join(ROOT, 'node_modules', grid.slice('/ui/vendor/'.length))).length;
    t.ok(res.body.length < size / 3, `the grid module: ${res.body.length} bytes sent for ${size}`);

    // The compressed siblings are not URLs of their own; unknown paths keep the API's 404.
    for (const path of ['/ui/app.js.br', '/ui/app.js.gz', '/index.html.br', '/index.html', `${grid}.br`, `${grid}.gz`, '/ui/nope.js', '/ui/vendor/lit/package.json']) {
      const res = await get(server.url + path, { 'accept-encoding': 'br' });
      t.equal(res.status, 404, `${path} is not served`);
      t.equal(JSON.parse(res.body.toString()).error_code, 'route_not_found', `${path}: the API's 404 body`);
    }
  });
}
