/**
 * Cold reads: the first page of a sheet a data worker never opened (a fresh version, or after a restart of a
 * local server) equals the same page served again and hyparquet's reading of the uploaded file, at offsets on
 * and across the stored file's row-group boundaries, first and last rows, on both backends (the memory backend
 * has no cold path; the same assertions hold). The local backend's stored file is read back whole with
 * hyparquet: row groups of STORED_ROW_GROUP rows, every value as uploaded.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import * as A from 'apache-arrow';
import pl from 'nodejs-polars';
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { BACKENDS, parseExact, startServer, upload, type Server } from '../../support/server.js';

/** The row-group size the parse worker writes (workers/parse-worker.ts). */
const STORED_ROW_GROUP = 32_767;
const ROWS = 3 * STORED_ROW_GROUP + 1_702;

/** A table of the common types, written by Polars in its own (larger) row groups. */
function sourceFile(): Uint8Array {
  const I = (v: number) => pl.lit(v).cast(pl.Int64);
  const frame = pl.DataFrame([pl.Series('i', Array.from({ length: ROWS }, (_, i) => i), pl.Int64)]).select(
    pl.col('i').mul(I(1_000_003)).add(I(2 ** 53)).alias('id'), // beyond 2^53: exact only as BigInt
    pl.col('i').cast(pl.Float64).div(7).alias('amount'),
    pl.when(pl.col('i').modulo(13).eq(0)).then(pl.lit(null, pl.Utf8)).otherwise(pl.lit('name-').add(pl.col('i').cast(pl.Utf8))).alias('name'),
    pl.col('i').modulo(3).eq(0).alias('flag'),
    pl.col('i').modulo(20_000).cast(pl.Int32).cast(pl.Date).alias('day'),
    pl.col('i').mul(I(60_000_123)).cast(pl.Datetime('us')).alias('at'),
  );
  return new Uint8Array(frame.writeParquet({ compression: 'zstd' }) as unknown as Buffer);
}

type Row = { id: bigint; amount: number; name: string | null; flag: boolean; day: string; at: bigint };

/** hyparquet's reading of Parquet bytes or a file: ids as BigInt, days as `YYYY-MM-DD`, instants as microseconds. */
async function readRows(file: ArrayBuffer | string, rowStart = 0, rowEnd?: number): Promise<Row[]> {
  const rows = await parquetReadObjects({
    file: typeof file === 'string' ? await asyncBufferFromFile(file) : file,
    compressors,
    rowStart,
    rowEnd,
    parsers: { timestampFromMicroseconds: (us: bigint) => us },
  });
  return rows.map((r) => ({ ...r, day: (r.day as Date).toISOString().slice(0, 10) }) as Row);
}

/** Microseconds since 1970 of a served naive datetime (`YYYY-MM-DDTHH:MM:SS[.ffffff]`, read in UTC). */
function microsOf(iso: unknown): bigint | undefined {
  const m = typeof iso === 'string' ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?$/.exec(iso) : null;
  if (!m) return undefined;
  return BigInt(Date.parse(`${m[1]}Z`)) * 1000n + BigInt((m[2] ?? '').padEnd(6, '0'));
}

/** Served JSON rows as the reference's shape (undefined where a value is not in the served form). */
function fromJson(row: any): Partial<Row> {
  return { id: typeof row.id === 'bigint' ? row.id : BigInt(row.id), amount: row.amount, name: row.name, flag: row.flag, day: row.day, at: microsOf(row.at) };
}

const show = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));

/** The first rows (at most 5) where `got` and `expected` differ, or that their lengths do. */
function differences(got: Partial<Row>[], expected: Row[], start: number): string[] {
  const out: string[] = [];
  if (got.length !== expected.length) out.push(`${got.length} rows served, ${expected.length} in the file`);
  for (let i = 0; i < Math.min(got.length, expected.length) && out.length < 5; i++) {
    if (show(got[i]) !== show(expected[i])) out.push(`row ${start + i}: served ${show(got[i])}, file ${show(expected[i])}`);
  }
  return out;
}

