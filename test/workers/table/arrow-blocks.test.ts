/**
 * Arrow stream pages cut from record-batch blocks (workers/table/arrow-blocks.ts), in-process: for windows
 * across block boundaries, at the very end, of 0, 1 and 1,000 rows, over a frame with every flat type Polars
 * writes (nulls at varied bit positions, booleans, empty and non-ASCII strings, a Null column) and over the
 * 3M-row flights table (the whole of it, which Polars writes as 11 batches, makes no block), the page decodes — with apache-arrow and with Polars — to what
 * Polars' own writeIpcStream of the same slice decodes to: schema with metadata, types, nullability, values,
 * null positions. 32-bit offsets (Utf8, Binary), which Polars never writes, are checked on streams written by
 * apache-arrow against apache-arrow's own slices. Frames with a column that is not flat get no layout (the
 * per-request writer). Over HTTP, on both backends: plain pages of an uploaded Parquet file of those types
 * read as the same rows with every column projected (which Polars writes per request), by both readers; the
 * blocks are cache entries; a new version serves its own rows; a deleted one none; a sheet with a list
 * column (Polars' writer) reads the same way. Pages of a filtered, sorted view come from blocks of its cached
 * result and read as a server without a cache writes them per request.
 */
import { join } from 'node:path';
import * as A from 'apache-arrow';
import pl from 'nodejs-polars';
import t, { type Test } from 'tap';
import { nativeOf, written, type NativeFrame } from '../../../workers/native-frame.js';
import { arrowLayoutOf, blockOfStream, layoutOfStream, pageFromBlocks, writeArrowBlock, type ArrowBlock, type ArrowLayout } from '../../../workers/table/arrow-blocks.js';
import { BLOCK_ROWS } from '../../../workers/table/json-blocks.js';
import { prng } from '../../support/prng.js';
import { settledHealth } from '../../support/health.js';
import { BACKENDS, ROOT, startServer, upload, type Server } from '../../support/server.js';
import type { CacheStats } from '../../../workers/protocol.js';

const FLIGHTS = join(ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet');

/** Polars' own IPC stream of `frame`. */
const polarsStream = (frame: NativeFrame): Uint8Array => Buffer.concat(written((sink) => frame.writeIpcStream(sink, 'uncompressed')));

/** A value as compared: 64-bit integers and decimals as text, binary as byte lists, NaN spelled out. */
function comparable(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}n`;
  if (ArrayBuffer.isView(value)) return Array.from(value as Uint8Array);
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  if (value !== null && typeof value === 'object') return String(value);
  return value;
}

/** The table apache-arrow reads from `bytes`: its schema, and each column's values (null where not valid). */
function arrowReading(bytes: Uint8Array) {
  const table = A.tableFromIPC(bytes);
  return {
    rows: table.numRows,
    batches: table.batches.length,
    schema: {
      metadata: [...table.schema.metadata],
      fields: table.schema.fields.map((f) => ({ name: f.name, type: String(f.type), typeId: f.typeId, nullable: f.nullable, metadata: [...f.metadata] })),
    },
    columns: table.schema.fields.map((_, i) => {
      const column = table.getChildAt(i)!;
      return Array.from({ length: column.length }, (_, r) => (column.isValid(r) ? comparable(column.get(r)) : null));
    }),
  };
}

/** Checks our page of rows offset … offset+count−1 against `expected` (the same rows written by the reference). */
function samePage(t: Test, label: string, ours: ArrayBuffer, expected: Uint8Array, polarsToo: boolean): void {
  const got = arrowReading(new Uint8Array(ours));
  const want = arrowReading(expected);
  t.same(got.schema, want.schema, `${label}: schema`);
  t.equal(got.rows, want.rows, `${label}: rows`);
  t.equal(got.batches, 1, `${label}: one record batch`);
  const bad = got.columns.flatMap((values, c) => (JSON.stringify(values) === JSON.stringify(want.columns[c]) ? [] : [got.schema.fields[c].name]));
  t.same(bad, [], `${label}: every column's values and nulls (apache-arrow)`);
  if (!polarsToo) return;
  const ourFrame = pl.readIPCStream(Buffer.from(ours));
  const theirFrame = pl.readIPCStream(Buffer.from(expected));
  t.same(ourFrame.dtypes.map(String), theirFrame.dtypes.map(String), `${label}: Polars' dtypes`);
  t.ok(ourFrame.frameEqual(theirFrame, true), `${label}: Polars reads the same frame`);
}

