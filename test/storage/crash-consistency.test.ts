/**
 * Local backend: a server killed with SIGKILL in the middle of an upload leaves a consistent catalog and no
 * orphan files. One data directory goes through several kills, each at a different point of an upload of a
 * ~29 MB CSV (700 000 rows, a couple of seconds to parse):
 *
 *   A  while the multipart body is still streaming in (we hold back the rest of the body),
 *   B  as soon as the whole body is on disk in staging (the parse is starting),
 *   B' half a second after that (parsing, most likely; any phase is fine — the checks do not depend on it),
 *   C  when the parser's `sheet-0.parquet` appears in staging (writing the result),
 *   D  right after the 201 for a new version arrives,
 * and one simulated point, R: between the rename of a parsed upload into `versions/` and its catalog insert
 * (a window too short to hit with a signal), by planting the complete, uncatalogued directory it would leave.
 *
 * After each kill a server restarts on the same directory, and:
 * - every dataset and version the API lists reads back: its first and last rows, its statistics (recomputed
 *   from the Parquet), its download, with the row count of the file it came from;
 * - `DATA_DIR/staging` is empty;
 * - the directories under `DATA_DIR/versions` are exactly the storage keys of the catalog's versions, one per
 *   listed version (no orphans, nothing missing);
 * - everything acknowledged with a 201 before the kill is still there with identical data, and an upload
 *   killed before its body was complete left no version;
 * - finally, a new upload works.
 * Nothing here depends on how long anything takes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t, { type Test } from 'tap';
import { controlledUpload, type ControlledUpload } from '../support/controlled-upload.js';
import { requestsSettled } from '../support/logs.js';
import { getJson, startServer, tmpDir, upload, type Server } from '../support/server.js';


/**
 * These servers run beside other test files on a possibly busy machine; the service's event-loop load
 * shedding (503 past SHED_EVENT_LOOP_DELAY_MS) is about load, not about what this file checks, so it is off.
 */
const NO_SHEDDING = { SHED_EVENT_LOOP_DELAY_MS: '0' };

// ---------------------------------------------------------------- the files

const BIG_ROWS = 700_000;

function bigRow(i: number) {
  return {
    id: i,
    name: `name-${(i * 7919) % 100003}`,
    amount: ((i * 37) % 100000) / 100,
    flag: i % 3 === 0,
    day: `2024-${String((i % 12) + 1).padStart(2, '0')}-${String((i % 28) + 1).padStart(2, '0')}`,
  };
}

function bigCsv(): Buffer {
  const lines = ['id,name,amount,flag,day'];
  for (let i = 0; i < BIG_ROWS; i++) {
    const r = bigRow(i);
    lines.push(`${r.id},${r.name},${r.amount},${r.flag},${r.day}`);
  }
  return Buffer.from(lines.join('\n') + '\n');
}

const SMALL_CSV = 'city,population\nLyon,522250\nNice,342669\nBrest,139602\n';
const SMALL_ROWS = [
  { city: 'Lyon', population: 522250 },
  { city: 'Nice', population: 342669 },
  { city: 'Brest', population: 139602 },
];

const BIG = bigCsv();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
/** What each uploaded file name holds: any version in the catalog must be one of these, whole. */
const FILES: Record<string, { bytes: Buffer; rows: number; first: object[]; last: object[] }> = {
  'small.csv': { bytes: Buffer.from(SMALL_CSV), rows: 3, first: SMALL_ROWS, last: SMALL_ROWS },
  'big.csv': {
    bytes: BIG,
    rows: BIG_ROWS,
    first: [0, 1, 2].map(bigRow),
    last: [BIG_ROWS - 3, BIG_ROWS - 2, BIG_ROWS - 1].map(bigRow),
  },
};

// ---------------------------------------------------------------- watching DATA_DIR

const tick = () => new Promise((r) => setTimeout(r, 2));

/**
 * Waits for `predicate`, or until `ended` settles (the upload was answered or failed first): then undefined.
 * No time limit; what bounds it is the upload itself.
 */
