/**
 * The page where API keys are on, on both backends: it shows only the controls a key's scopes allow, as
 * GET /api/access tells them and as the API enforces them (read: no upload, edit, tags, SQL, comparison or
 * delete; write: all but deletes; admin: all), and a view the key cannot use, opened by its URL, says which
 * scope it needs. Exports and the original file download through single-use download tokens: the browser's
 * downloads equal the API's own answers fetched with the key, no URL the page asks for holds the key, and a
 * second GET of a token URL is refused as the API refuses it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import type { Page } from 'playwright-core';
import { launchBrowser, openPage, screenshot, seriousViolations } from '../support/browser.js';
import { BACKENDS, getJson, startServer, type Server } from '../support/server.js';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const V1 = 'city,population\nLyon,522250\nNice,342669\nParis,2133111\nAnnecy,130721\nBastia,48503\n';
const V2 = 'city,population,region\nLyon,522250,ARA\nNice,342669,PACA\n';

/** Uses `key` from now on, as the key dialog does (sessionStorage, then a reload), and opens `hash`. */
async function useKey(page: Page, key: string, hash: string): Promise<void> {
  await page.goto('/ui/style.css'); // a page of the origin that asks nothing of the API
  await page.evaluate((k) => sessionStorage.setItem('api-key', k), key);
  await page.goto(`/${hash}`);
}

async function uploadAs(server: Server, key: string, csv: string, fields: Record<string, string>) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('file', new Blob([csv]), 'cities.csv');
  const res = await fetch(`${server.url}/api/datasets/upload`, { method: 'POST', body: form, headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, body: await res.json() };
}

/** The cells of a workbook's first sheet, row by row (exceljs, as the service writes it). */
async function xlsxCells(bytes: Buffer): Promise<unknown[]> {
  const { default: excel } = await import('exceljs');
  const book = new excel.Workbook();
  await book.xlsx.load(bytes as unknown as ArrayBuffer);
  return book.worksheets[0]!.getSheetValues().map((row) => (Array.isArray(row) ? row.slice(1) : row));
}

/** Whether each control is on the page now (the view has rendered). */
async function controls(page: Page) {
  const shown = async (selector: string) => (await page.locator(selector).count()) > 0 && page.locator(selector).first().isVisible();
  return {
    uploadNav: await shown('header nav a[href="#/upload"]'),
    uploadNewVersion: await shown('main a:text-is("Upload a new version")'),
    editForm: await shown('main form.edit'),
    tagForms: await shown('main form:has(button:text-is("Set tag"))'),
    moveTag: await shown('main button:text-is("Move")'),
    compare: await shown('main button:text-is("Compare")'),
    deleteVersion: await shown('main button:text-is("Delete v1")'),
    deleteDataset: await shown('main button:text-is("Delete this dataset…")'),
    download: await shown('main :text-is("Download v1")'),
  };
}

