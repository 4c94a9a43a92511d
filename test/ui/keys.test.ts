/**
 * The page where API keys are on, on both backends: without a key every view is a prompt to enter one (a
 * button opens the key dialog); a refused key is named as refused, with the API's 401 in words; an accepted one
 * by its name (GET /api/access);
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
    // No key yet: a prompt to enter one, not the list's 401 over an empty table.
    await page.locator('main .key-prompt').waitFor();
    t.equal(await page.locator('main h1').innerText(), 'API key needed');
    t.match(await page.locator('main .key-prompt').innerText(), /^This service needs an API key to show its datasets\./);
    t.equal(await page.locator('main .error').count(), 0, 'no error shown for a key not entered yet');
    t.equal(await page.locator('table.datasets, nav.pager').count(), 0, 'no empty list, no pager');
    t.notOk(await page.locator('main').innerText().then((s) => s.includes('No datasets match')), 'no "No datasets match."');
    t.equal(await page.locator('header ds-key button.key-button').innerText(), 'API key');
    t.same(await seriousViolations(page), [], 'the key prompt: no serious or critical axe violations');

    // A read-only key, entered through the prompt's button: reading works, an upload is refused with the API's 403.
    await page.getByRole('button', { name: 'Enter an API key' }).click();
    t.ok(await page.locator('dialog[open]').isVisible(), 'the prompt opens the key dialog');
    t.same(await seriousViolations(page), [], 'the key dialog: no serious or critical axe violations');
    await page.getByRole('textbox', { name: 'Key' }).fill(reader);
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.locator('table.datasets tbody tr').first().waitFor();
    t.equal(await page.locator('table.datasets tbody th a').first().innerText(), 'cities');
    t.equal(await page.evaluate(() => sessionStorage.getItem('api-key')), reader, 'kept in sessionStorage');
    const readerAccess = await getJson(server, '/api/access', { headers: auth(reader) });
    t.equal(readerAccess.body.key_name, 'reader');
    await page.getByRole('button', { name: `API key: ${readerAccess.body.key_name}`, exact: true }).waitFor();
    t.pass('the header names the key as GET /api/access does');

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
    await page.getByRole('button', { name: 'API key: reader' }).click();
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
    await page.getByRole('button', { name: 'API key: writer', exact: true }).waitFor();

    // A wrong key: the header says it was refused, the view says so in the API's words and offers to change it.
    const wrong = randomBytes(24).toString('hex');
    const refused = await getJson(server, '/api/access', { headers: auth(wrong) });
    t.equal(refused.status, 401);
    await page.getByRole('button', { name: 'API key: writer' }).click();
    await page.getByRole('textbox', { name: 'Key' }).fill(wrong);
    await page.getByRole('button', { name: 'Use this key' }).click();
    await page.locator('main .key-refused').waitFor();
    t.equal(await page.locator('header ds-key button.key-button').innerText(), 'API key: refused');
    t.equal(await page.locator('main .key-refused').innerText(), `The service refused the API key you entered: 401 Unauthorized: ${refused.body.detail}.`);
    t.equal(await page.locator('ag-grid, .ag-root, table.datasets').count(), 0, 'no empty grid or list under the refusal');
    t.same(await seriousViolations(page), [], 'the refused key: no serious or critical axe violations');
    await page.getByRole('button', { name: 'Change the API key' }).click();
    t.ok(await page.locator('dialog[open] .error').isVisible(), 'the dialog says the key was refused');
    await page.getByRole('button', { name: 'Forget the key' }).click();
    await page.locator('main .key-prompt').waitFor();
    t.equal(await page.evaluate(() => sessionStorage.getItem('api-key')), null, 'forgotten');
    t.same(foreign, []);
  });
}
