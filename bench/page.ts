/**
 * The web page's speed, and what page traffic costs the API. Writes bench/results/page.md (and prints it).
 *
 * (a) In Chromium (test/support/browser.ts's launch settings), the 3,000,000-row flights table (Parquet) on
 *     each backend: first rows of the table view after a navigation (new visitor: empty browser cache;
 *     returning visitor: same context), ~20 jumps to random rows through the page's "Go to row" form, and
 *     a sorted view's first rows and jumps; on the local backend also right after a restart (nothing
 *     cached). Every figure counts only when the cells shown equal the API's answer for those rows. Targets
 *     (issue 12): first rows < 1000 ms, a jump ≤ 300 ms. Each step's /data requests are split into browser
 *     time (until the request is sent; after its last byte) and server time.
 * (b) Memory backend, JSON pages of 100 rows at random offsets at c=64 (autocannon, as bench/hot-path.ts):
 *     the API alone against the same load while a separate process makes page traffic (`--rate` page loads
 *     a second of exactly the requests Chromium made for the table view), interleaved A B / B A. Also the
 *     main thread's CPU per static-file request (200 and 304) and the static files' cache validators. With
 *     `--baseline <other build>`, bench/hot-path.ts (JSON) of this build against that one, as a child.
 *
 *   npm run bench:page [-- --runs 5 --jumps 20 --sorted-jumps 5 --cold 3 --reps 5 --seconds 5 --rate 5
 *     --baseline /work/baseline --parts browser,traffic --out bench/results/page.md]
 */
import autocannon from 'autocannon';
import { fork, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { uploadFile, type Uploaded } from './client.js';
import { TABLE_ROWS } from './data.js';
import { runLoad, type LoadFigures } from './load.js';
import { machineInfo } from './machine.js';
import { chromiumPath, expectedCell, firstRows, freshPage, jump, launchBrowser, requestsOfLoad, type Shown } from './page-browser.js';
import type { TrafficFigures } from './page-traffic.js';
import { dataPath } from './scenarios/pages.js';
import { ForeignCpu, installCleanup, procCpuSeconds, startService, stopAll, waitIdle, type Backend, type ServerHandle } from './servers.js';
import { threadCpu } from './threads.js';
import { BENCH_DIR, BROWSER_ACCEPT_ENCODING, log, median, PARQUET_PATH, prng, quantile, ROOT, round } from './util.js';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    jumps: { type: 'string', default: '20' },
    'sorted-jumps': { type: 'string', default: '5' },
    cold: { type: 'string', default: '3' },
    reps: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '5' },
    rate: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '64' },
    baseline: { type: 'string' },
    parts: { type: 'string', default: 'browser,traffic' },
    out: { type: 'string', default: join(BENCH_DIR, 'results/page.md') },
  },
});
const ROWS_CHECKED = 10;
const SORT = '-delay';
const FIRST_ROWS_TARGET_MS = 1000;
const JUMP_TARGET_MS = 300;

const fmt = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '–');

