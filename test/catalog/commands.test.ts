/**
 * The catalog commands (src/cli/catalog.ts), run as an operator runs them: `copy-to-postgres` moves an existing
 * SQLite catalog into PostgreSQL (a real one the test starts) and the service then answers every request as it did
 * before; `check` finds versions whose files are gone and directories no version owns, and `--repair` fixes both.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import pg from 'pg';
import { newCatalogDatabase } from '../support/postgres.js';
import { ROOT, getJson, startRefused, startServer, tmpDir, upload, type Server } from '../support/server.js';

function runCommand(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [join(ROOT, 'dist/src/cli/catalog.js'), ...args], {
      cwd: env.DATA_DIR,
      env: { PATH: process.env.PATH!, STORAGE_BACKEND: 'local', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d) => (stdout += d));
    proc.stderr.on('data', (d) => (stderr += d));
    proc.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** What a client sees of everything the server holds. */
async function snapshot(server: Server): Promise<unknown> {
  const datasets = (await getJson(server, '/api/datasets?sort_by=created_at&sort_order=asc')).body;
  const out: unknown[] = [];
  for (const d of datasets) {
    const versions = (await getJson(server, `/api/datasets/${d.id}/versions`)).body;
    const tags = (await getJson(server, `/api/datasets/${d.id}/tags`)).body;
    const pages = [];
    for (const v of versions) {
      pages.push((await getJson(server, `/api/datasets/${d.id}/versions/${v.id}`)).body);
      pages.push((await getJson(server, `/api/datasets/${d.id}/versions/${v.id}/data`)).body);
      pages.push((await getJson(server, `/api/datasets/${d.id}/versions/${v.id}/statistics`)).body);
    }
    out.push({ d, versions, tags, pages });
  }
  return out;
}

t.test('copy-to-postgres: the same answers from the PostgreSQL catalog', async (t) => {
  const dataDir = tmpDir(t, 'copy-');
  const sqlite = await startServer(t, { backend: 'local', dataDir });
  const a = await upload(sqlite, 'id,name\n1,Ada\n2,Grace\n', 'people.csv', { name: 'People', description: 'the first', tags: 'team,ops' });
  await upload(sqlite, 'id,name\n1,Ada\n2,Grace\n3,Linus\n', 'people-2.csv', { dataset_id: String(a.body.dataset.id) });
  const b = await upload(sqlite, 'x;y\n1,5;2\n', 'semi.csv', { name: 'Ümlaut ДАННЫЕ' });
  await fetch(`${sqlite.url}/api/datasets/${a.body.dataset.id}/tags/prod`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ version_id: a.body.version.id, description: 'pinned' }) });
  await fetch(`${sqlite.url}/api/datasets/${b.body.dataset.id}/versions/${b.body.version.id}`, { method: 'DELETE' });
  const c = await upload(sqlite, 'q\n7\n', 'later.csv', { dataset_id: String(b.body.dataset.id) });
  t.equal(c.body.version.version_number, 2, 'numbers are never reused after a delete (in SQLite)');
  const before = await snapshot(sqlite);

  const url = await newCatalogDatabase();
  const whileRunning = await runCommand(['copy-to-postgres'], { DATA_DIR: dataDir, CATALOG_URL: url });
  t.equal(whileRunning.code, 2, 'refused while the service runs on the DATA_DIR');
  t.match(whileRunning.stderr, /in use by another instance/);
  await sqlite.stop();

  // Started with CATALOG_URL before the copy, every version would look uncatalogued: refused, nothing touched.
  const early = await startRefused(dataDir, { CATALOG_URL: url });
  t.equal(early.code, 2);
  t.match(early.stderr, /^configuration error: DATA_DIR .* holds a SQLite catalog \(catalog\.sqlite\): .*copy-to-postgres/);
  t.equal(readdirSync(join(dataDir, 'versions')).length, 3, 'every version directory is still there');

  const copy = await runCommand(['copy-to-postgres'], { DATA_DIR: dataDir, CATALOG_URL: url });
  t.equal(copy.code, 0, copy.stderr);
  t.match(copy.stdout, /^copied 2 datasets, 3 versions, 3 sheets, \d+ statistics, 1 version_tags into CATALOG_URL/);

  t.ok(existsSync(join(dataDir, 'catalog.sqlite.moved-to-postgres')) && !existsSync(join(dataDir, 'catalog.sqlite')), 'the SQLite catalog was set aside');
  const pg = await startServer(t, { backend: 'local', dataDir, env: { CATALOG_URL: url } });
  t.same(await snapshot(pg), before, 'every dataset, version, tag, page and statistics as before');
  const withoutUrl = await startRefused(dataDir, {});
  t.equal(withoutUrl.code, 2, 'the SQLite catalog on a DATA_DIR kept by PostgreSQL is refused');
  t.match(withoutUrl.stderr, /is kept by a PostgreSQL catalog \(catalog-identity\): start with its CATALOG_URL/);
  t.notOk(existsSync(join(dataDir, 'instance.lock')), 'the refused start let go of the DATA_DIR lock');
  const otherUrl = await newCatalogDatabase();
  const otherDb = await startRefused(dataDir, { CATALOG_URL: otherUrl });
  t.equal(otherDb.code, 2, 'another PostgreSQL database on it is refused');
  t.match(otherDb.stderr, /is kept by another PostgreSQL catalog \(catalog-identity: postgres \S+; CATALOG_URL's is none: that database holds no catalog yet, and was left unchanged\)/);
  t.same(await tablesOf(otherUrl), [], 'and nothing was created in that database (no migrations ran)');
  const emptyDir = tmpDir(t, 'unmounted-');
  const wrongDir = await startRefused(emptyDir, { CATALOG_URL: url });
  t.equal(wrongDir.code, 2, 'the catalog on a DATA_DIR it never used while it lists versions (an unmounted volume?) is refused');
  t.match(wrongDir.stderr, /is not the one this PostgreSQL catalog keeps: it has no catalog-identity, and the catalog lists 3 versions/);
  t.same(readdirSync(emptyDir), [], 'and nothing was written there');
  t.equal(readdirSync(join(dataDir, 'versions')).length, 3, 'and nothing was removed');
  const next = await upload(pg, 'q\n8\n', 'next.csv', { dataset_id: String(b.body.dataset.id) });
  t.equal(next.body.version.version_number, 3, 'the version counter continues');
  const fresh = await upload(pg, 'z\n1\n', 'fresh.csv', { name: 'Fresh' });
  t.ok(fresh.body.dataset.id > b.body.dataset.id && fresh.body.version.id > next.body.version.id - 1, 'new ids continue after the copied ones');

  const otherDir = tmpDir(t, 'other-');
  cpSync(join(dataDir, 'catalog.sqlite.moved-to-postgres'), join(otherDir, 'catalog.sqlite'));
  const again = await runCommand(['copy-to-postgres'], { DATA_DIR: otherDir, CATALOG_URL: url });
  t.equal(again.code, 2, 'a database that already holds datasets is refused');
  t.match(again.stderr, /already holds 3 datasets; copy into an empty database/);
  const nothing = await runCommand(['copy-to-postgres'], { DATA_DIR: tmpDir(t, 'other-'), CATALOG_URL: await newCatalogDatabase() });
  t.equal(nothing.code, 2);
  t.match(nothing.stderr, /catalog\.sqlite does not exist: nothing to copy/);
});

