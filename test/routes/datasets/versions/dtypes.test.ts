/**
 * Every dtype the readers can produce, through every route, on both backends: a table of {name, dtype, values}
 * is written as Parquet with nodejs-polars (apache-arrow for the types this binding cannot build, hyparquet-writer
 * for FLOAT16; INT96 from the field case), uploaded, and each column is asked for its schema, JSON page, every
 * export (whole and a window), statistics, facets, filters, sorts and SQL. Never a 5xx; a 4xx only where the
 * README documents a refusal. Values are compared with an independent reading: hyparquet for the uploaded file
 * and the Parquet export, apache-arrow for the Arrow exports, the README's JSON forms for JSON and NDJSON.
 * Adding a dtype is one entry in CASES.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import pl from 'nodejs-polars';
import * as A from 'apache-arrow';
import { parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { writeParquet } from '../../../support/parquet-writer.js';
import { BACKENDS, ROOT, getJson, parseExact, startServer, upload, type Server } from '../../../support/server.js';
import { fieldCase } from '../../../support/field-cases.js';

const FORMATS = ['csv', 'ndjson', 'parquet', 'arrow-stream', 'arrow-file', 'xlsx'] as const;
type Format = (typeof FORMATS)[number];

interface Case {
  /** Column name. */
  name: string;
  /** The exact dtype /schema must say. */
  dtype: string;
  /** The column, built with nodejs-polars (its dtype is checked against `dtype` too)… */
  polars?: () => pl.Series;
  /** …or with apache-arrow, for types this binding cannot construct (read into Polars through IPC). */
  arrow?: () => A.Vector;
  /** The JSON values the README documents for the rows, in order (integers beyond 2^53 as BigInt). */
  json: unknown[];
  /** A filter `eq` value and the row it matches; scalar types only. */
  eq?: [string, number];
  /** Formats that refuse this column with a documented 400 (README "JSON values": binary inside a list/struct). */
  refused?: Format[];
  /** Why apache-arrow's values cannot be compared with hyparquet's for this type (the two libraries differ). */
  arrowDiffers?: string;
  /** A known bug, as a tap `todo` reason for the assertions it breaks: route → reason. */
  todo?: Partial<Record<string, string>>;
}

const big = (s: string | null) => (s === null ? null : BigInt(s));
const int64 = (name: string, values: (string | null)[], dtype = pl.Int64) => pl.Series(name, values, pl.Utf8).cast(dtype);
const structOf = (fields: [string, A.DataType][]) => new A.Struct(fields.map(([n, d]) => new A.Field(n, d, true)));
const item = (d: A.DataType) => new A.Field('item', d, true);
const bytes = (...b: number[]) => new Uint8Array(b);
/** Filter values are checked by a strict Polars cast from text, which has no conversion to these types. */

