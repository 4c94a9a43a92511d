/**
 * Data fidelity, on both backends: what the service serves (JSON pages, Arrow IPC, statistics) is compared
 * with an independent reading of the same file — csv-parse for CSV, hyparquet for Parquet, apache-arrow for
 * the Arrow bodies — or, for the files this test generates, with the literal values it wrote into them.
 * Never with the service's own output.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parse as parseCsv } from 'csv-parse/sync';
import { asyncBufferFromFile, parquetMetadata, parquetRead, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import * as A from 'apache-arrow';
import { writeParquet } from '../../support/parquet-writer.js';
import { BACKENDS, ROOT, getJson, parseExact, startServer, tmpDir, upload, type Server } from '../../support/server.js';

const VEGA = join(ROOT, 'node_modules/vega-datasets/data');
const FLIGHTS = join(VEGA, 'flights-3m.parquet');
const FLIGHTS_ROWS = 3_000_000;
const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
const ARROW_FILE = 'application/vnd.apache.arrow.file';

/** Real CSVs and the portable types a careful reader would give a few of their columns. */
const REAL_CSVS: { file: string; types: Record<string, string> }[] = [
  { file: 'seattle-weather.csv', types: { date: 'date', precipitation: 'float', temp_max: 'float', wind: 'float', weather: 'string' } },
  { file: 'stocks.csv', types: { symbol: 'string', date: 'string', price: 'float' } }, // dates like "Jan 1 2000" stay text
  { file: 'airports.csv', types: { iata: 'string', name: 'string', latitude: 'float', longitude: 'float' } },
  { file: 'iowa-electricity.csv', types: { year: 'date', source: 'string', net_generation: 'integer' } },
  { file: 'github.csv', types: { time: 'string', count: 'integer' } }, // "2015/01/01 01:00:00" is not ISO 8601
  { file: 'la-riots.csv', types: { age: 'integer', death_date: 'date', longitude: 'float' } }, // one empty age
  { file: 'seattle-weather-hourly-normals.csv', types: { date: 'datetime', pressure: 'float' } },
  { file: 'birdstrikes.csv', types: { 'Flight Date': 'date', 'Cost Total $': 'integer', 'Wildlife Species': 'string' } },
  { file: 'zipcodes.csv', types: { zip_code: 'string', latitude: 'float', city: 'string' } }, // "00501" keeps its zeros
];

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

interface Page {
  status: number;
  text: string;
  body: any;
  headers: Headers;
}

/** A JSON page read as text and parsed with parseExact, so 64-bit integers stay exact (BigInt). */
async function jsonPage(server: Server, path: string): Promise<Page> {
  const res = await fetch(`${server.url}${path}`);
  const text = await res.text();
  return { status: res.status, text, headers: res.headers, body: res.status === 200 ? parseExact(text) : JSON.parse(text) };
}

async function arrowPage(server: Server, path: string, accept: string): Promise<{ status: number; headers: Headers; table: A.Table }> {
  const res = await fetch(`${server.url}${path}`, { headers: { accept } });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`${path} (${accept}) → ${res.status}: ${Buffer.from(bytes).toString()}`);
  return { status: res.status, headers: res.headers, table: A.tableFromIPC(bytes) };
}

/** Every row of a sheet through the JSON API, 1000 rows a page. */
async function allJsonRows(t: Test, server: Server, base: string): Promise<{ columns: string[]; rows: any[]; total: number }> {
  const first = await jsonPage(server, `${base}/data?page=1&page_size=1000`);
  t.equal(first.status, 200, `${base}: first page`);
  const { total_rows: total, total_pages: pages, columns } = first.body;
  const rows: any[] = [...first.body.data];
  let bad = 0;
  for (let p = 2; p <= pages; p++) {
    const page = await jsonPage(server, `${base}/data?page=${p}&page_size=1000`);
    if (page.status !== 200 || page.body.page !== p || page.body.data.length !== Math.min(1000, total - (p - 1) * 1000)) bad++;
    rows.push(...page.body.data);
  }
  t.equal(bad, 0, `${base}: every page has the rows it should`);
  t.equal(pages, Math.ceil(total / 1000), 'total_pages');
  return { columns, rows, total };
}

/**
 * Nanoseconds since the epoch of an ISO 8601 datetime (`T` or space, up to 9 fraction digits, optional `Z`
 * or ±HH:MM offset; naive values are read as UTC wall time). Exact for every digit.
 */
function isoNanos(s: string): bigint {
  const m = /^(-?\d{4,})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$/.exec(s);
  if (!m) throw new Error(`not an ISO 8601 datetime: ${JSON.stringify(s)}`);
  const d = new Date(0);
  d.setUTCFullYear(+m[1], +m[2] - 1, +m[3]);
  d.setUTCHours(+m[4], +m[5], +m[6], 0);
  let ns = BigInt(d.getTime()) * 1_000_000n + BigInt((m[7] ?? '').padEnd(9, '0'));
  if (m[8] && m[8] !== 'Z') {
    const sign = m[8][0] === '-' ? -1n : 1n;
    const [hh, mm] = [m[8].slice(1, 3), m[8].slice(-2)].map(BigInt);
    ns -= sign * (hh * 60n + mm) * 60_000_000_000n;
  }
  return ns;
}

