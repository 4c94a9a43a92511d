/**
 * An upload into a file system that fills up while the body arrives answers 507 `storage_full`, leaves nothing
 * behind and harms nothing stored; the next upload that fits is stored. On both backends: the local one's
 * DATA_DIR, and the memory backend's SHARED_MEMORY_DIR (which it receives into), each on a small tmpfs mounted
 * here — so the test needs root (CI runs as root); without it, it is skipped, saying why.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { streamUpload } from '../support/corpus/http.js';
import { getJson, startServer, upload, type Server } from '../support/server.js';

const SIZE_MB = 8;

/** A fresh tmpfs of SIZE_MB, unmounted at teardown; undefined when this process may not mount one. */
function smallTmpfs(t: Test): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'storage-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${SIZE_MB}m`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return undefined;
  }
  t.teardown(() => {
    execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Fills `dir`'s file system with one file, which it returns, to the last byte or but `leave` bytes. */
function fill(dir: string, leave = 0): string {
  const filler = join(dir, 'filler');
  const block = Buffer.alloc(64 * 1024, 1);
  let written = 0;
  try {
    for (;;) {
      writeFileSync(filler, block, { flag: 'a' });
      written += block.length;
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  }
  if (leave) truncateSync(filler, Math.max(0, statSync(filler).size - leave));
  return filler;
}

/** Streams a CSV of `bytes` (Content-Length declared) and fills the file system once the upload is under way. */
async function uploadWhileFilling(server: Server, dir: string, bytes: number): Promise<{ status?: number; body: any; filler: string }> {
  let filler = '';
  const filling = new Promise<void>((done) =>
    setTimeout(() => {
      filler = fill(dir);
      done();
    }, 150),
  );
  const outcome = await streamUpload(server, { fileName: 'big.csv', chunk: Buffer.from('1,2\n'.repeat(4096)), total: bytes, everyMs: 15, giveUpMs: 30_000, declareLength: true });
  await filling;
  return { status: outcome.response?.status, body: outcome.response?.body, filler };
}

for (const backend of ['local', 'memory'] as const) {
  t.test(`${backend}: the file system fills up during an upload`, async (t) => {
    const dir = smallTmpfs(t);
    if (!dir) return t.skip('mounting a tmpfs needs root');
    const server = await startServer(t, backend === 'local' ? { backend, dataDir: dir } : { backend, env: { SHARED_MEMORY_DIR: dir } });
    const first = await upload(server, 'a,b\n1,x\n2,y\n', 'first.csv');
    t.equal(first.status, 201, 'a small upload first');
    const firstBase = `/api/datasets/${first.body.dataset.id}/versions/${first.body.version.id}`;

    // 2 MiB declared: the memory backend finds room for it (and its sheets) before the filler comes.
    const full = await uploadWhileFilling(server, dir, 2 << 20);
    t.equal(full.status, 507, `507 (${JSON.stringify(full.body)})`);
    t.equal(full.body?.error_code, 'storage_full');
    t.match(full.body?.detail, /ran out of room/);
    rmSync(full.filler);

    const left = backend === 'local' ? readdirSync(join(dir, 'staging')) : readdirSync(join(dir, `dataset-service-${server.proc.pid}`)).length - 1;
    t.same(left, backend === 'local' ? [] : 0, backend === 'local' ? 'nothing left in staging' : 'nothing left beside the first upload');
    t.equal((await getJson(server, `${firstBase}/data`)).body.data.length, 2, 'what was stored is still served');
    const after = await upload(server, 'a,b\n3,z\n', 'after.csv');
    t.equal(after.status, 201, 'the next upload that fits is stored');
  });
}

// The received file fits, its tables do not: the parse worker's Parquet write meets the full disk (it was a 422
// blaming the file). Local only: the memory backend writes its sheets to SHARED_MEMORY_DIR only as a hand-off,
// and hands them over in memory when that write fails.
t.test('local: the disk fills up while the tables are written, or under a catalog write', async (t) => {
  const dir = smallTmpfs(t);
  if (!dir) return t.skip('mounting a tmpfs needs root');
  const server = await startServer(t, { backend: 'local', dataDir: dir });
  const first = await upload(server, 'a,b\n1,x\n2,y\n', 'first.csv');
  t.equal(first.status, 201, 'a small upload first');
  const versions = readdirSync(join(dir, 'versions'));
  // Random text, which LZ4 cannot shrink: its Parquet needs about as much room as the CSV.
  const csv = `id,note\n${Array.from({ length: 15_000 }, (_, i) => `${i},${randomBytes(75).toString('base64')}`).join('\n')}\n`;
  const filler = fill(dir, csv.length + (512 << 10));
  const full = await upload(server, csv, 'random.csv');
  t.equal(full.status, 507, `507 (${JSON.stringify(full.body)})`);
  t.equal(full.body?.error_code, 'storage_full');
  t.match(full.body?.detail, /ran out of room while storing this upload's tables/);
  t.same(readdirSync(join(dir, 'staging')), [], 'nothing left in staging');
  t.same(readdirSync(join(dir, 'versions')), versions, 'no version directory added');
  t.equal((await getJson(server, `/api/datasets/${first.body.dataset.id}/versions/${first.body.version.id}/data`)).body.data.length, 2, 'what was stored is still served');
  // A catalog write on a full disk: SQLite's SQLITE_FULL, a 507 too (it was a 500), and the change not made.
  rmSync(filler);
  const lastByte = fill(dir);
  const patch = (description: string) =>
    getJson(server, `/api/datasets/${first.body.dataset.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ description }) });
  const patched = await patch('x'.repeat(10_000));
  t.equal(patched.status, 507, `a catalog write: 507 (${JSON.stringify(patched.body)})`);
  t.equal(patched.body?.error_code, 'storage_full');
  t.equal((await getJson(server, `/api/datasets/${first.body.dataset.id}`)).body.description, null, 'the dataset unchanged');
  rmSync(lastByte);
  const after = await upload(server, csv, 'random.csv');
  t.equal(after.status, 201, 'with room again, the same file is stored');
  t.equal(after.body?.sheets?.[0]?.row_count, 15_000);
});