/** The API's rows offset … offset+ROWS_CHECKED-1 as the page should show them, cells in `columns` order. */
async function apiRows(server: ServerHandle, path: string, columns: string[], offset: number, sort?: string): Promise<string[][]> {
  const q = new URLSearchParams({ offset: String(offset), limit: String(ROWS_CHECKED), ...(sort ? { sort } : {}) });
  const res = await fetch(`${server.url}${path}?${q}`, { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`GET ${path}?${q}: ${res.status}`);
  const body = (await res.json()) as { data: Record<string, unknown>[] };
  return body.data.map((row) => columns.map((c) => expectedCell(row[c])));
}

/** Throws unless the page showed the API's rows: a fast wrong answer must not count. */
function checkCells(shown: Shown, expected: string[][], what: string): void {
  if (JSON.stringify(shown.cells) !== JSON.stringify(expected)) {
    throw new Error(`${what}: the page showed ${JSON.stringify(shown.cells.slice(0, 2))}…, the API answers ${JSON.stringify(expected.slice(0, 2))}…`);
  }
}

/** Browser and server shares of a step, from its /data requests (ms from the step's start). */
interface Split {
  ms: number;
  /** until the first /data request was sent (grid debounce, scroll; for first rows: page files, dataset, sheets, schema) */
  before_ms: number;
  /** from the first /data request sent until the last /data answer's last byte */
  data_ms: number;
  /** the longest single /data request: sent → first byte (server time plus loopback) */
  server_ms: number;
  /** from the last /data answer until the rows were shown (grid render) */
  render_ms: number;
  requests: number;
  /** First rows: when the page's own files, and each API answer before the first /data (dataset, sheets, schema), had arrived. */
  timeline?: Record<'files' | 'dataset' | 'sheets' | 'schema', number>;
}

function split(s: Shown): Split {
  const d = s.data.filter((r) => r.end_ms <= s.ms + 1);
  const first = Math.min(...d.map((r) => r.start_ms));
  const last = Math.max(...d.map((r) => r.end_ms));
  return {
    ms: s.ms,
    before_ms: d.length ? first : Number.NaN,
    data_ms: d.length ? last - first : Number.NaN,
    server_ms: d.length ? Math.max(...d.map((r) => r.first_byte_ms - r.start_ms)) : Number.NaN,
    render_ms: d.length ? s.ms - last : Number.NaN,
    requests: d.length,
    timeline: s.api && {
      files: s.assets_ms ?? Number.NaN,
      dataset: s.api.find((a) => /^\/api\/datasets\/\d+$/.test(a.path))?.end_ms ?? Number.NaN,
      sheets: s.api.find((a) => a.path.endsWith('/sheets'))?.end_ms ?? Number.NaN,
      schema: s.api.find((a) => a.path.endsWith('/schema'))?.end_ms ?? Number.NaN,
    },
  };
}

interface BrowserFigures {
  backend: string;
  foreign_cores: number;
  first_new: Split[];
  first_returning: Split[];
  jumps: Split[];
  sorted_first: Split[];
  sorted_jumps: Split[];
  cold_first: Split[];
}

async function measureBrowser(browser: Browser, backend: Backend): Promise<BrowserFigures> {
  let server = await startService({ backend, workers: 2 });
  const up = await uploadFile(server.url, PARQUET_PATH, 'flights');
  log(`${backend}: flights uploaded in ${fmt(up.upload_ms)} ms, readable after ${fmt(up.readable_ms)} ms`);
  const path = dataPath(up);
  const schema = (await (await fetch(`${server.url}/api/datasets/${up.dataset_id}/versions/${up.version_id}/schema`)).json()) as { columns: { name: string }[] };
  const columns = schema.columns.map((c) => c.name);
  const hash = `#/datasets/${up.dataset_id}`;
  const foreign = new ForeignCpu().start();
  const out: BrowserFigures = { backend, foreign_cores: 0, first_new: [], first_returning: [], jumps: [], sorted_first: [], sorted_jumps: [], cold_first: [] };
  const expectedFirst = await apiRows(server, path, columns, 0);

  if (backend === 'local') {
    // "The table already read once": one view of it, not counted.
    const { context, page } = await freshPage(browser, server.url);
    await firstRows(page, hash, path, columns, ROWS_CHECKED);
    await context.close();
  }
  for (let i = 0; i < Number(args.runs); i++) {
    const { context, page } = await freshPage(browser, server.url);
    const fresh = await firstRows(page, hash, path, columns, ROWS_CHECKED);
    checkCells(fresh, expectedFirst, 'first rows');
    await page.goto('about:blank');
    const again = await firstRows(page, hash, path, columns, ROWS_CHECKED);
    checkCells(again, expectedFirst, 'first rows (returning)');
    out.first_new.push(split(fresh));
    out.first_returning.push(split(again));
    log(`${backend} first rows: new visitor ${fmt(fresh.ms)} ms, returning ${fmt(again.ms)} ms`);
    await context.close();
  }

  const random = prng(12);
  {
    const { context, page, errors } = await freshPage(browser, server.url);
    await firstRows(page, hash, path, columns, ROWS_CHECKED);
    for (let i = 0; i < Number(args.jumps); i++) {
      const target = Math.floor(random() * (TABLE_ROWS - ROWS_CHECKED));
      const shown = await jump(page, target, path, columns, ROWS_CHECKED);
      checkCells(shown, await apiRows(server, path, columns, target), `jump to row ${target + 1}`);
      out.jumps.push(split(shown));
      log(`${backend} jump to ${target + 1}: ${fmt(shown.ms)} ms (${shown.data.length} /data requests)`);
      await page.waitForTimeout(300);
    }
    // The sorted view: its first rows, then jumps; each page is a query (sort over the whole table).
    const sorted = await firstRows(page, `${hash}?sort=${encodeURIComponent(SORT)}`, path, columns, ROWS_CHECKED);
    checkCells(sorted, await apiRows(server, path, columns, 0, SORT), 'sorted first rows');
    out.sorted_first.push(split(sorted));
    log(`${backend} sorted first rows: ${fmt(sorted.ms)} ms`);
    for (let i = 0; i < Number(args['sorted-jumps']); i++) {
      const target = Math.floor(random() * (TABLE_ROWS - ROWS_CHECKED));
      const shown = await jump(page, target, path, columns, ROWS_CHECKED);
      checkCells(shown, await apiRows(server, path, columns, target, SORT), `sorted jump to row ${target + 1}`);
      out.sorted_jumps.push(split(shown));
      log(`${backend} sorted jump to ${target + 1}: ${fmt(shown.ms)} ms`);
      await page.waitForTimeout(300);
    }
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    await context.close();
  }

  if (backend === 'local') {
    for (let i = 0; i < Number(args.cold); i++) {
      server = await server.restart!();
      const { context, page } = await freshPage(browser, server.url);
      const cold = await firstRows(page, hash, path, columns, ROWS_CHECKED);
      checkCells(cold, expectedFirst, 'first rows after a restart');
      out.cold_first.push(split(cold));
      log(`${backend} first rows right after a restart: ${fmt(cold.ms)} ms`);
      await context.close();
    }
  }
  out.foreign_cores = foreign.stop();
  await server.stop();
  return out;
}

interface HeaderCheck {
  path: string;
  /** Bytes of the file itself (no Accept-Encoding), and as sent to a browser (its Accept-Encoding). */
  bytes: number;
  sent_bytes: number;
  content_encoding: string;
  vary_accept_encoding: boolean;
  etag: string | null;
  last_modified: boolean;
  cache_control: string;
  /** Status of the same GET with If-None-Match: <its ETag> (0: no ETag to send). */
  revalidated: number;
}

/** GET over plain node:http (fetch adds Cache-Control: no-cache to conditional requests; a browser does not). */
function rawGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let bytes = 0;
      res.on('data', (d: Buffer) => (bytes += d.length));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, bytes }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function checkHeaders(server: ServerHandle, path: string): Promise<HeaderCheck> {
  const plain = await rawGet(server.url + path);
  const browser = { 'accept-encoding': BROWSER_ACCEPT_ENCODING };
  const first = await rawGet(server.url + path, browser);
  if (plain.status !== 200 || first.status !== 200) throw new Error(`GET ${path}: ${plain.status}, ${first.status}`);
  const etag = (first.headers.etag as string | undefined) ?? null;
  const again = etag ? await rawGet(server.url + path, { ...browser, 'if-none-match': etag }) : undefined;
  return {
    path,
    bytes: plain.bytes,
    sent_bytes: first.bytes,
    content_encoding: (first.headers['content-encoding'] as string | undefined) ?? '',
    vary_accept_encoding: /accept-encoding/i.test(String(first.headers.vary ?? '')),
    etag,
    last_modified: Boolean(first.headers['last-modified']),
    cache_control: (first.headers['cache-control'] as string | undefined) ?? '',
    revalidated: again?.status ?? 0,
  };
}

