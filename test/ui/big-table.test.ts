/**
 * A 200,000-row table in the page, on both backends: the scrollbar spans the whole sheet, a jump to row
 * 150,001 shows the API's `offset=150000` rows and loads only the blocks around it (never the start), and the
 * URL of that view reloads to the same rows, again without reading from the start. Keyboard only, Tab
 * reaches a column header and Enter sorts by it.
 */
import t from 'tap';
import { expectedCell, firstRowShown, gridRows, launchBrowser, openPage, screenshot } from '../support/browser.js';
import { BACKENDS, getJson, startServer, upload } from '../support/server.js';

const ROWS = 200_000;
const TARGET = 150_000; // 0-based index of the row jumped to
const COLUMNS = ['id', 'label', 'value', 'day'];

/** id, a label, a float with a null every 7th row, a date. */
function bigCsv(): string {
  const lines = ['id,label,value,day'];
  for (let i = 0; i < ROWS; i++) {
    const day = new Date(Date.UTC(2000, 0, 1) + (i % 9000) * 86_400_000).toISOString().slice(0, 10);
    lines.push(`${i},label ${i % 997},${i % 7 === 0 ? '' : (i * 0.25).toFixed(2)},${day}`);
  }
  return lines.join('\n') + '\n';
}

for (const backend of BACKENDS) {
  t.test(`${backend}: jump far into a 200k-row table and share the view`, async (t) => {
    const server = await startServer(t, { backend });
    const up = await upload(server, bigCsv(), 'big.csv', { name: 'big' });
    t.equal(up.status, 201, 'uploaded through the API');
    t.equal(up.body.version.row_count, ROWS);
    const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;
    const api = await getJson(server, `${base}/data?offset=${TARGET}&limit=10`);
    t.equal(api.headers.get('x-total-rows'), String(ROWS));
    const expected = api.body.data.map((row: Record<string, unknown>) => COLUMNS.map((c) => expectedCell(row[c])));
    t.ok(expected.some((r: string[]) => r[2] === 'null'), 'the rows compared hold a null');

    const browser = await launchBrowser(t);
    const { page, errors, foreign } = await openPage(browser, server.url);
    const offsets: number[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === `${base}/data`) offsets.push(Number(url.searchParams.get('offset')));
    });

    const opened = Date.now();
    await page.goto(`/#/datasets/${up.body.dataset.id}`);
    await gridRows(page, 0, 5, COLUMNS);
    t.comment(`first rows of the ${ROWS}-row table shown ${Date.now() - opened} ms after navigation (${backend}, page and modules loaded from the service)`);
    t.match(await page.locator('.table-controls .count').innerText(), '200,000 rows');
    const scrollHeight = await page.evaluate(() => document.querySelector('.grid .ag-grid-viewport, .grid .ag-body-viewport')!.scrollHeight);
    t.ok(scrollHeight >= ROWS * 40 * 0.99 || scrollHeight > 1_000_000, `the scroll area spans the whole table (${scrollHeight} px)`);

    offsets.length = 0;
    const started = Date.now();
    await page.getByLabel('Go to row').fill(String(TARGET + 1));
    await page.getByLabel('Go to row').press('Enter');
    const shown = await gridRows(page, TARGET, 10, COLUMNS);
    const took = Date.now() - started;
    t.same(shown, expected, `rows ${TARGET + 1}… equal the API's offset=${TARGET} page`);
    t.comment(`jump to row ${TARGET + 1} showed its rows in ${took} ms (${backend})`);
    t.ok(offsets.length > 0 && offsets.every((o) => Math.abs(o - TARGET) <= 200), `the jump read only blocks around row ${TARGET} (offsets ${offsets.join(', ')})`);
    await page.waitForURL(new RegExp(`row=${TARGET + 1}`));
    t.equal(await firstRowShown(page), TARGET, 'the row jumped to is the first row under the header');
    await screenshot(page, `${backend}-table-far`);

    // The shared URL, in a fresh page: the same rows, and the start of the table is never read.
    const { page: fresh, errors: freshErrors } = await openPage(browser, server.url);
    const freshOffsets: number[] = [];
    fresh.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname === `${base}/data`) freshOffsets.push(Number(url.searchParams.get('offset')));
    });
    await fresh.goto(page.url());
    t.same(await gridRows(fresh, TARGET, 10, COLUMNS), expected, 'the shared URL reloads to the same rows');
    t.equal(await firstRowShown(fresh), TARGET);
    t.ok(freshOffsets.length > 0 && freshOffsets.every((o) => Math.abs(o - TARGET) <= 200), `the reload read only blocks around row ${TARGET} (offsets ${freshOffsets.join(', ')})`);

    // Keyboard only: Tab reaches a column header, Enter sorts by it (twice: descending), as the API sorts.
    await fresh.getByLabel('Go to row').focus();
    let onHeader = false;
    for (let i = 0; i < 20 && !onHeader; i++) {
      await fresh.keyboard.press('Tab');
      onHeader = await fresh.evaluate(() => document.activeElement?.closest('.ag-header-cell')?.getAttribute('col-id') === 'id');
    }
    t.ok(onHeader, 'Tab reaches the first column header');
    t.ok(await fresh.evaluate(() => document.activeElement!.matches(':focus-visible')), 'the header has keyboard focus (:focus-visible, which the grid theme outlines)');
    await fresh.keyboard.press('Enter');
    await fresh.waitForURL(/sort=id/);
    await fresh.keyboard.press('Enter');
    await fresh.waitForURL(/sort=-id/);
    const desc = (await getJson(server, `${base}/data?offset=0&limit=5&sort=-id`)).body.data.map((row: Record<string, unknown>) => COLUMNS.map((c) => expectedCell(row[c])));
    await fresh.waitForFunction((first) => document.querySelector('.ag-grid-scrolling-container .ag-row[row-index="0"] .ag-cell[col-id="id"]')?.textContent === first, desc[0][0]);
    t.same(await gridRows(fresh, 0, 5, COLUMNS), desc, 'Enter twice on the header sorts descending, as the API does');

    t.same([...errors, ...freshErrors], [], 'no page errors');
    t.same(foreign, []);
  });
}
