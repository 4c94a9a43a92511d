/**
 * Local backend: a version the catalog lists whose files are gone from the server (a disk lost, a file removed
 * by hand) answers 410 `data_lost` pointing to `npm run catalog -- check` — never a 500, never a server path.
 */
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { getJson, startServer, upload } from '../support/server.js';

t.test('missing sheet and source files: 410 data_lost', async (t) => {
  const server = await startServer(t, { backend: 'local' });
  const up = await upload(server, 'id,name\n1,Ada\n2,Grace\n', 'people.csv', { name: 'People' });
  t.equal(up.status, 201);
  const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;
  const [key] = readdirSync(join(server.dataDir, 'versions'));
  rmSync(join(server.dataDir, 'versions', key, 'sheet-0.parquet'));
  rmSync(join(server.dataDir, 'versions', key, 'source'));

  for (const path of [`${base}/data`, `${base}/statistics`]) {
    const res = await getJson(server, path);
    t.equal(res.status, 410, `${path}: 410`);
    t.equal(res.body.error_code, 'data_lost');
    t.match(res.body.detail, /files are missing on the server.*npm run catalog -- check/);
    t.notMatch(res.body.detail, server.dataDir, 'no server path in the answer');
  }
  const download = await fetch(`${server.url}${base}/download`);
  t.equal(download.status, 410, 'the download: 410');
  t.match(download.headers.get('content-type'), /^application\/json/, 'as a JSON error, without the file headers');
  t.equal(download.headers.get('content-disposition'), null);
  t.equal((await download.json()).error_code, 'data_lost');
  t.equal((await getJson(server, '/health')).status, 200, 'the server is fine');
});