async function until<V>(predicate: () => V | undefined | false, ended: Promise<unknown>): Promise<V | undefined> {
  let over = false;
  void ended.then(() => (over = true));
  for (;;) {
    const v = predicate();
    if (v) return v;
    if (over) return undefined;
    await tick();
  }
}

const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir) : []);

/** The staging directory of the upload under way: one that was not there before it started. */
function stagedDir(dataDir: string, before: string[]): string | undefined {
  const key = entries(join(dataDir, 'staging')).find((k) => !before.includes(k));
  return key && join(dataDir, 'staging', key);
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return -1;
  }
}

function catalogKeys(dataDir: string): string[] {
  const db = new Database(join(dataDir, 'catalog.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT storage_key FROM versions ORDER BY storage_key').pluck().all() as string[]);
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------- the checks after a restart

interface Acknowledged {
  datasetId: number;
  versionId: number;
  file: keyof typeof FILES;
}

interface ListedVersion {
  datasetId: number;
  versionId: number;
  fileName: string;
}

/** Everything the API lists reads back whole; staging is empty; version directories = catalog keys. */
async function checkConsistent(t: Test, server: Server, acknowledged: Acknowledged[]): Promise<ListedVersion[]> {
  const listed: ListedVersion[] = [];
  const list = await getJson(server, '/api/datasets?limit=100');
  t.equal(list.status, 200, 'list datasets', { body: list.body });
  for (const ds of list.body) {
    const full = await getJson(server, `/api/datasets/${ds.id}`);
    t.equal(full.status, 200);
    t.ok(full.body.versions.length >= 1, `dataset ${ds.id} has a version`);
    t.equal(full.body.version_count, full.body.versions.length, `dataset ${ds.id}: version_count`);
    t.equal(full.body.current_version, full.body.versions[0]?.version_number, `dataset ${ds.id}: current_version`);
    for (const v of full.body.versions) {
      listed.push({ datasetId: ds.id, versionId: v.id, fileName: v.file_name });
      const expected = FILES[v.file_name];
      t.ok(expected, `version ${v.id} is one of the uploaded files (${v.file_name})`);
      if (!expected) continue;
      t.equal(v.row_count, expected.rows, `version ${v.id}: row count`);
      t.equal(v.file_size, expected.bytes.length, `version ${v.id}: file size`);
      const base = `/api/datasets/${ds.id}/versions/${v.id}`;
      const first = await getJson(server, `${base}/data?offset=0&limit=3`);
      t.equal(first.status, 200, `version ${v.id}: first rows`, { body: first.body });
      t.same(first.body?.data, expected.first, `version ${v.id}: first rows are the file's`);
      t.equal(first.body?.total_rows, expected.rows);
      const last = await getJson(server, `${base}/data?offset=${expected.rows - 3}&limit=3`);
      t.same(last.body?.data, expected.last, `version ${v.id}: last rows are the file's`);
      const stats = await getJson(server, `${base}/statistics/refresh`, { method: 'POST' });
      t.equal(stats.status, 200, `version ${v.id}: statistics recomputed from the stored data`, { body: stats.body });
      t.equal(stats.body?.total_rows, expected.rows);
      t.equal(stats.body?.columns?.[0]?.null_count, 0);
      const download = await fetch(`${server.url}${base}/download`);
      t.equal(download.status, 200, `version ${v.id}: download`, { headers: Object.fromEntries(download.headers) });
      t.equal(sha(new Uint8Array(await download.arrayBuffer())), sha(expected.bytes), `version ${v.id}: downloaded bytes are the upload's`);
    }
  }

  for (const a of acknowledged) {
    t.ok(
      listed.some((l) => l.datasetId === a.datasetId && l.versionId === a.versionId && l.fileName === a.file),
      `acknowledged version ${a.versionId} (${a.file}, dataset ${a.datasetId}) survived`,
    );
  }

  t.same(entries(join(server.dataDir, 'staging')), [], 'staging is empty');
  const dirs = entries(join(server.dataDir, 'versions')).sort();
  const keys = catalogKeys(server.dataDir);
  t.same(dirs, keys, 'the version directories are exactly the catalog\'s storage keys (no orphans, none missing)');
  t.equal(dirs.length, listed.length, 'one version directory per listed version');
  for (const d of dirs) {
    t.same(entries(join(server.dataDir, 'versions', d)).sort(), ['sheet-0.parquet', 'source'], `versions/${d} is complete`);
  }
  return listed;
}

// ---------------------------------------------------------------- the test

t.test('local backend: SIGKILL during an upload leaves a consistent catalog and no orphans', async (t) => {
  const dataDir = tmpDir(t, 'crash-consistency-');
  const start = () => startServer(t, { backend: 'local', dataDir, env: NO_SHEDDING });
  const acknowledged: Acknowledged[] = [];

  let server = await start();
  const small = await upload(server, SMALL_CSV, 'small.csv', { name: 'Small' });
  t.equal(small.status, 201);
  const smallDs = small.body.dataset.id as number;
  acknowledged.push({ datasetId: smallDs, versionId: small.body.version.id, file: 'small.csv' });
  const smallBefore = await getJson(server, `/api/datasets/${smallDs}/versions/${small.body.version.id}/data`);
  t.same(smallBefore.body.data, SMALL_ROWS);

  /** Kills the server, restarts it on the same data and checks; returns what is listed. */
  const crashAndCheck = async (t: Test, inFlight?: ControlledUpload) => {
    await server.kill();
    const ended = await inFlight?.done;
    if (ended && 'status' in ended) t.comment(`the killed upload had been answered ${ended.status}`);
    server = await start();
    const listed = await checkConsistent(t, server, acknowledged);
    const again = await getJson(server, `/api/datasets/${smallDs}/versions/${small.body.version.id}/data`);
    t.same(again.body, smallBefore.body, 'the first acknowledged version reads back identically');
    return listed;
  };
  /** An upload the kill may or may not have let commit: if it is listed it is whole (checked above). */
  const note = (t: Test, listed: ListedVersion[], before: number) =>
    t.comment(`${listed.length - before} version(s) of the killed upload were committed before the kill`);

  await t.test('A: killed while the body is still streaming', async (t) => {
    const before = (await checkConsistent(t, server, acknowledged)).length;
    const old = entries(join(dataDir, 'staging'));
    const up = controlledUpload(server, { name: 'Killed while streaming' }, 'big.csv', BIG);
    await up.send(Math.floor(BIG.length / 3));
    const staged = await until(() => {
      const dir = stagedDir(dataDir, old);
      return dir && sizeOf(join(dir, 'source')) > 0 && dir;
    }, up.done);
    await server.kill();
    t.ok(staged, 'the upload was being received into staging', { answered: staged ? undefined : await up.done });
    if (!staged) return;
    t.ok(sizeOf(join(staged, 'source')) > 0 && sizeOf(join(staged, 'source')) < BIG.length, 'the kill left a partial upload in staging');
    const listed = await crashAndCheck(t, up);
    t.equal(listed.length, before, 'an upload whose body never arrived left no version');
    t.notOk(listed.some((l) => l.fileName === 'big.csv'), 'and no dataset for it');
  });

  await t.test('R: killed between the rename into versions/ and the catalog insert (simulated)', async (t) => {
    // That window is a few microseconds, too short to hit with a signal; what such a kill leaves behind is a
    // complete version directory that no catalog row names. Make one from a committed version's files.
    const before = (await checkConsistent(t, server, acknowledged)).length;
    await server.kill();
    const [committed] = catalogKeys(dataDir);
    // Named as the killed instance names its keys (`<instance id>.<uuid>`): that instance is gone.
    const orphan = join(dataDir, 'versions', `${committed.split('.')[0]}.${randomUUID()}`);
    cpSync(join(dataDir, 'versions', committed), orphan, { recursive: true });
    const listed = await crashAndCheck(t);
    t.notOk(existsSync(orphan), 'the uncommitted version directory was removed at start-up');
    t.equal(listed.length, before, 'and it did not become a version');
  });

  await t.test('B: killed as soon as the whole body is in staging', async (t) => {
    const before = (await getJson(server, `/api/datasets/${smallDs}`)).body.version_count;
    const old = entries(join(dataDir, 'staging'));
    const up = controlledUpload(server, { dataset_id: String(smallDs) }, 'big.csv', BIG);
    const sending = up.send();
    const received = await until(() => {
      const dir = stagedDir(dataDir, old);
      return dir && sizeOf(join(dir, 'source')) === BIG.length;
    }, up.done);
    t.ok(received, 'the whole body reached staging', { answered: received ? undefined : await up.done });
    const listed = await crashAndCheck(t, up);
    await sending;
    note(t, listed.filter((l) => l.datasetId === smallDs), before);
  });

  await t.test("B': killed half a second after the whole body is in staging", async (t) => {
    const before = (await checkConsistent(t, server, acknowledged)).length;
    const old = entries(join(dataDir, 'staging'));
    const up = controlledUpload(server, { name: 'Killed while parsing' }, 'big.csv', BIG);
    const sending = up.send();
    const received = await until(() => {
      const dir = stagedDir(dataDir, old);
      return dir && sizeOf(join(dir, 'source')) === BIG.length;
    }, up.done);
    t.ok(received, 'the whole body reached staging', { answered: received ? undefined : await up.done });
    await new Promise((r) => setTimeout(r, 500));
    const listed = await crashAndCheck(t, up);
    await sending;
    note(t, listed, before);
  });

  await t.test('C: killed when the parser\'s sheet-0.parquet appears in staging', async (t) => {
    const before = (await checkConsistent(t, server, acknowledged)).length;
    const old = entries(join(dataDir, 'staging'));
    const up = controlledUpload(server, { name: 'Killed while writing' }, 'big.csv', BIG);
    const sending = up.send();
    const staged = await until(() => stagedDir(dataDir, old), up.done);
    t.ok(staged, 'the upload was received into staging', { answered: staged ? undefined : await up.done });
    // The parquet file in staging, or (if it was missed) the staging directory gone: renamed into versions/.
    const seen =
      staged &&
      (await until(() => (existsSync(join(staged, 'sheet-0.parquet')) ? 'sheet-0.parquet in staging' : !existsSync(staged) && 'staging dir renamed'), up.done));
    t.comment(`killed at: ${seen || 'the upload had been answered'}`);
    const listed = await crashAndCheck(t, up);
    await sending;
    note(t, listed, before);
  });

  await t.test('D: killed right after the 201 for a new version', async (t) => {
    const up = controlledUpload(server, { dataset_id: String(smallDs) }, 'big.csv', BIG);
    await up.send();
    const res = await up.done;
    t.ok('status' in res && res.status === 201, 'the upload was acknowledged', { res: 'status' in res ? res.body : res.error.message });
    if (!('status' in res) || res.status !== 201) return;
    t.equal(res.body.version.row_count, BIG_ROWS);
    acknowledged.push({ datasetId: smallDs, versionId: res.body.version.id, file: 'big.csv' });
    await crashAndCheck(t);
    const latest = await getJson(server, `/api/datasets/${smallDs}/versions/latest`);
    t.match(latest.body, { id: res.body.version.id, version_number: res.body.version.version_number, row_count: BIG_ROWS });
  });

  await t.test('a new upload after the last restart works', async (t) => {
    const fresh = await upload(server, SMALL_CSV, 'small.csv', { name: 'After the crashes' });
    t.equal(fresh.status, 201);
    acknowledged.push({ datasetId: fresh.body.dataset.id, versionId: fresh.body.version.id, file: 'small.csv' });
    const data = await getJson(server, `/api/datasets/${fresh.body.dataset.id}/versions/${fresh.body.version.id}/data`);
    t.same(data.body.data, SMALL_ROWS);
    await checkConsistent(t, server, acknowledged);
    await requestsSettled(server);
    t.equal(await server.stop(), 0, 'and the server still stops cleanly');
  });
});