/** Block i of `frame` written once, as blockArrowPage would keep it. */
function blocksOf(frame: NativeFrame, layout: ArrowLayout): (index: number) => ArrowBlock {
  const blocks = new Map<number, ArrowBlock>();
  return (index) => {
    let block = blocks.get(index);
    if (!block) blocks.set(index, (block = writeArrowBlock(frame.slice(index * BLOCK_ROWS, BLOCK_ROWS), layout)!));
    return block;
  };
}

/** Windows [offset, count] over `rows` rows: the edges that matter, then random ones. */
function windows(rows: number, seed: number, random: number): [number, number][] {
  const r = prng(seed);
  return [
    [0, 0], [0, 1], [0, 100], [BLOCK_ROWS - 1, 1], [BLOCK_ROWS - 1, 2], [BLOCK_ROWS - 50, 100], [BLOCK_ROWS, 100],
    [2 * BLOCK_ROWS - 999, 1000], [BLOCK_ROWS - 3, 7], [rows - 1, 1], [rows - 100, 100], [rows - 1000, 1000], [rows, 0], [17, 0],
    ...Array.from({ length: random }, (): [number, number] => {
      const count = r() < 0.2 ? Math.floor(r() * 9) : 1 + Math.floor(r() * 1000);
      return [Math.floor(r() * (rows - count + 1)), count];
    }),
  ];
}

const ROWS = 2 * BLOCK_ROWS + 1_234;

/** Every flat type Polars writes, with nulls at varied densities and positions. */
function everyType(seed = 11): pl.DataFrame {
  const r = prng(seed);
  const words = ['', 'a', 'é', '漢字', '🙂 emoji', 'line\nbreak', 'x'.repeat(300), 'plain'];
  const k = Array.from({ length: ROWS }, (_, i) => i);
  // Masks: none, sparse, dense, a run across the first block boundary, every other row, nearly all.
  const masks = {
    none: k.map(() => false),
    sparse: k.map(() => r() < 0.01),
    dense: k.map(() => r() < 0.4),
    run: k.map((i) => i >= BLOCK_ROWS - 13 && i < BLOCK_ROWS + 21),
    alternate: k.map((i) => i % 2 === 1),
    most: k.map(() => r() < 0.97),
  };
  const base = pl.DataFrame({
    k,
    k_mod: k.map((i) => i % 256),
    f: k.map(() => (r() - 0.5) * 1e9),
    s: k.map(() => words[Math.floor(r() * words.length)] + (r() < 0.5 ? '' : `-${Math.floor(r() * 1000)}`)),
    b: k.map(() => r() < 0.5),
    ...Object.fromEntries(Object.entries(masks).map(([name, mask]) => [`m_${name}`, mask])),
  });
  const masked = (mask: keyof typeof masks, e: pl.Expr, name: string) => pl.when(pl.col(`m_${mask}`)).then(pl.lit(null)).otherwise(e).alias(name);
  const k64 = pl.col('k').cast(pl.Int64);
  return base.select(
    masked('sparse', pl.col('k_mod').sub(128).cast(pl.Int8), 'i8'),
    masked('dense', pl.col('k').sub(20_000).cast(pl.Int16), 'i16'),
    masked('run', pl.col('k').mul(-7919).cast(pl.Int32), 'i32'),
    masked('alternate', k64.mul(1_000_000_007).add(pl.lit(-9_000_000_000_000)), 'i64'),
    masked('none', pl.col('k_mod').cast(pl.UInt8), 'u8'),
    masked('most', pl.col('k').cast(pl.UInt16), 'u16'),
    masked('sparse', pl.col('k').mul(100_003).cast(pl.UInt32), 'u32'),
    masked('dense', k64.mul(2_147_483_647).cast(pl.UInt64), 'u64'),
    masked('run', pl.col('f').cast(pl.Float32), 'f32'),
    masked('sparse', pl.col('f'), 'f64'),
    masked('alternate', pl.col('k').cast(pl.Date), 'date'),
    masked('dense', k64.mul(3_600_123).cast(pl.Datetime('ms')), 'datetime_ms'),
    masked('sparse', k64.mul(86_400_000_001).cast(pl.Datetime('us')), 'datetime_us'),
    masked('run', k64.mul(1_234_567_891).cast(pl.Datetime('ns', 'UTC')), 'datetime_ns_utc'),
    masked('most', k64.mul(1_000_000_007).cast(pl.Time), 'time'),
    masked('dense', k64.mul(-987_654).cast(pl.Duration('us')), 'duration'),
    masked('sparse', k64.mul(12_345).cast(pl.Decimal(18, 2)), 'decimal'),
    masked('dense', pl.col('s'), 'text'),
    masked('none', pl.col('s'), 'text_no_nulls'),
    masked('run', pl.col('b'), 'bool'),
    masked('none', pl.col('b'), 'bool_no_nulls'),
    masked('alternate', pl.col('b'), 'bool_alternate'),
    pl.lit(null).alias('null'),
    pl.lit(null).cast(pl.Float64).alias('all_null_f64'),
  );
}

