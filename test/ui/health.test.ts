/**
 * The health view in a real Chromium, on both backends: what it shows equals GET /health (status, backend,
 * pools), and it updates live: after an upload through the API the parse pool's completed count shown rises
 * to the API's count without a reload.
 */
import t from 'tap';
import { launchBrowser, openPage, pageOverflowX, screenshot, seriousViolations } from '../support/browser.js';
import { BACKENDS, getJson, startServer, upload } from '../support/server.js';

for (const backend of BACKENDS) {
  t.test(`${backend}: the health view follows GET /health live`, async (t) => {
    const server = await startServer(t, { backend });
    const browser = await launchBrowser(t);
    const { page, errors, foreign } = await openPage(browser, server.url);
    await page.goto('/');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Health' }).click();
    await page.locator('[data-field="status"]').waitFor();
    const health = (await getJson(server, '/health')).body;
    t.equal(await page.locator('[data-field="status"]').innerText(), health.status);
    t.equal(await page.locator('[data-field="backend"]').innerText(), backend);
    const pools = await page.$$eval('table.pools tbody tr', (trs) => trs.map((tr) => [tr.getAttribute('data-pool'), tr.querySelectorAll('td')[0].textContent]));
    t.same(pools, health.workers.pools.map((p: { name: string; threads: number }) => [p.name, String(p.threads)]), 'the pools and their threads');

    const parseDone = async () => Number(await page.locator('tr[data-pool="parse"] [data-field="completed"]').innerText());
    const before = await parseDone();
    t.equal((await upload(server, 'a,b\n1,2\n', 'x.csv', { name: 'x' })).status, 201);
    const after = (await getJson(server, '/health')).body.workers.pools.find((p: { name: string }) => p.name === 'parse').completed;
    t.ok(after > before, 'the upload ran a parse task');
    await page.waitForFunction((n) => Number(document.querySelector('tr[data-pool="parse"] [data-field="completed"]')?.textContent) >= n, after, { timeout: 10_000 });
    t.ok((await parseDone()) >= after, 'the view updated without a reload');
    await page.locator('[data-field="datasets"]', { hasText: '1' }).waitFor();

    t.same(await seriousViolations(page), [], 'health view: no serious or critical axe violations');
    await screenshot(page, `${backend}-health`);
    await page.setViewportSize({ width: 390, height: 844 });
    t.equal(await pageOverflowX(page), 0, 'the health view fits 390 px');
    t.same(errors, []);
    t.same(foreign, []);
  });
}
