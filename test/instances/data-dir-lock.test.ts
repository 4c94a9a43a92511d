/**
 * One instance per DATA_DIR with the embedded SQLite catalog (src/instances/data-dir-lock.ts): a second one is
 * refused at start with one line that points to CATALOG_URL, and an instance that was killed does not keep its
 * DATA_DIR locked.
 */
import t from 'tap';
import { getJson, startRefused, startServer, tmpDir, upload } from '../support/server.js';

t.test('a second instance on a DATA_DIR with the SQLite catalog is refused', async (t) => {
  const dataDir = tmpDir(t, 'lock-');
  const first = await startServer(t, { backend: 'local', dataDir });
  t.equal((await upload(first, 'a\n1\n', 'one.csv')).status, 201);

  const second = await startRefused(dataDir);
  t.equal(second.code, 2, 'exits with status 2');
  t.match(second.stderr, new RegExp(`^configuration error: DATA_DIR ${dataDir} is in use by another instance \\(pid ${first.proc.pid} on .*\\); .*CATALOG_URL=postgres://.*\\n$`), 'one line naming the holder and CATALOG_URL');
  t.equal((await getJson(first, '/api/datasets')).body.length, 1, 'the first instance is untouched');

  // Killed, it cannot release the lock; the next start sees its pid gone and takes over.
  await first.kill();
  const next = await startServer(t, { backend: 'local', dataDir });
  t.equal((await getJson(next, '/api/datasets')).body.length, 1, 'a restart after a kill starts, with the data');
  await next.stop();
  const after = await startServer(t, { backend: 'local', dataDir });
  t.equal((await getJson(after, '/health')).status, 200, 'a clean stop released it too');
});