for (const backend of BACKENDS) {
  t.test(`${backend}: controls by scope, downloads by token`, async (t) => {
    const keys = { reader: randomBytes(24).toString('hex'), writer: randomBytes(24).toString('hex'), admin: randomBytes(24).toString('hex') };
    const server = await startServer(t, {
      backend,
      env: { API_KEYS: `reader:read:${sha(keys.reader)},writer:read+write:${sha(keys.writer)},admin:read+write+admin:${sha(keys.admin)}` },
    });
    const auth = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });
    const first = await uploadAs(server, keys.admin, V1, { name: 'cities' });
    t.equal(first.status, 201);
    const ds = first.body.dataset.id as number;
    const v1 = first.body.version.id as number;
    t.equal((await uploadAs(server, keys.admin, V2, { dataset_id: String(ds) })).status, 201);
    t.equal((await getJson(server, `/api/datasets/${ds}/tags/production`, { method: 'POST', body: JSON.stringify({ version_id: v1 }), ...{ headers: { ...auth(keys.admin).headers, 'content-type': 'application/json' } } })).status, 201);

    const browser = await launchBrowser(t);
    const { page, errors, foreign } = await openPage(browser, server.url);
    const urls: string[] = [];
    page.on('request', (r) => urls.push(r.url()));

    // What each key may do, as the API says, and what the dataset view offers it.
    const expected = {
      reader: { scopes: ['read'], write: false, admin: false },
      writer: { scopes: ['read', 'write'], write: true, admin: false },
      admin: { scopes: ['read', 'write', 'admin'], write: true, admin: true },
    } as const;
    for (const [name, want] of Object.entries(expected) as [keyof typeof keys, (typeof expected)[keyof typeof keys]][]) {
      const access = await getJson(server, '/api/access', auth(keys[name]));
      t.same(access.body, { auth: 'api_key', key_name: name, scopes: want.scopes }, `GET /api/access for the ${name} key`);
      await useKey(page, keys[name], `#/datasets/${ds}/about`);
      await page.locator('main table.versions tbody tr').first().waitFor();
      t.same(
        await controls(page),
        {
          uploadNav: want.write,
          uploadNewVersion: want.write,
          editForm: want.write,
          tagForms: want.write,
          moveTag: want.write,
          compare: want.write,
          deleteVersion: want.admin,
          deleteDataset: want.admin,
          download: true,
        },
        `the ${name} key (${want.scopes.join(', ')}): only the controls its scopes allow`,
      );
      // Refused controls are said in words where the view has them, and the API refuses the same actions.
      if (!want.write) {
        t.equal(await page.locator('main .about-fields dd').first().innerText(), 'none', 'the description as text, not a form');
        const patch = await getJson(server, `/api/datasets/${ds}`, { method: 'PATCH', body: '{}', headers: { ...auth(keys[name]).headers, 'content-type': 'application/json' } });
        t.match(patch, { status: 403, body: { detail: /"write" scope/ } }, 'the API refuses an edit without write');
      }
      if (!want.admin) {
        t.match(await page.locator('main .needs-scope').last().innerText(), /^Deleting a version or the dataset needs the “admin” scope; the API key “\w+” has/);
        t.match(await getJson(server, `/api/datasets/${ds}/versions/${v1}`, { method: 'DELETE', ...auth(keys[name]) }), { status: 403, body: { detail: /"admin" scope/ } }, 'the API refuses a delete without admin');
      }
      t.same(await seriousViolations(page), [], `the dataset view for the ${name} key: no serious axe violations`);
      if (name === 'reader') await screenshot(page, `scopes-about-reader-${backend}`);
      if (name === 'writer') {
        // The tags arriving after the dataset: the view shows both at once, never the versions beside "No version tags yet."
        await page.route('**/api/datasets/*/tags', async (route) => {
          await new Promise((r) => setTimeout(r, 400));
          await route.continue();
        });
        await page.reload();
        await page.locator('main table.versions tbody tr').first().waitFor();
        t.equal(await page.locator('main ul.version-tags li[data-tag="production"]').count(), 1, 'with a slow tags answer, the versions come with their tags');
        t.equal(await page.locator('main :text("No version tags")').count(), 0, 'never "No version tags" for a dataset that has one');
        await page.unroute('**/api/datasets/*/tags');
      }

      // The list and the table: an upload link and the SQL link only with write, and no link to a view the key cannot use.
      await page.goto(`/#/datasets/${ds}?version=${v1}`);
      await page.locator('main .links a:text-is("Statistics")').waitFor();
      t.equal(await page.locator('main .links a:text-is("SQL")').count(), want.write ? 1 : 0, `the table view's SQL link for ${name}`);
      await page.goto('/#/datasets');
      await page.locator('table.datasets tbody tr').first().waitFor();
      t.equal(await page.locator('main a:text-is("Upload a file")').count(), want.write ? 1 : 0, `the list's upload link for ${name}`);
      if (!want.write) {
        const hrefs = await page.$$eval('a[href^="#/"]', (as) => as.filter((a) => a.checkVisibility()).map((a) => a.getAttribute('href')!));
        t.notOk(hrefs.some((h) => h.startsWith('#/upload') || h.includes('/sql')), 'no visible link to a view the read key cannot use');
      }
    }

    // A read key opening write views by their URL: the page says what they need, as the API would refuse them.
    await useKey(page, keys.reader, '#/upload');
    const refusal = page.locator('main .needs-scope');
    await refusal.waitFor();
    t.equal(await refusal.innerText(), 'Uploading a file needs the “write” scope; the API key “reader” has read only. Enter another key with “API key” above.');
    t.equal(await page.locator('input[type=file]').count(), 0, 'no upload form');
    t.match(await uploadAs(server, keys.reader, V1, { name: 'nope' }), { status: 403, body: { detail: /"write" scope/ } }, 'the API refuses it the same');
    t.same(await seriousViolations(page), [], 'the refused upload view: no serious axe violations');
    await page.goto(`/#/datasets/${ds}/sql?version=${v1}&sql=SELECT%201`);
    await page.locator('main .needs-scope', { hasText: 'Running SQL needs the “write” scope' }).waitFor();
    t.equal(await page.locator('main textarea').count(), 0, 'no SQL editor');
    const sql = await getJson(server, `/api/datasets/${ds}/versions/${v1}/query`, { method: 'POST', body: JSON.stringify({ sql: 'SELECT 1' }), headers: { ...auth(keys.reader).headers, 'content-type': 'application/json' } });
    t.match(sql, { status: 403, body: { detail: /"write" scope/ } });
    await page.goto(`/#/datasets/${ds}/stats?version=${v1}`);
    await page.locator('main .needs-scope', { hasText: 'Computing histograms and top values needs the “write” scope' }).waitFor();
    t.equal(await page.getByRole('button', { name: 'Compute histograms and top values' }).count(), 0, 'no refresh button for a read key');

    // Exports of a filtered, sorted, projected view with the read key: each a download through a token.
    const view = 'sort=-population&filter[population]gt=100000&columns=city,population';
    await page.goto(`/#/datasets/${ds}?version=${v1}&${view}`);
    await page.locator('.ag-row[row-index="0"]').waitFor();
    await page.getByText('Export', { exact: true }).click();
    // The tokens the page minted (its POST …/download-tokens answers) and the URLs the browser downloaded.
    const minted: Promise<string>[] = [];
    page.on('response', (r) => {
      if (r.request().method() === 'POST' && r.url().endsWith('/download-tokens')) minted.push(r.json().then((b) => b.url as string));
    });
    const downloads: string[] = [];
    for (const [label, format] of [['CSV', 'csv'], ['NDJSON', 'ndjson'], ['Parquet', 'parquet'], ['Arrow', 'arrow-file'], ['Excel (xlsx)', 'xlsx']]) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: `Export ${label}` }).click()]);
      downloads.push(download.url());
      const got = readFileSync((await download.path())!);
      const res = await fetch(`${server.url}/api/datasets/${ds}/versions/${v1}/data?format=${format}&${view}`, auth(keys.reader));
      t.equal(res.status, 200);
      const want = Buffer.from(await res.arrayBuffer());
      if (format === 'xlsx') {
        // Each workbook is stamped with the time it was written: compare their sheets' cells instead.
        t.same(await xlsxCells(got), await xlsxCells(want), 'the xlsx download holds the cells of the API’s export of this view');
        t.same((await xlsxCells(got))[1], ['city', 'population'], 'the shown columns');
      } else {
        t.ok(got.equals(want), `the ${label} download is the API's export of this view`);
      }
      if (format === 'csv') t.equal(got.toString(), 'city,population\nParis,2133111\nLyon,522250\nNice,342669\nAnnecy,130721\n');
    }
    t.same(downloads.map((u) => new URL(u).pathname), await Promise.all(minted), 'each export downloaded the URL of a token the page minted');
    t.ok(downloads.every((u) => /^\/api\/downloads\/[A-Za-z0-9_-]{43}$/.test(new URL(u).pathname) && new URL(u).search === ''), 'token URLs, with nothing else in them');
    urls.push(...downloads);
    const again = await getJson(server, new URL(downloads[0]!).pathname);
    t.match(again, { status: 404, body: { error_code: 'download_token_not_found', detail: /already used/ } }, 'a token URL works once');
    t.same(await seriousViolations(page), [], 'the table view with token exports: no serious axe violations');

    // The original file, through a token too.
    await page.goto(`/#/datasets/${ds}/about`);
    const [original] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download v1' }).click()]);
    t.equal(original.suggestedFilename(), 'cities.csv');
    const want = Buffer.from(await (await fetch(`${server.url}/api/datasets/${ds}/versions/${v1}/download`, auth(keys.reader))).arrayBuffer());
    t.ok(readFileSync((await original.path())!).equals(want), 'the original file, as GET …/download answers it with the key');
    t.equal(want.toString(), V1);
    t.equal(new URL(original.url()).pathname, (await Promise.all(minted))[5], 'downloaded through the token the page minted');
    urls.push(original.url());
    t.match(await getJson(server, new URL(original.url()).pathname), { status: 404, body: { error_code: 'download_token_not_found' } }, 'its token works once');

    t.notOk(urls.some((u) => Object.values(keys).some((k) => u.includes(k))), 'no URL the page asked for held a key');
    t.same(errors, [], 'no page errors');
    t.same(foreign, []);
  });
}
