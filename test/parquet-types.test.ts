/**
 * Parquet types the engine reads wrongly or cannot hold, and every route serving them, on both backends:
 * the field cases (/work/shared/field-cases) and files of our own of each kind. Expected values come from the
 * field cases' README and from hyparquet's reading of the same bytes, never from the service.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parse as parseCsv } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import { BACKENDS, ROOT, getJson, parseExact, startServer, upload, type Server } from './support/server.js';

const CASES = join(ROOT, '../shared/field-cases');
const fieldCase = (name: string) => new Uint8Array(readFileSync(join(CASES, name)));

/** hyparquet's reading of Parquet bytes, as row objects. */
async function hyparquetRows(bytes: Uint8Array, options: Record<string, unknown> = {}): Promise<Record<string, unknown>[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return parquetReadObjects({ file, ...options });
}

/** An ISO 8601 duration in seconds, as the service writes durations: `PT129600S`, `-PT90S`, `P0D`. */
function isoSeconds(count: bigint, perSecond: bigint): string {
  if (count === 0n) return 'P0D';
  const abs = count < 0n ? -count : count;
  const frac = (abs % perSecond).toString().padStart(perSecond.toString().length - 1, '0').replace(/0+$/, '');
  return `${count < 0n ? '-' : ''}PT${abs / perSecond}${frac ? `.${frac}` : ''}S`;
}

interface Uploaded {
  base: string;
  schema: { name: string; type: string; dtype: string; nullable: boolean }[];
}

async function uploadOk(t: Test, server: Server, bytes: Uint8Array, name: string): Promise<Uploaded | undefined> {
  const up = await upload(server, bytes, name, { name });
  t.equal(up.status, 201, `${name}: uploaded (${JSON.stringify(up.body).slice(0, 300)})`);
  if (up.status !== 201) return undefined;
  const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;
  return { base, schema: (await getJson(server, `${base}/schema`)).body.columns };
}

async function text(server: Server, path: string, init?: RequestInit): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`${server.url}${path}`, init);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

/** Rows of a JSON page, integers beyond 2^53 exact. */
async function jsonRows(t: Test, server: Server, base: string): Promise<Record<string, unknown>[]> {
  const page = await text(server, `${base}/data?page_size=1000`);
  t.equal(page.status, 200, `${base}/data: ${page.body.slice(0, 300)}`);
  return page.status === 200 ? parseExact(page.body).data : [];
}

async function ndjsonRows(t: Test, server: Server, base: string): Promise<Record<string, unknown>[]> {
  const res = await text(server, `${base}/data?format=ndjson`);
  t.equal(res.status, 200, `${base} ndjson: ${res.body.slice(0, 300)}`);
  return res.status === 200 ? res.body.split('\n').filter(Boolean).map(parseExact) : [];
}

async function csvRecords(t: Test, server: Server, base: string, query = ''): Promise<Record<string, string>[]> {
  const res = await text(server, `${base}/data?format=csv${query}`);
  t.equal(res.status, 200, `${base} csv${query}: ${res.body.slice(0, 300)}`);
  return res.status === 200 ? parseCsv(res.body, { columns: true }) : [];
}

for (const backend of BACKENDS) {
  t.test(`${backend} backend`, async (t) => {
    const server = await startServer(t, { backend });

    t.test('p11b: durations in microseconds, on every route', async (t) => {
      const bytes = fieldCase('p11b_duration_us.parquet');
      const stored = (await hyparquetRows(bytes)).map((r) => r.elapsed as bigint); // microseconds, as written
      t.same(stored, [129_600_000_000n, -90_000_000n], 'hyparquet: 36 h and −90 s in µs');
      const want = stored.map((us) => isoSeconds(us, 1_000_000n));
      const up = await uploadOk(t, server, bytes, 'p11b_duration_us.parquet');
      if (!up) return;
      t.same(up.schema[1], { name: 'elapsed', type: 'duration', dtype: 'Duration(us)', nullable: false }, 'dtype with its real unit');
      t.same((await jsonRows(t, server, up.base)).map((r) => r.elapsed), want, 'JSON: ISO 8601 durations');
      t.same((await ndjsonRows(t, server, up.base)).map((r) => r.elapsed), want, 'NDJSON');
      t.same((await csvRecords(t, server, up.base)).map((r) => r.elapsed), want, 'CSV export');
      t.same((await csvRecords(t, server, up.base, '&page_size=10')).map((r) => r.elapsed), want, 'CSV window');
      for (const path of ['/statistics', '/statistics/refresh?detailed=true']) {
        const stats = await getJson(server, `${up.base}${path}`, { method: path.includes('refresh') ? 'POST' : 'GET' });
        t.equal(stats.status, 200, path);
        const col = stats.body.columns?.find((c: any) => c.column_name === 'elapsed');
        t.same([col?.min, col?.max, col?.null_count], [want[1], want[0], 0], `${path}: min and max`);
      }
      const facets = await getJson(server, `${up.base}/facets?columns=elapsed`);
      t.same(facets.body.facets?.[0].values.map((v: any) => v.value).sort(), [...want].sort(), 'facets');
      const bad = await getJson(server, `${up.base}/data?filter[elapsed]eq=36h`);
      t.equal(bad.status, 400, `a filter value that is no duration is a 400: ${bad.body.detail}`);
    });

    t.test('p10: lists and structs; CSV writes each nested cell as JSON text', async (t) => {
      const bytes = fieldCase('p10_nested_list_struct.parquet');
      const stored = await hyparquetRows(bytes);
      const up = await uploadOk(t, server, bytes, 'p10_nested_list_struct.parquet');
      if (!up) return;
      t.same(up.schema.map((c) => c.dtype), ['Int32', 'List(Int32)', 'Struct(city: String, zip: String)'], 'schema');
      const csv = await csvRecords(t, server, up.base);
      t.same(csv.map((r) => [Number(r.id), JSON.parse(r.tags), JSON.parse(r.addr)]), stored.map((r) => [r.id, r.tags, r.addr]), 'CSV cells are the JSON of each value');
      const again = await csvRecords(t, server, up.base, '&page_size=1');
      t.same(again.map((r) => r.tags), ['[1,2,3]'], 'the same answer for a window');
      t.same(
        (await jsonRows(t, server, up.base)).map((r) => [r.id, r.tags, r.addr]),
        stored.map((r) => [r.id, r.tags, r.addr]),
        'JSON as hyparquet reads the file',
      );
    });
  });
}
