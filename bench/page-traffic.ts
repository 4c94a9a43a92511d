/**
 * Page traffic, as a separate process (so its CPU is not the load generator's): many people opening the table
 * view, `rate` page loads a second, each making the requests Chromium made for that view: index.html, then
 * the page's modules and styles and the vendor modules (6 at a time, as a browser does per host), then the
 * view's own API calls. A new visitor (no browser cache) gets every file; a returning one sends If-None-Match
 * for the files in `revalidate` (304s) and takes the others (max-age) from its cache. Started by bench/page.ts
 * with an IPC channel: `{type:'start', returning}` starts the loads, `{type:'stop'}` stops them and answers
 * `{type:'figures', …}` once the loads in flight have finished. Exits with its parent. Plain node:http with
 * keep-alive (fetch would add Cache-Control: no-cache to a conditional request, which no browser does), sending
 * Chromium's Accept-Encoding; bytes are counted as sent (compressed), not decoded.
 *
 *   node dist/bench/page-traffic.js <base url> <json Spec>
 */
import { Agent, request } from 'node:http';
import { createHistogram } from 'node:perf_hooks';
import { BROWSER_ACCEPT_ENCODING, round } from './util.js';

interface Spec {
  rate: number;
  /** index.html first, then the rest of the page's own files, by path. */
  assets: string[];
  /** The view's API calls (path and query). */
  api: string[];
  /** A returning visitor's revalidations: path → ETag (the files served with Cache-Control: no-cache). */
  revalidate: Record<string, string>;
}

export interface TrafficFigures {
  loads: number;
  loads_per_s: number;
  requests: number;
  bytes: number;
  failures: number;
  load_p50_ms: number;
  load_p99_ms: number;
}

const [base, specText] = process.argv.slice(2);
const spec = JSON.parse(specText) as Spec;
const BROWSER_CONNECTIONS = 6;

const agent = new Agent({ keepAlive: true });

/** GET `path`; ok for a 2xx, or a 304 when `etag` was sent. */
function get(path: string, etag?: string): Promise<{ ok: boolean; bytes: number }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'accept-encoding': BROWSER_ACCEPT_ENCODING, ...(path.startsWith('/api/') ? { accept: 'application/json' } : {}) };
    if (etag) headers['if-none-match'] = etag;
    const req = request(base + path, { agent, headers }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ ok: (res.statusCode! >= 200 && res.statusCode! < 300) || (etag !== undefined && res.statusCode === 304), bytes }));
      res.on('error', () => resolve({ ok: false, bytes }));
    });
    req.on('error', () => resolve({ ok: false, bytes: 0 }));
    req.end();
  });
}

/** Fetches `paths`, at most `width` at a time. */
async function pool(paths: string[], width: number, etags: Record<string, string> | undefined, each: (r: { ok: boolean; bytes: number }) => void): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, paths.length) }, async () => {
      while (next < paths.length) {
        const path = paths[next++];
        each(await get(path, etags?.[path]));
      }
    }),
  );
}

let running = false;
let timer: NodeJS.Timeout | undefined;
const inFlight = new Set<Promise<void>>();
let figures = { loads: 0, requests: 0, bytes: 0, failures: 0, began: 0 };
let hist = createHistogram();

async function pageLoad(returning: boolean): Promise<void> {
  const began = performance.now();
  const count = (r: { ok: boolean; bytes: number }) => {
    figures.requests++;
    figures.bytes += r.bytes;
    if (!r.ok) figures.failures++;
  };
  const etags = returning ? spec.revalidate : undefined;
  const [html, ...rest] = spec.assets;
  count(await get(html, etags?.[html]));
  await pool(returning ? rest.filter((p) => p in spec.revalidate) : rest, BROWSER_CONNECTIONS, etags, count);
  await pool(spec.api, BROWSER_CONNECTIONS, undefined, count);
  figures.loads++;
  hist.record(Math.max(1, Math.round((performance.now() - began) * 1000)));
}

process.on('message', async (m: { type: string; returning?: boolean }) => {
  if (m.type === 'start' && !running) {
    running = true;
    figures = { loads: 0, requests: 0, bytes: 0, failures: 0, began: performance.now() };
    hist = createHistogram();
    const tick = () => {
      const p = pageLoad(Boolean(m.returning)).finally(() => inFlight.delete(p));
      inFlight.add(p);
    };
    tick();
    timer = setInterval(tick, 1000 / spec.rate);
  } else if (m.type === 'stop' && running) {
    running = false;
    clearInterval(timer);
    const seconds = (performance.now() - figures.began) / 1000;
    await Promise.all(inFlight);
    const out: TrafficFigures = {
      loads: figures.loads,
      loads_per_s: round(figures.loads / seconds, 2),
      requests: figures.requests,
      bytes: figures.bytes,
      failures: figures.failures,
      load_p50_ms: figures.loads ? round(hist.percentile(50) / 1000, 1) : Number.NaN,
      load_p99_ms: figures.loads ? round(hist.percentile(99) / 1000, 1) : Number.NaN,
    };
    process.send!({ type: 'figures', ...out });
  }
});
process.on('disconnect', () => process.exit(0));
