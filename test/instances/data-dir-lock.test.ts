/**
 * One instance per DATA_DIR with the embedded SQLite catalog (src/instances/data-dir-lock.ts): a second one is
 * refused at start with one line that points to CATALOG_URL, and an instance that was killed does not keep its
 * DATA_DIR locked.
 */
import { spawn } from 'node:child_process';
import t from 'tap';
import { MAIN, getJson, startServer, tmpDir, upload } from '../support/server.js';

/** Starts the service on `dataDir` and resolves with its exit code and stderr (it is expected to exit). */
function startExpectingExit(dataDir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [MAIN], {
      cwd: dataDir,
      env: { PATH: process.env.PATH!, STORAGE_BACKEND: 'local', PORT: '0', DATA_DIR: dataDir, WORKERS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    proc.stderr.on('data', (d) => (stderr += d));
    proc.on('exit', (code) => resolve({ code, stderr }));
    // Should it start after all, end it so the test fails on its exit code rather than hanging.
    proc.stdout.on('data', (d) => /Server listening/.test(String(d)) && proc.kill('SIGKILL'));
  });
}

t.test('a second instance on a DATA_DIR with the SQLite catalog is refused', async (t) => {
  const dataDir = tmpDir(t, 'lock-');
  const first = await startServer(t, { backend: 'local', dataDir });
  t.equal((await upload(first, 'a\n1\n', 'one.csv')).status, 201);

  const second = await startExpectingExit(dataDir);
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