const NAIVE_ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?$/;
const DATE_ISO = /^-?\d{4}-\d\d-\d\d$/;

/** Does the served JSON value `v` faithfully hold the CSV field `text`, given the column's portable type? */
function csvValueMatches(type: string, text: string, v: unknown): boolean {
  if (text === '') return v === null; // empty fields are nulls
  switch (type) {
    case 'integer':
      return (typeof v === 'bigint' || Number.isInteger(v)) && BigInt(text) === BigInt(v as number);
    case 'float': {
      const x = /^[+-]?(inf|infinity)$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : Number(text);
      if (!Number.isFinite(x)) return v === null; // NaN and ±inf are null in JSON
      return typeof v === 'number' && Object.is(v, x);
    }
    case 'boolean':
      return /^(true|false)$/i.test(text) && v === (text.toLowerCase() === 'true');
    case 'date':
      return typeof v === 'string' && DATE_ISO.test(v) && v === text;
    case 'datetime':
      return typeof v === 'string' && NAIVE_ISO.test(v) && isoNanos(v) === isoNanos(text);
    case 'string':
      return v === text;
    default:
      return false;
  }
}

/** Compares every value of a served sheet with csv-parse's reading of the file; one assertion per column. */
function compareWithCsv(t: Test, label: string, csvText: string, served: { columns: string[]; rows: any[] }, schema: any[]) {
  const records: string[][] = parseCsv(csvText, { bom: true, skip_empty_lines: true, relax_quotes: false });
  const [header, ...body] = records;
  t.same(served.columns, header, `${label}: column names`);
  t.same(schema.map((c) => c.name), header, `${label}: schema column names`);
  t.equal(served.rows.length, body.length, `${label}: row count`);
  header.forEach((name, c) => {
    const type = schema[c].type;
    const mismatches: string[] = [];
    let nulls = 0;
    for (let r = 0; r < body.length; r++) {
      const text = body[r][c];
      if (text === '') nulls++;
      const v = served.rows[r]?.[name];
      if (!csvValueMatches(type, text, v) && mismatches.length < 5) mismatches.push(`row ${r + 1}: ${JSON.stringify(text)} served as ${stringify(v)}`);
    }
    t.same(mismatches, [], `${label}: every value of "${name}" (${type}) matches the CSV`);
    t.equal(schema[c].nullable, nulls > 0, `${label}: "${name}" nullable iff it has empty fields`);
  });
}

function stringify(v: unknown): string {
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x)) ?? String(v);
}

/** Recursively turns integral JSON numbers into BigInt, to compare with values written as BigInt. */
function bigInts(v: unknown): unknown {
  if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
  if (Array.isArray(v)) return v.map(bigInts);
  if (v && typeof v === 'object' && typeof v !== 'bigint') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, bigInts(x)]));
  return v;
}

/**
 * A column of a decoded Arrow table as comparable JS values: integers as BigInt, timestamps as BigInt
 * nanoseconds read from the raw buffer, dates as `YYYY-MM-DD`, everything else as apache-arrow gives it.
 */
function arrowColumn(table: A.Table, name: string): unknown[] {
  const vector = table.getChild(name);
  if (!vector) throw new Error(`no column ${name} in the Arrow table`);
  const type = vector.type;
  const out: unknown[] = [];
  for (const data of vector.data) {
    for (let i = 0; i < data.length; i++) {
      if (!data.getValid(i)) {
        out.push(null);
        continue;
      }
      if (A.DataType.isTimestamp(type)) {
        const raw = (data.values as unknown as BigInt64Array)[data.offset + i];
        out.push(raw * [1_000_000_000n, 1_000_000n, 1_000n, 1n][type.unit]);
      } else if (A.DataType.isDate(type) && type.unit === A.DateUnit.DAY) {
        const days = (data.values as unknown as Int32Array)[data.offset + i];
        out.push(new Date(days * 86_400_000).toISOString().slice(0, 10));
      } else if (A.DataType.isInt(type)) {
        out.push(BigInt(vector.get(out.length) as number | bigint));
      } else {
        out.push(vector.get(out.length));
      }
    }
  }
  return out;
}

/** A JSON row value in the same comparable form as arrowColumn, from the column's portable type. */
function jsonComparable(type: string, v: unknown): unknown {
  if (v === null) return null;
  if (type === 'integer') return BigInt(v as number);
  if (type === 'datetime') return isoNanos(v as string);
  return v;
}

/** Checks an Arrow table holds exactly the rows of a JSON page. */
function sameAsJsonPage(t: Test, label: string, table: A.Table, page: any, schema: any[]) {
  t.same(table.schema.fields.map((f) => f.name), page.columns, `${label}: same columns`);
  t.equal(table.numRows, page.data.length, `${label}: same number of rows`);
  for (const col of schema) {
    const fromArrow = arrowColumn(table, col.name);
    const fromJson = page.data.map((r: any) => jsonComparable(col.type, r[col.name]));
    const diffs = fromJson.flatMap((v: unknown, i: number) => (sameValue(v, fromArrow[i]) ? [] : [`row ${i}: json ${stringify(v)} arrow ${stringify(fromArrow[i])}`]));
    t.same(diffs.slice(0, 5), [], `${label}: "${col.name}" identical in Arrow and JSON`);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  return typeof a === 'number' && typeof b === 'number' ? Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b)) : a === b;
}

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

