/**
 * Upload progress (`X-Upload-Id` on POST /api/datasets/upload, GET /api/uploads/{id}), both backends, API keys
 * on: a body sent in two halves is seen receiving with the bytes of the first half, then parsing/storing in
 * order and done with every byte; refusals and abandoned uploads end as failed; another key sees nothing.
 */
import { execFileSync } from 'node:child_process';
import { request } from 'node:http';
import { join } from 'node:path';
import t from 'tap';
import { formAroundFile } from '../../support/multipart.js';
import { BACKENDS, ROOT, getJson, startServer, type Server } from '../../support/server.js';

function makeKey(name: string, scopes: string): { key: string; entry: string } {
  const out = execFileSync(process.execPath, [join(ROOT, 'dist/src/cli/api-key.js'), name, scopes], { encoding: 'utf8' });
  return { key: /key .*: (\S+)/.exec(out)![1], entry: /API_KEYS entry: (\S+)/.exec(out)![1] };
}
const writer = makeKey('writer', 'write');
const other = makeKey('other', 'write');
const auth = (k: { key: string }) => ({ authorization: `Bearer ${k.key}` });

const BOUNDARY = '----progress-test';
/** A multipart body with a name field and a CSV file. */
function multipart(name: string, csv: string): Buffer {
  const { head, tail } = formAroundFile({ name }, 'data.csv', { fileType: 'text/csv', boundary: BOUNDARY });
  return Buffer.concat([head, Buffer.from(csv), tail]);
}
const bigCsv = (rows: number) => 'id,label,value\n' + Array.from({ length: rows }, (_, i) => `${i},label number ${i % 977},${(i * 1.5).toFixed(1)}`).join('\n') + '\n';

/** Starts an upload whose body is written by the caller; resolves the answer's status when it comes. */
function openUpload(server: Server, id: string, length: number) {
  const url = new URL(`${server.url}/api/datasets/upload`);
  const req = request({
    host: url.hostname,
    port: url.port,
    path: url.pathname,
    method: 'POST',
    headers: { ...auth(writer), 'x-upload-id': id, 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': String(length) },
  });
  const answered = new Promise<{ status: number; body: any }>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
  });
  return { req, answered };
}

const progress = (server: Server, id: string, key = writer) => getJson(server, `/api/uploads/${id}`, { headers: auth(key) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ORDER = ['receiving', 'parsing', 'storing', 'done'];

for (const backend of BACKENDS) {
  t.test(`${backend} backend`, async (t) => {
    const server = await startServer(t, { backend, env: { API_KEYS: `${writer.entry},${other.entry}` } });

    t.test('receiving with the bytes sent, then the phases in order, then done with every byte', async (t) => {
      const id = crypto.randomUUID();
      const body = multipart('progress', bigCsv(150_000));
      const half = Math.floor(body.length / 2);
      const { req, answered } = openUpload(server, id, body.length);
      req.write(body.subarray(0, half));
      let during: any;
      for (let i = 0; i < 200; i++) {
        during = await progress(server, id);
        if (during.status === 200 && during.body.bytes_received >= half - 256 * 1024) break;
        await sleep(20);
      }
      t.equal(during.status, 200);
      t.equal(during.body.phase, 'receiving', 'half the body sent: receiving');
      t.equal(during.body.bytes_expected, body.length, 'bytes_expected is the Content-Length');
      t.ok(during.body.bytes_received <= half && during.body.bytes_received >= half - 256 * 1024, `bytes_received ${during.body.bytes_received} ≈ the ${half} sent`);
      t.match(await progress(server, id, other), { status: 404, body: { error_code: 'upload_not_found' } }, 'another key does not see it');

      const seen: string[] = [];
      let done = false;
      void answered.then(() => (done = true));
      req.end(body.subarray(half));
      while (!done) {
        const p = await progress(server, id);
        if (seen.at(-1) !== p.body.phase) seen.push(p.body.phase);
      }
      const answer = await answered;
      t.equal(answer.status, 201);
      const after = await progress(server, id);
      t.same(after.body, { upload_id: id, phase: 'done', bytes_received: body.length, bytes_expected: body.length }, 'done, every byte');
      if (seen.at(-1) !== 'done') seen.push('done');
      t.same(seen, [...seen].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)), `phases in order: ${seen.join(' → ')}`);
      t.ok(seen.includes('parsing'), 'parsing was seen while the server read 150,000 rows');
    });

    t.test('a refused file and an abandoned upload end as failed; ids are checked', async (t) => {
      const bad = multipart('ragged', 'a,b\n1,2\n3,4,5\n');
      const ragged = crypto.randomUUID();
      const refused = openUpload(server, ragged, bad.length);
      refused.req.end(bad);
      t.equal((await refused.answered).status, 422);
      t.match((await progress(server, ragged)).body, { phase: 'failed' });

      const gone = crypto.randomUUID();
      const body = multipart('gone', bigCsv(50_000));
      const abandoned = openUpload(server, gone, body.length);
      abandoned.answered.catch(() => {});
      abandoned.req.write(body.subarray(0, 100_000));
      for (let i = 0; i < 100 && (await progress(server, gone)).status !== 200; i++) await sleep(20);
      // A second upload with the same id while the first runs is refused.
      const twin = openUpload(server, gone, bad.length);
      twin.req.end(bad);
      t.match(await twin.answered, { status: 400, body: { detail: /X-Upload-Id .* still running/ } });
      t.equal((await progress(server, gone)).body.phase, 'receiving', 'the first one is untouched');
      abandoned.req.destroy();
      let phase = '';
      for (let i = 0; i < 100 && phase !== 'failed'; i++) {
        phase = (await progress(server, gone)).body.phase;
        if (phase !== 'failed') await sleep(20);
      }
      t.equal(phase, 'failed', 'the client went away');
      const list = await getJson(server, '/api/datasets?name=gone', { headers: auth(writer) });
      t.equal(list.body.length, 0, 'nothing stored');

      t.match(await progress(server, 'never-sent-1234'), { status: 404, body: { detail: /no upload with X-Upload-Id never-sent-1234/ } });
      t.match(await progress(server, 'short'), { status: 400 }, 'an id that cannot be one');
      const badId = openUpload(server, 'no spaces allowed', bad.length);
      badId.req.end(bad);
      t.match(await badId.answered, { status: 400, body: { detail: /x-upload-id/ } });
    });
  });
}