t.test('every flat type: pages from blocks read as Polars writes the same rows', async (t) => {
  const frame = everyType();
  t.equal(frame.height, ROWS);
  const native = nativeOf(frame);
  const layout = arrowLayoutOf(native);
  t.ok(layout, 'a flat frame has a layout');
  if (!layout) return;
  const blockAt = blocksOf(native, layout);
  for (const [offset, count] of windows(ROWS, 3, 80)) {
    samePage(t, `rows ${offset}+${count}`, pageFromBlocks(layout, blockAt, offset, count)!, polarsStream(native.slice(offset, count)), true);
  }
});

t.test('the flights table: pages from blocks read as Polars writes the same rows', async (t) => {
  const native = nativeOf(pl.readParquet(FLIGHTS));
  const rows = native.height;
  t.equal(rows, 3_000_000);
  const layout = arrowLayoutOf(native)!;
  t.ok(layout, 'flights has a layout');
  const blockAt = blocksOf(native, layout);
  for (const [offset, count] of [...windows(rows, 5, 60), [1_234_567, 100], [rows - 1000, 1000], [rows - 5, 5]] as [number, number][]) {
    samePage(t, `flights rows ${offset}+${count}`, pageFromBlocks(layout, blockAt, offset, count)!, polarsStream(native.slice(offset, count)), true);
  }
  // Polars splits what it writes into batches of some megabytes, even from one chunk: such rows make no block.
  t.equal(A.tableFromIPC(polarsStream(native.rechunk())).batches.length, 11, 'Polars writes the whole frame as 11 batches');
  t.equal(writeArrowBlock(native, layout), undefined, 'the whole frame is no block');
});

t.test('32-bit offsets (Utf8, Binary), as apache-arrow writes them: pages equal its own slices', async (t) => {
  const r = prng(21);
  const n = ROWS;
  const words = ['', 'b', 'ü', '日本', 'long '.repeat(40)];
  const valid = (p: number) => () => r() >= p;
  const utf8Valid = Array.from({ length: n }, valid(0.3));
  const binValid = Array.from({ length: n }, valid(0.05));
  const table = new A.Table({
    utf8: A.vectorFromArray(utf8Valid.map((v, i) => (v ? `${words[i % words.length]}${i}` : null)), new A.Utf8()),
    binary: A.vectorFromArray(binValid.map((v, i) => (v ? Uint8Array.from({ length: i % 7 }, (_, j) => (i + j) & 0xff) : null)), new A.Binary()),
    large: A.vectorFromArray(utf8Valid.map((v, i) => (v ? words[(i * 3) % words.length] : null)), new A.LargeUtf8()),
    flag: A.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? null : i % 3 === 0)), new A.Bool()),
    int: A.vectorFromArray(Array.from({ length: n }, (_, i) => (i % 9 === 0 ? null : i * 31)), new A.Int32()),
  });
  const stream = (from: number, count: number) => A.tableToIPC(table.slice(from, from + count), 'stream');
  const layout = layoutOfStream(stream(0, 0))!;
  t.ok(layout, 'Utf8 and Binary are flat');
  const blocks = new Map<number, ArrowBlock>();
  const blockAt = (i: number) => blocks.get(i) ?? blocks.set(i, blockOfStream(stream(i * BLOCK_ROWS, BLOCK_ROWS), layout)!).get(i)!;
  for (const [offset, count] of windows(n, 9, 40)) {
    samePage(t, `rows ${offset}+${count}`, pageFromBlocks(layout, blockAt, offset, count)!, stream(offset, count), false);
  }
});

