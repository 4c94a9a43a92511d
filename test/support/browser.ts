/**
 * A real Chromium for the page's tests, driven by playwright-core (whose own browser downloads cannot work
 * here). `chromiumPath()` finds it: CHROMIUM_PATH, then /usr/bin/chromium, then chromium-browser on PATH; when
 * none is there and we run as root on Debian, it installs Debian's `chromium` package
 * (`apt-get install -y --no-install-recommends chromium`); otherwise it throws, saying how to get one. The UI
 * tests never skip for want of a browser.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { renderedGridRows } from './grid-dom.js';
import { ROOT } from './server.js';

/** Screenshots of the views: git-ignored, kept after the run for people to look at. */
export const ARTIFACTS = join(ROOT, 'test-artifacts/ui');

const HOW_TO_GET =
  'On Debian/Ubuntu: sudo apt-get install -y --no-install-recommends chromium; elsewhere install Chromium and set CHROMIUM_PATH to its executable.';

function onPath(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  return found.status === 0 && path ? path : undefined;
}

function findChromium(): string | undefined {
  const env = process.env.CHROMIUM_PATH;
  if (env) {
    if (!existsSync(env)) throw new Error(`CHROMIUM_PATH is ${env}, which does not exist. ${HOW_TO_GET}`);
    return env;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return onPath('chromium') ?? onPath('chromium-browser');
}

/** The Chromium executable, installing Debian's package first when it is missing and we can (root, apt-get). */
export function chromiumPath(): string {
  const found = findChromium();
  if (found) return found;
  const debian = existsSync('/etc/debian_version') && onPath('apt-get') !== undefined;
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (debian && root) {
    console.error('# chromium is missing: apt-get install -y --no-install-recommends chromium');
    execFileSync('apt-get', ['update'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    const installed = findChromium();
    if (installed) return installed;
  }
  throw new Error(`The UI tests need Chromium and none was found (CHROMIUM_PATH, /usr/bin/chromium, chromium-browser). ${HOW_TO_GET}`);
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

/** A headless Chromium, closed when the test ends. */
export async function launchBrowser(t: Teardown): Promise<Browser> {
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--disable-dev-shm-usage'] });
  t.teardown(() => browser.close());
  return browser;
}

/**
 * A page that fails the test on any uncaught error or console error in the page (collected in `errors`),
 * and answers every request for another origin with a failure, so nothing can come from a CDN.
 */
export async function openPage(browser: Browser, baseUrl: string, viewport = { width: 1280, height: 800 }): Promise<{ page: Page; errors: string[]; foreign: string[] }> {
  const context = await browser.newContext({ viewport, baseURL: baseUrl });
  const page = await context.newPage();
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(baseUrl)) return route.continue();
    foreign.push(url);
    return route.abort();
  });
  return { page, errors, foreign };
}

const AXE = readFileSync(join(ROOT, 'node_modules/axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[] }[];
}

/** axe-core's serious and critical violations on the page as it is now (WCAG 2 A/AA rules and best practices). */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.addScriptTag({ content: AXE });
  const violations = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: unknown[] }> } }).axe;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations;
  })) as AxeViolation[];
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Writes a full-page screenshot to test-artifacts/ui/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** A cell's text as the page should show it: "null" for null, JSON for lists and structs, else the value as text. */
export function expectedCell(value: unknown): string {
  if (value === null) return 'null';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * The grid's rendered rows `first … first+count-1` (0-based row indexes), each as its cells' texts in
 * `columns` order, once all of them are rendered with their data loaded (waits up to `timeout` ms).
 */
export async function gridRows(page: Page, first: number, count: number, columns: string[], timeout = 20_000): Promise<string[][]> {
  // Passed as source text: the page cannot reach this module's imports.
  const handle = await page.waitForFunction(`(${renderedGridRows.toString()})(${JSON.stringify({ first, count, columns })}) || false`, undefined, { timeout, polling: 100 });
  return (await handle.jsonValue()) as string[][];
}

/** The page's width fits the viewport: no horizontal scrolling of the page itself. */
export async function pageOverflowX(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

/** The index of the first grid row fully shown below the grid's header. */
export async function firstRowShown(page: Page): Promise<number> {
  return page.evaluate(() => {
    const headerBottom = document.querySelector('.grid .ag-header')!.getBoundingClientRect().bottom;
    const rows = [...document.querySelectorAll('.ag-grid-scrolling-container .ag-row')].filter((r) => r.getBoundingClientRect().top >= headerBottom - 1);
    return Math.min(...rows.map((r) => Number(r.getAttribute('row-index'))));
  });
}
