/**
 * The SQL view in a real Chromium, on both backends: the version's tables are listed; a query run from the
 * editor shows the API's answer (columns and rows, compared with POST …/query); result pages follow the API's
 * pages; the query is in the URL and reruns on reload; a refused statement shows the API's words.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectedCell, launchBrowser, openPage, pageOverflowX, screenshot, seriousViolations } from '../support/browser.js';
import { BACKENDS, ROOT, startServer, upload, type Server } from '../support/server.js';
import type { Page } from 'playwright-core';

const SEATTLE = readFileSync(join(ROOT, 'node_modules/vega-datasets/data/seattle-weather.csv'));
const GROUPED = 'SELECT weather, count(*) AS days, max(temp_max) AS hottest FROM data GROUP BY weather ORDER BY days DESC';

async function apiQuery(server: Server, path: string, body: object): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function shownResult(page: Page, firstCell: string): Promise<{ columns: string[]; rows: string[][] }> {
  await page.waitForFunction((first) => document.querySelector('table.sql-result tbody tr td')?.textContent === first, firstCell);
  return page.evaluate(() => ({
    columns: [...document.querySelectorAll('table.sql-result thead th')].map((th) => th.textContent!),
    rows: [...document.querySelectorAll('table.sql-result tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent!)),
  }));
}

for (const backend of BACKENDS) {
  t.test(`${backend}: SQL through the page`, async (t) => {
    const server = await startServer(t, { backend });
    const up = await upload(server, SEATTLE, 'seattle-weather.csv', { name: 'seattle' });
    t.equal(up.status, 201);
    const { dataset, version } = up.body;
    const path = `/api/datasets/${dataset.id}/versions/${version.id}/query`;
    const browser = await launchBrowser(t);
    const { page, errors, foreign } = await openPage(browser, server.url);

    await page.goto(`/#/datasets/${dataset.id}`);
    await page.getByRole('link', { name: 'SQL', exact: true }).click();
    await page.getByRole('heading', { name: 'Tables' }).waitFor();
    await page.locator('.sql-tables li strong', { hasText: 'Sheet1' }).waitFor();

    const grouped = await apiQuery(server, path, { sql: GROUPED, page: 1, page_size: 100 });
    t.equal(grouped.status, 200);
    await page.getByLabel(/^SQL/).fill(GROUPED);
    await page.getByLabel(/^SQL/).press('Control+Enter');
    const shown = await shownResult(page, String(grouped.body.data[0].weather));
    t.same(shown.columns, grouped.body.columns, 'the API result columns');
    t.same(shown.rows, grouped.body.data.map((r: Record<string, unknown>) => grouped.body.columns.map((c: string) => expectedCell(r[c]))), 'the API result rows');
    t.same(await seriousViolations(page), [], 'SQL view: no serious or critical axe violations');
    await screenshot(page, `${backend}-sql`);

    // The query is in the URL: a reload reruns it.
    t.equal(new URLSearchParams(new URL(page.url()).hash.split('?')[1]).get('sql'), GROUPED, 'the query is in the URL');
    await page.reload();
    t.same((await shownResult(page, String(grouped.body.data[0].weather))).rows, shown.rows, 'the URL reruns the query');

    // Result pages follow the API's pages.
    const all = 'SELECT date, weather FROM data ORDER BY date';
    const p2 = await apiQuery(server, path, { sql: all, page: 2, page_size: 100 });
    await page.getByLabel(/^SQL/).fill(all);
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('.count', { hasText: `${p2.body.total_rows.toLocaleString('en-US')} result rows` }).waitFor();
    await page.getByRole('button', { name: 'Next' }).click();
    const second = await shownResult(page, String(p2.body.data[0].date));
    t.same(second.rows, p2.body.data.map((r: Record<string, unknown>) => [expectedCell(r.date), expectedCell(r.weather)]), 'page 2 equals the API page 2');

    // A refused statement: the API's words.
    const refused = await apiQuery(server, path, { sql: 'DROP TABLE data', page: 1, page_size: 100 });
    t.equal(refused.status, 400);
    await page.getByLabel(/^SQL/).fill('DROP TABLE data');
    await page.getByRole('button', { name: 'Run' }).click();
    await page.locator('main .error').waitFor();
    t.equal(await page.locator('main .error').innerText(), `400 Bad request: ${refused.body.detail}`);
    t.ok(errors.length >= 1 && errors.every((e) => e.includes('status of 400')), 'only the refused request was logged');

    await page.setViewportSize({ width: 390, height: 844 });
    t.equal(await pageOverflowX(page), 0, 'the SQL view fits 390 px');
    t.same(foreign, []);
  });
}