interface StaticCpu {
  kind: '200' | '304';
  rps: number;
  main_us: number;
  mb_per_s: number;
}

/** Main-thread CPU per request of autocannon cycling over `paths` (c=6, a browser's connections per host, its Accept-Encoding), 3 s. */
async function staticCpu(server: ServerHandle, paths: string[], etags: Map<string, string> | undefined): Promise<StaticCpu> {
  await waitIdle([server.pid]);
  let i = 0;
  const before = threadCpu(server.pid).get(server.pid) ?? 0;
  const result = await autocannon({
    url: server.url,
    connections: 6,
    duration: 3,
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          const p = paths[i++ % paths.length];
          req.path = p;
          req.headers = { 'accept-encoding': BROWSER_ACCEPT_ENCODING, ...(etags ? { 'if-none-match': etags.get(p) ?? '' } : {}) };
          return req;
        },
      },
    ],
  });
  const after = threadCpu(server.pid).get(server.pid) ?? 0;
  const expected = etags ? '304' : '200';
  const wrong = result.requests.total - ((result.statusCodeStats as Record<string, { count: number }> | undefined)?.[expected]?.count ?? 0);
  if (wrong > 0 || result.errors > 0) throw new Error(`static files: ${wrong} answers other than ${expected}, ${result.errors} errors`);
  return { kind: expected, rps: result.requests.average, main_us: ((after - before) / Math.max(1, result.requests.total)) * 1e6, mb_per_s: result.throughput.average / 1e6 };
}

