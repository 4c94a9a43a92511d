/**
 * The memory backend's shared-memory directory (SHARED_MEMORY_DIR, src/storage/handoff-dir.ts): uploads stream
 * into files there and parsed sheets pass through it to the shards; its fallback, buffers moved between the
 * threads, serves the same bytes (pages, SQL answers — whose snapshots pass the same ways — and downloads), equal
 * to csv-parse's reading of the file. The directory holds each stored upload's file and nothing else after an
 * upload, a query, a refused file, a crashed parser or a delete; a stopped server removes its directory and a
 * killed one's is removed by the next start; no room, no Content-Length or a write that fails: buffers.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import t from 'tap';
import { HandoffDir } from '../../src/storage/handoff-dir.js';
import { arrowForThread } from '../../workers/encoders/arrow.js';
import { nativeOf } from '../../workers/native-frame.js';
import { COLUMNS, generateCsv, readReference } from '../support/reference-query.js';
import { ROOT, getJson, startServer, tmpDir, upload, type Server } from '../support/server.js';
import { streamUpload } from '../support/corpus/http.js';

const CSV = generateCsv(5_000, 20261201);
const REFERENCE = readReference(CSV);
const XLSX = readFileSync(join(ROOT, 'test/fixtures/multi-sheet.xlsx'));

/** The server's directory under `root` (one per process) and what it holds. */
function handoffEntries(root: string, server: Server): string[] | undefined {
  const dir = join(root, `dataset-service-${server.proc.pid}`);
  return existsSync(dir) ? readdirSync(dir) : undefined;
}

async function page(server: Server, base: string, query: string, accept = 'application/json'): Promise<Buffer> {
  const res = await fetch(`${server.url}${base}/data?${query}`, { headers: { accept } });
  if (res.status !== 200) throw new Error(`${base}/data?${query}: HTTP ${res.status} ${await res.text()}`);
  return Buffer.from(await res.arrayBuffer());
}

