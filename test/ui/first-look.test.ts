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

t.test('plural and duration words', async (t) => {
  // @ts-expect-error: the page's own module (plain JavaScript, no types)
  const { duration, plural } = await import('../../public/ui/api.js');
  t.equal(duration(42), '42 s');
  t.equal(duration(253), '4 min 13 s');
  t.equal(duration(7380), '2 h 3 min');
  t.equal(duration(180000), '2 d 2 h');
  t.equal(plural(1, 'entry', 'entries'), '1 entry');
  t.equal(plural(0, 'entry', 'entries'), '0 entries');
  t.equal(plural(1, 'miss', 'misses'), '1 miss');
  t.equal(plural(1461, 'row'), (1461).toLocaleString() + ' rows');
});

t.test('an empty service, a stored upload, aligned numbers, readable top values, operators by type, health words', async (t) => {
  const server = await startServer(t, { backend: 'memory' });
  const browser = await launchBrowser(t);
  const { page, errors, foreign } = await openPage(browser, server.url);
  const align = (selector: string) => page.$$eval(selector, (els) => els.map((e) => getComputedStyle(e).textAlign));

  // --- No datasets at all: "No datasets yet" and a link to Upload; no empty table, no pager.
  t.equal((await getJson(server, '/api/datasets')).headers.get('x-total-count'), '0');
  await page.goto('/');
  await page.locator('main .count.empty').waitFor();
  t.equal(await page.locator('main .count.empty').innerText(), 'No datasets yet. Upload a file to make the first one.');
  t.equal(await page.locator('main .count.empty a').getAttribute('href'), '#/upload');
  t.equal(await page.locator('table.datasets, nav.pager').count(), 0, 'no empty table, no pager');
  t.same(await seriousViolations(page), [], 'empty list: no serious or critical axe violations');
  await screenshot(page, 'first-look-empty');
  // A search that matches nothing still says so.
  await page.goto('/#/datasets?name=nothing-like-this');
  await page.locator('main .count', { hasText: 'No datasets match.' }).waitFor();
  t.equal((await getJson(server, '/api/datasets?name=nothing-like-this')).headers.get('x-total-count'), '0');
  t.equal(await page.locator('main .count.empty').count(), 0);

  // --- A stored upload empties the form, so a second click cannot send the file again.
  await page.goto('/#/upload');
  await page.getByLabel(/^File/).setInputFiles({ name: 'one.csv', mimeType: 'text/csv', buffer: Buffer.from('n,label\n1,x\n') });
  await page.getByLabel('Name').fill('one row');
  await page.getByLabel(/^Tags/).fill('tiny');
  await page.getByRole('button', { name: 'Upload', exact: true }).click();
  await page.locator('.ok').waitFor({ timeout: 60_000 });
  const one = (await getJson(server, '/api/datasets?name=one row')).body[0];
  t.equal(one?.row_count, 1, 'the API holds the one-row dataset');
  t.match(await page.locator('.ok').innerText(), 'Stored as version 1 of one row (Sheet1: 1 row).');
  t.same(
    [await page.getByLabel(/^File/).inputValue(), await page.getByLabel('Name').inputValue(), await page.getByLabel(/^Tags/).inputValue(), await page.locator('.drop .file').count()],
    ['', '', '', 0],
    'the file, name and tags are cleared',
  );
  t.equal(await page.locator('.drop .note').innerText(), 'The form is cleared for another file.');

  // --- The datasets list: numeric headings aligned like their numbers.
  const up = await upload(server, readFileSync(SEATTLE), 'seattle-weather.csv', { name: 'Seattle weather' });
  const { dataset, version } = up.body;
  const base = `/api/datasets/${dataset.id}/versions/${version.id}`;
  await page.goto('/');
  await page.locator('table.datasets tbody tr').nth(1).waitFor();
  t.same(await align('table.datasets thead th'), ['left', 'right', 'right', 'right', 'left'], 'list headings: Size, Rows, Versions right-aligned');
  t.same(await align('table.datasets tbody tr:first-child > *'), ['left', 'right', 'right', 'right', 'left'], 'like their cells');

  // --- SQL results: number columns right-aligned, heading included, like the table view.
  const sql = 'SELECT weather, count(*) AS days, round(avg(temp_max),2) AS avg_max FROM data GROUP BY weather ORDER BY days DESC';
  const answer = await getJson(server, `${base}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql, page_size: 100 }) });
  t.equal(answer.status, 200);
  await page.goto(`/#/datasets/${dataset.id}/sql?version=${version.id}&sql=${encodeURIComponent(sql)}`);
  await page.locator('table.sql-result tbody tr').nth(answer.body.data.length - 1).waitFor();
  const shown = await page.$$eval('table.sql-result tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
  t.same(shown, answer.body.data.map((r: Record<string, unknown>) => answer.body.columns.map((c: string) => String(r[c]))), 'the rows are the API answer');
  t.same(await align('table.sql-result thead th'), ['left', 'right', 'right'], 'SQL headings: days and avg_max right-aligned');
  t.same(await align('table.sql-result tbody tr:first-child td'), ['left', 'right', 'right'], 'and their numbers');
  t.same(await seriousViolations(page), [], 'SQL view: no serious or critical axe violations');

  // --- Health: numeric headings aligned; counts in the right number; the uptime in minutes and seconds.
  await page.goto('/#/health');
  await page.locator('[data-field="sql-answers"]').waitFor();
  t.same(await align('table.pools thead th'), ['left', 'right', 'right', 'right', 'right'], 'pool headings');
  t.same(await align('table.pools tbody tr:first-child > *'), ['left', 'right', 'right', 'right', 'right'], 'like their cells');
  t.same(await align('table.caches thead th'), ['left', 'right', 'right', 'right', 'right', 'right'], 'cache headings');
  t.same(await align('table.caches tbody tr:first-child > *'), ['left', 'right', 'right', 'right', 'right', 'right'], 'like their cells');
  const sqlAnswers = (await getJson(server, '/health')).body.sql_answers;
  t.equal(sqlAnswers.entries, 1, 'one SQL answer cached');
  const words = await page.locator('[data-field="sql-answers"]').innerText();
  t.match(words, /^1 entry, /, '"1 entry", not "1 entries"');
  t.match(words, /; \d+ (hit|hits), \d+ (miss|misses)\.$/);
  t.notMatch(words, /\b1 (hits|misses)\b/);
  t.match(await page.locator('[data-field="uptime"]').innerText(), /^(\d+ s|\d+ min \d+ s)$/, 'uptime as seconds, or minutes and seconds');
  t.same(await seriousViolations(page), [], 'health view: no serious or critical axe violations');

  // --- Statistics: each top value's count beside its bar, not over it; histograms as wide as their card.
  t.equal((await getJson(server, `${base}/statistics/refresh?detailed=true`, { method: 'POST' })).status, 200);
  const stats = (await getJson(server, `${base}/statistics`)).body;
  await page.goto(`/#/datasets/${dataset.id}/stats?version=${version.id}`);
  await page.locator('.histogram-plot canvas').first().waitFor();
  const weather = stats.columns.find((c: { column_name: string }) => c.column_name === 'weather');
  const tops = await page.$$eval('.stat-card[data-column="weather"] table.top-values tbody tr', (trs) =>
    trs.map((tr) => {
      const bar = tr.querySelector('.bar')!.getBoundingClientRect();
      const count = tr.querySelector('.bar-count')!.getBoundingClientRect();
      return { value: tr.querySelector('td')!.textContent, count: tr.querySelector('.bar-count')!.textContent, clear: count.left >= bar.right };
    }),
  );
  t.same(tops.map((r) => [r.value, r.count]), weather.top_values.map((v: { value: string; count: number }) => [v.value, String(v.count)]), 'top values equal the API');
  t.ok(tops.every((r) => r.clear), 'no count drawn over its bar');
  const plots = await page.$$eval('.histogram-plot', (els) => els.map((el) => ({ box: el.clientWidth, canvas: el.querySelector('.uplot')!.getBoundingClientRect().width })));
  t.ok(plots.length >= 4, `histograms drawn (${plots.length})`);
  t.ok(plots.every((p) => p.canvas >= p.box - 2 && p.canvas > 420), `each histogram spans its card (${plots.map((p) => `${Math.round(p.canvas)}/${p.box}`).join(', ')})`);
  t.same(await seriousViolations(page), [], 'statistics view: no serious or critical axe violations');
  await screenshot(page, 'first-look-stats');

  // --- Filters: only the operators the API takes for the column's type; each offered one is accepted.
  const schema = (await getJson(server, `${base}/schema`)).body.columns as { name: string; type: string }[];
  const first = (await getJson(server, `${base}/data?offset=0&limit=1`)).body.data[0];
  await page.goto(`/#/datasets/${dataset.id}?version=${version.id}`);
  await page.getByText('Filters', { exact: true }).click();
  await page.getByRole('button', { name: 'Add filter' }).click();
  for (const c of schema) {
    await page.getByLabel(/^Column/).selectOption(c.name);
    const ops = await page.getByLabel('Operator').evaluate((s: HTMLSelectElement) => [...s.options].map((o) => o.value));
    t.equal(ops.includes('contains'), c.type === 'string', `${c.name} (${c.type}): contains offered only for text`);
    t.equal(ops.includes('startswith'), c.type === 'string', `${c.name} (${c.type}): startswith offered only for text`);
    for (const op of ops) {
      const value = op === 'is_null' || op === 'not_null' ? '1' : String(first[c.name]);
      const res = await getJson(server, `${base}/data?offset=0&limit=1&filter[${encodeURIComponent(c.name)}]${op}=${encodeURIComponent(value)}`);
      t.equal(res.status, 200, `filter[${c.name}]${op}: the API takes it`);
    }
  }
  const refused = await getJson(server, `${base}/data?offset=0&limit=1&filter[temp_max]contains=1`);
  t.equal(refused.status, 400, 'the API refuses contains on a number column, which the page does not offer');

  // --- 390 px: the views changed here do not scroll the page sideways.
  await page.setViewportSize({ width: 390, height: 844 });
  for (const view of ['#/datasets?name=nothing-like-this', `#/datasets/${dataset.id}/sql?version=${version.id}&sql=${encodeURIComponent(sql)}`, '#/health', `#/datasets/${dataset.id}/stats?version=${version.id}`]) {
    await page.goto(`/${view}`);
    await page.waitForSelector(view.includes('sql') ? 'table.sql-result tbody tr' : view.includes('stats') ? '.histogram-plot canvas' : view.includes('health') ? '[data-field="uptime"]' : 'main .count');
    t.equal(await pageOverflowX(page), 0, `${view} at 390 px: no horizontal page scroll`);
  }
  t.same(errors, []);
  t.same(foreign, []);
});