const VARIANTS = ['API alone', 'API + new visitors', 'API + returning visitors'] as const;
type Variant = (typeof VARIANTS)[number];

interface TrafficRun {
  variant: Variant;
  rep: number;
  load: LoadFigures;
  main_us_per_api_request: number;
  /** Cores the page-traffic process used during the run. */
  traffic_cores: number;
  foreign_cores: number;
  traffic?: TrafficFigures;
}

interface TrafficResults {
  assets: string[];
  api: string[];
  revalidated: string[];
  headers: HeaderCheck[];
  static_cpu: StaticCpu[];
  runs: TrafficRun[];
}

async function measureTraffic(browser: Browser): Promise<TrafficResults> {
  const server = await startService({ backend: 'memory', workers: 2 });
  const up: Uploaded = await uploadFile(server.url, PARQUET_PATH, 'flights');
  const path = dataPath(up);
  const hash = `#/datasets/${up.dataset_id}`;
  const schema = (await (await fetch(`${server.url}/api/datasets/${up.dataset_id}/versions/${up.version_id}/schema`)).json()) as { columns: { name: string }[] };
  const seen = await requestsOfLoad(browser, server.url, async (page) => {
    await firstRows(page, hash, path, schema.columns.map((c) => c.name), ROWS_CHECKED);
    await page.locator('.facets').waitFor();
  });
  const assets = [...new Set(seen.filter((p) => !p.startsWith('/api/')))];
  const api = seen.filter((p) => p.startsWith('/api/'));
  log(`a table view loads ${assets.length} files and makes ${api.length} API calls: ${api.join(' ')}`);

  const headers: HeaderCheck[] = [];
  for (const p of assets) headers.push(await checkHeaders(server, p));
  const etags = new Map(headers.filter((h) => h.etag).map((h) => [h.path, h.etag!]));
  // A returning visitor revalidates what must be (no-cache) and takes the rest from its cache.
  const revalidate = Object.fromEntries(headers.filter((h) => h.etag && /no-cache/.test(h.cache_control)).map((h) => [h.path, h.etag!]));
  const static_cpu = [await staticCpu(server, assets, undefined)];
  if (etags.size === assets.length) static_cpu.push(await staticCpu(server, assets, etags));

  const traffic = fork(join(ROOT, 'dist/bench/page-traffic.js'), [server.url, JSON.stringify({ rate: Number(args.rate), assets, api, revalidate })], { stdio: 'inherit' });
  const stopTraffic = () =>
    new Promise<TrafficFigures>((res) => {
      traffic.once('message', (m) => res(m as TrafficFigures));
      traffic.send({ type: 'stop' });
    });
  const spec = { url: server.url, dataPath: path, totalRows: TABLE_ROWS, rows: 100, format: 'json' as const, concurrency: Number(args.concurrency), durationS: Number(args.seconds) };
  await runLoad({ ...spec, durationS: 2, seed: 99 });
  const runs: TrafficRun[] = [];
  for (let rep = 0; rep < Number(args.reps); rep++) {
    for (let k = 0; k < VARIANTS.length; k++) {
      const variant = VARIANTS[(k + rep) % VARIANTS.length];
      await waitIdle([server.pid, traffic.pid!]);
      const foreign = new ForeignCpu().start();
      const before = threadCpu(server.pid).get(server.pid) ?? 0;
      const trafficBefore = procCpuSeconds(traffic.pid!) ?? 0;
      const began = performance.now();
      if (variant !== 'API alone') traffic.send({ type: 'start', returning: variant === 'API + returning visitors' });
      const load = await runLoad({ ...spec, seed: rep + 1 });
      const trafficFigures = variant !== 'API alone' ? await stopTraffic() : undefined;
      const wall = (performance.now() - began) / 1000;
      const after = threadCpu(server.pid).get(server.pid) ?? 0;
      if (load.non2xx || load.errors) throw new Error(`${variant}: ${load.non2xx} non-2xx, ${load.errors} errors`);
      runs.push({
        variant,
        rep,
        load,
        main_us_per_api_request: ((after - before) / Math.max(1, load.requests)) * 1e6,
        traffic_cores: ((procCpuSeconds(traffic.pid!) ?? 0) - trafficBefore) / wall,
        foreign_cores: foreign.stop(),
        traffic: trafficFigures,
      });
      log(`${variant}: ${load.rps} req/s, p99 ${load.p99_ms} ms${trafficFigures ? `; page traffic ${trafficFigures.loads_per_s} loads/s, ${trafficFigures.failures} failures` : ''}`);
    }
  }
  traffic.disconnect();
  await server.stop();
  return { assets, api, revalidated: Object.keys(revalidate), headers, static_cpu, runs };
}

