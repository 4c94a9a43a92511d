/**
 * The page in a real Chromium against a real server, on both backends: upload a real file through the page,
 * find it in the list (search, tag filter, sort, paging — each compared with the API's own list), open it,
 * check the rows shown against the API's page, sort by header clicks (compared with the API's sorted page),
 * reload the shared URL; a dropped file uploads; a refused upload shows the API's status and detail; a cancelled upload stores
 * nothing; nulls show as "null". axe-core runs on each view; the page fits 390 px without horizontal scrolling.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { expectedCell, firstRowShown, gridRows, launchBrowser, openPage, pageOverflowX, screenshot, seriousViolations } from '../support/browser.js';
import { BACKENDS, ROOT, getJson, startServer, tmpDir, upload, type Server } from '../support/server.js';
import { writeFileSync } from 'node:fs';

const SEATTLE = join(ROOT, 'node_modules/vega-datasets/data/seattle-weather.csv');
const COLUMNS = ['date', 'precipitation', 'temp_max', 'temp_min', 'wind', 'weather'];

/** The API's rows `offset … offset+limit-1` as the texts the page should show. */
async function apiRows(server: Server, base: string, query: string, offset: number, limit: number, columns: string[]): Promise<string[][]> {
  const { status, body } = await getJson(server, `${base}/data?offset=${offset}&limit=${limit}${query}`);
  if (status !== 200) throw new Error(`data answered ${status}: ${JSON.stringify(body)}`);
  return body.data.map((row: Record<string, unknown>) => columns.map((c) => expectedCell(row[c])));
}