/** One entry per dtype: a null in each column, and its edge values. */
const CASES: Case[] = [
  { name: 'i8', dtype: 'Int8', polars: () => pl.Series('i8', [-128, 127, 0, null], pl.Int8), json: [-128, 127, 0, null], eq: ['127', 1] },
  { name: 'i16', dtype: 'Int16', polars: () => pl.Series('i16', [-32768, 32767, 1, null], pl.Int16), json: [-32768, 32767, 1, null], eq: ['-32768', 0] },
  { name: 'i32', dtype: 'Int32', polars: () => pl.Series('i32', [-2147483648, 2147483647, 1, null], pl.Int32), json: [-2147483648, 2147483647, 1, null], eq: ['1', 2] },
  {
    name: 'i64', dtype: 'Int64', polars: () => int64('i64', ['-9223372036854775808', '9223372036854775807', '9007199254740993', null]),
    json: [big('-9223372036854775808'), big('9223372036854775807'), big('9007199254740993'), null], eq: ['9007199254740993', 2],
  },
  { name: 'u8', dtype: 'UInt8', polars: () => pl.Series('u8', [0, 255, 1, null], pl.UInt8), json: [0, 255, 1, null], eq: ['255', 1] },
  { name: 'u16', dtype: 'UInt16', polars: () => pl.Series('u16', [0, 65535, 1, null], pl.UInt16), json: [0, 65535, 1, null], eq: ['65535', 1] },
  { name: 'u32', dtype: 'UInt32', polars: () => pl.Series('u32', [0, 4294967295, 1, null], pl.UInt32), json: [0, 4294967295, 1, null], eq: ['4294967295', 1] },
  {
    name: 'u64', dtype: 'UInt64', polars: () => int64('u64', ['0', '18446744073709551615', '9007199254740993', null], pl.UInt64),
    json: [0, big('18446744073709551615'), big('9007199254740993'), null], eq: ['18446744073709551615', 1],
  },
  { name: 'f32', dtype: 'Float32', polars: () => pl.Series('f32', [1.5, NaN, -Infinity, null], pl.Float32), json: [1.5, null, null, null], eq: ['1.5', 0] },
  { name: 'f64', dtype: 'Float64', polars: () => pl.Series('f64', [0.1, NaN, Infinity, null], pl.Float64), json: [0.1, null, null, null], eq: ['0.1', 0] },
  { name: 'f64_neg', dtype: 'Float64', polars: () => pl.Series('f64_neg', [-0.0, 5e-324, -1.7976931348623157e308, null], pl.Float64), json: [-0, 5e-324, -1.7976931348623157e308, null], eq: ['5e-324', 1] },
  {
    name: 'dec38', dtype: 'Decimal(38, 12)',
    polars: () => pl.Series('dec38', ['12345678901234567890123456.123456789012', '-0.000000000001', '0', null], pl.Utf8).cast(pl.Decimal(38, 12)),
    json: ['12345678901234567890123456.123456789012', '-0.000000000001', '0.000000000000', null], eq: ['-0.000000000001', 1],
    arrowDiffers: 'hyparquet reads decimals as JavaScript numbers, apache-arrow as 128-bit words',
  },
  {
    name: 'dec5', dtype: 'Decimal(5, 2)', polars: () => pl.Series('dec5', ['-999.99', '0.01', '123.45', null], pl.Utf8).cast(pl.Decimal(5, 2)),
    json: ['-999.99', '0.01', '123.45', null], eq: ['123.45', 2], arrowDiffers: 'decimals: see dec38',
  },
  { name: 'str', dtype: 'String', polars: () => pl.Series('str', ['héllo 東京 😀', '', 'a,b"c\nd', null], pl.Utf8), json: ['héllo 東京 😀', '', 'a,b"c\nd', null], eq: ['héllo 東京 😀', 0] },
  { name: 'cat', dtype: 'Categorical', polars: () => pl.Series('cat', ['a', 'ü', 'a', null], pl.Utf8).cast(pl.Categorical), json: ['a', 'ü', 'a', null], eq: ['ü', 1] },
  { name: 'bool', dtype: 'Boolean', polars: () => pl.Series('bool', [true, false, true, null], pl.Bool), json: [true, false, true, null], eq: ['false', 1] },
  {
    name: 'date', dtype: 'Date', polars: () => pl.Series('date', [-719162, -1, 19723, null], pl.Int32).cast(pl.Date),
    json: ['0001-01-01', '1969-12-31', '2024-01-01', null], eq: ['1969-12-31', 1],
  },
  {
    name: 'dt_ms', dtype: 'Datetime(ms)', polars: () => int64('dt_ms', ['-1', '0', '1700000000123', null]).cast(pl.Datetime('ms')),
    json: ['1969-12-31T23:59:59.999', '1970-01-01T00:00:00', '2023-11-14T22:13:20.123', null], eq: ['1970-01-01T00:00:00', 1],
  },
  {
    name: 'dt_us', dtype: 'Datetime(us)', polars: () => int64('dt_us', ['-1', '-62135596800000000', '1700000000123456', null]).cast(pl.Datetime('us')),
    json: ['1969-12-31T23:59:59.999999', '0001-01-01T00:00:00', '2023-11-14T22:13:20.123456', null], eq: ['2023-11-14T22:13:20.123456', 2],
  },
  {
    name: 'dt_ns', dtype: 'Datetime(ns)', polars: () => int64('dt_ns', ['-1', '0', '1700000000123456789', null]).cast(pl.Datetime('ns')),
    json: ['1969-12-31T23:59:59.999999999', '1970-01-01T00:00:00', '2023-11-14T22:13:20.123456789', null], eq: ['1970-01-01T00:00:00', 1],
  },
  {
    name: 'dt_utc', dtype: 'Datetime(us, UTC)', polars: () => int64('dt_utc', ['-1', '0', '1700000000123456', null]).cast(pl.Datetime('us', 'UTC')),
    json: ['1969-12-31T23:59:59.999999+00:00', '1970-01-01T00:00:00+00:00', '2023-11-14T22:13:20.123456+00:00', null], eq: ['1970-01-01T00:00:00+00:00', 1],
  },
  {
    name: 'dt_paris', dtype: 'Datetime(ms, Europe/Paris)', polars: () => int64('dt_paris', ['0', '1719792000000', '-1', null]).cast(pl.Datetime('ms', 'Europe/Paris')),
    json: ['1970-01-01T01:00:00+01:00', '2024-07-01T02:00:00+02:00', '1970-01-01T00:59:59.999+01:00', null], eq: ['2024-07-01T02:00:00+02:00', 1],
  },
  {
    name: 'dt_ns_utc', dtype: 'Datetime(ns, UTC)', polars: () => int64('dt_ns_utc', ['1', '0', '-1', null]).cast(pl.Datetime('ns', 'UTC')),
    json: ['1970-01-01T00:00:00.000000001+00:00', '1970-01-01T00:00:00+00:00', '1969-12-31T23:59:59.999999999+00:00', null], eq: ['1970-01-01T00:00:00+00:00', 1],
  },
  {
    name: 'time', dtype: 'Time', polars: () => int64('time', ['0', '86399999999999', '30600123456789', null]).cast(pl.Time),
    json: ['00:00:00', '23:59:59.999999999', '08:30:00.123456789', null], eq: ['08:30:00.123456789', 2],
  },
  {
    name: 'dur_ms', dtype: 'Duration(ms)', polars: () => int64('dur_ms', ['-90000', '0', '129600000', null]).cast(pl.Duration('ms')),
    json: ['-PT90S', 'P0D', 'PT129600S', null], eq: ['PT129600S', 2],
  },
  {
    name: 'dur_us', dtype: 'Duration(us)', polars: () => int64('dur_us', ['-1', '1', '129600000000', null]).cast(pl.Duration('us')),
    json: ['-PT0.000001S', 'PT0.000001S', 'PT129600S', null], eq: ['-PT0.000001S', 0],
  },
  {
    name: 'dur_ns', dtype: 'Duration(ns)', polars: () => int64('dur_ns', ['-1', '1500', '-9223372036854775807', null]).cast(pl.Duration('ns')),
    json: ['-PT0.000000001S', 'PT0.0000015S', '-PT9223372036.854775807S', null], eq: ['PT0.0000015S', 1],
  },
  { name: 'list_i64', dtype: 'List(Int64)', polars: () => pl.Series('list_i64', [[1, 2, 3], [], [0], null], pl.List(pl.Int64)), json: [[1, 2, 3], [], [0], null] },
  { name: 'list_str', dtype: 'List(String)', polars: () => pl.Series('list_str', [['a', 'é'], [], [''], null], pl.List(pl.Utf8)), json: [['a', 'é'], [], [''], null] },
  {
    name: 'list_null_item', dtype: 'List(Int32)', arrow: () => A.vectorFromArray([[1, null], [], null, [null]], new A.List(item(new A.Int32()))),
    json: [[1, null], [], null, [null]],
  },
  {
    name: 'arr_i64', dtype: 'Array(Int64, 2)', polars: () => pl.Series('arr_i64', [[1, 2], [3, 4], [0, 0], null], pl.List(pl.Int64)).cast(pl.FixedSizeList(pl.Int64, 2)),
    json: [[1, 2], [3, 4], [0, 0], null],
  },
  {
    name: 'struct', dtype: 'Struct(x: Int32, y: String)',
    arrow: () => A.vectorFromArray([{ x: 1, y: 'a' }, null, { x: null, y: 'é' }, { x: -1, y: null }], structOf([['x', new A.Int32()], ['y', new A.Utf8()]])),
    json: [{ x: 1, y: 'a' }, null, { x: null, y: 'é' }, { x: -1, y: null }],
  },
  {
    name: 'list_struct', dtype: 'List(Struct(x: Int32, y: String))',
    arrow: () => A.vectorFromArray([[{ x: 1, y: 'a' }, { x: 2, y: null }], [], null, [{ x: null, y: 'ß' }]], new A.List(item(structOf([['x', new A.Int32()], ['y', new A.Utf8()]])))),
    json: [[{ x: 1, y: 'a' }, { x: 2, y: null }], [], null, [{ x: null, y: 'ß' }]],
  },
  {
    name: 'struct_list', dtype: 'Struct(tags: List(String), n: Int64)',
    arrow: () => A.vectorFromArray([{ tags: ['a'], n: 1n }, { tags: [], n: null }, null, { tags: null, n: -1n }], structOf([['tags', new A.List(item(new A.Utf8()))], ['n', new A.Int64()]])),
    json: [{ tags: ['a'], n: 1 }, { tags: [], n: null }, null, { tags: null, n: -1 }],
  },
  {
    name: 'list_list', dtype: 'List(List(Int32))', arrow: () => A.vectorFromArray([[[1], []], [], null, [null, [2, 3]]], new A.List(item(new A.List(item(new A.Int32()))))),
    json: [[[1], []], [], null, [null, [2, 3]]],
  },
  { name: 'null', dtype: 'Null', arrow: () => A.vectorFromArray([null, null, null, null], new A.Null()), json: [null, null, null, null] },
  { name: 'all_null_i64', dtype: 'Int64', polars: () => pl.Series('all_null_i64', [null, null, null, null], pl.Int64), json: [null, null, null, null] },
];