/** bench/hot-path.ts (JSON pages) of this build against `baseline`, as a child process: its markdown table. */
function hotPath(baseline: string): Promise<string> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/bench/hot-path.js'), '--baseline', baseline, '--formats', 'json', '--reps', '3', '--seconds', '4'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    child.stdout.on('data', (d) => (text += d));
    child.once('exit', (code) => (code === 0 ? res(text.trim()) : rej(new Error(`hot-path exited with ${code}`))));
  });
}

// ---- the report ----

function stats(xs: number[]): { median: number; p95: number; max: number } {
  return { median: median(xs), p95: quantile(xs, 0.95), max: Math.max(...xs) };
}

function browserSection(f: BrowserFigures): string[] {
  const rows: string[] = [];
  const line = (what: string, s: Split[], target: number) => {
    if (!s.length) return;
    const t = stats(s.map((x) => x.ms));
    const m = (k: keyof Split) => fmt(median(s.map((x) => x[k] as number)));
    const met = t.max <= target ? 'yes' : t.median <= target ? `median yes, ${s.filter((x) => x.ms > target).length} of ${s.length} over` : 'no';
    rows.push(`| ${what} | ${s.length} | ${fmt(t.median)} | ${fmt(t.p95)} | ${fmt(t.max)} | ${target} | ${met} | ${m('before_ms')} | ${m('data_ms')} | ${m('server_ms')} | ${m('render_ms')} | ${fmt(median(s.map((x) => x.requests)), 1)} |`);
  };
  line('first rows, new visitor', f.first_new, FIRST_ROWS_TARGET_MS);
  line('first rows, returning visitor', f.first_returning, FIRST_ROWS_TARGET_MS);
  line('first rows right after a restart', f.cold_first, FIRST_ROWS_TARGET_MS);
  line('jump to a random row', f.jumps, JUMP_TARGET_MS);
  line(`sorted view (sort=${SORT}): first rows`, f.sorted_first, FIRST_ROWS_TARGET_MS);
  line(`sorted view (sort=${SORT}): jump`, f.sorted_jumps, JUMP_TARGET_MS);
  const timeline = (what: string, s: Split[]) => {
    if (!s.length) return [];
    const m = (f: (x: Split) => number) => fmt(median(s.map(f)));
    return [`| ${what} | ${m((x) => x.timeline!.files)} | ${m((x) => x.timeline!.dataset)} | ${m((x) => x.timeline!.sheets)} | ${m((x) => x.timeline!.schema)} | ${m((x) => x.before_ms)} | ${m((x) => x.before_ms + x.data_ms)} | ${m((x) => x.ms)} |`];
  };
  return [
    `### ${f.backend} backend`,
    '',
    `Other processes used ${fmt(f.foreign_cores, 2)} cores on average meanwhile.`,
    '',
    '| step | n | median ms | p95 ms | max ms | target ms | met | until /data sent | /data sent → last byte | longest /data: sent → first byte | last byte → shown | /data requests |',
    '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    'Where the first rows\' time goes (medians, ms from the navigation\'s start): the page\'s own files (index.html, ui/*.js, vendor modules) all arrived, each API answer the grid waits for arrived (the dataset first: this URL names no version, so the version\'s sheets and schema are asked for together once its answer names the version), the first /data request sent and answered, the rows shown. Between the schema and the /data request: the grid is built and waits its blockLoadDebounceMillis (50 ms). The facets beside the grid are asked for once the first rows have arrived.',
    '',
    '| first rows | page files | dataset | sheets | schema | /data sent | /data answered | rows shown |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
    ...timeline('new visitor', f.first_new),
    ...timeline('returning visitor', f.first_returning),
    ...timeline('right after a restart', f.cold_first),
    ...timeline(`sorted (sort=${SORT})`, f.sorted_first),
    '',
  ];
}