t.test('a column that is not flat: no layout, the per-request writer', async (t) => {
  const base = pl.DataFrame({ k: [1, 2, 3], s: ['a', 'b', 'a'] });
  const cases: [string, pl.DataFrame][] = [
    ['categorical', base.withColumns(pl.col('s').cast(pl.Categorical))],
    ['list', base.withColumns(pl.concatList([pl.col('k')]).alias('l'))],
    ['struct', base.select(pl.struct([pl.col('k'), pl.col('s')]).alias('st'))],
    ['no column', base.select()],
  ];
  for (const [label, frame] of cases) t.equal(arrowLayoutOf(nativeOf(frame)), undefined, `${label}: no layout`);
});

const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

/** An Arrow stream page: by Accept, or by ?format= on odd offsets (the two ways to ask). */
async function arrowBytes(server: Server, base: string, query: string, offset: number): Promise<Uint8Array> {
  const byFormat = offset % 2 === 1;
  const res = await fetch(`${server.url}${base}?${query}${byFormat ? '&format=arrow-stream' : ''}`, { headers: byFormat ? {} : { accept: ARROW_STREAM } });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${base}?${query}: ${res.status} ${Buffer.from(bytes).toString()}`);
  return bytes;
}

/** Arrow block entries in the data workers' caches, once /health has caught up. */
const cacheEntries = async (server: Server): Promise<number> =>
  ((await settledHealth(server)).workers.data as { cache: CacheStats }[]).reduce((n, w) => n + w.cache.entries, 0);

for (const backend of BACKENDS) {
  t.test(`${backend}: plain Arrow stream pages equal Polars' writer over HTTP`, async (t) => {
    const server = await startServer(t, { backend });
    const frame = everyType();
    const up = await upload(server, frame.writeParquet(), 'every-type.parquet', { name: 'arrow blocks' });
    t.equal(up.status, 201);
    const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data`;
    const all = `columns=${frame.columns.join(',')}`;
    // Local: the first reads are answered from the file while the frame is decoded and cached.
    if (backend === 'local') for (let i = 0; i < 50 && (await cacheEntries(server)) < 1; i++) await arrowBytes(server, base, 'offset=0&limit=10', 0);
    const before = await cacheEntries(server);
    const random = prng(17);
    const pages: [number, number][] = [
      [0, 100], [BLOCK_ROWS - 1, 2], [BLOCK_ROWS - 50, 100], [2 * BLOCK_ROWS - 999, 1000], [ROWS - 100, 100], [ROWS - 1, 1000], [ROWS, 100], [ROWS + 10, 5],
      ...Array.from({ length: 16 }, (): [number, number] => [Math.floor(random() * ROWS), 1 + Math.floor(random() * 1000)]),
    ];
    for (const [offset, limit] of pages) {
      const query = `offset=${offset}&limit=${limit}`;
      samePage(t, `${backend} ${query}`, (await arrowBytes(server, base, query, offset)).slice().buffer, await arrowBytes(server, base, `${query}&${all}`, offset), true);
    }
    const blocks = (await cacheEntries(server)) - before;
    t.equal(blocks, Math.ceil(ROWS / BLOCK_ROWS), `each block read is a cache entry (${blocks})`);

    // A new version of the dataset: its pages are its own rows.
    const frame2 = everyType(12);
    const up2 = await upload(server, frame2.writeParquet(), 'every-type-2.parquet', { dataset_id: String(up.body.dataset.id) });
    t.equal(up2.status, 201);
    const base2 = `/api/datasets/${up.body.dataset.id}/versions/${up2.body.version.id}/data`;
    for (const offset of [0, BLOCK_ROWS - 10, ROWS - 5]) {
      const query = `offset=${offset}&limit=20`;
      const page = await arrowBytes(server, base2, query, offset);
      samePage(t, `version 2, ${query}`, page.slice().buffer, await arrowBytes(server, base2, `${query}&${all}`, offset), true);
      const text = (bytes: Uint8Array) => JSON.stringify(arrowReading(bytes).columns[frame.columns.indexOf('text')]);
      t.not(text(page), text(await arrowBytes(server, base, query, offset)), `version 2 at ${offset}: not version 1's rows`);
    }

    // Deleted: no page at all.
    t.equal((await fetch(`${server.url}/api/datasets/${up.body.dataset.id}`, { method: 'DELETE' })).status, 204);
    t.equal((await fetch(`${server.url}${base2}?offset=0&limit=10`, { headers: { accept: ARROW_STREAM } })).status, 404, 'a deleted version serves no page');

    // A sheet with a list column takes Polars' writer: the same rows all the same.
    const listed = frame.select('text', 'i32').withColumns(pl.concatList([pl.col('i32')]).alias('list'));
    const up3 = await upload(server, listed.writeParquet(), 'list.parquet', { name: 'list column' });
    t.equal(up3.status, 201);
    const base3 = `/api/datasets/${up3.body.dataset.id}/versions/${up3.body.version.id}/data`;
    for (const [offset, limit] of [[0, 100], [BLOCK_ROWS - 50, 100], [ROWS - 3, 10]]) {
      const query = `offset=${offset}&limit=${limit}`;
      samePage(t, `list column, ${query}`, (await arrowBytes(server, base3, query, offset)).slice().buffer, await arrowBytes(server, base3, `${query}&columns=text,i32,list`, offset), true);
    }
  });
}