/**
 * Binary columns, in a file of their own: nodejs-polars 0.24.1 panics ("not yet implemented") on any access to
 * a Binary dtype, so the reader refuses raw binary Parquet columns up front with a 422 naming each (README).
 */
const BINARY_CASES: Case[] = [
  { name: 'bin', dtype: 'Binary', arrow: () => A.vectorFromArray([bytes(0, 1, 255), bytes(), bytes(104, 105), null], new A.Binary()), json: [] },
];
const LIST_BINARY_CASES: Case[] = [
  { name: 'list_bin', dtype: 'List(Binary)', arrow: () => A.vectorFromArray([[bytes(1)], [], null, [bytes()]], new A.List(item(new A.Binary()))), json: [] },
];

/** FLOAT16 as pandas/pyarrow write it, which the engine cannot read (hyparquet-writer, not Polars). */
const FLOAT16_CASES: Case[] = [
  { name: 'half', dtype: 'Float32', json: [65504, null, -0.0009765625, 1.5], eq: ['1.5', 3] },
];
function float16Parquet(): Uint8Array {
  const schema = [
    { name: 'root', num_children: 1 },
    { name: 'half', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 2, repetition_type: 'OPTIONAL', logical_type: { type: 'FLOAT16' } },
  ];
  return writeParquet([{ name: 'half', data: [65504, null, -0.0009765625, 1.5] }], schema);
}

