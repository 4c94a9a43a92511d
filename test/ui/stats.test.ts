/**
 * The statistics view in a real Chromium, on both backends: each column's numbers equal GET …/statistics;
 * "Compute histograms and top values" asks the API for detailed statistics, after which each histogram's bins
 * (its text alternative) equal the API's, uPlot draws it, and text columns show the API's top values.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { launchBrowser, openPage, pageOverflowX, screenshot, seriousViolations } from '../support/browser.js';
import { BACKENDS, ROOT, getJson, startServer, upload } from '../support/server.js';

const SEATTLE = readFileSync(join(ROOT, 'node_modules/vega-datasets/data/seattle-weather.csv'));

interface ColumnStats {
  column_name: string;
  null_count: number;
  unique_count: number;
  histogram?: { bin_edges: unknown[]; counts: number[] };
  top_values?: { value: unknown; count: number }[];
}

for (const backend of BACKENDS) {
  t.test(`${backend}: statistics and charts through the page`, async (t) => {
    const server = await startServer(t, { backend });
    const up = await upload(server, SEATTLE, 'seattle-weather.csv', { name: 'seattle' });
    const { dataset, version } = up.body;
    const base = `/api/datasets/${dataset.id}/versions/${version.id}`;
    const browser = await launchBrowser(t);
    const { page, errors, foreign } = await openPage(browser, server.url);

    await page.goto(`/#/datasets/${dataset.id}`);
    await page.getByRole('link', { name: 'Statistics' }).click();
    await page.locator('.stat-card').first().waitFor();
    const plain = (await getJson(server, `${base}/statistics`)).body;
    for (const c of plain.columns as ColumnStats[]) {
      const card = page.locator(`.stat-card[data-column="${c.column_name}"]`);
      t.equal(await card.locator('[data-stat="null_count"]').innerText(), String(c.null_count), `${c.column_name}: nulls`);
      t.equal(await card.locator('[data-stat="unique_count"]').innerText(), String(c.unique_count), `${c.column_name}: distinct`);
    }

    if (!plain.detailed) await page.getByRole('button', { name: 'Compute histograms and top values' }).click();
    await page.locator('.histogram-plot canvas').first().waitFor();
    const detailed = (await getJson(server, `${base}/statistics`)).body;
    t.equal(detailed.detailed, true, 'the API now holds detailed statistics');
    for (const c of detailed.columns as ColumnStats[]) {
      const card = page.locator(`.stat-card[data-column="${c.column_name}"]`);
      if (c.histogram) {
        const bins = await card.locator('figure table tbody tr td:nth-child(2)').allInnerTexts();
        t.same(bins.map(Number), c.histogram.counts, `${c.column_name}: histogram bins equal the API's`);
        t.equal(await card.locator('.histogram-plot canvas').count(), 1, `${c.column_name}: uPlot drew the histogram`);
      }
      if (c.top_values) {
        const rows = await card.locator('table.top-values tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('td')!.textContent, tr.querySelector('.bar-count')!.textContent]));
        t.same(rows, c.top_values.map((v) => [v.value === null ? 'null' : String(v.value), String(v.count)]), `${c.column_name}: top values equal the API's`);
      }
    }
    t.ok((detailed.columns as ColumnStats[]).some((c) => c.top_values), 'a text column has top values');
    t.same(await seriousViolations(page), [], 'statistics view: no serious or critical axe violations');
    await screenshot(page, `${backend}-statistics`);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator('.histogram-plot canvas').first().waitFor();
    t.equal(await pageOverflowX(page), 0, 'the statistics view fits 390 px');
    t.same(errors, []);
    t.same(foreign, []);
  });
}