async function jsonPage(server: Server, path: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.url}${path}`);
  return { status: res.status, body: parseExact(await res.text()) };
}

async function arrowRows(server: Server, path: string): Promise<Partial<Row>[]> {
  const res = await fetch(`${server.url}${path}`, { headers: { Accept: 'application/vnd.apache.arrow.stream' } });
  const table = A.tableFromIPC(new Uint8Array(await res.arrayBuffer()));
  // Instants from the raw 64-bit microseconds (the row view rounds them to milliseconds); no nulls in `at`.
  const micros = table.getChild('at')!.data.flatMap((d) => Array.from((d.values as BigInt64Array).subarray(d.offset, d.offset + d.length)));
  return table.toArray().map((r: any, i) => ({
    id: r.id,
    amount: r.amount,
    name: r.name,
    flag: r.flag,
    day: new Date(Number(r.day)).toISOString().slice(0, 10),
    at: micros[i],
  }));
}

/** JSON windows (offset, limit): on, before and across the stored row-group boundaries; first, last, past the end. */
const WINDOWS: [number, number][] = [
  [0, 100],
  [STORED_ROW_GROUP - 40, 100], // across the first boundary
  [STORED_ROW_GROUP, 100], // the second group's first rows
  [2 * STORED_ROW_GROUP - 100, 100], // ends exactly at a boundary
  [2 * STORED_ROW_GROUP - 500, 1000], // a 1000-row page across a boundary
  [3 * STORED_ROW_GROUP - 50, 100], // into the short last group
  [ROWS - 100, 100], // the last rows
  [ROWS - 13, 100], // a partial last page
  [ROWS, 100], // past the end: empty
];

const source = sourceFile();
const sourceBuffer = source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength) as ArrayBuffer;

for (const backend of BACKENDS) {
  t.test(`${backend}: cold pages equal pages served again and the file`, async (t) => {
    const reference = await readRows(sourceBuffer);
    t.equal(reference.length, ROWS, 'hyparquet reads every row of the source');
    let server = await startServer(t, { backend });
    const first = await upload(server, source, 'cold.parquet', { name: 'cold' });
    t.equal(first.status, 201, 'uploaded');
    const datasetId = first.body.dataset.id;

    const check = async (base: string, [offset, limit]: [number, number], label: string) => {
      const path = `${base}/data?offset=${offset}&limit=${limit}`;
      const cold = await jsonPage(server, path);
      const again = await jsonPage(server, path);
      t.equal(cold.status, 200, `${label} ${offset}+${limit}: 200`);
      t.equal(cold.body.total_rows, ROWS, `${label} ${offset}+${limit}: total_rows`);
      t.same(show(again.body), show(cold.body), `${label} ${offset}+${limit}: served again, the same body`);
      const expected = reference.slice(offset, offset + limit);
      t.same(differences(cold.body.data.map(fromJson), expected, offset), [], `${label} ${offset}+${limit}: every value as in the file`);
    };

    // Each window first read from a version no worker has opened.
    for (const window of WINDOWS) {
      const up = await upload(server, source, 'cold.parquet', { dataset_id: String(datasetId) });
      t.equal(up.status, 201, 'new version');
      await check(`/api/datasets/${datasetId}/versions/${up.body.version.id}`, window, 'fresh version');
    }
    const base = `/api/datasets/${datasetId}/versions/${first.body.version.id}`;

    // Arrow has no row cap: one window across two boundaries, cold on a fresh version, then again.
    const arrowUp = await upload(server, source, 'cold.parquet', { dataset_id: String(datasetId) });
    const arrowPath = `/api/datasets/${datasetId}/versions/${arrowUp.body.version.id}/data?offset=30000&limit=40000`;
    const arrowCold = await arrowRows(server, arrowPath);
    t.same(differences(arrowCold, reference.slice(30_000, 70_000), 30_000), [], 'Arrow 30000+40000, cold: every value as in the file');
    t.same(differences(await arrowRows(server, arrowPath), reference.slice(30_000, 70_000), 30_000), [], 'Arrow 30000+40000, again');

    if (backend === 'local') {
      // After a restart every sheet is cold: the first request of each window, on the same data.
      await server.stop();
      server = await startServer(t, { backend, dataDir: server.dataDir });
      for (const window of [WINDOWS[1], WINDOWS[6], WINDOWS[3]]) await check(base, window, 'after a restart');

      // The stored file: row groups of STORED_ROW_GROUP rows, and every value as uploaded.
      const versions = join(server.dataDir, 'versions');
      const stored = readdirSync(versions).map((key) => join(versions, key, 'sheet-0.parquet'));
      t.equal(stored.length, WINDOWS.length + 2, 'one stored sheet per version');
      const metadata = await parquetMetadataAsync(await asyncBufferFromFile(stored[0]));
      const groups = metadata.row_groups.map((g) => Number(g.num_rows));
      t.same(groups, [STORED_ROW_GROUP, STORED_ROW_GROUP, STORED_ROW_GROUP, ROWS - 3 * STORED_ROW_GROUP], 'row groups as the writer sets them');
      const codecs = new Set(metadata.row_groups.flatMap((g) => g.columns.map((c) => c.meta_data?.codec)));
      t.same([...codecs], ['LZ4_RAW'], 'LZ4 column chunks (writeParquetDurably: cheaper to write and read than zstd)');
      t.same(differences(await readRows(stored[0]), reference, 0), [], 'the stored file holds every value as uploaded');
    } else {
      for (const window of [WINDOWS[1], WINDOWS[6]]) await check(base, window, 'held');
    }
  });
}