/** INT96 timestamps (Spark): the field case, since no writer at hand writes INT96. */
const INT96_CASES: Case[] = [
  { name: 'id', dtype: 'Int64', json: [1, 2, 3, 4], eq: ['2', 1] },
  {
    name: 'load_ts', dtype: 'Datetime(us)', json: ['2021-06-09T03:02:37', '9999-12-31T23:59:59', '0001-01-01T00:00:00', '1600-01-01T12:00:00'],
    eq: ['9999-12-31T23:59:59', 1],
  },
];

/** `DataType(List(DataType(Datetime(ms,UTC))))` as the service writes dtypes: `List(Datetime(ms, UTC))`. */
function polarsDtypeText(dt: pl.DataType): string {
  let text = String(dt);
  // Unwrap each `DataType(…)`, innermost first.
  for (let prev = ''; prev !== text; ) {
    prev = text;
    text = text.replace(/DataType\(([^()]*(?:\([^()]*\))?)\)/g, '$1');
  }
  return text
    .replace(/Field\("([^"]*)", /g, '$1: ')
    .replace(/,\)/g, ')')
    .replace(/FixedSizeList/g, 'Array')
    .replace(/\bUtf8\b/g, 'String')
    .replace(/\bBool\b/g, 'Boolean')
    .replace(/,(?! )/g, ', ');
}

