/**
 * The upload view's server-side phase, on both backends with API keys on: the page sends its upload with an
 * `X-Upload-Id`, polls GET /api/uploads/{id} once the bytes are up (with the key, which the API requires of the
 * upload's owner), and shows each phase it is told in its progress bar — asserted on what the page received and
 * what it showed, not on timing. The file is a few MB, named `*slow-parser*` so that (TEST_FAULTS=1, see
 * workers/test-faults.ts) its parser waits 1.5 s before reading: the parsing phase outlasts several polls on
 * any machine.
 */
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { launchBrowser, openPage, seriousViolations } from '../support/browser.js';
import { BACKENDS, getJson, startServer, tmpDir } from '../support/server.js';

const sha = (key: string) => createHash('sha256').update(key).digest('hex');
const ROWS = 120_000;

for (const backend of BACKENDS) {
  t.test(`${backend}: the upload's server phase in the progress bar`, async (t) => {
    const writer = randomBytes(24).toString('hex');
    const server = await startServer(t, { backend, env: { TEST_FAULTS: '1', API_KEYS: `writer:read+write:${sha(writer)}` } });
    const file = join(tmpDir(t), 'slow-parser-readings.csv');
    writeFileSync(file, 'id,station,reading,note\n' + Array.from({ length: ROWS }, (_, i) => `${i},station-${i % 97},${(i * 0.37).toFixed(2)},reading number ${i}`).join('\n') + '\n');

    const browser = await launchBrowser(t);
    const { page, errors, foreign } = await openPage(browser, server.url);
    await page.goto('/ui/style.css'); // a page of the origin that asks nothing of the API
    await page.evaluate((k) => sessionStorage.setItem('api-key', k), writer);
    await page.goto('/#/upload');
    await page.getByLabel(/^File/).waitFor();
    t.same(await seriousViolations(page), [], 'the upload view: no serious axe violations');

    // What the page is told (its GET /api/uploads/{id} answers) and what its bar and status say.
    const answers: Promise<{ id: string; status: number; body: any }>[] = [];
    page.on('response', (r) => {
      const m = /\/api\/uploads\/([^/?]+)$/.exec(r.url());
      if (m) answers.push(r.json().then((body) => ({ id: m[1]!, status: r.status(), body }), () => ({ id: m[1]!, status: r.status(), body: undefined })));
    });
    const uploadIds: string[] = [];
    page.on('request', (r) => {
      if (r.method() === 'POST' && r.url().endsWith('/api/datasets/upload')) uploadIds.push(r.headers()['x-upload-id'] ?? '');
    });
    await page.evaluate(() => {
      const seen: { bar: string[]; status: string[] } = { bar: [], status: [] };
      (window as unknown as { seen: typeof seen }).seen = seen;
      const note = () => {
        const bar = document.querySelector('.progress .progress-text')?.textContent?.trim();
        const status = document.querySelector('.upload-phase')?.textContent?.trim();
        if (bar && bar !== seen.bar.at(-1)) seen.bar.push(bar);
        if (status && status !== seen.status.at(-1)) seen.status.push(status);
      };
      new MutationObserver(note).observe(document.body, { subtree: true, childList: true, characterData: true });
    });

    await page.getByLabel(/^File/).setInputFiles(file);
    await page.getByLabel('Name').fill('readings');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.locator('.ok', { hasText: `Sheet1: ${ROWS.toLocaleString('en-US')} rows` }).waitFor({ timeout: 120_000 });

    const seen = await page.evaluate(() => (window as unknown as { seen: { bar: string[]; status: string[] } }).seen);
    const told = await Promise.all(answers);
    t.equal(uploadIds.length, 1, 'one upload');
    t.match(uploadIds[0], /^[0-9a-f]{32}$/, 'sent with a random X-Upload-Id');
    t.ok(told.length > 0 && told.every((a) => a.id === uploadIds[0]), 'the page asked for that upload’s progress');
    const phases = told.filter((a) => a.status === 200).map((a) => a.body.phase as string);
    t.ok(phases.includes('parsing'), `the API told the page it was parsing (${[...new Set(phases)].join(', ')})`);
    t.ok(seen.bar.some((s) => s.startsWith('Sending')), 'the bar showed the bytes going up');
    t.ok(seen.bar.includes('Parsing on the server…'), `the bar showed the parsing phase (${seen.bar.filter((s) => !s.startsWith('Sending')).join(' | ')})`);
    t.ok(seen.status.includes('Parsing on the server…'), 'and the status region said it');
    if (phases.includes('storing')) t.ok(seen.bar.includes('Storing…'), 'a storing answer was shown as Storing…');
    // Each server phase the page showed is one it was told, in the API's order.
    const order = ['receiving', 'parsing', 'storing'];
    const shownPhases = seen.bar.map((s) => (s.startsWith('Receiving') ? 'receiving' : s.startsWith('Parsing') ? 'parsing' : s === 'Storing…' ? 'storing' : undefined)).filter(Boolean) as string[];
    t.ok(shownPhases.every((p) => phases.includes(p)), 'the page showed only phases the API answered');
    t.same(shownPhases, [...shownPhases].sort((a, b) => order.indexOf(a) - order.indexOf(b)), 'in the API’s order');

    const progress = await getJson(server, `/api/uploads/${uploadIds[0]}`, { headers: { authorization: `Bearer ${writer}` } });
    t.equal(progress.body.phase, 'done', 'the API says the upload is done');
    const listed = await getJson(server, '/api/datasets?name=readings', { headers: { authorization: `Bearer ${writer}` } });
    t.equal(listed.body[0]?.row_count, ROWS, 'stored with every row');
    t.same(errors.filter((e) => !e.includes('status of 404')), [], 'no page errors (a poll before the request reached the server is a 404)');
    t.same(foreign, []);
  });
}