// ---------------------------------------------------------------------------------------------------------
// Independent reading of flights-3m.parquet with hyparquet (done once, shared by both backends)
// ---------------------------------------------------------------------------------------------------------

interface FlightsReference {
  names: string[];
  numRows: number;
  /** Whole columns, row order. */
  delay: Float64Array;
  distance: Float64Array;
  dateMicros: Float64Array; // exact: minute-precision microseconds < 2^53
  nulls: Record<string, number>;
  readMs: number;
}

const flightsReference = once(async (): Promise<FlightsReference> => {
  const started = Date.now();
  const file = await asyncBufferFromFile(FLIGHTS);
  const metadata = parquetMetadata(await file.slice(0));
  const numRows = Number(metadata.num_rows);
  const names = metadata.schema.slice(1).map((e) => e.name);
  const cols = {
    delay: new Float64Array(numRows).fill(NaN),
    distance: new Float64Array(numRows).fill(NaN),
    date: new Float64Array(numRows).fill(NaN),
  };
  const nulls: Record<string, number> = { delay: 0, distance: 0, date: 0 };
  await parquetRead({
    file,
    metadata,
    compressors,
    columns: ['date', 'delay', 'distance'],
    parsers: { timestampFromMicroseconds: (us: bigint) => us },
    onChunk: ({ columnName, columnData, rowStart }) => {
      const target = cols[columnName as keyof typeof cols];
      for (let i = 0; i < columnData.length; i++) {
        const v = columnData[i] as bigint | null | undefined;
        if (v === null || v === undefined) nulls[columnName]++;
        else target[rowStart + i] = Number(v);
      }
    },
  });
  return { names, numRows, delay: cols.delay, distance: cols.distance, dateMicros: cols.date, nulls, readMs: Date.now() - started };
});

/** Rows [start, end) of flights-3m.parquet as hyparquet reads them (timestamps as raw BigInt microseconds). */
async function flightsRows(start: number, end: number): Promise<Record<string, unknown>[]> {
  const file = await asyncBufferFromFile(FLIGHTS);
  return parquetReadObjects({ file, compressors, rowStart: start, rowEnd: end, parsers: { timestampFromMicroseconds: (us: bigint) => us } });
}

/** min, max, mean, median, sample standard deviation and distinct count of a whole column, in float64. */
function describe(xs: Float64Array) {
  const n = xs.length;
  let sum = 0n;
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    sum += BigInt(x); // integers: exact sum
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = Number(sum) / n;
  let sq = 0;
  for (const x of xs) sq += (x - mean) ** 2;
  const sorted = Float64Array.from(xs).sort();
  const median = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  let distinct = n > 0 ? 1 : 0;
  for (let i = 1; i < n; i++) if (sorted[i] !== sorted[i - 1]) distinct++;
  return { min, max, mean, median, std_dev: Math.sqrt(sq / (n - 1)), unique_count: distinct };
}

function closeRel(t: Test, actual: unknown, expected: number, rel: number, msg: string) {
  const ok = typeof actual === 'number' && Math.abs(actual - expected) <= rel * Math.abs(expected);
  t.ok(ok, `${msg}: ${actual} ≈ ${expected} (relative ${rel})`);
}

// ---------------------------------------------------------------------------------------------------------
// Generated files
// ---------------------------------------------------------------------------------------------------------

/** Column → the CSV field texts written into the typed file, row by row (already quoted where needed). */
const TYPED_FIELDS: Record<string, string[]> = {
  big_int: ['9007199254740993', '-9223372036854775808', '9223372036854775807', '0', '-1', '', '42', '9007199254740992', '-9007199254740993'],
  float: ['0.1', '1e-300', '1.7976931348623157e308', '-0.0', 'NaN', 'inf', '-inf', '', '2.5'],
  day: ['2024-02-29', '1970-01-01', '', '1999-12-31', '2000-02-29', '1900-03-01', '2038-01-19', '1969-12-31', '9999-12-31'],
  stamp: [
    '2024-01-02T03:04:05.123456', '2024-01-02T03:04:05', '', '1970-01-01T00:00:00', '1969-12-31T23:59:59.999999',
    '2024-02-29T23:59:59.5', '2000-01-01T00:00:00.000001', '2024-01-02T03:04:05.123', '1999-12-31T23:59:59',
  ],
  spaced: ['2024-01-02 03:04:05.123456', '2024-01-02 03:04:05', '', '1970-01-01 00:00:00', '1969-12-31 23:59:59.999999', '2024-02-29 23:59:59.5', '2000-01-01 00:00:00.000001', '2024-01-02 03:04:05.123', '1999-12-31 23:59:59'],
  zoned: [
    '2024-01-02T03:04:05.123456+02:00', '2024-07-01T00:00:00Z', '', '2024-01-02 03:04:05.5-05:30', '1970-01-01T00:00:00+00:00',
    '2024-03-31T01:59:59.999999Z', '2000-01-01T00:00:00-01:00', '2024-02-29T12:00:00+14:00', '1999-12-31T23:59:59Z',
  ],
  flag: ['true', 'FALSE', 'True', 'false', '', 'TRUE', 'false', 'true', 'false'],
  digits20: ['12345678901234567890', '1', '2', '3', '', '99999999999999999999', '-12345678901234567890', '4', '5'],
  padded: ['007', '1', '42', '0', '', '10', '5', '6', '7'],
  text: ['Zürich', '東京', '😀 emoji', 'Ωμέγα', '', 'naïve café', 'Ñandú', 'שלום', 'x'],
  quoted: ['"a,b"', '"say ""hi"""', '"line1\nline2"', '"both, ""and""\nnext"', '', 'plain', '"semi;colon|pipe\ttab"', '"trailing space "', '"\'single\'"'],
};
const TYPED_ROWS = TYPED_FIELDS.big_int.length;
/** The typed file, with LF or CRLF record ends (newlines inside quoted fields stay LF). */
const typedCsv = (eol: string) =>
  Object.keys(TYPED_FIELDS).join(',') +
  eol +
  Array.from({ length: TYPED_ROWS }, (_, r) => Object.values(TYPED_FIELDS).map((col) => col[r]).join(',')).join(eol) +
  eol;