for (const backend of BACKENDS) {
  t.test(`${backend}: upload, list, open, sort and share through the page`, async (t) => {
    const server = await startServer(t, { backend });
    const browser = await launchBrowser(t);
    const { page, errors, foreign } = await openPage(browser, server.url);

    // --- Upload through the page
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Upload' }).click();
    t.equal(new URL(page.url()).hash, '#/upload');
    t.same(await seriousViolations(page), [], 'upload view: no serious or critical axe violations');
    await page.getByLabel(/^File/).setInputFiles(SEATTLE);
    await page.getByLabel('Name').fill('Seattle weather');
    await page.getByLabel('Description').fill('daily, 2012-2015');
    await page.getByLabel(/^Tags/).fill('weather, daily');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const ok = page.locator('.ok');
    await ok.waitFor({ timeout: 60_000 });
    const listed = await getJson(server, '/api/datasets?name=Seattle');
    t.equal(listed.body.length, 1, 'the API lists the dataset the page uploaded');
    const dataset = listed.body[0];
    t.match(dataset, { name: 'Seattle weather', description: 'daily, 2012-2015', tags: ['weather', 'daily'], version_count: 1 });
    t.equal(dataset.file_size, readFileSync(SEATTLE).length, 'the whole file went up');
    const versions = await getJson(server, `/api/datasets/${dataset.id}`);
    const version = versions.body.versions[0];
    t.match(await ok.innerText(), `Stored as version 1 of Seattle weather (Sheet1: ${version.row_count.toLocaleString('en-US')} rows)`);
    await screenshot(page, `${backend}-upload`);

    // More datasets through the API, for search, tags and paging.
    for (let i = 1; i <= 21; i++) {
      const r = await upload(server, `n,label\n${i},x${i}\n`, `bulk-${i}.csv`, { name: `bulk ${String(i).padStart(2, '0')}`, tags: i % 2 ? 'bulk,odd' : 'bulk' });
      t.equal(r.status, 201);
    }

    // --- The list: every row compared with the API's list for the same state
    async function checkList(hashQuery: string, apiQuery: string) {
      const api = await getJson(server, `/api/datasets?limit=20&${apiQuery}`);
      // The list renders asynchronously after the URL changes: wait (up to 10 s) for the API's ids, then compare.
      const ids = api.body.map((d: { id: number }) => String(d.id));
      await page
        .waitForFunction((ids) => [...document.querySelectorAll('table.datasets tbody tr')].map((r) => r.getAttribute('data-id')).join() === ids.join(), ids, { timeout: 10_000 })
        .catch(() => undefined);
      const shown = await page.$$eval('table.datasets tbody tr', (rows) =>
        rows.map((r) => ({ id: Number(r.getAttribute('data-id')), name: r.querySelector('th a')?.textContent, cells: [...r.querySelectorAll('td')].map((c) => c.textContent!.trim()) })),
      );
      t.same(shown.map((s) => s.id), api.body.map((d: { id: number }) => d.id), `#/datasets${hashQuery}: the API's datasets, in its order`);
      t.same(shown.map((s) => s.name), api.body.map((d: { name: string }) => d.name));
      // Digits only: the page writes the count in the browser's locale (1,461).
      t.same(
        shown.map((s) => s.cells[1].replace(/\D/g, '') || '—'),
        api.body.map((d: { row_count: number | null }) => (d.row_count === null ? '—' : String(d.row_count))),
        "rows: the current version's row count, as the list carries it",
      );
      t.same(shown.map((s) => s.cells[2]), api.body.map((d: { version_count: number }) => String(d.version_count)), 'versions');
      const total = api.headers.get('x-total-count');
      t.match(await page.locator('.count').innerText(), new RegExp(`of ${total}$`), 'the total from X-Total-Count');
    }
    await page.goto('/');
    await checkList('', 'sort_by=updated_at&sort_order=desc');
    t.same(await seriousViolations(page), [], 'datasets view: no serious or critical axe violations');
    await screenshot(page, `${backend}-datasets`);

    await page.getByLabel('Search by name').fill('seattle');
    await page.waitForURL(/name=seattle/);
    await checkList('?name=seattle', 'name=seattle&sort_by=updated_at&sort_order=desc');

    await page.getByLabel('Search by name').fill('');
    await page.waitForURL((u) => !u.hash.includes('name='));
    await page.getByLabel('Tag').selectOption('odd');
    await page.getByLabel('Sort by').selectOption('name');
    await page.getByLabel('Order').selectOption('asc');
    await page.waitForURL(/tag=odd.*sort=name.*order=asc/);
    await checkList('?tag=odd&sort=name&order=asc', 'tags=odd&sort_by=name&sort_order=asc');

    await page.getByLabel('Tag').selectOption('bulk');
    await page.waitForURL(/tag=bulk/);
    await checkList('?tag=bulk (page 1)', 'tags=bulk&sort_by=name&sort_order=asc');
    await page.getByRole('button', { name: 'Next' }).click();
    await page.waitForURL(/page=2/);
    await checkList('?tag=bulk&page=2', 'tags=bulk&sort_by=name&sort_order=asc&offset=20');
    await page.reload();
    await checkList('?tag=bulk&page=2 after a reload', 'tags=bulk&sort_by=name&sort_order=asc&offset=20');
    t.equal(await page.getByLabel('Tag').inputValue(), 'bulk', 'the controls show the URL state after a reload');

    // --- Open the dataset: the table view
    await page.goto('/#/datasets?name=weather');
    await page.getByRole('link', { name: 'Seattle weather' }).click();
    await page.waitForURL(new RegExp(`#/datasets/${dataset.id}`));
    const base = `/api/datasets/${dataset.id}/versions/${version.id}`;
    t.same(await gridRows(page, 0, 10, COLUMNS), await apiRows(server, base, '', 0, 10, COLUMNS), 'the first rows shown are the API first page');
    const schema = await getJson(server, `${base}/schema`);
    const headers = await page.$$eval('.typed-header', (hs) => hs.map((h) => [h.querySelector('.h-name')!.textContent, h.querySelector('.h-type')!.textContent]));
    t.same(headers, schema.body.columns.map((c: { name: string; type: string }) => [c.name, c.type]), 'headers show the names and types of …/schema');
    t.match(await page.locator('.table-controls .count').innerText(), `${version.row_count.toLocaleString('en-US')} rows`);
    t.same(await seriousViolations(page), [], 'table view: no serious or critical axe violations');
    await screenshot(page, `${backend}-table`);

    // Sort: click temp_max twice (descending), shift-click date (second key, ascending).
    const header = (name: string) => page.locator(`.ag-header-cell[col-id="${name}"] .typed-header`);
    await header('temp_max').click();
    await header('temp_max').click();
    await header('date').click({ modifiers: ['Shift'] });
    await page.waitForURL(/sort=-temp_max%2Cdate|sort=-temp_max,date/);
    const sorted = await apiRows(server, base, '&sort=-temp_max,date', 0, 10, COLUMNS);
    await page.waitForFunction((first) => document.querySelector('.ag-grid-scrolling-container .ag-row[row-index="0"] .ag-cell[col-id="date"]')?.textContent === first, sorted[0][0]);
    t.same(await gridRows(page, 0, 10, COLUMNS), sorted, 'sorted rows equal the API page for sort=-temp_max,date');
    t.equal(await header('temp_max').locator('.h-sort').innerText(), '▼1');
    t.equal(await header('date').locator('.h-sort').innerText(), '▲2');

    // Scroll down a little; the URL keeps the first row; a reload of it shows the same rows.
    await page.getByLabel('Go to row').fill('700');
    await page.getByRole('button', { name: 'Go' }).click();
    await page.waitForURL(/row=700/);
    const at700 = await apiRows(server, base, '&sort=-temp_max,date', 699, 8, COLUMNS);
    t.same(await gridRows(page, 699, 8, COLUMNS), at700, 'row 700 onwards equal the API page at offset=699');
    const shared = page.url();
    const { page: fresh } = await openPage(browser, server.url);
    await fresh.goto(shared);
    t.same(await gridRows(fresh, 699, 8, COLUMNS), at700, 'the shared URL reloads to the same sorted rows');
    const firstShown = await firstRowShown(fresh);
    t.equal(firstShown, 699, 'the reloaded grid starts at row 700 (index 699), right under the header');
    await fresh.context().close();

    // Facets beside the table: the API's most frequent values; a click filters on one.
    const facets = (await getJson(server, `${base}/facets?columns=weather&limit=8`)).body.facets[0];
    await page.locator('.facet[data-column="weather"] li').nth(facets.values.length - 1).waitFor();
    const facetShown = await page.$$eval('.facet[data-column="weather"] button.facet-value', (bs) => bs.map((b) => [b.getAttribute('data-value'), b.querySelector('.facet-count')!.textContent]));
    t.same(facetShown, facets.values.map((v: { value: string; count: number }) => [v.value, v.count.toLocaleString('en-US')]), 'facets equal the API facets');
    await page.locator('.facet[data-column="weather"] button.facet-value[data-value="fog"]').click();
    await page.waitForURL(/filter%5Bweather%5Deq=fog/);
    const fog = await apiRows(server, base, '&sort=-temp_max,date&filter[weather]eq=fog', 0, 5, COLUMNS);
    await page.waitForFunction((first) => document.querySelector('.ag-grid-scrolling-container .ag-row[row-index="0"] .ag-cell[col-id="date"]')?.textContent === first, fog[0][0]);
    t.same(await gridRows(page, 0, 5, COLUMNS), fog, 'a facet click shows the API rows for filter[weather]eq=fog');
    await page.goto(`/#/datasets/${dataset.id}?version=${version.id}&sort=-temp_max%2Cdate`);
    await page.waitForFunction((first) => document.querySelector('.ag-grid-scrolling-container .ag-row[row-index="0"] .ag-cell[col-id="date"]')?.textContent === first, sorted[0][0]);

    // Filters (the API's operators) and the column chooser: rows compared with the API's filtered page.
    await page.getByText('Filters', { exact: true }).click();
    await page.getByRole('button', { name: 'Add filter' }).click();
    await page.getByLabel(/^Column/).selectOption('weather');
    await page.getByLabel('Operator').selectOption('eq');
    await page.getByLabel('Value').fill('sun');
    // The table re-renders whenever an answer arrives (a page, the facets); a filter being edited stays.
    await page.evaluate(async () => {
      const table = document.querySelector('ds-table') as unknown as { requestUpdate(): void; updateComplete: Promise<unknown> };
      table.requestUpdate();
      await table.updateComplete;
    });
    t.equal(await page.getByLabel('Value').inputValue(), 'sun', 'a re-render of the table keeps the filter being edited');
    t.equal(await page.getByLabel(/^Column/).inputValue(), 'weather');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/filter%5Bweather%5Deq=sun/);
    const filtered = await getJson(server, `${base}/data?offset=0&limit=10&sort=-temp_max,date&filter[weather]eq=sun`);
    const filteredRows = filtered.body.data.map((r: Record<string, unknown>) => COLUMNS.map((c) => expectedCell(r[c])));
    await page.waitForFunction((n) => document.querySelector('.table-controls .count')?.textContent === n, `${filtered.body.total_rows.toLocaleString('en-US')} rows match`);
    t.same(await gridRows(page, 0, 10, COLUMNS), filteredRows, 'filtered, sorted rows equal the API page for filter[weather]eq=sun');

    await page.getByText(/^Columns \(/).click();
    await page.getByRole('checkbox', { name: 'wind' }).uncheck();
    await page.waitForURL(/columns=/);
    const fewer = COLUMNS.filter((c) => c !== 'wind');
    await page.waitForFunction(() => document.querySelector('.ag-header-cell[col-id="date"]') && !document.querySelector('.ag-header-cell[col-id="wind"]'));
    t.same(await page.$$eval('.typed-header .h-name', (hs) => hs.map((h) => h.textContent)), fewer, 'the chosen columns, in the sheet order');
    const projected = await getJson(server, `${base}/data?offset=0&limit=10&sort=-temp_max,date&filter[weather]eq=sun&columns=${fewer.join(',')}`);
    t.same(projected.body.columns, fewer);
    t.same(await gridRows(page, 0, 10, fewer), projected.body.data.map((r: Record<string, unknown>) => fewer.map((c) => expectedCell(r[c]))));
    // Exports of this view (filtered, sorted, projected): the browser's downloads equal the API's exports.
    await page.getByText('Export', { exact: true }).click();
    const viewQuery = `sort=-temp_max,date&filter[weather]eq=sun&columns=${fewer.join(',')}`;
    for (const [label, format] of [['CSV', 'csv'], ['NDJSON', 'ndjson'], ['Parquet', 'parquet']]) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: `Export ${label}` }).click()]);
      const got = readFileSync((await download.path())!);
      const want = Buffer.from(await (await fetch(`${server.url}${base}/data?format=${format}&${viewQuery}`)).arrayBuffer());
      if (format === 'parquet') {
        t.equal(got.subarray(0, 4).toString(), 'PAR1', 'a Parquet file');
        t.equal(got.length, want.length, 'the Parquet export of this view, as the API writes it');
      } else {
        t.ok(got.equals(want), `the ${label} download is the API's export of this view`);
      }
    }
    const csvLines = readFileSync((await (await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Export CSV' }).click()]))[0].path())!, 'utf8').trim().split('\n');
    t.equal(csvLines[0], fewer.join(','), 'the CSV holds the shown columns');
    t.equal(csvLines.length - 1, filtered.body.total_rows, 'and every filtered row');

    const { page: again } = await openPage(browser, server.url);
    await again.goto(page.url());
    t.same(await gridRows(again, 0, 10, fewer), projected.body.data.map((r: Record<string, unknown>) => fewer.map((c) => expectedCell(r[c]))), 'the filtered view reloads from its URL');
    t.equal(await again.getByLabel('Value').inputValue(), 'sun', 'the filter panel shows the URL filter');
    t.same(await seriousViolations(again), [], 'table view with filters open: no serious or critical axe violations');
    await screenshot(again, `${backend}-table-filtered`);
    await again.context().close();

    t.same(errors.splice(0), [], 'no page errors or console errors before the refused filter');
    // A filter the column's type cannot hold: the API's 400 in words.
    const badFilter = await getJson(server, `${base}/data?offset=0&limit=10&filter[temp_max]gte=warm`);
    t.equal(badFilter.status, 400);
    await page.goto(`/#/datasets/${dataset.id}?filter%5Btemp_max%5Dgte=warm`);
    await page.locator('main .error').waitFor();
    t.equal(await page.locator('main .error').innerText(), `400 Bad request: ${badFilter.body.detail}`);
    // The browser logs each refused request itself (the page's /data and, racing it, possibly another with the
    // same filter, which may be logged later): 400s are expected from here on; nothing else may be logged.
    t.ok(errors.some((e) => e.includes('status of 400')), 'the refused request was logged by the browser');

    // --- 390 px wide: no horizontal scrolling of the page on any view
    const { page: narrow, errors: narrowErrors } = await openPage(browser, server.url, { width: 390, height: 844 });
    for (const view of ['#/datasets', '#/upload', `#/datasets/${dataset.id}`]) {
      await narrow.goto(`/${view}`);
      await narrow.waitForSelector(view === '#/upload' ? 'form.upload' : view === '#/datasets' ? 'table.datasets tbody tr' : '.ag-row');
      t.equal(await pageOverflowX(narrow), 0, `${view} at 390 px: no horizontal page scroll`);
      await screenshot(narrow, `${backend}-390-${view === '#/datasets' ? 'list' : view === '#/upload' ? 'upload' : 'table'}`);
    }
    t.same(narrowErrors, [], 'no page errors at 390 px');
    await narrow.context().close();

    t.same(errors.filter((e) => !e.includes('status of 400')), [], 'no page errors or console errors (the refused filter aside)');
    t.same(foreign, [], 'nothing requested from outside the service');
  });

  t.test(`${backend}: a refused upload shows the API's status and detail; cancel stores nothing; nulls show as null`, async (t) => {
    const server = await startServer(t, { backend });
    const browser = await launchBrowser(t);
    const { page, foreign } = await openPage(browser, server.url);
    const dir = tmpDir(t);

    // A refusal: the same file through the API gives the status and detail the page must show.
    const bad = join(dir, 'notes.pdf');
    writeFileSync(bad, '%PDF-1.4 not a table');
    const refused = await upload(server, readFileSync(bad), 'notes.pdf', { name: 'notes' });
    t.equal(refused.status, 415);
    await page.goto('/#/upload');
    await page.getByLabel(/^File/).setInputFiles(bad);
    await page.getByLabel('Name').fill('notes');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const error = page.locator('.drop .error');
    await error.waitFor();
    t.equal(await error.innerText(), `415 Unsupported type: ${refused.body.detail}`, 'the status in words and the API detail, next to the file');
    t.equal((await getJson(server, '/api/datasets')).headers.get('x-total-count'), '0');

    // Cancel while the bytes go up (the upload is throttled so there is time to cancel it).
    const big = join(dir, 'big.csv');
    writeFileSync(big, 'id,text\n' + Array.from({ length: 200_000 }, (_, i) => `${i},row number ${i}`).join('\n'));
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
    await page.goto('/#/upload');
    await page.getByLabel(/^File/).setInputFiles(big);
    await page.getByLabel('Name').fill('cancelled');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.locator('.progress', { hasText: 'Sending' }).waitFor();
    await page.getByRole('button', { name: 'Cancel upload' }).click();
    await page.locator('.note', { hasText: 'Upload cancelled; nothing was stored.' }).waitFor();
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await new Promise((r) => setTimeout(r, 1500));
    const after = await getJson(server, '/api/datasets?name=cancelled');
    t.same(after.body, [], 'the API has no dataset from the cancelled upload');
    t.equal(after.headers.get('x-total-count'), '0');

    // A file dropped on the drop zone is uploaded like a chosen one.
    await page.goto('/#/upload');
    const dropped = await page.evaluateHandle(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['a,b\n1,2\n3,4\n'], 'dropped.csv', { type: 'text/csv' }));
      return dt;
    });
    await page.dispatchEvent('.drop', 'dragover', { dataTransfer: dropped });
    await page.dispatchEvent('.drop', 'drop', { dataTransfer: dropped });
    await page.locator('.drop .file', { hasText: 'dropped.csv' }).waitFor();
    await page.getByLabel('Name').fill('dropped');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.locator('.ok', { hasText: 'Sheet1: 2 rows' }).waitFor({ timeout: 60_000 });
    t.equal((await getJson(server, '/api/datasets?name=dropped')).body[0]?.file_size, 12, 'the dropped file went up whole');

    // Nulls: an empty CSV cell is null in the API and "null" (styled) on the page.
    const withNulls = await upload(server, 'city,population\nLyon,522250\nNowhere,\n', 'cities.csv', { name: 'cities' });
    t.equal(withNulls.status, 201);
    const base = `/api/datasets/${withNulls.body.dataset.id}/versions/${withNulls.body.version.id}`;
    const api = await apiRows(server, base, '', 0, 2, ['city', 'population']);
    t.same(api[1], ['Nowhere', 'null'], 'the API row holds a null');
    await page.goto(`/#/datasets/${withNulls.body.dataset.id}`);
    t.same(await gridRows(page, 0, 2, ['city', 'population']), api);
    const nullCell = page.locator('.ag-row[row-index="1"] .ag-cell[col-id="population"]');
    t.ok(await nullCell.evaluate((c) => c.classList.contains('cell-null')), 'the null cell is styled as null');
    t.same(foreign, []);
  });
}
