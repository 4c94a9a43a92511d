/**
 * Start-up configuration: environment first, then `.env` in the working directory, then defaults; an
 * invalid value stops start-up with one line that names the setting. Run as `npm start` runs it.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { MAIN, ROOT, getJson, tmpDir } from './support/server.js';

function run(cwd: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string; url?: string; kill: () => void }> {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [MAIN], { cwd, env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    let stdout = '';
    proc.stderr.on('data', (d) => (stderr += d));
    proc.stdout.on('data', (d) => {
      stdout += d;
      const m = /Server listening at (http:\/\/[\d.]+:\d+)/.exec(stdout);
      if (m) resolve({ code: null, stderr, url: m[1], kill: () => proc.kill('SIGKILL') });
    });
    proc.on('exit', (code) => resolve({ code, stderr, kill: () => undefined }));
  });
}

const invalid: [Record<string, string>, RegExp][] = [
  [{ STORAGE_BACKEND: 'redis' }, /^configuration error: STORAGE_BACKEND=redis .*"local" or "memory"\n$/],
  [{ PORT: '70000' }, /^configuration error: PORT=70000 .*0 to 65535\n$/],
  [{ PORT: 'eighty' }, /^configuration error: PORT=eighty /],
  [{ WORKERS: '0' }, /^configuration error: WORKERS=0 .*1 to 256\n$/],
  [{ MAX_UPLOAD_BYTES: 'lots' }, /^configuration error: MAX_UPLOAD_BYTES=lots is not a size/],
  [{ LOG_LEVEL: 'loud' }, /^configuration error: LOG_LEVEL=loud /],
  [{ XLSX_MAX_BYTES: 'huge' }, /^configuration error: XLSX_MAX_BYTES=huge is not a size/],
  [{ XLSX_MAX_CELLS: '-1' }, /^configuration error: XLSX_MAX_CELLS=-1 is not allowed/],
  [{ CATALOG_URL: 'mysql://db/catalog' }, /^configuration error: CATALOG_URL must be a PostgreSQL URL/],
  [{ STORAGE_BACKEND: 'memory', CATALOG_URL: 'postgres://db/catalog' }, /^configuration error: CATALOG_URL is for the local backend: the memory backend .* single instance/],
  // Port 9 (discard) on loopback: nothing listens, so the connection is refused at once.
  [{ CATALOG_URL: 'postgres://nobody:x@127.0.0.1:9/catalog' }, /^configuration error: CATALOG_URL: the PostgreSQL catalog could not be opened: .*ECONNREFUSED.*\n$/],
];

for (const [env, message] of invalid) {
  t.test(`refuses ${JSON.stringify(env)}`, async (t) => {
    const cwd = tmpDir(t);
    const res = await run(cwd, { PORT: '0', ...env });
    res.kill();
    t.equal(res.code, 2, 'exits with status 2');
    t.match(res.stderr, message, 'one line naming the setting and what is allowed');
  });
}

t.test('.env is read, and the environment wins over it', async (t) => {
  const cwd = tmpDir(t);
  copyFileSync(join(ROOT, '.env.memory'), join(cwd, '.env'));
  // Its shared-memory directory in the test's own directory: the server is killed (SIGKILL), which leaves it behind.
  const fromFile = await run(cwd, { PORT: '0', SHARED_MEMORY_DIR: cwd });
  t.teardown(fromFile.kill);
  t.ok(fromFile.url, fromFile.stderr);
  const health = await getJson({ url: fromFile.url! } as never, '/health');
  t.equal(health.body.storage_backend, 'memory', 'the repository template .env.memory selects the memory backend');

  writeFileSync(join(cwd, '.env'), 'STORAGE_BACKEND=redis\n');
  const envWins = await run(cwd, { PORT: '0', STORAGE_BACKEND: 'local', DATA_DIR: join(cwd, 'data') });
  t.teardown(envWins.kill);
  t.ok(envWins.url, `the environment's STORAGE_BACKEND=local overrides .env: ${envWins.stderr}`);
  t.equal((await getJson({ url: envWins.url! } as never, '/health')).body.storage_backend, 'local');
});

t.test('defaults: local backend under ./data', async (t) => {
  const cwd = tmpDir(t);
  const res = await run(cwd, { PORT: '0' });
  t.teardown(res.kill);
  const health = await getJson({ url: res.url! } as never, '/health');
  t.equal(health.body.storage_backend, 'local');
  const { existsSync } = await import('node:fs');
  t.ok(existsSync(join(cwd, 'data', 'catalog.sqlite')), 'catalog created in ./data');
});

// glibc reads these only at process start, so `npm start` sets them (README, "For operators"). The huge pages
// are checked where the kernel gives them on request (transparent_hugepage `madvise` or `always`).
t.test('npm start sets glibc: two arenas, a fixed mmap threshold, huge pages for large buffers', async (t) => {
  const cwd = tmpDir(t);
  const proc = spawn('npm', ['start', '--silent', '--ignore-scripts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, PORT: '0', HOST: '127.0.0.1', DATA_DIR: join(cwd, 'data'), WORKERS: '1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  const ready = new Promise<{ url: string; pid: number }>((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      stdout += d;
      const m = /"pid":(\d+).*Server listening at (http:\/\/[\d.]+:\d+)/.exec(stdout);
      if (m) resolve({ pid: Number(m[1]), url: m[2] });
    });
    proc.on('exit', (code) => reject(new Error(`npm start exited with ${code}: ${stdout}`)));
  });
  const { pid, url } = await ready;
  t.teardown(() => process.kill(pid, 'SIGKILL'));
  const environ = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  for (const setting of ['MALLOC_ARENA_MAX=2', 'MALLOC_MMAP_THRESHOLD_=4194304', 'GLIBC_TUNABLES=glibc.malloc.hugetlb=1']) {
    t.ok(environ.includes(setting), setting);
  }
  const thp = readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8');
  if (/\[never\]/.test(thp)) return t.comment(`no huge pages on this machine (${thp.trim()})`);
  // ~40 MB of text read as one frame: its buffers are large allocations, made of huge pages.
  const csv = `id,text\n${Array.from({ length: 400_000 }, (_, i) => `${i},${'x'.repeat(90)}`).join('\n')}\n`;
  const form = new FormData();
  form.set('name', 'big');
  form.set('file', new Blob([csv]), 'big.csv');
  t.equal((await fetch(`${url}/api/datasets/upload`, { method: 'POST', body: form })).status, 201);
  const huge = Number(/AnonHugePages:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  t.ok(huge > 0, `AnonHugePages ${huge} kB after the upload`);
});
