/**
 * A dataset's page in a real Chromium, on both backends: a new version uploaded through the page, the
 * versions table compared with the API, a download of the original file (the browser's own download, bytes
 * compared), editing name, description and tags (checked through the API), and delete behind a confirmation
 * (kept on "Keep it", gone after "Delete"). axe-core on the view and on the open dialog.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { launchBrowser, openPage, pageOverflowX, screenshot, seriousViolations } from '../support/browser.js';
import { BACKENDS, getJson, startServer, tmpDir, upload } from '../support/server.js';

const V1 = 'city,population\nLyon,522250\nNice,342669\n';
const V2 = 'city,population,coastal\nLyon,522250,false\nNice,342669,true\nBrest,139602,true\n';

for (const backend of BACKENDS) {
  t.test(`${backend}: versions, download, edit and delete through the page`, async (t) => {
    const server = await startServer(t, { backend });
    const dir = tmpDir(t);
    const first = await upload(server, V1, 'cities.csv', { name: 'cities', tags: 'geo' });
    t.equal(first.status, 201);
    const id = first.body.dataset.id;
    const browser = await launchBrowser(t);
    const { page, errors, foreign } = await openPage(browser, server.url);

    // A new version through the upload view, picked from "Add to".
    const v2file = join(dir, 'cities-2.csv');
    writeFileSync(v2file, V2);
    await page.goto('/#/upload');
    await page.getByLabel(/^File/).setInputFiles(v2file);
    await page.getByLabel('Add to').selectOption(String(id));
    t.ok(await page.getByLabel('Name').isDisabled(), 'a new version takes no name (the dataset keeps its own)');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.locator('.ok', { hasText: 'Stored as version 2 of cities' }).waitFor({ timeout: 60_000 });
    const dataset = (await getJson(server, `/api/datasets/${id}`)).body;
    t.equal(dataset.version_count, 2, 'the API has the second version');

    // The versions table equals the API's versions, newest first.
    await page.goto(`/#/datasets/${id}/about`);
    await page.locator('table.versions tbody tr').nth(1).waitFor();
    const rows = await page.$$eval('table.versions tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => c.textContent!.trim())));
    t.same(
      rows.map((r) => [r[0], r[1], r[3]]),
      dataset.versions.map((v: { version_number: number; file_name: string; row_count: number }) => [`v${v.version_number}`, v.file_name, v.row_count.toLocaleString('en-US')]),
      'version, file and rows as the API lists them',
    );
    t.same(await seriousViolations(page), [], 'dataset view: no serious or critical axe violations');
    await screenshot(page, `${backend}-dataset`);

    // Download of the original file: the browser's own download, byte for byte.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download v1' }).click()]);
    t.equal(download.suggestedFilename(), 'cities.csv');
    t.equal(readFileSync((await download.path())!, 'utf8'), V1, 'the original bytes of version 1');

    // Version tags: set on v1, move to v2, remove; each checked through the API.
    const [v2, v1] = dataset.versions as { id: number; version_number: number }[];
    await page.getByRole('textbox', { name: 'New tag' }).fill('production');
    await page.getByLabel('Version for the new tag').selectOption(String(v1.id));
    await page.getByRole('button', { name: 'Set tag' }).click();
    await page.locator('li[data-tag="production"]').waitFor();
    t.equal((await getJson(server, `/api/datasets/${id}/tags/production`)).body.version_id, v1.id, 'the API has the tag on v1');
    await page.getByLabel('Move production to').selectOption(String(v2.id));
    await page.getByRole('button', { name: 'Move', exact: true }).click();
    await page.locator('li[data-tag="production"]', { hasText: 'production → v2' }).waitFor();
    t.equal((await getJson(server, `/api/datasets/${id}/tags/production`)).body.version_id, v2.id, 'moved to v2');
    t.equal(await page.locator(`tr[data-version="${v2.id}"] .tag`).innerText(), 'production', 'the versions table shows the tag');
    t.same(await seriousViolations(page), [], 'dataset view with a tag: no serious or critical axe violations');

    // Schema comparison, v1 → v2, equals the API's.
    await page.getByRole('button', { name: 'Compare' }).click();
    await page.locator('.comparison li').first().waitFor();
    const compared = await getJson(server, `/api/datasets/${id}/schema/compare`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ version_id_1: v1.id, version_id_2: v2.id }),
    });
    const shownChanges = await page.$$eval('.comparison li', (lis) => lis.map((li) => [li.getAttribute('data-column'), li.getAttribute('data-change')]));
    t.same(shownChanges, compared.body.changes.map((c: { column: string; change_type: string }) => [c.column, c.change_type]), 'the changes the API reports');
    t.ok(shownChanges.some(([c, k]) => c === 'coastal' && k === 'added'), 'coastal was added');

    await page.getByRole('button', { name: 'Remove production' }).click();
    await page.locator('li[data-tag="production"]').waitFor({ state: 'detached' });
    t.equal((await getJson(server, `/api/datasets/${id}/tags/production`)).status, 404, 'the tag is gone');

    // Delete one version, after the browser's confirm().
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Delete v1' }).click();
    await page.locator(`tr[data-version="${v1.id}"]`).waitFor({ state: 'detached' });
    t.same((await getJson(server, `/api/datasets/${id}`)).body.versions.map((v: { id: number }) => v.id), [v2.id], 'only v2 is left');

    // Edit name, description and tags.
    await page.getByLabel('Name').fill('French cities');
    await page.getByLabel('Description').fill('population, 2020');
    await page.getByLabel(/^Tags/).fill('geo, france');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    t.match((await getJson(server, `/api/datasets/${id}`)).body, { name: 'French cities', description: 'population, 2020', tags: ['geo', 'france'] }, 'the API has the edits');
    t.equal(await page.locator('h1').innerText(), 'French cities');

    // A refused edit shows the API's detail (an empty name).
    await page.getByLabel('Name').fill(' ');
    await page.getByRole('button', { name: 'Save' }).click();
    const refused = await getJson(server, `/api/datasets/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: ' ' }) });
    t.equal(refused.status, 400);
    await page.locator('main .error').waitFor();
    t.equal(await page.locator('main .error').innerText(), `400 Bad request: ${refused.body.detail}`);
    errors.splice(0, errors.length, ...errors.filter((e) => !e.includes('status of 400')));

    // 390 px wide: no horizontal page scroll.
    await page.setViewportSize({ width: 390, height: 844 });
    t.equal(await pageOverflowX(page), 0, 'the dataset view fits 390 px');
    await page.setViewportSize({ width: 1280, height: 800 });

    // Delete behind a confirmation.
    await page.getByRole('button', { name: 'Delete this dataset…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete “French cities”?' });
    await dialog.waitFor();
    t.same(await seriousViolations(page), [], 'the open dialog: no serious or critical axe violations');
    await dialog.getByRole('button', { name: 'Keep it' }).click();
    t.equal((await getJson(server, `/api/datasets/${id}`)).status, 200, '"Keep it" deletes nothing');
    await page.getByRole('button', { name: 'Delete this dataset…' }).click();
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.waitForURL(/#\/datasets$/);
    t.equal((await getJson(server, `/api/datasets/${id}`)).status, 404, 'the dataset is gone');
    t.equal((await getJson(server, '/api/datasets')).headers.get('x-total-count'), '0', 'no dataset left');
    await page.locator('.count.empty', { hasText: 'No datasets yet.' }).waitFor(); // nothing left, no search: the empty service's words

    t.same(errors, [], 'no page errors');
    t.same(foreign, []);
  });
}