for (const backend of BACKENDS) {
  t.test(`${backend}: Arrow stream pages of a filtered, sorted view from blocks of its result equal Polars' writer`, async (t) => {
    // The same file on a server without a cache, whose pages Polars' writer writes per request.
    const [server, writer] = await Promise.all([startServer(t, { backend }), startServer(t, { backend, env: { CACHE_BYTES: '0' } })]);
    const frame = everyType(5);
    const bases: string[] = [];
    for (const s of [server, writer]) {
      const up = await upload(s, frame.writeParquet(), 'view.parquet', { name: 'arrow view' });
      t.equal(up.status, 201);
      bases.push(`/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data`);
    }
    const view = 'filter[u8]gt=20&sort=-i32';
    const rows = frame.filter(pl.col('u8').gt(20)).height;
    t.ok(rows > 2 * BLOCK_ROWS, `the view spans three blocks (${rows} rows)`);
    if (backend === 'local') for (let i = 0; i < 50 && (await cacheEntries(server)) < 1; i++) await arrowBytes(server, bases[0], 'offset=0&limit=1&columns=u8', 0);
    const before = await cacheEntries(server);
    const random = prng(23);
    const pages: [number, number][] = [
      [0, 100], [BLOCK_ROWS - 2, 5], [2 * BLOCK_ROWS, 1000], [rows - 10, 100], [rows, 10],
      ...Array.from({ length: 10 }, (): [number, number] => [Math.floor(random() * rows), 1 + Math.floor(random() * 1000)]),
    ];
    for (const [offset, limit] of pages) {
      const query = `${view}&offset=${offset}&limit=${limit}`;
      samePage(t, `${backend} ${query}`, (await arrowBytes(server, bases[0], query, offset)).slice().buffer, await arrowBytes(writer, bases[1], query, offset), true);
    }
    const entries = (await cacheEntries(server)) - before;
    t.equal(entries, 1 + Math.ceil(rows / BLOCK_ROWS), `the view's result and its blocks are cache entries (${entries} more)`);
  });
}