/** The Parquet file of every case, and what nodejs-polars says each column's dtype is. */
function casesParquet(cases: Case[]): { bytes: Uint8Array; polarsDtypes: Map<string, string> } {
  const polarsDtypes = new Map<string, string>();
  const columns = cases.map((c) => {
    if (c.polars) {
      const s = c.polars();
      // This binding reports every Duration as Duration(ms) (see workers/table/describe.ts trueDtype): the
      // JSON values, exact in each unit, are the check of those.
      if (!String(s.dtype).includes('Duration')) polarsDtypes.set(c.name, polarsDtypeText(s.dtype));
      return pl.DataFrame([s]);
    }
    const table = new A.Table({ [c.name]: c.arrow!() });
    return pl.readIPC(Buffer.from(A.tableToIPC(table, 'file')));
  });
  const frame = columns.reduce((acc, df) => acc.hstack(df));
  return { bytes: new Uint8Array(frame.writeParquet({ compression: 'zstd' } as never) as unknown as Buffer), polarsDtypes };
}

/** Timestamps as nanoseconds whatever the unit; the rest as hyparquet decodes it. */
const RAW_PARSERS = {
  timestampFromMilliseconds: (n: bigint) => n * 1_000_000n,
  timestampFromMicroseconds: (n: bigint) => n * 1_000n,
  timestampFromNanoseconds: (n: bigint) => n,
  dateFromDays: (n: number) => n * 86_400_000, // apache-arrow reads Date as milliseconds
};

async function hyparquetRows(bytes: Uint8Array): Promise<Record<string, unknown>[]> {
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return parquetReadObjects({ file, compressors, parsers: RAW_PARSERS });
}

/** A value in a form both hyparquet's and apache-arrow's readings reduce to: BigInt as text, bytes as base64, NaN named. */
function canon(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (typeof v === 'bigint') return `${v}`;
  if (typeof v === 'number') return Number.isNaN(v) ? 'NaN' : Object.is(v, -0) ? '-0' : Number.isInteger(v) ? `${v}` : v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'object' && 'toArray' in v && typeof (v as A.Vector).toArray === 'function') return [...(v as A.Vector)].map(canon);
  if (Array.isArray(v)) return v.map(canon);
  if (typeof v === 'object' && 'toJSON' in v) v = (v as { toJSON(): unknown }).toJSON();
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, canon(x)]));
  return v;
}

const NS_PER: Record<number, bigint> = { [A.TimeUnit.SECOND]: 1_000_000_000n, [A.TimeUnit.MILLISECOND]: 1_000_000n, [A.TimeUnit.MICROSECOND]: 1_000n, [A.TimeUnit.NANOSECOND]: 1n };

/** apache-arrow's reading of an IPC stream or file, column by column; timestamps as nanoseconds from their stored integers. */
function arrowRows(bytes: Uint8Array): Record<string, unknown[]> {
  const table = A.tableFromIPC(bytes);
  return Object.fromEntries(
    table.schema.fields.map((f) => {
      const vector = table.getChild(f.name)!;
      if (!A.DataType.isTimestamp(f.type)) return [f.name, [...vector].map(canon)];
      // `get` gives float milliseconds (µs and ns lost); the stored 64-bit integers are exact.
      const ns = vector.data.flatMap((d) => [...(d.values as BigInt64Array)].map((v, i) => (d.getValid(i) ? canon(v * NS_PER[f.type.unit]) : null)));
      return [f.name, ns];
    }),
  );
}

async function fetchBytes(server: Server, path: string, init?: RequestInit): Promise<{ status: number; bytes: Uint8Array; text: string; headers: Headers }> {
  const res = await fetch(`${server.url}${path}`, init);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return { status: res.status, bytes, text: res.ok ? '' : Buffer.from(bytes).toString(), headers: res.headers };
}

/** Asserts a status: `want`, or never a 5xx when `want` is undefined. */
function statusOk(t: Test, got: number, want: number, what: string, body: string, todo?: string) {
  t.equal(got, want, `${what}: ${got}${got === want ? '' : ` ${body.slice(0, 300)}`}`, todo ? { todo } : {});
}

const q = encodeURIComponent;

