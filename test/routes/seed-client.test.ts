/**
 * The seed document's Python `requests` client runs verbatim against the service (spec: "the seed's own
 * Python `requests` example must run verbatim"): on the memory backend, on the local backend, and on the
 * local backend again after a restart on the same data directory, where it must still read the data
 * uploaded before the restart.
 *
 * The script given to python3 is: a few lines of setup that bind the names the seed snippet leaves free
 * (`requests`, the file `data.csv` in the working directory, `dataset_id`, `version_id`), then SEED_CLIENT
 * unchanged, then lines that print what it got as JSON for the assertions here.
 *
 * - `dataset_id` / `version_id`: the snippet uses them in its second call without saying where they come
 *   from. On a fresh server they are bound to the ids of the upload the snippet itself just made, through
 *   an object whose `__format__` (what an f-string calls) reads them from `response` — so nothing in the
 *   snippet changes and no id is guessed. After the restart they are bound to the ids of the upload made
 *   before the restart, so the snippet's GET proves that data survived.
 * - Host and port: the snippet says `http://localhost:8000`. The server is started on port 8000 when that
 *   port is free, and the snippet runs byte for byte. Only if 8000 is taken (or the server cannot bind it)
 *   does the server get an ephemeral port, and then the one string `http://localhost:8000` is replaced by
 *   the server's `http://127.0.0.1:PORT` (the substitution is logged as a test comment).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ROOT, startServer, tmpDir, type Backend, type Server } from '../support/server.js';

/** Verbatim from the seed document's "API Usage" section (checked against the document when it is present). */
const SEED_CLIENT = `# Upload a dataset
response = requests.post(
    "http://localhost:8000/api/datasets/upload",
    files={"file": open("data.csv", "rb")},
    data={"name": "My Dataset"}
)

# Get dataset data
data = requests.get(
    f"http://localhost:8000/api/datasets/{dataset_id}/versions/{version_id}/data"
)
`;
/**
 * These servers run beside other test files on a possibly busy machine; the service's event-loop load
 * shedding (503 past SHED_EVENT_LOOP_DELAY_MS) is about load, not about what this file checks, so it is off.
 */
const NO_SHEDDING = { SHED_EVENT_LOOP_DELAY_MS: '0' };

const SEED_DOC = join(ROOT, '../shared/seed/in-memory-storage-backend.md');
const SEED_BASE = 'http://localhost:8000';

const DATA_CSV = 'id,name,score,active,joined\n1,Ada,9.5,true,1843-12-10\n2,Grace,8.25,false,1906-12-09\n3,Linus,,true,1969-12-28\n';
const DATA_ROWS = [
  { id: 1, name: 'Ada', score: 9.5, active: true, joined: '1843-12-10' },
  { id: 2, name: 'Grace', score: 8.25, active: false, joined: '1906-12-09' },
  { id: 3, name: 'Linus', score: null, active: true, joined: '1969-12-28' },
];

/** Binds dataset_id / version_id to the ids in the snippet's own upload response, read when formatted. */
const LAZY_IDS = `class _FromUploadResponse:
    """Formats as a field of the upload response the seed snippet stores in \`response\`."""
    def __init__(self, *path):
        self.path = path
    def __format__(self, spec):
        value = response.json()
        for key in self.path:
            value = value[key]
        return format(value, spec)

dataset_id = _FromUploadResponse("dataset", "id")
version_id = _FromUploadResponse("version", "id")
`;

const REPORT = `
import json, sys
json.dump({
    "upload_status": response.status_code,
    "upload": response.json(),
    "data_status": data.status_code,
    "data_url": data.url,
    "data": data.json(),
}, sys.stdout)
`;

function requestsMissing(): string | false {
  try {
    execFileSync('python3', ['-c', 'import requests'], { stdio: 'pipe' });
    return false;
  } catch (err) {
    const detail = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split('\n').pop();
    return `python3 with the requests package is needed to run the seed client (${detail})`;
  }
}

/** Free on 127.0.0.1 and, where there is IPv6, on ::1 (which "localhost" may resolve to first). */
async function portFree(port: number): Promise<boolean> {
  const tryListen = (host: string) =>
    new Promise<string | undefined>((resolve) => {
      const probe = createServer();
      probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(undefined)));
    });
  if ((await tryListen('127.0.0.1')) !== undefined) return false;
  const v6 = await tryListen('::1');
  return v6 === undefined || v6 === 'EADDRNOTAVAIL' || v6 === 'EAFNOSUPPORT';
}

/** Port 8000 if it is free and the server binds it; otherwise an ephemeral port (and the URL is substituted). */
async function startOn8000(t: Test, backend: Backend, dataDir: string): Promise<Server> {
  if (await portFree(8000)) {
    try {
      return await startServer(t, { backend, dataDir, env: { ...NO_SHEDDING, PORT: '8000' } });
    } catch (err) {
      t.comment(`port 8000 could not be used (${(err as Error).message.split('\n')[0]}); using an ephemeral port`);
    }
  }
  return startServer(t, { backend, dataDir, env: NO_SHEDDING });
}

interface ClientResult {
  upload_status: number;
  upload: any;
  data_status: number;
  data_url: string;
  data: any;
}

