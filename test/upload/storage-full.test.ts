/**
 * An upload into a file system that fills up while the body arrives answers 507 `storage_full`, leaves nothing
 * behind and harms nothing stored; the next upload that fits is stored. On both backends: the local one's
 * DATA_DIR, and the memory backend's SHARED_MEMORY_DIR (which it receives into), each on a small tmpfs mounted
 * here — so the test needs root (CI runs as root); without it, it is skipped, saying why.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
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

/** Fills `dir`'s file system to the last byte with one file, which it returns. */
function fill(dir: string): string {
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
