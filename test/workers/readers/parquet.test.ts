/**
 * Parquet types the engine reads wrongly or cannot hold, and every route serving them, on both backends:
 * the field cases (test/fixtures/field-cases) and files of our own of each kind. Expected values come from the
 * field cases' README and from hyparquet's reading of the same bytes, never from the service.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parse as parseCsv } from 'csv-parse/sync';
import { parquetReadObjects } from 'hyparquet';
import * as A from 'apache-arrow';
import pl from 'nodejs-polars';
import { writeParquet } from '../../support/parquet-writer.js';
import { BACKENDS, ROOT, getJson, parseExact, startServer, upload, type Server } from '../../support/server.js';
import { FIELD_CASES } from '../../support/field-cases.js';

const CASES = FIELD_CASES;
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

/** Instants for an INT96 file of our own: before and after Polars' nanosecond range, and microseconds. */
const INT96_OWN = ['1000-01-01T00:00:00', '1677-09-21T00:12:43.145224', '2262-04-11T23:47:16.854776', '2024-02-29T12:34:56.123456', null, '2500-12-31T23:59:59.999999'];

/** Nanoseconds since 1970 of a naive ISO datetime (`YYYY-MM-DDTHH:MM:SS[.f]`, read in UTC), exactly. */
function nanosOf(iso: string): bigint {
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?$/.exec(iso);
  if (!m) throw new Error(`not a naive datetime: ${iso}`);
  const day = new Date(0);
  day.setUTCFullYear(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const seconds = BigInt(Math.floor(day.getTime() / 1000)) + BigInt(Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]));
  return seconds * 1_000_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
}

/**
 * A Parquet file with an INT96 column `ts` (Spark/Hive/Impala's timestamps: 8 bytes of nanoseconds in the day,
 * 4 bytes of Julian day, little-endian). No writer here writes INT96, so hyparquet-writer writes the same 12
 * bytes as FIXED_LEN_BYTE_ARRAY(12) — its PLAIN encoding is byte for byte INT96's, statistics off —
 * and the footer's physical type is changed from FIXED_LEN_BYTE_ARRAY (7) to INT96 (3): in Thrift's compact
 * encoding a `type` field is the bytes 0x15 0x0e, which become 0x15 0x06. hyparquet's reading checks the result.
 */