/** Runs setup + the verbatim seed snippet + the report in python3, in a directory holding data.csv. */
async function runSeedClient(t: Test, server: Server, idBinding: string): Promise<ClientResult> {
  const dir = tmpDir(t, 'seed-client-');
  writeFileSync(join(dir, 'data.csv'), DATA_CSV);
  let snippet = SEED_CLIENT;
  if (server.url !== 'http://127.0.0.1:8000') {
    snippet = SEED_CLIENT.replaceAll(SEED_BASE, server.url);
    t.comment(`port 8000 was not available: ran the seed snippet with "${SEED_BASE}" replaced by "${server.url}" (nothing else changed)`);
  }
  const script = `import requests\n\n${idBinding}\n${snippet}${REPORT}`;
  writeFileSync(join(dir, 'seed_client.py'), script);
  const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve) => {
    const child = execFile('python3', ['seed_client.py'], { cwd: dir, timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ stdout, stderr, code: err ? ((err as { code?: number }).code ?? null) : 0 }),
    );
    t.teardown(() => void child.kill('SIGKILL'));
  });
  t.equal(code, 0, 'the seed client ran without a Python error', { stderr });
  return JSON.parse(stdout);
}

function checkUpload(t: Test, result: ClientResult) {
  t.equal(result.upload_status, 201, 'upload: 201 Created', { body: result.upload });
  t.match(result.upload, {
    dataset: { name: 'My Dataset', current_version: 1, version_count: 1, file_size: DATA_CSV.length },
    version: { version_number: 1, file_name: 'data.csv', file_type: 'csv', file_size: DATA_CSV.length, row_count: 3 },
    sheets: [{ name: 'Sheet1', row_count: 3, column_count: 5 }],
  });
}

function checkData(t: Test, result: ClientResult, datasetId: number, versionId: number) {
  t.equal(result.data_status, 200, 'data: 200 OK', { body: result.data });
  t.match(result.data_url, new RegExp(`/api/datasets/${datasetId}/versions/${versionId}/data$`), 'the GET used the bound ids');
  t.same(result.data, {
    data: DATA_ROWS,
    columns: ['id', 'name', 'score', 'active', 'joined'],
    total_rows: 3,
    page: 1,
    page_size: 100,
    total_pages: 1,
  }, 'data: the rows of data.csv, typed');
}

const skip = requestsMissing();

t.test('the embedded snippet is the seed document\'s', { skip: existsSync(SEED_DOC) ? false : `${SEED_DOC} is not here` }, async (t) => {
  const doc = readFileSync(SEED_DOC, 'utf8');
  const block = /## API Usage[\s\S]*?```python\n([\s\S]*?)```/.exec(doc)?.[1];
  t.equal(block, SEED_CLIENT);
});

t.test('memory backend', { skip }, async (t) => {
  const server = await startOn8000(t, 'memory', tmpDir(t));
  const result = await runSeedClient(t, server, LAZY_IDS);
  checkUpload(t, result);
  checkData(t, result, result.upload.dataset.id, result.upload.version.id);
  t.equal(await server.stop(), 0);
});

t.test('local backend, then again after a restart on the same data', { skip }, async (t) => {
  const dataDir = tmpDir(t);
  const first = await startOn8000(t, 'local', dataDir);
  const before = await runSeedClient(t, first, LAZY_IDS);
  checkUpload(t, before);
  checkData(t, before, before.upload.dataset.id, before.upload.version.id);
  t.equal(await first.stop(), 0, 'stopped with SIGTERM');

  const second = await startOn8000(t, 'local', dataDir);
  const { id: datasetId } = before.upload.dataset;
  const { id: versionId } = before.upload.version;
  // dataset_id / version_id: the upload made before the restart.
  const after = await runSeedClient(t, second, `dataset_id = ${datasetId}\nversion_id = ${versionId}\n`);
  t.equal(after.upload_status, 201, 'upload after the restart: 201 Created');
  t.not(after.upload.dataset.id, datasetId, 'a new dataset (the snippet always creates one)');
  t.match(after.upload, { dataset: { name: 'My Dataset' }, version: { version_number: 1, row_count: 3 } });
  checkData(t, after, datasetId, versionId);
  t.equal(await second.stop(), 0);
});

t.test('two instances over one DATA_DIR and a PostgreSQL catalog: the client through one, its data through the other', { skip }, async (t) => {
  const dataDir = tmpDir(t);
  const env = { ...NO_SHEDDING, CATALOG_URL: await (await import('../support/postgres.js')).newCatalogDatabase() };
  const first = await startServer(t, { backend: 'local', dataDir, env });
  const other = await startServer(t, { backend: 'local', dataDir, env });
  const through = await runSeedClient(t, first, LAZY_IDS);
  checkUpload(t, through);
  checkData(t, through, through.upload.dataset.id, through.upload.version.id);
  // The same snippet against the other instance, its GET bound to the upload made through the first.
  const { id: datasetId } = through.upload.dataset;
  const { id: versionId } = through.upload.version;
  const elsewhere = await runSeedClient(t, other, `dataset_id = ${datasetId}\nversion_id = ${versionId}\n`);
  t.equal(elsewhere.upload_status, 201, 'its own upload through the other instance: 201 Created');
  checkData(t, elsewhere, datasetId, versionId);
});