t.test('shared memory and buffers serve the same rows, and the directory is left empty', async (t) => {
  const root = tmpDir(t, 'handoff-root-');
  const viaFiles = await startServer(t, { backend: 'memory', env: { SHARED_MEMORY_DIR: root, TEST_FAULTS: '1' } });
  const viaBuffers = await startServer(t, { backend: 'memory', env: { SHARED_MEMORY_DIR: '' } });
  t.same(handoffEntries(root, viaFiles), [], 'the server made its directory at start');

  const bases: string[] = [];
  for (const server of [viaFiles, viaBuffers]) {
    const up = await upload(server, CSV, 'generated.csv');
    t.equal(up.status, 201, `${server === viaFiles ? 'files' : 'buffers'}: 201`);
    bases.push(`/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`);
  }
  // The upload streamed into a file there, which /download serves and the version keeps: its only entry.
  const kept = handoffEntries(root, viaFiles)!;
  t.equal(kept.length, 1, 'one entry: the stored upload');
  const ownDir = join(root, `dataset-service-${viaFiles.proc.pid}`);
  t.same(readdirSync(join(ownDir, kept[0])), ['source'], 'holding its file alone (the sheets went to the shard)');
  t.ok(readFileSync(join(ownDir, kept[0], 'source')).equals(Buffer.from(CSV)), 'the bytes as sent');
  for (const [i, server] of [viaFiles, viaBuffers].entries()) {
    const res = await fetch(`${server.url}${bases[i]}/download`);
    t.ok(Buffer.from(await res.arrayBuffer()).equals(Buffer.from(CSV)), `${i === 0 ? 'files' : 'buffers'}: /download gives the bytes as sent`);
  }

  for (const query of ['offset=0&limit=1000', 'offset=2500&limit=1000', 'offset=4900&limit=1000', 'sort=-price,id&limit=500']) {
    t.ok((await page(viaFiles, bases[0], query)).equals(await page(viaBuffers, bases[1], query)), `JSON ${query}: same bytes`);
    const arrow = 'application/vnd.apache.arrow.stream';
    t.ok((await page(viaFiles, bases[0], query, arrow)).equals(await page(viaBuffers, bases[1], query, arrow)), `Arrow ${query}: same bytes`);
  }

  // Every row against csv-parse's reading (the datetime column is written with its fraction of a second).
  const rows: Record<string, unknown>[] = [];
  for (let offset = 0; offset < REFERENCE.length; offset += 1000) rows.push(...JSON.parse((await page(viaFiles, bases[0], `offset=${offset}&limit=1000`)).toString()).data);
  t.equal(rows.length, REFERENCE.length, 'every row');
  const differing = rows.findIndex((row, i) =>
    COLUMNS.some((c) => (c === 'ts' ? (row.ts === null ? REFERENCE[i].ts !== null : Date.parse(`${row.ts}Z`) !== Date.parse(`${REFERENCE[i].ts}Z`)) : row[c] !== REFERENCE[i][c])),
  );
  t.equal(differing, -1, 'each row as csv-parse reads it');

  // SQL: the shard's snapshots pass the same two ways (and the query scans the file for what it reads).
  for (const [query, accept] of [
    ['SELECT city, count(*) AS n, sum(qty) AS q FROM data GROUP BY city ORDER BY city', 'application/json'],
    ['SELECT id, day, ts FROM data WHERE price < -450 ORDER BY id', 'application/vnd.apache.arrow.stream'],
  ]) {
    const answers = await Promise.all(
      [viaFiles, viaBuffers].map(async (server, i) => {
        const res = await fetch(`${server.url}${bases[i]}/query`, { method: 'POST', headers: { 'content-type': 'application/json', accept }, body: JSON.stringify({ sql: query }) });
        t.equal(res.status, 200, `${query}: 200`);
        return Buffer.from(await res.arrayBuffer());
      }),
    );
    t.ok(answers[0].equals(answers[1]), `${query}: the same answer`);
  }
  const grouped = await fetch(`${viaFiles.url}${bases[0]}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ sql: 'SELECT city, count(*) AS n FROM data GROUP BY city' }),
  });
  const cities = ((await grouped.json()) as { data: { city: string | null; n: number }[] }).data;
  const counted = new Map<string | null, number>();
  for (const row of REFERENCE) counted.set(row.city as string | null, (counted.get(row.city as string | null) ?? 0) + 1);
  t.same(new Map(cities.map((r) => [r.city, r.n])), counted, 'counts per city as csv-parse reads them');
  const refused = await fetch(`${viaFiles.url}${bases[0]}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT nope FROM data' }) });
  t.equal(refused.status, 400, 'a query naming no column: 400');
  t.same(handoffEntries(root, viaFiles), kept, 'nothing left after queries');

  const workbook = await upload(viaFiles, XLSX, 'multi-sheet.xlsx');
  t.equal(workbook.status, 201, 'a workbook of three sheets');
  t.same(
    workbook.body.sheets.map((s: { row_count: number }) => s.row_count),
    [5, 4, 0],
    'each sheet loaded',
  );
  t.equal(handoffEntries(root, viaFiles)!.length, 2, 'after a workbook: its file beside the first');

  const ragged = await upload(viaFiles, 'a,b\n1,2\n3,4,5\n', 'ragged.csv');
  t.equal(ragged.status, 422, 'a refused file');
  const crashed = await upload(viaFiles, 'a,b\n1,2\n', 'crash-parser.csv');
  t.ok(crashed.status >= 400 && crashed.status < 600 && crashed.status !== 201, `a crashed parser: ${crashed.status}`);
  t.equal(handoffEntries(root, viaFiles)!.length, 2, 'nothing left after a refusal or a crash');
  t.equal((await getJson(viaFiles, `${bases[0]}/data?limit=1`)).status, 200, 'what was stored is still served');
  t.equal((await fetch(`${viaFiles.url}/api/datasets/${workbook.body.dataset.id}`, { method: 'DELETE' })).status, 204, 'the workbook deleted');
  t.same(handoffEntries(root, viaFiles), kept, 'and its file with it');

  // Without a Content-Length there is no size to reserve room by: the upload gathers in a buffer, as before.
  const chunked = await streamUpload(viaFiles, { fileName: 'chunked.csv', chunk: Buffer.from('7,8\n'), total: 40_000, everyMs: 0, giveUpMs: 20_000 });
  t.equal(chunked.response?.status, 201, 'a chunked upload: 201');
  t.same(handoffEntries(root, viaFiles), kept, 'kept in memory, not in the directory');
  const chunkedBase = `/api/datasets/${chunked.response!.body.dataset.id}/versions/${chunked.response!.body.version.id}`;
  const download = Buffer.from(await (await fetch(`${viaFiles.url}${chunkedBase}/download`)).arrayBuffer());
  t.ok(download.equals(Buffer.from('7,8\n'.repeat(10_000))), 'and downloaded as sent');

  t.equal(await viaFiles.stop(), 0, 'the server stops');
  t.equal(handoffEntries(root, viaFiles), undefined, 'and removes its directory');
});

t.test("a killed server's directory is removed by the next start; other live processes' are kept", async (t) => {
  const root = tmpDir(t, 'handoff-root-');
  const killed = await startServer(t, { backend: 'memory', env: { SHARED_MEMORY_DIR: root } });
  writeFileSync(join(root, `dataset-service-${killed.proc.pid}`, 'left-behind'), 'x');
  await killed.kill();
  const live = join(root, `dataset-service-${process.pid}`); // this test's own process: alive
  mkdirSync(live);
  const next = await startServer(t, { backend: 'memory', env: { SHARED_MEMORY_DIR: root } });
  t.same(readdirSync(root).sort(), [`dataset-service-${next.proc.pid}`, `dataset-service-${process.pid}`].sort(), 'the dead one went, the live one stayed');
  t.equal((await upload(next, CSV, 'generated.csv')).status, 201);
});

t.test('a SHARED_MEMORY_DIR that cannot be used: a warning at start, and sheets in buffers', async (t) => {
  const root = join(tmpDir(t, 'handoff-root-'), 'missing');
  const server = await startServer(t, { backend: 'memory', env: { SHARED_MEMORY_DIR: root } });
  t.ok(
    server.logs.some((line) => /SHARED_MEMORY_DIR=.*missing cannot be used/.test(line) && JSON.parse(line).level === 40),
    'warned',
  );
  const up = await upload(server, CSV, 'generated.csv');
  t.equal(up.status, 201);
  t.equal(up.body.sheets[0].row_count, REFERENCE.length, 'stored');
  t.notOk(existsSync(root), 'nothing made');
});

t.test('HandoffDir: room, and what cannot be opened', async (t) => {
  const root = tmpDir(t, 'handoff-root-');
  const dir = HandoffDir.open(root)!;
  t.ok(dir, 'opened');
  t.equal(await dir.make('too-big', Number.MAX_SAFE_INTEGER), undefined, 'no room: undefined (buffers)');
  const upload = await dir.make('k', 1024);
  t.equal(upload, join(root, `dataset-service-${process.pid}`, 'k'), 'a directory per upload');
  writeFileSync(join(upload!, 'sheet-0.arrow'), 'x');
  await dir.remove('k');
  t.same(readdirSync(join(root, `dataset-service-${process.pid}`)), [], 'removed with its files');
  t.equal(HandoffDir.open(join(root, 'no', 'such')), undefined, 'a missing root: undefined');
  dir.close();
  t.same(readdirSync(root), [], 'closed: gone');
});

t.test('a sheet goes in a buffer when its file cannot be written', async (t) => {
  const frame = pl.DataFrame({ id: [1, 2, 3], name: ['a', null, 'ü'] });
    const root = tmpDir(t, 'handoff-sheet-');
  const file = arrowForThread(nativeOf(frame), join(root, 'sheet-0.arrow'));
  t.equal(file.kind, 'file');
  t.ok(pl.scanIPC(join(root, 'sheet-0.arrow')).collectSync().frameEqual(frame, true), 'the file holds the sheet');
  const fallback = arrowForThread(nativeOf(frame), join(root, 'missing-dir', 'sheet-0.arrow'));
  t.equal(fallback.kind, 'buffer', 'a write that fails: a buffer');
  t.ok(pl.readIPC(Buffer.from((fallback as { ipc: ArrayBuffer }).ipc)).frameEqual(frame, true), 'holding the sheet');
  t.notOk(existsSync(join(root, 'missing-dir')), 'nothing made');
});