/** The values those fields mean, written by hand from the literals above. */
const TYPED_EXPECTED: Record<string, { type: string; values: unknown[] }> = {
  big_int: {
    type: 'integer',
    values: [9007199254740993n, -9223372036854775808n, 9223372036854775807n, 0n, -1n, null, 42n, 9007199254740992n, -9007199254740993n],
  },
  float: { type: 'float', values: [0.1, 1e-300, 1.7976931348623157e308, -0, null, null, null, null, 2.5] },
  day: { type: 'date', values: TYPED_FIELDS.day.map((s) => s || null) },
  stamp: { type: 'datetime', values: TYPED_FIELDS.stamp.map((s) => s || null) }, // compared as instants
  spaced: { type: 'datetime', values: TYPED_FIELDS.spaced.map((s) => s || null) },
  zoned: { type: 'datetime', values: TYPED_FIELDS.zoned.map((s) => s || null) }, // the same instants, in any offset
  flag: { type: 'boolean', values: [true, false, true, false, null, true, false, true, false] },
  digits20: { type: 'decimal', values: TYPED_FIELDS.digits20.map((s) => s || null) },
  padded: { type: 'string', values: TYPED_FIELDS.padded.map((s) => s || null) },
  text: { type: 'string', values: TYPED_FIELDS.text.map((s) => s || null) },
  quoted: {
    type: 'string',
    values: ['a,b', 'say "hi"', 'line1\nline2', 'both, "and"\nnext', null, 'plain', 'semi;colon|pipe\ttab', 'trailing space ', "'single'"],
  },
};

/** 60,000 rows; `mixed` is an integer on every row but 50,001 and the last, so it must become text, whole. */
const MIXED_ROWS = 60_000;
const mixedValue = (i: number) => (i === 50_000 ? 'n/a' : i === MIXED_ROWS - 1 ? '60000 units' : String(i * 7 - 1000));
const MIXED_CSV = 'id,mixed\n' + Array.from({ length: MIXED_ROWS }, (_, i) => `${i + 1},${mixedValue(i)}`).join('\n') + '\n';

/** A Parquet file written by hyparquet-writer: zoned datetimes, decimal, date, list and struct columns. */
const PQ = {
  id: [1n, 2n, 3n, 4n, 5n],
  // 2024-01-02T03:04:05.123456Z, epoch, null, 1969-12-31T23:59:59.999999Z, 2024-07-01T12:00:00Z (summer time in Paris)
  micros: [1704164645123456n, 0n, null, -1n, 1719835200000000n],
  // Decimal(20, 4), unscaled
  decimal: [123456789012345678n, -1n, null, 99999999999999999999n, -99999999999999999999n],
  days: [19782, 0, null, -1, 2932896], // 2024-02-29, 1970-01-01, null, 1969-12-31, 9999-12-31
  list: [[1n, 2n, 3n], [], null, [9007199254740993n, null], [-9223372036854775808n]],
  struct: [{ a: 1n, b: 'x' }, { a: null, b: 'ü' }, null, { a: -9223372036854775808n, b: null }, { a: 9223372036854775807n, b: '東京, "q"' }],
};

