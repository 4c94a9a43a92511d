/**
 * Plain JSON pages copied from JSON blocks written once (workers/table/json-blocks.ts), on both backends: every
 * page — across block boundaries, of 1 to 1,000 rows, at the end, past the end, with int64=string — is the same
 * bytes as the per-request writer gives for the same rows (a projection of every column, which never uses the
 * blocks), and its values are csv-parse's reading of the file. A new version serves its own rows, not the
 * blocks of the one before; the blocks are cache entries, counted in /health. Pages of a filtered, sorted view
 * come from blocks of its cached result: the same bytes as a server without a cache writes per request, the
 * rows csv-parse's reading filtered and sorted independently.
 */
import { parse } from 'csv-parse/sync';
import t from 'tap';
import type { CacheStats } from '../../../workers/protocol.js';
import { BLOCK_ROWS } from '../../../workers/table/json-blocks.js';
import { prng } from '../../support/prng.js';
import { settledHealth } from '../../support/health.js';
import { BACKENDS, startServer, upload, type Server } from '../../support/server.js';

const ROWS = 2 * BLOCK_ROWS + 1_234;
const COLUMNS = ['id', 'big', 'ratio', 'label', 'at', 'day', 'ok'];

/** Rows with what JSON writers get wrong: quotes, braces, commas and line breaks in text, naive datetimes, nulls, 64-bit integers. */
function table(seed: number): string {
  const random = prng(seed);
  const lines = [COLUMNS.join(',')];
  for (let i = 0; i < ROWS; i++) {
    const label = i % 97 === 0 ? '"say ""},{"" and\nmore, é"' : i % 13 === 0 ? '' : `s${seed}-${Math.floor(random() * 9973)}`;
    const at = `20${String(10 + (i % 15))}-0${1 + (i % 9)}-1${i % 10} 0${i % 10}:1${i % 6}:2${i % 10}`;
    const day = `2024-0${1 + (i % 9)}-2${i % 8}`;
    lines.push([i, i % 11 === 0 ? '' : String(9_007_199_254_740_000n + BigInt(i)), (random() * 1000).toFixed(3), label, at, day, i % 3 === 0].join(','));
  }
  return lines.join('\n') + '\n';
}

async function bytesOf(server: Server, path: string): Promise<string> {
  const res = await fetch(`${server.url}${path}`);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.text();
}

/** Entries in the data workers' caches, once /health has caught up (its worker figures may be one read old). */
const cacheEntries = async (server: Server): Promise<number> =>
  ((await settledHealth(server)).workers.data as { cache: CacheStats }[]).reduce((n, w) => n + w.cache.entries, 0);

for (const backend of BACKENDS) {
  t.test(`${backend}: plain JSON pages from blocks equal the per-request writer and csv-parse`, async (t) => {
    const server = await startServer(t, { backend });
    const csv = table(1);
    const up = await upload(server, csv, 'blocks.csv', { name: 'blocks' });
    t.equal(up.status, 201);
    const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data`;
    const expected = parse(csv, { columns: true }) as Record<string, string>[];
    t.equal(expected.length, ROWS);

    const random = prng(7);
    const windows: [number, number][] = [
      [0, 100], [BLOCK_ROWS - 1, 1], [BLOCK_ROWS - 50, 100], [BLOCK_ROWS, 100], [2 * BLOCK_ROWS - 999, 1000],
      [ROWS - 100, 100], [ROWS - 30, 100], [ROWS - 1, 1000], [ROWS, 100], [ROWS + 500, 10],
      ...Array.from({ length: 30 }, (): [number, number] => [Math.floor(random() * ROWS), 1 + Math.floor(random() * 1000)]),
    ];
    // Local: the first reads are answered from the file while the frame is decoded and cached; read until
    // pages come from the blocks (the cache gains entries beyond the sheet's own).
    if (backend === 'local') {
      for (let i = 0; i < 50 && (await cacheEntries(server)) < 2; i++) await bytesOf(server, `${base}?offset=0&limit=10`);
    }
    for (const [offset, limit] of windows) {
      for (const int64 of ['number', 'string']) {
        const plain = await bytesOf(server, `${base}?offset=${offset}&limit=${limit}&int64=${int64}`);
        const written = await bytesOf(server, `${base}?offset=${offset}&limit=${limit}&int64=${int64}&columns=${COLUMNS.join(',')}`);
        t.equal(plain, written, `offset ${offset}, limit ${limit}, int64=${int64}: the same bytes`);
      }
      const page = JSON.parse(await bytesOf(server, `${base}?offset=${offset}&limit=${limit}&int64=string`));
      const want = expected.slice(offset, offset + limit);
      t.same(
        page.data.map((r: Record<string, unknown>) => [r.id, r.big, r.label, r.at, r.day, r.ok]),
        want.map((r) => [Number(r.id), r.big === '' ? null : r.big, r.label === '' ? null : r.label, r.at.replace(' ', 'T'), r.day, r.ok === 'true']),
        `offset ${offset}, limit ${limit}: csv-parse's values`,
      );
      t.equal(page.total_rows, ROWS);
    }
    // Every block was read: memory holds its frame outside the cache, local has it in (one entry more).
    const entries = await cacheEntries(server);
    t.equal(entries, Math.ceil(ROWS / BLOCK_ROWS) + (backend === 'local' ? 1 : 0), `the blocks are cache entries (${entries})`);

    // A new version of the dataset: its pages are its own rows.
    const csv2 = table(2);
    const up2 = await upload(server, csv2, 'blocks-2.csv', { dataset_id: String(up.body.dataset.id) });
    t.equal(up2.status, 201);
    const base2 = `/api/datasets/${up.body.dataset.id}/versions/${up2.body.version.id}/data`;
    const expected2 = parse(csv2, { columns: true }) as Record<string, string>[];
    for (const offset of [0, BLOCK_ROWS - 10, ROWS - 5]) {
      const page = JSON.parse(await bytesOf(server, `${base2}?offset=${offset}&limit=20`));
      t.same(page.data.map((r: Record<string, unknown>) => r.label), expected2.slice(offset, offset + 20).map((r) => (r.label === '' ? null : r.label)), `version 2 at ${offset}`);
    }
    t.not(expected2[1].label, expected[1].label, 'the two versions differ where compared');
  });
}