t.test('check finds missing files and orphan directories; --repair fixes them', async (t) => {
  const dataDir = tmpDir(t, 'check-');
  const url = await newCatalogDatabase();
  const env = { DATA_DIR: dataDir, CATALOG_URL: url };
  const server = await startServer(t, { backend: 'local', dataDir, env: { CATALOG_URL: url } });
  const kept = await upload(server, 'a\n1\n', 'kept.csv', { name: 'Kept' });
  const broken = await upload(server, 'b\n2\n', 'broken.csv', { name: 'Broken' });
  await server.stop();

  t.equal((await runCommand(['check'], env)).code, 0, 'consistent to begin with');
  const versions = join(dataDir, 'versions');
  // The version to break: the directory whose uploaded file is broken.csv's bytes.
  const brokenDir = readdirSync(versions).find((k) => readFileSync(join(versions, k, 'source'), 'utf8') === 'b\n2\n');
  t.ok(brokenDir, 'found the version to break');
  rmSync(join(versions, brokenDir!, 'sheet-0.parquet'));
  const orphan = `${'0'.repeat(12)}.00000000-0000-4000-8000-000000000000`;
  mkdirSync(join(versions, orphan));
  cpSync(join(versions, brokenDir!, 'source'), join(versions, orphan, 'source'));

  const found = await runCommand(['check'], env);
  t.equal(found.code, 1, 'exit 1: problems found');
  t.match(found.stdout, new RegExp(`version ${broken.body.version.id} of dataset ${broken.body.dataset.id} \\(${brokenDir}\\): missing sheet-0.parquet`));
  t.match(found.stdout, new RegExp(`orphan directory versions/${orphan.replace('.', '\\.')}: no version owns it`));
  t.match(found.stdout, /2 problems; run with --repair/);

  const repaired = await runCommand(['check', '--repair'], env);
  t.equal(repaired.code, 0, repaired.stderr);
  t.match(repaired.stdout, /repaired: 1 versions removed from the catalog, 1 orphan directories deleted/);
  t.match((await runCommand(['check'], env)).stdout, /catalog and files agree/);

  const after = await startServer(t, { backend: 'local', dataDir, env: { CATALOG_URL: url } });
  const list = (await getJson(after, '/api/datasets')).body;
  t.same(list.map((d: any) => [d.name, d.current_version]).sort(), [['Broken', null], ['Kept', 1]], 'the broken version is gone, its dataset stays');
  t.equal((await getJson(after, `/api/datasets/${kept.body.dataset.id}/versions/${kept.body.version.id}/data`)).body.data[0].a, 1, 'the rest reads back');
  t.equal((await runCommand(['bogus'], env)).code, 2, 'an unknown command is a usage error');

  // Every version's files gone at once: a wrong directory far more likely than a loss; repair refuses.
  await after.stop();
  for (const k of readdirSync(versions)) rmSync(join(versions, k), { recursive: true });
  const allGone = await runCommand(['check', '--repair'], env);
  t.equal(allGone.code, 2, 'repair refuses when no version has its files');
  t.match(allGone.stderr, /every version's files are missing .*Nothing was repaired/);
  const still = await startServer(t, { backend: 'local', dataDir, env: { CATALOG_URL: url } });
  t.equal((await getJson(still, '/api/datasets')).body.length, 2, 'the catalog still lists the datasets');
});

/** The tables of the database at `url`, by name (pg_catalog's own left out). */
async function tablesOf(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<{ name: string }>("SELECT tablename AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1")).rows.map((r) => r.name);
  } finally {
    await client.end();
  }
}
