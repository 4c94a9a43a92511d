/**
 * deploy/haproxy.cfg, run as it is (Debian's haproxy; .ci/run installs it when missing) in front of two instances
 * over one DATA_DIR and a PostgreSQL catalog the test starts: an upload through the balancer is read back through
 * it, whichever instance answers, and both instances serve.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { freePort } from '../support/embedded-postgres.js';
import { newCatalogDatabase } from '../support/postgres.js';
import { ROOT, getJson, startServer, tmpDir, upload, type Server } from '../support/server.js';

const HAPROXY = ['/usr/sbin/haproxy', '/usr/bin/haproxy'].find((p) => spawnSync(p, ['-v']).status === 0);

/** Data pages the server has answered, from its /metrics (counted by route template and status). */
async function pagesAnswered(server: Server): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return [...text.matchAll(/^http_requests_total\{[^}]*route="\/api\/datasets\/:id\/versions\/:vid\/data"[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

t.test('two instances behind deploy/haproxy.cfg', async (t) => {
  if (!HAPROXY) throw new Error('haproxy is not installed: apt-get install -y --no-install-recommends haproxy (.ci/run does it when missing)');
  const dataDir = tmpDir(t, 'balanced-');
  const env = { CATALOG_URL: await newCatalogDatabase() };
  const a = await startServer(t, { backend: 'local', dataDir, env });
  const b = await startServer(t, { backend: 'local', dataDir, env });
  const port = await freePort();
  const proxy = spawn(HAPROXY, ['-db', '-f', join(ROOT, 'deploy/haproxy.cfg')], {
    env: { PATH: process.env.PATH, LISTEN: `127.0.0.1:${port}`, INSTANCE_A: new URL(a.url).host, INSTANCE_B: new URL(b.url).host },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  proxy.stderr.on('data', (d) => (stderr += d));
  t.teardown(() => void proxy.kill('SIGKILL'));
  const lb = { url: `http://127.0.0.1:${port}` } as Server;
  let up: { status: number; body: any } | undefined;
  for (let i = 0; i < 100 && !up; i++) {
    up = await upload(lb, 'id,name\n1,Ada\n2,Grace\n', 'people.csv', { name: 'Balanced' }).catch(() => undefined);
    if (!up) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(up?.status, 201, `an upload through the balancer ${stderr}`);
  const before = [await pagesAnswered(a), await pagesAnswered(b)];
  const path = `/api/datasets/${up!.body.dataset.id}/versions/${up!.body.version.id}/data`;
  for (let i = 0; i < 20; i++) {
    const page = await getJson(lb, path);
    t.same(page.body.data, [{ id: 1, name: 'Ada' }, { id: 2, name: 'Grace' }], `read ${i + 1} through the balancer`);
  }
  const after = [await pagesAnswered(a), await pagesAnswered(b)];
  t.equal(after[0] - before[0] + after[1] - before[1], 20, 'every page was answered by one of them');
  t.ok(after[0] > before[0] && after[1] > before[1], `both instances served pages (${after[0] - before[0]} and ${after[1] - before[1]})`);
});