function generatedParquet(): Uint8Array {
  const schema = [
    { name: 'root', num_children: 7 },
    { name: 'id', type: 'INT64', repetition_type: 'REQUIRED' },
    { name: 'ts_utc', type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
    { name: 'ts_paris', type: 'INT64', repetition_type: 'OPTIONAL', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
    {
      name: 'amount', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 9, repetition_type: 'OPTIONAL',
      converted_type: 'DECIMAL', precision: 20, scale: 4, logical_type: { type: 'DECIMAL', precision: 20, scale: 4 },
    },
    { name: 'day', type: 'INT32', repetition_type: 'OPTIONAL', converted_type: 'DATE', logical_type: { type: 'DATE' } },
    { name: 'numbers', repetition_type: 'OPTIONAL', converted_type: 'LIST', logical_type: { type: 'LIST' }, num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', type: 'INT64', repetition_type: 'OPTIONAL' },
    { name: 'pair', repetition_type: 'OPTIONAL', num_children: 2 },
    { name: 'a', type: 'INT64', repetition_type: 'OPTIONAL' },
    { name: 'b', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
  ] as any[];
  // Parquet has no time-zone names: like pyarrow, put the Arrow schema (with "Europe/Paris") in the
  // ARROW:schema metadata, an IPC schema message written by apache-arrow.
  const arrowSchema = new A.Schema([
    new A.Field('id', new A.Int64(), false),
    new A.Field('ts_utc', new A.TimestampMicrosecond('UTC'), true),
    new A.Field('ts_paris', new A.TimestampMicrosecond('Europe/Paris'), true),
    new A.Field('amount', new A.Decimal(4, 20, 128), true),
    new A.Field('day', new A.DateDay(), true),
    new A.Field('numbers', new A.List(new A.Field('element', new A.Int64(), true)), true),
    new A.Field('pair', new A.Struct([new A.Field('a', new A.Int64(), true), new A.Field('b', new A.Utf8(), true)]), true),
  ]);
  const ipc = A.tableToIPC(new A.Table(arrowSchema), 'stream');
  const schemaMessage = ipc.subarray(0, ipc.length - 8); // without the end-of-stream marker
  return writeParquet(
    [
      { name: 'id', data: PQ.id },
      { name: 'ts_utc', data: PQ.micros },
      { name: 'ts_paris', data: PQ.micros },
      { name: 'amount', data: PQ.decimal },
      { name: 'day', data: PQ.days },
      { name: 'numbers', data: PQ.list },
      { name: 'pair', data: PQ.struct },
    ],
    schema,
    [{ key: 'ARROW:schema', value: Buffer.from(schemaMessage).toString('base64') }],
  );
}

/** `unscaled / 10^scale` as a canonical decimal string. */
function decimalText(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** The unscaled value of a served decimal (a string with every digit), or undefined if it is not one. */
function unscaledOf(v: unknown, scale: number): bigint | undefined {
  if (typeof v !== 'string') return undefined;
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(v);
  if (!m || (m[3] ?? '').length > scale) return undefined;
  const u = BigInt(m[2] + (m[3] ?? '').padEnd(scale, '0'));
  return m[1] ? -u : u;
}

/** `+01:00`-style UTC offset of Europe/Paris at an instant, from the platform's time-zone data. */
function parisOffset(ms: number): string {
  const name = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Paris', timeZoneName: 'longOffset' })
    .formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName')!.value; // "GMT+01:00", or "GMT" for zero
  return name === 'GMT' ? '+00:00' : name.slice(3);
}

// ---------------------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------------------

for (const backend of BACKENDS) {
  t.test(`${backend} backend`, async (t) => {
    const server = await startServer(t, { backend });
    let stderr = '';
    server.proc.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    server.proc.once('exit', (code, signal) => {
      // The harness ends the server with SIGKILL; anything else is a crash under the test (its requests then
      // fail with ECONNREFUSED): say why, to tell a crash from a wrong value.
      if (signal !== 'SIGKILL') {
        process.stderr.write(`\n[${backend}] the server exited during the test (code ${code}, signal ${signal})\n${stderr}\n${server.logs.slice(-20).join('\n')}\n`);
      }
    });
    const dir = tmpDir(t, 'data-fidelity-');

    t.test('real CSVs: every value as csv-parse reads it', async (t) => {
      for (const { file, types } of REAL_CSVS) {
        const bytes = readFileSync(join(VEGA, file));
        const up = await upload(server, bytes, file, { name: file });
        t.equal(up.status, 201, `${file}: uploaded`);
        if (up.status !== 201) continue;
        const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;
        const schema = (await getJson(server, `${base}/schema`)).body.columns;
        const served = await allJsonRows(t, server, base);
        t.equal(up.body.sheets[0].row_count, served.total, `${file}: upload reports the row count served`);
        compareWithCsv(t, file, bytes.toString('utf8'), served, schema);
        for (const [col, type] of Object.entries(types)) {
          t.equal(schema.find((c: any) => c.name === col)?.type, type, `${file}: "${col}" is ${type}`);
        }
      }
    });

    let flights: { base: string; schema: any[] } | undefined;

    t.test('flights-3m.parquet: pages and statistics as hyparquet reads them', async (t) => {
      const ref = await flightsReference();
      t.comment(`hyparquet read the 3 whole columns in ${ref.readMs} ms`);
      const up = await upload(server, readFileSync(FLIGHTS), 'flights-3m.parquet', { name: 'flights' });
      t.equal(up.status, 201, 'uploaded');
      if (up.status !== 201) return;
      t.match(up.body, { version: { file_type: 'parquet', row_count: FLIGHTS_ROWS }, sheets: [{ name: 'Sheet1', row_count: FLIGHTS_ROWS, column_count: 5 }] });
      const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;

      const schema = (await getJson(server, `${base}/schema`)).body.columns;
      t.same(schema.map((c: any) => c.name), ref.names, 'column names as in the file');
      t.same(
        schema.map((c: any) => [c.name, c.type, c.dtype]),
        [['date', 'datetime', 'Datetime(us)'], ['delay', 'integer', 'Int64'], ['distance', 'integer', 'Int64'], ['origin', 'string', 'String'], ['destination', 'string', 'String']],
        'types',
      );
      for (const col of ['date', 'delay', 'distance']) {
        t.equal(schema.find((c: any) => c.name === col).nullable, ref.nulls[col] > 0, `${col}: nullable iff it has nulls`);
      }
      flights = { base, schema };

      const random = 1000 + Math.floor(Math.random() * (FLIGHTS_ROWS - 3000));
      const windows: { query: string; start: number; end: number; page?: number; page_size?: number; total_pages?: number }[] = [
        { query: 'page=1&page_size=1000', start: 0, end: 1000, page: 1, page_size: 1000, total_pages: 3000 },
        { query: 'page=1501&page_size=1000', start: 1_500_000, end: 1_501_000, page: 1501, page_size: 1000 },
        { query: `offset=${random}&limit=1000`, start: random, end: random + 1000 },
        { query: 'offset=272227&limit=1000', start: 272_227, end: 273_227 }, // across the uploaded file's first row-group boundary
        { query: 'offset=65000&limit=1000', start: 65_000, end: 66_000 }, // across 2 × 32,767, where the local store's row groups meet
        { query: 'page=3004&page_size=999', start: 2_999_997, end: FLIGHTS_ROWS, page: 3004, page_size: 999, total_pages: 3004 }, // last, 3 rows
        { query: 'offset=2999500&limit=1000', start: 2_999_500, end: FLIGHTS_ROWS },
      ];
      for (const w of windows) {
        const got = await jsonPage(server, `${base}/data?${w.query}`);
        t.equal(got.status, 200, `${w.query}: 200`);
        t.match(got.body, { total_rows: FLIGHTS_ROWS, columns: ref.names }, `${w.query}: envelope`);
        for (const k of ['page', 'page_size', 'total_pages'] as const) if (w[k] !== undefined) t.equal(got.body[k], w[k], `${w.query}: ${k}`);
        const expected = await flightsRows(w.start, w.end);
        t.equal(got.body.data.length, expected.length, `${w.query}: ${expected.length} rows`);
        const diffs: string[] = [];
        got.body.data.forEach((row: any, i: number) => {
          const e = expected[i];
          const same =
            typeof row.date === 'string' && NAIVE_ISO.test(row.date) && isoNanos(row.date) === (e.date as bigint) * 1000n &&
            BigInt(row.delay) === e.delay && BigInt(row.distance) === e.distance &&
            row.origin === e.origin && row.destination === e.destination;
          if (!same && diffs.length < 5) diffs.push(`row ${w.start + i}: served ${stringify(row)}, file ${stringify(e)}`);
        });
        t.same(diffs, [], `${w.query}: every value as in the file (rows ${w.start}–${w.end - 1})`);
      }

      const stats = await getJson(server, `${base}/statistics`);
      t.equal(stats.status, 200, 'statistics');
      t.match(stats.body, { total_rows: FLIGHTS_ROWS, total_columns: 5 });
      for (const col of ['delay', 'distance'] as const) {
        const want = describe(ref[col]);
        const got = stats.body.columns.find((c: any) => c.column_name === col);
        t.match(got, { data_type: 'integer', null_count: ref.nulls[col], min: want.min, max: want.max, unique_count: want.unique_count }, `${col}: counts, min, max`);
        closeRel(t, got.mean, want.mean, 1e-9, `${col}: mean`);
        closeRel(t, got.median, want.median, 1e-12, `${col}: median`);
        closeRel(t, got.std_dev, want.std_dev, 1e-9, `${col}: std_dev`);
      }
      const date = stats.body.columns.find((c: any) => c.column_name === 'date');
      let [lo, hi] = [Infinity, -Infinity];
      for (const x of ref.dateMicros) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
      t.equal(date.null_count, ref.nulls.date, 'date: null_count');
      t.ok(typeof date.min === 'string' && isoNanos(date.min) === BigInt(lo) * 1000n, `date: min ${date.min}`);
      t.ok(typeof date.max === 'string' && isoNanos(date.max) === BigInt(hi) * 1000n, `date: max ${date.max}`);
    });

    t.test('Arrow: the same rows as the JSON page', async (t) => {
      const csv = await upload(server, readFileSync(join(VEGA, 'seattle-weather.csv')), 'seattle-weather.csv', { name: 'weather for arrow' });
      const csvBase = `/api/datasets/${csv.body.dataset.id}/versions/${csv.body.version.id}`;
      const csvSchema = (await getJson(server, `${csvBase}/schema`)).body.columns;
      const tables = [
        { label: 'seattle-weather', base: csvBase, schema: csvSchema, total: 1461, query: 'page=2&page_size=500' },
        ...(flights ? [{ label: 'flights', base: flights.base, schema: flights.schema, total: FLIGHTS_ROWS, query: 'offset=1234567&limit=1000' }] : []),
      ];
      t.equal(tables.length, 2, 'the flights upload is there to read');
      for (const { label, base, schema, total, query } of tables) {
        const json = await jsonPage(server, `${base}/data?${query}`);
        t.equal(json.status, 200);
        for (const accept of [ARROW_STREAM, ARROW_FILE]) {
          const arrow = await arrowPage(server, `${base}/data?${query}`, accept);
          t.equal(arrow.headers.get('content-type'), accept, `${label}: ${accept} content type`);
          t.equal(arrow.headers.get('x-total-rows'), String(total), `${label}: X-Total-Rows`);
          sameAsJsonPage(t, `${label} ${query} as ${accept}`, arrow.table, json.body, schema);
        }
      }

      // No paging parameters: the whole sheet.
      const whole = await arrowPage(server, `${csvBase}/data`, ARROW_STREAM);
      t.equal(whole.table.numRows, 1461, 'seattle-weather: whole sheet in one Arrow response');
      const records: string[][] = parseCsv(readFileSync(join(VEGA, 'seattle-weather.csv')), { bom: true });
      const [header, ...body] = records;
      t.same(whole.table.schema.fields.map((f) => f.name), header, 'seattle-weather: Arrow column names');
      header.forEach((name, c) => {
        const type = csvSchema[c].type;
        const values = arrowColumn(whole.table, name);
        const bad = body.flatMap((r, i) => (csvValueMatches(type, r[c], values[i]) ? [] : [`row ${i + 1}: ${r[c]} → ${stringify(values[i])}`]));
        t.same(bad.slice(0, 5), [], `seattle-weather: Arrow "${name}" matches the CSV`);
      });

      if (!flights) return;
      const ref = await flightsReference();
      const all = await arrowPage(server, `${flights.base}/data`, ARROW_STREAM);
      t.equal(all.headers.get('x-total-rows'), String(FLIGHTS_ROWS));
      t.equal(all.table.numRows, FLIGHTS_ROWS, 'flights: all 3,000,000 rows in one Arrow response');
      for (const [col, want, scale] of [['delay', ref.delay, 1n], ['distance', ref.distance, 1n], ['date', ref.dateMicros, 1000n]] as const) {
        const got = arrowColumn(all.table, col);
        let firstBad = -1;
        for (let i = 0; i < want.length && firstBad < 0; i++) if (got[i] !== BigInt(want[i]) * scale) firstBad = i;
        t.equal(firstBad, -1, `flights: every "${col}" value in the whole-sheet Arrow matches hyparquet${firstBad >= 0 ? ` (first difference at row ${firstBad}: ${got[firstBad]} vs ${BigInt(want[firstBad]) * scale})` : ''}`);
      }
    });

    t.test('typed JSON values from a generated CSV', async (t) => {
      for (const [label, eol] of [['LF', '\n'], ['CRLF', '\r\n']]) {
        await t.test(`typed.csv with ${label} line ends`, async (t) => {
          const csvText = typedCsv(eol);
          writeFileSync(join(dir, 'typed.csv'), csvText);
          const up = await upload(server, readFileSync(join(dir, 'typed.csv')), 'typed.csv', { name: `typed ${label}` });
          t.equal(up.status, 201, 'uploaded');
          if (up.status !== 201) return;
          const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;
          const schema = (await getJson(server, `${base}/schema`)).body.columns;
          t.same(
            schema.map((c: any) => [c.name, c.type]),
            Object.entries(TYPED_EXPECTED).map(([name, e]) => [name, e.type]),
            'each column gets the type its values have (20 digits a Decimal(38, 0), 007 text)',
          );
          t.equal(schema.find((c: any) => c.name === 'big_int').dtype, 'Int64');

          const page = await jsonPage(server, `${base}/data?page_size=1000`);
          t.equal(page.status, 200);
          t.doesNotThrow(() => JSON.parse(page.text), 'the body is valid JSON (no NaN, no Infinity)');
          t.notMatch(page.text, /\bNaN\b|Infinity/, 'no NaN or Infinity tokens');
          t.match(page.text, /"big_int":9007199254740993,/, 'integers beyond 2^53 written with every digit, as numbers');
          const rows = page.body.data;
          t.equal(rows.length, TYPED_ROWS);
          for (const [name, { type, values }] of Object.entries(TYPED_EXPECTED)) {
            const got = rows.map((r: any) => r[name]);
            if (type === 'datetime') {
              const form = name === 'zoned' ? /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?(Z|[+-]\d\d:\d\d)$/ : NAIVE_ISO;
              t.ok(got.every((v: unknown) => v === null || (typeof v === 'string' && form.test(v))), `${name}: ISO 8601 with T${name === 'zoned' ? ' and an offset' : ''} (${stringify(got)})`);
              t.same(
                got.map((v: string | null) => (v === null ? null : isoNanos(v))),
                (values as (string | null)[]).map((v) => (v === null ? null : isoNanos(v))),
                `${name}: every instant exact to the microsecond`,
              );
            } else if (type === 'float') {
              const diffs = values.flatMap((v, i) => (Object.is(got[i], v) ? [] : [`row ${i + 1}: ${stringify(got[i])} instead of ${stringify(v)}`]));
              t.same(diffs, [], `${name}: exact, -0 keeps its sign, NaN and ±inf are null`);
            } else {
              t.same(got, values, `${name}: ${type} values exact`);
              if (type === 'integer') t.ok(got.every((v: unknown) => v === null || typeof v === 'bigint' || Number.isSafeInteger(v)), `${name}: parsed exactly`);
              if (type === 'integer') t.equal(typeof got[0], 'bigint', `${name}: 2^53+1 arrives as a JSON number with all its digits`);
            }
          }
          // And the string columns as csv-parse reads the same file.
          const [header, ...body]: string[][] = parseCsv(csvText);
          for (const name of ['digits20', 'padded', 'text', 'quoted']) {
            const c = header.indexOf(name);
            t.same(rows.map((r: any) => r[name]), body.map((r) => r[c] || null), `${name}: as csv-parse reads it`);
          }

          const asStrings = await jsonPage(server, `${base}/data?page_size=1000&int64=string`);
          t.equal(asStrings.status, 200);
          t.same(
            asStrings.body.data.map((r: any) => r.big_int),
            TYPED_EXPECTED.big_int.values.map((v) => (v === null ? null : String(v))),
            '?int64=string: 64-bit integers as decimal strings',
          );
          t.same(asStrings.body.data.map((r: any) => r.flag), TYPED_EXPECTED.flag.values, '?int64=string leaves other columns alone');
          t.ok(Object.is(asStrings.body.data[3].float, -0), '?int64=string leaves floats as numbers');
        });
      }

      // A column that is an integer for 50,000 rows, then text.
      writeFileSync(join(dir, 'mixed.csv'), MIXED_CSV);
      const mixed = await upload(server, readFileSync(join(dir, 'mixed.csv')), 'mixed.csv', { name: 'mixed' });
      t.equal(mixed.status, 201, 'mixed uploaded');
      if (mixed.status !== 201) return;
      const mbase = `/api/datasets/${mixed.body.dataset.id}/versions/${mixed.body.version.id}`;
      const mschema = (await getJson(server, `${mbase}/schema`)).body.columns;
      t.same(mschema.map((c: any) => [c.name, c.type]), [['id', 'integer'], ['mixed', 'string']], 'text on row 50,001 makes the whole column text');
      const served = await allJsonRows(t, server, mbase);
      t.equal(served.total, MIXED_ROWS);
      compareWithCsv(t, 'mixed.csv', MIXED_CSV, served, mschema);
      const wrong = served.rows.flatMap((r, i) => (r.mixed === mixedValue(i) && BigInt(r.id) === BigInt(i + 1) ? [] : [i]));
      t.same(wrong.slice(0, 5), [], 'every value kept, as the text written');
    });

    t.test('generated Parquet: zoned datetimes, decimal, date, list, struct', async (t) => {
      const bytes = generatedParquet();
      writeFileSync(join(dir, 'typed.parquet'), bytes);
      // The file is what we meant to write, as an independent reader sees it.
      const check = await parquetReadObjects({ file: await asyncBufferFromFile(join(dir, 'typed.parquet')), parsers: { timestampFromMicroseconds: (us: bigint) => us } });
      t.same(check.map((r) => r.numbers), PQ.list, 'hyparquet reads the lists written');
      t.same(check.map((r) => r.ts_paris), PQ.micros, 'hyparquet reads the instants written');

      const up = await upload(server, readFileSync(join(dir, 'typed.parquet')), 'typed.parquet', { name: 'typed parquet' });
      t.equal(up.status, 201, 'uploaded');
      if (up.status !== 201) return;
      const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;
      const schema = (await getJson(server, `${base}/schema`)).body.columns;
      t.same(
        schema.map((c: any) => [c.name, c.type, c.dtype]),
        [
          ['id', 'integer', 'Int64'],
          ['ts_utc', 'datetime', 'Datetime(us, UTC)'],
          ['ts_paris', 'datetime', 'Datetime(us, Europe/Paris)'],
          ['amount', 'decimal', 'Decimal(20, 4)'],
          ['day', 'date', 'Date'],
          ['numbers', 'list', 'List(Int64)'],
          ['pair', 'struct', 'Struct(a: Int64, b: String)'],
        ],
        'schema keeps the Parquet types',
      );

      const page = await jsonPage(server, `${base}/data`);
      t.equal(page.status, 200);
      const rows = page.body.data;
      t.same(rows.map((r: any) => bigInts(r.id)), PQ.id, 'id');
      for (const col of ['ts_utc', 'ts_paris']) {
        const got = rows.map((r: any) => r[col]);
        t.ok(got.every((v: unknown) => v === null || (typeof v === 'string' && /(Z|[+-]\d\d:\d\d)$/.test(v))), `${col}: ISO 8601 with an offset`);
        t.same(got.map((v: string | null) => (v === null ? null : isoNanos(v))), PQ.micros.map((us) => (us === null ? null : us * 1000n)), `${col}: the instants written`);
      }
      t.same(
        rows.map((r: any) => r.ts_paris?.slice(-6) ?? null),
        PQ.micros.map((us) => (us === null ? null : parisOffset(Number(us / 1000n)))),
        'ts_paris: written in Paris time (+01:00 in winter, +02:00 in summer)',
      );
      t.same(
        rows.map((r: any) => (r.amount === null ? null : unscaledOf(r.amount, 4))),
        PQ.decimal,
        `amount: every digit of Decimal(20, 4) (served ${stringify(rows.map((r: any) => r.amount))}, written ${stringify(PQ.decimal.map((d) => (d === null ? null : decimalText(d, 4))))})`,
      );
      t.same(rows.map((r: any) => r.day), PQ.days.map((d) => (d === null ? null : new Date(d * 86_400_000).toISOString().slice(0, 10))), 'day: YYYY-MM-DD');
      t.same(rows.map((r: any) => bigInts(r.numbers)), PQ.list, 'numbers: lists with every digit, empty list and null kept apart');
      t.same(rows.map((r: any) => bigInts(r.pair)), PQ.struct, 'pair: structs, null fields and a null struct');
    });
  });
}