function trafficSection(r: TrafficResults): string[] {
  const by = (v: Variant) => r.runs.filter((x) => x.variant === v);
  const med = (v: Variant, f: (x: TrafficRun) => number) => median(by(v).map(f));
    const statics = r.static_cpu.find((s) => s.kind === '200');
  const reval = r.static_cpu.find((s) => s.kind === '304');
  const allValidated = r.headers.every((h) => h.etag && h.last_modified && h.cache_control && h.revalidated === 304 && h.vary_accept_encoding);
  const sum = (f: (h: HeaderCheck) => number) => r.headers.reduce((n, h) => n + f(h), 0);
  // Ratios within a repetition (its runs are seconds apart), then their median: the machine's drift between
  // repetitions is larger than the effect.
  const paired = (v: Variant, f: (x: TrafficRun) => number) =>
    median(by(v).map((x) => f(x) / f(r.runs.find((y) => y.variant === 'API alone' && y.rep === x.rep)!)));
  const row = (v: Variant) => {
    const m = (f: (x: TrafficRun) => number, d = 0) => fmt(med(v, f), d);
    const t = v !== 'API alone';
    const bytes = median(by(v).map((x) => (x.traffic ? x.traffic.bytes / Math.max(1, x.traffic.loads) : Number.NaN)));
    return (
      `| ${v} | ${m((x) => x.load.rps)} | ${fmt(paired(v, (x) => x.load.rps), 3)} | ${m((x) => x.load.p99_ms, 1)} | ${fmt(paired(v, (x) => x.load.p99_ms), 3)} | ` +
      `${m((x) => x.main_us_per_api_request, 1)} | ${t ? m((x) => x.traffic!.loads_per_s, 2) : '–'} | ${t ? fmt(bytes / 1e3) : '–'} | ${t ? `${m((x) => x.traffic!.load_p50_ms)} / ${m((x) => x.traffic!.load_p99_ms)}` : '–'} | ` +
      `${t ? by(v).reduce((n, x) => n + (x.traffic?.failures ?? 0), 0) : '–'} | ${t ? m((x) => x.traffic_cores, 2) : '–'} | ${m((x) => x.foreign_cores, 2)} |`
    );
  };
  return [
    '## (b) API throughput with and without page traffic',
    '',
    `Memory backend, WORKERS=2, JSON pages of 100 rows at random offsets of the flights table at c=${args.concurrency} (autocannon in the bench process, as bench/hot-path.ts), ` +
      `${args.seconds} s runs, ${args.reps} repetitions interleaved (the order rotating each repetition), medians. Page traffic: a separate process starting ${args.rate} page loads a second ` +
      `(many people opening the table view), each the requests Chromium made for it: ${r.assets.length} files (index.html first, then 6 at a time) ` +
      `and the view's ${r.api.length} API calls (${r.api.map((p) => p.replace(/\?.*/, '').replace(/.*\/(?=[a-z])/, '')).join(', ')}). A new visitor has no browser cache; ` +
      `a returning one revalidates the ${r.revalidated.length} no-cache files (If-None-Match → 304) and takes the vendor modules (max-age) from its cache. ` +
      'The traffic process runs on the same 2 cores as the server and autocannon, so part of any slowdown is its own CPU (column "traffic process"). ' +
      '"× alone": the median over repetitions of the ratio to the API-alone run of the same repetition.',
    '',
    '| | API req/s | × alone | API p99 ms | × alone | server main thread µs per API request (all its work / API requests) | page loads/s done | KB a page load | page load p50 / p99 ms | failed page requests | traffic process, cores | other processes, cores |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...VARIANTS.map(row),
    '',
    'Each run: ' + r.runs.map((x) => `${x.variant}: ${fmt(x.load.rps)} req/s, p99 ${fmt(x.load.p99_ms, 1)} ms`).join('; ') + '.',
    '',
    '### Static files: main-thread CPU and cache validators',
    '',
    `autocannon cycling over the ${r.assets.length} files at c=6, 3 s: ` +
      (statics ? `full answers (200) ${fmt(statics.rps)} req/s, ${fmt(statics.mb_per_s)} MB/s, **${fmt(statics.main_us)} µs of main-thread CPU per file** (${fmt((statics.main_us * r.assets.length) / 1000, 1)} ms per new visitor's page load)` : '') +
      (reval ? `; revalidations (If-None-Match → 304) ${fmt(reval.rps)} req/s, **${fmt(reval.main_us)} µs per file** (${fmt((reval.main_us * r.revalidated.length) / 1000, 1)} ms per returning visitor's page load)` : '') +
      '.',
    '',
    `Requests here and in the page traffic send Chromium's \`Accept-Encoding: ${BROWSER_ACCEPT_ENCODING}\`; the files together: ${fmt(sum((h) => h.bytes) / 1e3)} KB, ${fmt(sum((h) => h.sent_bytes) / 1e3)} KB as sent. ` +
      `Every file has an ETag, Last-Modified, Cache-Control and \`Vary: Accept-Encoding\`, and answers 304 to If-None-Match: **${allValidated ? 'yes' : 'no'}**.`,
    '',
    '| file | bytes | bytes sent | Content-Encoding | ETag | Last-Modified | Cache-Control | Vary: Accept-Encoding | If-None-Match → |',
    '|---|---:|---:|---|---|---|---|---|---:|',
    ...r.headers.map(
      (h) =>
        `| \`${h.path}\` | ${h.bytes} | ${h.sent_bytes} | ${h.content_encoding || '–'} | ${h.etag ? 'yes' : 'no'} | ${h.last_modified ? 'yes' : 'no'} | ${h.cache_control || '–'} | ${h.vary_accept_encoding ? 'yes' : 'no'} | ${h.revalidated || '–'} |`,
    ),
    '',
  ];
}