/** Every route for the columns of one uploaded file. */
async function exercise(t: Test, server: Server, fileName: string, file: Uint8Array, cases: Case[], polarsDtypes = new Map<string, string>(), uploadTodo?: string) {
  const up = await upload(server, file, fileName, { name: fileName });
  const shown = up.status === 201 ? '' : JSON.stringify(up.body).slice(0, 300);
  t.equal(up.status, 201, `${fileName}: uploaded ${shown}`, uploadTodo ? { todo: uploadTodo } : {});
  t.ok(up.status < 500, `${fileName}: no 5xx on upload`);
  if (up.status !== 201) return;
  const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;
  const stored = await hyparquetRows(file);
  const storedCol = (name: string) => stored.map((r) => canon(r[name]));

  const schema = await getJson(server, `${base}/schema`);
  t.equal(schema.status, 200, 'schema');
  for (const c of cases) {
    const col = schema.body.columns.find((x: { name: string }) => x.name === c.name);
    t.equal(col?.dtype, c.dtype, `schema ${c.name}: ${c.dtype}`, c.todo?.schema ? { todo: c.todo.schema } : {});
    if (polarsDtypes.has(c.name)) t.equal(polarsDtypes.get(c.name), c.dtype, `${c.name}: nodejs-polars wrote ${c.dtype}`);
  }

  // JSON page, NDJSON and SQL: the README's JSON forms. Columns a text format refuses are left out here.
  const textual = cases.filter((c) => !c.refused?.includes('ndjson'));
  const projection = `columns=${textual.map((c) => q(c.name)).join(',')}`;
  const page = await fetchBytes(server, `${base}/data?page_size=1000&${projection}`);
  statusOk(t, page.status, 200, 'JSON page', page.text);
  const pageRows = page.status === 200 ? parseExact(Buffer.from(page.bytes).toString()).data : [];
  const nd = await fetchBytes(server, `${base}/data?format=ndjson&${projection}`);
  const ndRows = Buffer.from(nd.bytes).toString().split('\n').filter(Boolean).map(parseExact);
  const sql = await fetchBytes(server, `${base}/query`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT * FROM data' }),
  });
  statusOk(t, sql.status, 200, 'SQL SELECT *', sql.text);
  const sqlRows = sql.status === 200 ? parseExact(Buffer.from(sql.bytes).toString()).data : [];
  for (const c of textual) {
    const todo = c.todo?.json ? { todo: c.todo.json } : {};
    t.same(pageRows.map((r: Record<string, unknown>) => r[c.name]), c.json, `JSON ${c.name}`, todo);
    t.same(ndRows.map((r: Record<string, unknown>) => r[c.name]), c.json, `NDJSON ${c.name}`, todo);
    t.same(sqlRows.map((r: Record<string, unknown>) => r[c.name]), c.json, `SQL ${c.name}`, todo);
  }

  // Whole-file binary exports, read back by readers other than the service's.
  const pq = await fetchBytes(server, `${base}/data?format=parquet`);
  statusOk(t, pq.status, 200, 'Parquet export', pq.text);
  const pqRows = pq.status === 200 ? await hyparquetRows(pq.bytes) : [];
  for (const format of ['arrow-stream', 'arrow-file'] as const) {
    const res = await fetchBytes(server, `${base}/data?format=${format}`);
    statusOk(t, res.status, 200, `${format} export`, res.text);
    if (res.status !== 200) continue;
    const cols = arrowRows(res.bytes);
    for (const c of cases) {
      const todo = c.todo?.arrow ?? (c.arrowDiffers ? `not comparable: ${c.arrowDiffers}` : undefined);
      t.same(cols[c.name], storedCol(c.name), `${format} ${c.name}: apache-arrow reads what hyparquet reads in the upload`, todo ? { todo } : {});
    }
  }
  for (const c of cases) {
    const todo = c.todo?.parquet ? { todo: c.todo.parquet } : {};
    t.same(pqRows.map((r) => canon(r[c.name])), storedCol(c.name), `Parquet export ${c.name}: hyparquet reads what it reads in the upload`, todo);
  }

  // Statistics: every column's null count.
  for (const [method, path] of [['GET', 'statistics'], ['POST', 'statistics/refresh?detailed=true']]) {
    const stats = await fetchBytes(server, `${base}/${path}`, { method });
    statusOk(t, stats.status, 200, path, stats.text);
    if (stats.status !== 200) continue;
    const body = JSON.parse(Buffer.from(stats.bytes).toString());
    for (const c of cases) {
      const col = body.columns.find((x: { column_name: string }) => x.column_name === c.name);
      const nulls = storedCol(c.name).filter((v) => v === null).length;
      t.equal(col?.null_count, nulls, `${path} ${c.name}: null_count ${nulls}`);
    }
  }

  // Per column: every export (whole and a window), facets, filters, sorts.
  for (const c of cases) {
    const col = q(c.name);
    const nulls = storedCol(c.name).filter((v) => v === null).length;
    for (const format of FORMATS) {
      const want = c.refused?.includes(format) ? 400 : 200;
      for (const window of ['', '&page_size=2']) {
        const res = await fetchBytes(server, `${base}/data?format=${format}&columns=${col}${window}`);
        statusOk(t, res.status, want, `${c.name} ${format}${window}`, res.text, c.todo?.[format]);
        if (want === 400 && res.status === 400) t.match(res.text, c.name, `${c.name} ${format}: the refusal names the column`);
      }
    }
    const facets = await fetchBytes(server, `${base}/facets?columns=${col}`);
    statusOk(t, facets.status, 200, `${c.name} facets`, facets.text, c.todo?.facets);
    for (const [op, count] of [['is_null', nulls], ["not_null", stored.length - nulls]] as const) {
      const res = await fetchBytes(server, `${base}/data?filter[${col}]${op}=1&columns=${q(cases[0].name)}`);
      statusOk(t, res.status, 200, `${c.name} ${op}`, res.text, c.todo?.filter);
      t.equal(res.headers.get('x-total-rows'), String(count), `${c.name} ${op}: ${count} rows`, c.todo?.filter ? { todo: c.todo.filter } : {});
    }
    if (c.eq) {
      const [value, row] = c.eq;
      const res = await fetchBytes(server, `${base}/data?filter[${col}]eq=${q(value)}&columns=${col}`);
      statusOk(t, res.status, 200, `${c.name} eq ${value}`, res.text, c.todo?.eq);
      const matched = res.status === 200 ? parseExact(Buffer.from(res.bytes).toString()).data.map((r: Record<string, unknown>) => r[c.name]) : [];
      t.same(matched, [c.json[row]], `${c.name} eq ${value}: row ${row + 1}`, c.todo?.eq ? { todo: c.todo.eq } : {});
      for (const sort of [col, `-${col}`]) {
        const sorted = await fetchBytes(server, `${base}/data?sort=${sort}&columns=${col}`);
        statusOk(t, sorted.status, 200, `${c.name} sort=${sort}`, sorted.text, c.todo?.sort);
        const values = sorted.status === 200 ? parseExact(Buffer.from(sorted.bytes).toString()).data.map((r: Record<string, unknown>) => r[c.name]) : [];
        t.same(values.slice(stored.length - nulls), Array(nulls).fill(null), `${c.name} sort=${sort}: nulls last`);
        if (!c.dtype.startsWith('Float')) t.not(values[0], null, `${c.name} sort=${sort}: a value first`); // NaN and ±inf are null in JSON
      }
    }
  }
}

