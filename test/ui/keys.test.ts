/**
 * The page where API keys are on, on both backends: without a key the list shows the API's 401 in words;
 * a key entered once is kept in sessionStorage (never in the URL) and sent on every request, so the list,
 * the table and an upload work; for a read-only key (which the API refuses uploads with a 403) the page offers
 * no upload, and #/upload opened by URL says it needs the write scope.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { gridRows, launchBrowser, openPage, seriousViolations } from '../support/browser.js';
import { BACKENDS, getJson, startServer, tmpDir } from '../support/server.js';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');

for (const backend of BACKENDS) {
  t.test(`${backend}: an API key entered once is sent on every request, never in a URL`, async (t) => {
    const writer = randomBytes(24).toString('hex');
    const reader = randomBytes(24).toString('hex');
    const server = await startServer(t, { backend, env: { API_KEYS: `writer:read+write+admin:${sha(writer)},reader:read:${sha(reader)}` } });
    const auth = (key: string) => ({ authorization: `Bearer ${key}` });
    const form = new FormData();
    form.set('name', 'cities');
    form.set('file', new Blob(['city,population\nLyon,522250\nNice,342669\n']), 'cities.csv');
    const up = await fetch(`${server.url}/api/datasets/upload`, { method: 'POST', body: form, headers: auth(writer) });
    t.equal(up.status, 201);
    const { dataset, version } = await up.json();

    const browser = await launchBrowser(t);
    const { page, foreign } = await openPage(browser, server.url);
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));

    const unauthorized = await getJson(server, '/api/datasets');
    t.equal(unauthorized.status, 401);
    await page.goto('/');
    await page.locator('main .error').waitFor();
    t.equal(await page.locator('main .error').innerText(), `401 Unauthorized: ${unauthorized.body.detail}`);

    // A read-only key: reading works, an upload is refused with the API's 403.
    await page.getByRole('button', { name: 'API key' }).click();
    t.same(await seriousViolations(page), [], 'the key dialog: no serious or critical axe violations');
    await page.getByRole('textbox', { name: 'Key' }).fill(reader);
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.locator('table.datasets tbody tr').first().waitFor();
    t.equal(await page.locator('table.datasets tbody th a').first().innerText(), 'cities');
    t.equal(await page.evaluate(() => sessionStorage.getItem('api-key')), reader, 'kept in sessionStorage');
    t.equal(await page.getByRole('button', { name: 'API key: set' }).count(), 1);

    const dir = tmpDir(t);
    const file = join(dir, 'more.csv');
    writeFileSync(file, 'a,b\n1,2\n');
    const forbidden = await fetch(`${server.url}/api/datasets/upload`, { method: 'POST', body: (() => { const f = new FormData(); f.set('name', 'more'); f.set('file', new Blob(['a,b\n1,2\n']), 'more.csv'); return f; })(), headers: auth(reader) });
    t.equal(forbidden.status, 403);
    const forbiddenBody = await forbidden.json();
    t.match(forbiddenBody.detail, /"write" scope/, 'the API refuses a read key’s upload for want of write');
    // The page knows it before trying (GET /api/access): no Upload link, and #/upload opened by URL says why.
    t.equal(await page.locator('header nav a[href="#/upload"]').isVisible(), false, 'no Upload link for a read key');
    await page.goto('/#/upload');
    const refusal = page.locator('main .needs-scope');
    await refusal.waitFor();
    t.equal(await refusal.innerText(), 'Uploading a file needs the “write” scope; the API key “reader” has read only. Enter another key with “API key” above.');
    t.equal(await page.locator('input[type=file]').count(), 0, 'no upload form');

    // The writer's key: the upload goes through; the table reads with the key.
    await page.getByRole('button', { name: 'API key: set' }).click();
    await page.getByRole('textbox', { name: 'Key' }).fill(writer);
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.waitForLoadState();
    await page.getByLabel(/^File/).setInputFiles(file);
    await page.getByLabel('Name').fill('more');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.locator('.ok').waitFor({ timeout: 60_000 });
    const listed = await getJson(server, '/api/datasets?name=more', { headers: auth(writer) });
    t.equal(listed.body.length, 1, 'uploaded with the writer key');
    await page.goto(`/#/datasets/${dataset.id}?version=${version.id}`);
    t.same(await gridRows(page, 0, 2, ['city', 'population']), [['Lyon', '522250'], ['Nice', '342669']]);

    t.notOk(urls.some((u) => u.includes(writer) || u.includes(reader)), 'no URL ever carried a key');
    await page.getByRole('button', { name: 'API key: set' }).click();
    await page.getByRole('button', { name: 'Forget the key' }).click();
    await page.locator('main .error').waitFor();
    t.equal(await page.evaluate(() => sessionStorage.getItem('api-key')), null, 'forgotten');
    t.same(foreign, []);
  });
}
