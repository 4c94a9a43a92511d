/**
 * The web page in a real Chromium, timed from inside the page (performance.now(), checked on every animation
 * frame, so a figure is at most one frame late): how long until the table view shows its first rows after a
 * navigation, and how long a jump through the page's own "Go to row" form takes until that row's cells are
 * shown. The cells shown are returned with each figure, for the caller to compare with the API's answer (a
 * fast wrong answer must not count). The page's /data requests of each step come with their Resource Timing,
 * to tell browser time (debounce, render) from server time. Same browser and launch settings as the UI tests
 * (test/support/browser.ts).
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { renderedGridRows } from '../test/support/grid-dom.js';

/*
 * The next three mirror test/support/browser.ts (which cannot be imported from dist/: it reads axe-core and
 * finds the repository relative to its own source file when loaded): the same Chromium, launch flags, viewport,
 * no other origin, and the same rule for what a cell shows.
 */

/** Chromium as the UI tests find it: CHROMIUM_PATH, else Debian's /usr/bin/chromium (`.ci/run` installs it). */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  if (!existsSync(path)) throw new Error(`no Chromium at ${path}: apt-get install -y --no-install-recommends chromium, or set CHROMIUM_PATH`);
  return path;
}

/** Headless Chromium with the UI tests' flags. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A cell's text as the page should show it: "null" for null, JSON for lists and structs, else the value as text. */
export function expectedCell(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** One /data request of the page, ms from the step's start: sent, first byte, last byte. */
export interface DataRequest {
  offset: number;
  limit: number;
  start_ms: number;
  first_byte_ms: number;
  end_ms: number;
}

export interface Shown {
  /** ms from the step's start (navigation start, or the jump's submit) until the rows were shown. */
  ms: number;
  /** The rows' cells, as texts in the columns' order. */
  cells: string[][];
  data: DataRequest[];
  /** First rows only: when the page's own files (index.html, ui/*.js, vendor modules) had all arrived, ms. */
  assets_ms?: number;
  /** First rows only: API requests other than /data (dataset, sheets, schema, facets), sent and last byte, ms. */
  api?: { path: string; start_ms: number; end_ms: number }[];
}

/** A fresh browser context (empty HTTP cache, as a new visitor) with one page; nothing from other origins. */
export async function freshPage(browser: Browser, baseUrl: string): Promise<{ context: BrowserContext; page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, baseURL: baseUrl });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await context.route('**/*', (route) => (route.request().url().startsWith(baseUrl) || route.request().url() === 'about:blank' ? route.continue() : route.abort()));
  // Installed in every document the page opens (an init script is not subject to the page's CSP).
  await page.addInitScript({ content: `performance.setResourceTimingBufferSize(100000); window.__gridRows = ${renderedGridRows.toString()}; window.__benchWait = ${inPageWait.toString()};` });
  return { context, page, errors };
}

/**
 * In the page: waits (one check per animation frame, up to `timeoutMs`) until grid rows first … first+count-1
 * are rendered with their data, then answers when (performance.now() - since) and their cells, with the
 * /data requests started since `since`. Runs in the browser, so it must not use anything from this module.
 */
function inPageWait(arg: { first: number; count: number; columns: string[]; since: number; timeoutMs: number; dataPath: string }) {
  const { first, count, columns, since, timeoutMs, dataPath } = arg;
  const rowsNow = () => (window as unknown as { __gridRows: typeof renderedGridRows }).__gridRows({ first, count, columns });
  const requests = () =>
    (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
      .filter((e) => e.startTime >= since - 1 && new URL(e.name).pathname === dataPath)
      .map((e) => {
        const q = new URL(e.name).searchParams;
        return {
          offset: Number(q.get('offset')),
          limit: Number(q.get('limit')),
          start_ms: e.startTime - since,
          first_byte_ms: e.responseStart - since,
          end_ms: e.responseEnd - since,
        };
      });
  return new Promise<{ ms: number; cells: string[][] } | { timeout: true }>((resolve) => {
    const check = () => {
      const cells = rowsNow();
      const now = performance.now();
      if (cells) resolve({ ms: now - since, cells });
      else if (now - since > timeoutMs) resolve({ timeout: true });
      else requestAnimationFrame(check);
    };
    check();
  }).then((r) => ({ ...r, data: requests() }));
}

interface BenchWindow {
  __benchWait: typeof inPageWait;
}

type Waited = { ms: number; cells: string[][]; data: DataRequest[] } | { timeout: true; data: DataRequest[] };

function shownOrThrow(r: Waited, what: string): Shown {
  if ('timeout' in r) throw new Error(`${what}: rows not shown in time (data requests: ${JSON.stringify(r.data)})`);
  return r;
}

/**
 * Navigates `page` to `hash` (e.g. `#/datasets/1?sort=-delay`) and waits until grid rows 0 … count-1 are
 * shown; ms are from the navigation's start (the page's time origin), so they include loading the page's files.
 */
export async function firstRows(page: Page, hash: string, dataPath: string, columns: string[], count: number, timeoutMs = 60_000): Promise<Shown> {
  // From another document, so that this is a real navigation (a new time origin), not a change of hash.
  if (page.url() !== 'about:blank') await page.goto('about:blank');
  await page.goto(`/${hash}`, { waitUntil: 'commit' });
  const r = (await page.evaluate((a) => (window as unknown as BenchWindow).__benchWait(a), { first: 0, count, columns, since: 0, timeoutMs, dataPath })) as Waited;
  const shown = shownOrThrow(r, `first rows of ${hash}`);
  const timing = await page.evaluate(() =>
    (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).map((e) => ({ path: new URL(e.name).pathname, start_ms: e.startTime, end_ms: e.responseEnd })),
  );
  const nav = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined)?.responseEnd ?? 0);
  const own = timing.filter((e) => !e.path.startsWith('/api/'));
  return {
    ...shown,
    assets_ms: Math.max(nav, ...own.map((e) => e.end_ms)),
    api: timing.filter((e) => e.path.startsWith('/api/') && e.path !== dataPath),
  };
}

/**
 * Jumps with the page's own "Go to row" form to 0-based row `index` and waits until rows index … index+count-1
 * are shown; ms from the form's submit.
 */
export async function jump(page: Page, index: number, dataPath: string, columns: string[], count: number, timeoutMs = 30_000): Promise<Shown> {
  const r = (await page.evaluate(
    ({ index, count, columns, timeoutMs, dataPath }) => {
      const input = document.querySelector('form.jump input[name="row"]') as HTMLInputElement;
      performance.clearResourceTimings();
      input.value = String(index + 1);
      const since = performance.now();
      input.form!.requestSubmit();
      return (window as unknown as BenchWindow).__benchWait({ first: index, count, columns, since, timeoutMs, dataPath });
    },
    { index, count, columns, timeoutMs, dataPath },
  )) as Waited;
  return shownOrThrow(r, `jump to row ${index + 1}`);
}

/**
 * Same-origin requests (paths with their query, in the order the browser sent them) of a first visit: what
 * `load` (which navigates, e.g. firstRows) makes a fresh page fetch until the network is idle.
 */
export async function requestsOfLoad(browser: Browser, baseUrl: string, load: (page: Page) => Promise<unknown>): Promise<string[]> {
  const { context, page } = await freshPage(browser, baseUrl);
  const seen: string[] = [];
  page.on('request', (r) => {
    const url = new URL(r.url());
    if (r.url().startsWith(baseUrl)) seen.push(url.pathname + url.search);
  });
  await load(page);
  await page.waitForLoadState('networkidle');
  await context.close();
  return seen;
}