const built = casesParquet(CASES);
const binary = casesParquet(BINARY_CASES);
const listBinary = casesParquet(LIST_BINARY_CASES);

/** Raw binary is refused with a 422 that names the column and says why; nothing is stored. */
async function refusedBinary(t: Test, server: Server, fileName: string, file: Uint8Array, column: string) {
  const before = (await getJson(server, '/api/datasets')).headers.get('x-total-count');
  const up = await upload(server, file, fileName, { name: fileName });
  t.match(up, { status: 422, body: { error_code: 'unreadable_file', detail: new RegExp(`column "${column}".*raw binary values`) } });
  t.equal((await getJson(server, '/api/datasets')).headers.get('x-total-count'), before, 'nothing stored');
}

for (const backend of BACKENDS) {
  t.test(`${backend} backend`, async (t) => {
    const server = await startServer(t, { backend });
    t.test('every dtype nodejs-polars writes', (t) => exercise(t, server, 'dtypes.parquet', built.bytes, CASES, built.polarsDtypes));
    t.test('Binary', (t) => refusedBinary(t, server, 'binary.parquet', binary.bytes, 'bin'));
    t.test('List(Binary)', (t) => refusedBinary(t, server, 'list-binary.parquet', listBinary.bytes, 'list_bin'));
    t.test('FLOAT16', (t) => exercise(t, server, 'float16.parquet', float16Parquet(), FLOAT16_CASES));
    t.test('INT96', (t) =>
      exercise(t, server, 'p01_int96_sentinels.parquet', new Uint8Array(fieldCase('p01_int96_sentinels.parquet')), INT96_CASES));
  });
}