installCleanup();
const machine = machineInfo();
const parts = new Set(args.parts!.split(','));
const started = new Date();
const browser = await launchBrowser();
const sections: string[] = [];
try {
  if (parts.has('browser')) {
    sections.push(
      '## (a) The table view in Chromium, 3,000,000 rows',
      '',
      `The flights table (vega-datasets flights-3m.parquet, ${TABLE_ROWS.toLocaleString('en')} rows × 5 columns) uploaded as Parquet; WORKERS=2; headless Chromium (${chromiumPath()}) at 1280×800 on the same machine. ` +
        `Times are measured in the page (performance.now(), checked every animation frame): first rows from the navigation's start until rows 1–${ROWS_CHECKED} are shown; ` +
        `a jump from the submit of the page's own "Go to row" form until that row and the ${ROWS_CHECKED - 1} after it are shown. Each figure counted only after the cells shown were ` +
        `compared with the API's \`/data?offset=N&limit=${ROWS_CHECKED}\` answer (with \`sort=\` for the sorted view): all equal. New visitor: a fresh browser context (empty cache); ` +
        `returning: the same context navigating again. The columns after the targets split each step with the page's Resource Timing of its /data requests (medians, ms).`,
      '',
    );
    for (const backend of ['memory', 'local'] as const) sections.push(...browserSection(await measureBrowser(browser, backend)));
  }
  if (parts.has('traffic')) sections.push(...trafficSection(await measureTraffic(browser)));
} finally {
  await browser.close();
  await stopAll();
}
if (args.baseline) {
  log(`hot-path: this build against ${args.baseline}`);
  sections.push(
    '## bench/hot-path.ts: this build against another build',
    '',
    `\`node dist/bench/hot-path.js --baseline ${args.baseline} --formats json --reps 3 --seconds 4\` (baseline: ${args.baseline}):`,
    '',
    await hotPath(args.baseline),
    '',
  );
}
const load = machineInfo().load_average_at_start;
const text = [
  '# The web page: speed in Chromium, and what page traffic costs the API',
  '',
  `\`npm run bench:page\` (bench/page.ts), ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${machine.git_commit}${machine.git_dirty ? ' (with uncommitted changes in src/)' : ''}; ` +
    `${machine.cores} cores (${machine.cpu_model}), ${machine.memory_gib} GiB, Node ${machine.node}; load average ${machine.load_average_at_start.join(' ')} at the start, ${load.join(' ')} at the end ` +
    '(the machine is shared: other people\'s tests and benches run on the same 2 cores; "other processes" figures are their CPU during our measurements).',
  '',
  ...sections,
].join('\n');
writeFileSync(args.out!, text + '\n');
console.log(text);
log(`wrote ${args.out}`);
process.exit(0);