for (const backend of BACKENDS) {
  t.test(`${backend}: pages of a filtered, sorted view come from blocks of its result, as the writer and csv-parse give them`, async (t) => {
    // The same file on a server without a cache, whose pages Polars' writer writes per request.
    const [server, writer] = await Promise.all([startServer(t, { backend }), startServer(t, { backend, env: { CACHE_BYTES: '0' } })]);
    const csv = table(3);
    const bases: string[] = [];
    for (const s of [server, writer]) {
      const up = await upload(s, csv, 'view.csv', { name: 'view' });
      t.equal(up.status, 201);
      bases.push(`/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data`);
    }
    const query = 'filter[ratio]gt=300&sort=-ratio,id';
    // An independent reading: csv-parse's rows, filtered and sorted here.
    const want = (parse(csv, { columns: true }) as Record<string, string>[])
      .filter((r) => Number(r.ratio) > 300)
      .sort((a, b) => Number(b.ratio) - Number(a.ratio) || Number(a.id) - Number(b.id));
    t.ok(want.length > BLOCK_ROWS, `the view spans blocks (${want.length} rows)`);
    // Local: the sheet's frame is cached after its first read (one entry); wait for it, then count.
    if (backend === 'local') {
      for (let i = 0; i < 50 && (await cacheEntries(server)) < 1; i++) await bytesOf(server, `${bases[0]}?offset=0&limit=1&columns=id`);
    }
    const before = await cacheEntries(server);

    const random = prng(11);
    const windows: [number, number][] = [
      [0, 100], [BLOCK_ROWS - 3, 10], [BLOCK_ROWS, 1], [want.length - 7, 100], [want.length, 10],
      ...Array.from({ length: 15 }, (): [number, number] => [Math.floor(random() * want.length), 1 + Math.floor(random() * 1000)]),
    ];
    for (const [offset, limit] of windows) {
      const path = (base: string) => `${base}?${query}&offset=${offset}&limit=${limit}`;
      const fromBlocks = await bytesOf(server, path(bases[0]));
      t.equal(fromBlocks, await bytesOf(writer, path(bases[1])), `offset ${offset}, limit ${limit}: the writer's bytes`);
      const page = JSON.parse(fromBlocks);
      t.same(page.data.map((r: Record<string, unknown>) => [r.id, r.ratio]), want.slice(offset, offset + limit).map((r) => [Number(r.id), Number(r.ratio)]), `offset ${offset}, limit ${limit}: csv-parse's rows`);
      t.equal(page.total_rows, want.length);
    }
    // The result is one entry and each of its blocks another (the sheet's own blocks were never read).
    const entries = (await cacheEntries(server)) - before;
    t.equal(entries, 1 + Math.ceil(want.length / BLOCK_ROWS), `the view's result and its blocks are cache entries (${entries} more)`);
  });
}