function int96Parquet(values: (string | null)[]): Uint8Array {
  const twelve = values.map((v) => {
    if (v === null) return null;
    const ns = nanosOf(v);
    const day = ns >= 0n ? ns / 86_400_000_000_000n : -((-ns + 86_400_000_000_000n - 1n) / 86_400_000_000_000n);
    const b = Buffer.alloc(12);
    b.writeBigInt64LE(ns - day * 86_400_000_000_000n, 0);
    b.writeInt32LE(Number(day) + 2_440_588, 8); // Julian day of 1970-01-01
    return b;
  });
  const schema = [
    { name: 'root', num_children: 2 },
    { name: 'id', type: 'INT32', repetition_type: 'REQUIRED' },
    { name: 'ts', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 12, repetition_type: 'OPTIONAL' },
  ];
  const file = Buffer.from(
    writeParquet([{ name: 'id', data: values.map((_, i) => i + 1) }, { name: 'ts', data: twelve }], schema, undefined, { codec: 'UNCOMPRESSED', statistics: false }),
  );
  const footerLength = file.readUInt32LE(file.length - 8);
  for (let i = file.length - 8 - footerLength; i < file.length - 9; i++) if (file[i] === 0x15 && file[i + 1] === 0x0e) file[i + 1] = 0x06;
  return new Uint8Array(file);
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

/** Instants a few zones apart, in µs since the epoch, and the UTC text they must be served as. */
const OFFSET_MICROS = [1704080700123456n, null, -1n];
const OFFSET_UTC = ['2024-01-01T03:45:00.123456+00:00', null, '1969-12-31T23:59:59.999999+00:00'];

/** A file as pandas writes one with a fixed-offset zone (here `zone`), plus a FLOAT16 column. */
function fixedOffsetParquet(zone: string): Uint8Array {
  const schema = [
    { name: 'root', num_children: 2 },
    { name: 'ts', type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
    { name: 'half', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, repetition_type: 'OPTIONAL', logical_type: { type: 'FLOAT16' } },
  ];
  const arrowSchema = new A.Schema([new A.Field('ts', new A.TimestampMicrosecond(zone), true), new A.Field('half', new A.Float16(), true)]);
  const ipc = A.tableToIPC(new A.Table(arrowSchema), 'stream');
  return writeParquet(
    [
      { name: 'ts', data: OFFSET_MICROS },
      { name: 'half', data: [65504, null, -0.0009765625] }, // the largest half, null, a subnormal-adjacent value
    ],
    schema,
    [{ key: 'ARROW:schema', value: Buffer.from(ipc.subarray(0, ipc.length - 8)).toString('base64') }],
  );
}

/** A Decimal(50, 2) column: wider than the engine's 38 digits. */
function wideDecimalParquet(): Uint8Array {
  const schema = [
    { name: 'root', num_children: 1 },
    {
      name: 'wide', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 21, repetition_type: 'OPTIONAL',
      converted_type: 'DECIMAL', precision: 50, scale: 2, logical_type: { type: 'DECIMAL', precision: 50, scale: 2 },
    },
  ];
  return writeParquet([{ name: 'wide', data: [12345678901234567890123456789012345678901234567n, null] }], schema);
}

/**
 * A copy of Parquet bytes with names replaced in the footer, the test's own way (a byte search, not the
 * service's footer walker): the thrift strings `from` (a one-byte length, then the bytes) whose occurrence
 * number (0-based, in footer order) `pick` accepts, and, when `arrow`, the same name in the embedded Arrow
 * schema (a flatbuffer string: int32 length, then the bytes), re-encoded as base64 of the same length.
 * Returns the copy and how many strings were replaced in each place, for the caller to check.
 */
function renameInFooter(bytes: Uint8Array, from: string, to: string, pick: (n: number) => boolean = () => true) {
  const out = Buffer.from(bytes);
  if (Buffer.byteLength(from) !== Buffer.byteLength(to) || Buffer.byteLength(from) > 127) throw new Error('same length, under 128 bytes');
  const footerStart = out.length - 8 - out.readUInt32LE(out.length - 8);
  const replaceAll = (buf: Buffer, start: number, prefix: Buffer, chosen: (n: number) => boolean) => {
    const needle = Buffer.concat([prefix, Buffer.from(from)]);
    let count = 0;
    for (let at = buf.indexOf(needle, start), n = 0; at >= 0; at = buf.indexOf(needle, at + 1), n++) {
      if (!chosen(n)) continue;
      buf.write(to, at + prefix.length);
      count++;
    }
    return count;
  };
  const thrift = replaceAll(out, footerStart, Buffer.from([Buffer.byteLength(from)]), pick);
  let arrow = 0;
  const key = out.indexOf('ARROW:schema', footerStart);
  if (key >= 0) {
    // KeyValue.value: field header 0x18 (field 2, binary), a varint length, the base64 text.
    let at = key + 12;
    if (out[at++] !== 0x18) throw new Error('unexpected KeyValue layout');
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      const b = out[at++];
      length |= (b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    const text = out.toString('latin1', at, at + length);
    const ipc = Buffer.from(text, 'base64');
    const prefix = Buffer.alloc(4);
    prefix.writeInt32LE(Buffer.byteLength(from));
    arrow = replaceAll(ipc, 0, prefix, () => true);
    const again = ipc.toString('base64');
    if (again.length !== text.length) throw new Error('base64 changed length');
    out.write(again, at, 'latin1');
  }
  return { bytes: new Uint8Array(out), thrift, arrow };
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

    t.test('INT96 of our own: other instants past the nanosecond range, microseconds kept, a null', async (t) => {
      const bytes = int96Parquet(INT96_OWN);
      const stored = (await hyparquetRows(bytes, { parsers: { timestampFromNanoseconds: (n: bigint) => n } })).map((r) => r.ts as bigint | null);
      t.same(stored, INT96_OWN.map((v) => (v === null ? null : nanosOf(v))), 'hyparquet reads the INT96 values written (the patch made them INT96)');
      const up = await uploadOk(t, server, bytes, 'int96-own.parquet');
      if (!up) return;
      t.same(up.schema.map((c) => c.dtype), ['Int32', 'Datetime(us)']);
      const served = (await jsonRows(t, server, up.base)).map((r) => (r.ts === null ? null : nanosOf(r.ts as string)));
      t.same(served, stored, 'JSON: every instant exact to the microsecond');
      const stats = await getJson(server, `${up.base}/statistics`);
      const col = stats.body.columns.find((c: any) => c.column_name === 'ts');
      t.same([nanosOf(col.min), nanosOf(col.max), col.null_count], [nanosOf('1000-01-01T00:00:00'), nanosOf('2500-12-31T23:59:59.999999'), 1], 'statistics');
    });

    t.test('p01: INT96 timestamps, sentinels included, exact in data and statistics', async (t) => {
      const bytes = fieldCase('p01_int96_sentinels.parquet');
      const nanos = (await hyparquetRows(bytes, { parsers: { timestampFromNanoseconds: (n: bigint) => n } })).map((r) => r.load_ts as bigint);
      // Naive ISO text of each stored instant, from hyparquet's nanoseconds (every value is whole seconds here).
      const want = nanos.map((n) => new Date(Number(n / 1_000_000n)).toISOString().slice(0, -5).replace(/^\+0*(\d{4})/, '$1'));
      t.same(want, ['2021-06-09T03:02:37', '9999-12-31T23:59:59', '0001-01-01T00:00:00', '1600-01-01T12:00:00'], 'hyparquet: the sentinels as the README says');
      const up = await uploadOk(t, server, bytes, 'p01_int96_sentinels.parquet');
      if (!up) return;
      t.same(up.schema[1].dtype, 'Datetime(us)', 'microseconds: the whole range of years 1–9999');
      t.same((await jsonRows(t, server, up.base)).map((r) => r.load_ts), want, 'JSON: every instant as stored');
      t.same((await csvRecords(t, server, up.base)).map((r) => r.load_ts), want, 'CSV');
      const stats = await getJson(server, `${up.base}/statistics`);
      const col = stats.body.columns.find((c: any) => c.column_name === 'load_ts');
      t.same([col.min, col.max], ['0001-01-01T00:00:00', '9999-12-31T23:59:59'], 'statistics: min and max are the sentinels');
      const detailed = await getJson(server, `${up.base}/statistics/refresh?detailed=true`, { method: 'POST' });
      t.equal(detailed.status, 200, 'detailed statistics');
      const filtered = await getJson(server, `${up.base}/data?filter[load_ts]gt=9000-01-01T00:00:00`);
      t.same(filtered.body.data?.map((r: any) => r.id), [2], 'a filter sees 9999-12-31');
    });

    t.test('p02 and our own zones: fixed-offset timestamps served in UTC, FLOAT16 widened to Float32', async (t) => {
      const up = await uploadOk(t, server, fieldCase('p02_fixed_offset_tz.parquet'), 'p02_fixed_offset_tz.parquet');
      if (up) {
        t.same(up.schema[1].dtype, 'Datetime(ns, UTC)', 'the zone is UTC, said in the schema');
        t.same(
          (await jsonRows(t, server, up.base)).map((r) => r.ts),
          ['2024-01-01T03:30:00+00:00', '2024-06-30T18:29:59+00:00'],
          'the instants of the field-case README',
        );
        const csv = await (await fetch(`${server.url}${up.base}/data?format=csv`)).text();
        t.same(csv.trim().split('\n').slice(1).map((l) => l.split(',')[1]), ['2024-01-01T03:30:00+00:00', '2024-06-30T18:29:59+00:00'], 'CSV says the offset too');
      }
      for (const zone of ['-03:00', '+00:00', '+0545']) {
        const bytes = fixedOffsetParquet(zone);
        const stored = await hyparquetRows(bytes, { parsers: { timestampFromMicroseconds: (n: bigint) => n } });
        t.same(stored.map((r) => r.ts), OFFSET_MICROS, `${zone}: hyparquet reads the instants written`);
        const own = await uploadOk(t, server, bytes, `offset ${zone}.parquet`);
        if (!own) continue;
        t.same(own.schema.map((c) => c.dtype), ['Datetime(us, UTC)', 'Float32'], `${zone}: schema`);
        const rows = await jsonRows(t, server, own.base);
        t.same(rows.map((r) => r.ts), OFFSET_UTC, `${zone}: the same instants, in UTC`);
        t.same(rows.map((r) => r.half), stored.map((r) => r.half), `${zone}: FLOAT16 values exact, as hyparquet decodes them`);
      }
    });

    t.test('p07: two columns named "value", both kept: value (Int64), value_2 (String)', async (t) => {
      const bytes = fieldCase('p07_duplicate_names.parquet');
      // hyparquet keys columns by name; read both by giving the second (occurrences 1 and 3: its schema element,
      // then its chunk's path) a name of its own in a copy.
      const apart = renameInFooter(bytes, 'value', 'valu2', (n) => n === 1 || n === 3);
      t.same([apart.thrift, apart.arrow], [2, 0], 'the test renamed the second column in the schema and its column chunk');
      const stored = (await hyparquetRows(apart.bytes)).map((r) => [r.value, r.valu2]);
      t.same(stored, [[1n, 'a'], [2n, 'b']], 'hyparquet: an Int64 and a String column, as dumped from the file');
      const up = await uploadOk(t, server, bytes, 'p07_duplicate_names.parquet');
      if (!up) return;
      t.same(up.schema.map((c) => [c.name, c.dtype]), [['value', 'Int64'], ['value_2', 'String']], 'both columns, in file order, the second renamed');
      t.same((await jsonRows(t, server, up.base)).map((r) => [r.value, r.value_2]), stored.map(([v, s]) => [Number(v), s]), 'JSON');
      t.same((await ndjsonRows(t, server, up.base)).map((r) => [r.value, r.value_2]), stored.map(([v, s]) => [Number(v), s]), 'NDJSON');
      t.same((await csvRecords(t, server, up.base)).map((r) => [r.value, r.value_2]), stored.map(([v, s]) => [String(v), s]), 'CSV export');
      const stats = await getJson(server, `${up.base}/statistics`);
      t.equal(stats.status, 200, 'statistics');
      const of = (name: string) => stats.body.columns?.find((c: any) => c.column_name === name);
      t.same([Number(of('value')?.min), Number(of('value')?.max)], [1, 2], 'statistics: the Int64 column');
      t.same([of('value_2')?.min, of('value_2')?.max], ['a', 'b'], 'statistics: the String column');
    });

    t.test('repeated names of our own: x three times next to x_2 (one FLOAT16), and Durations named alike', async (t) => {
      // hyparquet-writer keys its input by name, so the columns are written as x, #, %, x_2, & and renamed here.
      const schema = [
        { name: 'root', num_children: 5 },
        { name: 'x', type: 'INT64', repetition_type: 'OPTIONAL' },
        { name: '#', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
        { name: '%', type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'OPTIONAL' },
        { name: 'x_2', type: 'INT64', repetition_type: 'OPTIONAL' },
        { name: '&', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, repetition_type: 'OPTIONAL', logical_type: { type: 'FLOAT16' } },
      ];
      const written = writeParquet(
        [
          { name: 'x', data: [1n, null, -9007199254740993n] },
          { name: '#', data: [0.1, -2.5, null] },
          { name: '%', data: ['a', null, 'ü'] },
          { name: 'x_2', data: [7n, 8n, 9n] },
          { name: '&', data: [65504, null, 0.5] },
        ],
        schema,
      );
      const stored = (await hyparquetRows(written)).map((r) => [r.x, r['#'], r['%'], r.x_2, r['&']]);
      let bytes = written;
      for (const name of ['#', '%', '&']) {
        const renamed = renameInFooter(bytes, name, 'x');
        t.equal(renamed.thrift, 2, `"${name}" renamed to "x" in the schema and its column chunk`);
        bytes = renamed.bytes;
      }
      const up = await uploadOk(t, server, bytes, 'repeated x.parquet');
      if (up) {
        t.same(
          up.schema.map((c) => [c.name, c.dtype]),
          [['x', 'Int64'], ['x_3', 'Float64'], ['x_4', 'String'], ['x_2', 'Int64'], ['x_5', 'Float32']],
          'in file order; the repeats skip the x_2 already there, as every reader renames them',
        );
        const rows = await jsonRows(t, server, up.base);
        t.same(
          rows.map((r) => [r.x, r.x_3, r.x_4, r.x_2, r.x_5]),
          // parseExact gives integers past 2^53 as bigint, the others as numbers.
          stored.map((r) => r.map((v) => (typeof v === 'bigint' && Number.isSafeInteger(Number(v)) ? Number(v) : v))),
          'JSON: each column as hyparquet read it before the rename',
        );
        const csv = await csvRecords(t, server, up.base);
        t.same(csv.map((r) => r.x), ['1', '', '-9007199254740993'], 'CSV: the Int64 column exact');
        t.same(csv.map((r) => r.x_4), ['a', '', 'ü'], 'CSV: the String column');
      }

      const frame = pl.DataFrame([
        pl.Series('elapsed', [129_600_000_000, -90_000_000], pl.Int64).cast(pl.Duration('us')),
        pl.Series('elapsez', [1_500, null], pl.Int64).cast(pl.Duration('ms')),
      ]);
      const durations = renameInFooter(new Uint8Array(frame.writeParquet()), 'elapsez', 'elapsed');
      t.same([durations.thrift, durations.arrow], [2, 1], 'renamed in the schema, the column chunk and the Arrow schema');
      const dup = await uploadOk(t, server, durations.bytes, 'repeated durations.parquet');
      if (dup) {
        t.same(dup.schema.map((c) => [c.name, c.dtype]), [['elapsed', 'Duration(us)'], ['elapsed_2', 'Duration(ms)']], 'both Durations, units from the Arrow schema');
        t.same(
          (await jsonRows(t, server, dup.base)).map((r) => [r.elapsed, r.elapsed_2]),
          [[isoSeconds(129_600_000_000n, 1_000_000n), isoSeconds(1_500n, 1_000n)], [isoSeconds(-90_000_000n, 1_000_000n), null]],
          'JSON: the values written',
        );
      }

      // A struct repeated: each of its leaves' chunks has a path starting with the top-level name.
      const structs = pl.DataFrame({
        addr: [{ city: 'Oslo', zip: '0150' }, { city: 'Lyon', zip: '69001' }],
        adds: [{ city: 'Kyiv', zip: '01001' }, { city: 'Rome', zip: '00118' }],
      });
      const unrenamed = new Uint8Array(structs.writeParquet());
      const nested = renameInFooter(unrenamed, 'adds', 'addr');
      t.same([nested.thrift, nested.arrow], [3, 1], 'renamed in the schema, both leaves\' chunks and the Arrow schema');
      const two = await uploadOk(t, server, nested.bytes, 'repeated structs.parquet');
      if (two) {
        t.same(two.schema.map((c) => [c.name, c.dtype]), [['addr', 'Struct(city: String, zip: String)'], ['addr_2', 'Struct(city: String, zip: String)']], 'both structs');
        t.same(
          (await jsonRows(t, server, two.base)).map((r) => [r.addr, r.addr_2]),
          (await hyparquetRows(unrenamed)).map((r) => [r.addr, r.adds]),
          'JSON: as hyparquet reads the file before the rename',
        );
      }
    });

    t.test('refused with a 422 naming the column: decimals wider than 38 digits', async (t) => {
      const wide = await upload(server, wideDecimalParquet(), 'wide.parquet');
      t.equal(wide.status, 422, 'Decimal(50, 2)');
      t.match(wide.body.detail, /column "wide" is DECIMAL\(50, 2\)/, wide.body.detail);
      const list = await getJson(server, '/api/datasets?limit=100');
      t.notOk(list.body.some?.((d: any) => d.name === 'wide.parquet'), 'nothing stored');
    });
  });
}
