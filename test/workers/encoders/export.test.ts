/**
 * Exports (`/data?format=…` or by Accept), on both backends, at scale: the 3-million-row flights-3m.parquet
 * from vega-datasets is exported whole as CSV, NDJSON, Parquet, Arrow stream and Arrow file. What comes out is
 * compared with hyparquet's reading of the original file (never with the service's own output); the CSV and
 * Parquet exports are uploaded again and must give the same schema, row count and pages. The CSV export must
 * stream: the first bytes come before the end, and a client that reads slowly does not make the server
 * buffer the export (the bytes its main thread holds, from /metrics, stay a few batches).
 *
 * A generated CSV (non-ASCII text, nulls, formula-looking cells) covers a filtered, projected, sorted export
 * against a JS computation over csv-parse's reading, `?csv_safe=true`, and windows (`offset`/`limit`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { parse as parseCsv } from 'csv-parse/sync';
import { asyncBufferFromFile, parquetMetadata, parquetRead, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import * as A from 'apache-arrow';
import { BACKENDS, ROOT, getJson, startServer, upload, type Server } from '../../support/server.js';
import { cacheAtRest } from '../../support/health.js';
import { metricValue, scrapeMetrics } from '../../support/metrics.js';
import { prng } from '../../support/prng.js';
import { EXPORT_CREDITS, ONE_MESSAGE_ROWS } from '../../../workers/protocol.js';

const FLIGHTS = join(ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet');
const ROWS = 3_000_000;
const COLS = ['date', 'delay', 'distance', 'origin', 'destination'];
const PAGE = 1000;
/** Rows compared in every export: the first, a middle and the last JSON page of 1000. */
const WINDOWS = [0, 1_499_000, ROWS - PAGE];
const MIB = 1024 * 1024;

type Flight = { date: string; delay: number; distance: number; origin: string; destination: string };

// ---------------------------------------------------------------------------------------------------------
// The independent reading of flights-3m.parquet (hyparquet), done once for both backends
// ---------------------------------------------------------------------------------------------------------

function once<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

/** A naive timestamp as the API writes it: `YYYY-MM-DDTHH:MM:SS` (flights are whole minutes). */
function isoMinute(d: Date | number): string {
  return new Date(d).toISOString().slice(0, 19);
}

function flight(r: Record<string, unknown>): Flight {
  return {
    date: isoMinute(r.date as Date),
    delay: Number(r.delay),
    distance: Number(r.distance),
    origin: r.origin as string,
    destination: r.destination as string,
  };
}

/** hyparquet's rows [start, start + PAGE) of a Parquet file (the original, or an export of it). */
async function parquetRows(file: Awaited<ReturnType<typeof asyncBufferFromFile>> | ArrayBuffer, start: number): Promise<Flight[]> {
  const rows = await parquetReadObjects({ file, compressors, rowStart: start, rowEnd: start + PAGE });
  return rows.map(flight);
}

const reference = once(async () => {
  const file = await asyncBufferFromFile(FLIGHTS);
  const windows = await Promise.all(WINDOWS.map((w) => parquetRows(file, w)));
  return { windows };
});

/** Whole columns, for the filtered export: row i of the file is (date[i], delay[i], origin[i], destination[i]). */
const columns = once(async () => {
  const file = await asyncBufferFromFile(FLIGHTS);
  const metadata = parquetMetadata(await file.slice(0));
  const date = new Float64Array(ROWS);
  const delay = new Float64Array(ROWS);
  const origin: string[] = new Array(ROWS);
  const destination: string[] = new Array(ROWS);
  await parquetRead({
    file,
    metadata,
    compressors,
    columns: ['date', 'delay', 'origin', 'destination'],
    onChunk: ({ columnName, columnData, rowStart }) => {
      for (let i = 0; i < columnData.length; i++) {
        const v = columnData[i];
        if (columnName === 'date') date[rowStart + i] = (v as Date).getTime();
        else if (columnName === 'delay') delay[rowStart + i] = Number(v);
        else if (columnName === 'origin') origin[rowStart + i] = v as string;
        else destination[rowStart + i] = v as string;
      }
    },
  });
  return { date, delay, origin, destination };
});

// ---------------------------------------------------------------------------------------------------------
// Reading responses
// ---------------------------------------------------------------------------------------------------------

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** Reads a body to the end, recording the order of events: the size of the first chunk, how many chunks came. */
async function readAll(res: Response): Promise<{ bytes: Buffer; chunks: number; first: number }> {
  const parts: Buffer[] = [];
  let first = -1;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    if (first < 0) first = chunk.length;
    parts.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  const bytes = Buffer.concat(parts);
  return { bytes, chunks: parts.length, first };
}

/** Byte offset of the start of every line of a text buffer (and one past its end). */
function lineStarts(buf: Buffer): number[] {
  const starts = [0];
  for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) starts.push(at + 1);
  if (starts[starts.length - 1] !== buf.length) starts.push(buf.length);
  return starts;
}

/** CSV data lines [from, from + n) (after the header) parsed by csv-parse, as flights. */
function csvFlights(buf: Buffer, starts: number[], from: number, n = PAGE): Flight[] {
  const text = buf.subarray(starts[from + 1], starts[from + 1 + n]).toString('utf8');
  return (parseCsv(text, { columns: COLS }) as Record<string, string>[]).map((r) => ({
    date: r.date,
    delay: Number(r.delay),
    distance: Number(r.distance),
    origin: r.origin,
    destination: r.destination,
  }));
}

/** Rows of an Arrow table (or batch) [from, from + n), as flights: timestamps read from their raw microseconds. */
function arrowFlights(table: A.Table, from: number, n = PAGE): Flight[] {
  const slice = table.slice(from, from + n);
  const out: Flight[] = [];
  const cols = COLS.map((c) => slice.getChild(c)!);
  for (let i = 0; i < slice.numRows; i++) {
    const [date, delay, distance, origin, destination] = cols.map((c) => c.get(i));
    out.push({ date: isoMinute(Number(date)), delay: Number(delay), distance: Number(distance), origin, destination });
  }
  return out;
}

function sameFlights(t: Test, got: Flight[], want: Flight[], msg: string) {
  t.equal(got.length, want.length, `${msg}: ${want.length} rows`);
  const bad = want.findIndex((w, i) => JSON.stringify(got[i]) !== JSON.stringify(w));
  if (bad === -1) t.pass(`${msg}: every row equal`);
  else t.same(got[bad], want[bad], `${msg}: first difference at row ${bad}`);
}

async function jsonWindow(server: Server, base: string, start: number, extra = ''): Promise<Flight[]> {
  const res = await getJson(server, `${base}/data?offset=${start}&limit=${PAGE}${extra}`);
  if (res.status !== 200) throw new Error(`${base} offset ${start}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

// ---------------------------------------------------------------------------------------------------------
// The generated CSV: filters, projection, csv_safe, windows
// ---------------------------------------------------------------------------------------------------------

const SMALL_N = 3000;
const NOTES = ['=1+1', '+x', '-x', '@x', 'plain', 'a=b', ' =lead space', 'Zürich', '東京', 'x,y', '\tx', '=HYPERLINK("http://e.x")'];
const CITIES = ['Zürich', 'São Paulo', 'Kraków', '東京', 'Ålesund', 'Łódź', 'Αθήνα'];


const quote = (s: string) => (/[",\n\r\t]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

function smallCsv(): string {
  const rnd = prng(42);
  const lines = ['id,n,x,day,city,note'];
  for (let i = 0; i < SMALL_N; i++) {
    const n = String(Math.floor(rnd() * 201) - 100); // negative integers: numbers, never prefixed
    const x = rnd() < 0.1 ? '' : (Math.floor(rnd() * 20000) / 100 - 100).toFixed(2);
    const day = rnd() < 0.05 ? '' : new Date(Date.UTC(2020, 0, 1) + Math.floor(rnd() * 1000) * 86_400_000).toISOString().slice(0, 10);
    const city = rnd() < 0.05 ? '' : CITIES[Math.floor(rnd() * CITIES.length)];
    const note = rnd() < 0.05 ? '' : NOTES[Math.floor(rnd() * NOTES.length)];
    lines.push([String(i + 1), n, x, day, quote(city), quote(note)].join(','));
  }
  return lines.join('\n') + '\n';
}

type Cell = string | number | null;
const SMALL_TYPES: Record<string, 'integer' | 'float' | 'date' | 'string'> = { id: 'integer', n: 'integer', x: 'float', day: 'date', city: 'string', note: 'string' };

/** A CSV (the generated one, or an export) as csv-parse reads it, empty → null, numbers as numbers. */
function readSmall(text: string): Record<string, Cell>[] {
  return (parseCsv(text, { columns: true }) as Record<string, string>[]).map((r) =>
    Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === '' ? null : SMALL_TYPES[k] === 'integer' || SMALL_TYPES[k] === 'float' ? Number(v) : v])),
  );
}

// ---------------------------------------------------------------------------------------------------------

for (const backend of BACKENDS) {
  t.test(`${backend} backend`, async (t) => {
    const server = await startServer(t, { backend });
    const pid = server.proc.pid!;
    const flights = await upload(server, readFileSync(FLIGHTS), 'flights-3m.parquet', { name: 'Flights' });
    t.equal(flights.status, 201, 'upload flights-3m.parquet');
    t.equal(flights.body.version.row_count, ROWS);
    const dsId = flights.body.dataset.id;
    const base = `/api/datasets/${dsId}/versions/${flights.body.version.id}`;
    const schema = (await getJson(server, `${base}/schema`)).body.columns;
    t.same(schema.map((c: any) => c.name), COLS);

    const ref = await reference();
    const pages = await Promise.all(WINDOWS.map((w) => jsonWindow(server, base, w)));
    for (const [i, w] of WINDOWS.entries()) sameFlights(t, pages[i], ref.windows[i], `original: JSON rows ${w}… as hyparquet reads them`);

    /** After a re-upload: same schema, total_rows and first/middle/last pages as the original. */
    async function sameAsOriginal(t: Test, bytes: Buffer, fileName: string) {
      const again = await upload(server, bytes, fileName, { dataset_id: String(dsId) });
      t.equal(again.status, 201, `${fileName} uploads again`);
      const vbase = `/api/datasets/${dsId}/versions/${again.body.version.id}`;
      t.same((await getJson(server, `${vbase}/schema`)).body.columns, schema, `${fileName}: schema identical (names, types, dtypes, nullability)`);
      const first = await getJson(server, `${vbase}/data?page=1&page_size=${PAGE}`);
      t.equal(first.body.total_rows, ROWS, `${fileName}: total_rows`);
      for (const [i, w] of WINDOWS.entries()) t.same(await jsonWindow(server, vbase, w), pages[i], `${fileName}: rows ${w}… identical`);
      const del = await fetch(`${server.url}${vbase}`, { method: 'DELETE' });
      t.equal(del.status, 204, 'version removed again (keeps the memory backend small)');
    }

    t.test('CSV export of 3M rows: a client that stalls holds a few batches in the server, not the export', async (t) => {
      // Flow control: the worker starts with EXPORT_CREDITS messages of credit and gets one more each time the
      // export's stream asks for data with its buffer empty (at most once per message received, plus once before
      // the first), and the response writes one message at a time to the socket. So the main thread holds at
      // most EXPORT_CREDITS + 2 messages (batches of 65,536 rows, ~2.2 MiB of CSV), whatever the client does.
      // The server counts exactly those bytes (export_buffered_bytes at /metrics: received from the worker, not
      // yet taken by the kernel); another process on the machine, V8's GC timing or what glibc keeps cannot move
      // that figure, only this export can. The client reads the first chunk, then nothing for 40 polls of 100 ms
      // (longer than the whole export takes at full speed: a server without flow control would pile up the
      // ~101 MiB meanwhile), then reads to the end. Bound, stall and reading alike: the EXPORT_CREDITS + 2
      // largest batches (measured from the CSV's lines) + 1 MiB for HTTP framing and the stream's high-water
      // mark, less than one batch more. Pacing uses timers; no assertion depends on how long anything took.
      const held = async () => {
        const text = await scrapeMetrics(server);
        return { bytes: metricValue(text, 'export_buffered_bytes')!, exports: metricValue(text, 'export_streams')! };
      };
      // The pages read above fill the local cache with the whole table in the background: let that finish first,
      // so what the RSS below measures is this export's.
      await cacheAtRest(server);
      const before = rssMiB(pid);
      const res = await fetch(`${server.url}${base}/data?format=csv`);
      t.equal(res.status, 200);
      t.equal(res.headers.get('x-total-rows'), String(ROWS));
      const reader = res.body!.getReader();
      const firstChunk = await reader.read();
      t.notOk(firstChunk.done, 'a first chunk');
      // Bytes of each batch the worker sent (the header and 65,536 lines, then 65,536 lines each), from the lines.
      let received = 0;
      let lines = 0;
      let batchStart = 0;
      const batchBytes: number[] = [];
      const take = (b: Uint8Array) => {
        for (let at = b.indexOf(10); at !== -1; at = b.indexOf(10, at + 1)) {
          if (++lines % ONE_MESSAGE_ROWS === 1 && lines > 1) {
            batchBytes.push(received + at + 1 - batchStart);
            batchStart = received + at + 1;
          }
        }
        received += b.length;
      };
      take(firstChunk.value!);
      // The stall lasts 40 polls, and on a loaded machine until the worker has got ahead of the kernel's socket
      // buffers, so the server holds something (at most 600 polls: only a figure that never counts would get there).
      let stallHeld = 0;
      let stallRss = 0;
      let polls = 0;
      const streams = new Set<number>();
      while (polls < 40 || (stallHeld === 0 && polls < 600)) {
        await new Promise((r) => setTimeout(r, 100));
        polls++;
        const h = await held();
        streams.add(h.exports);
        stallHeld = Math.max(stallHeld, h.bytes);
        stallRss = Math.max(stallRss, rssMiB(pid));
      }
      let readingHeld = 0;
      let rss = stallRss;
      let chunks = 1;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        take(value);
        if (++chunks % 32 === 0) {
          await new Promise((r) => setTimeout(r, 5));
          readingHeld = Math.max(readingHeld, (await held()).bytes);
          rss = Math.max(rss, rssMiB(pid));
        }
      }
      if (received > batchStart) batchBytes.push(received - batchStart);
      t.equal(lines, ROWS + 1, 'the whole export came: a header and 3,000,000 lines');
      const batches = batchBytes.length;
      const largest = batchBytes.sort((a, b) => b - a).slice(0, EXPORT_CREDITS + 2);
      const bound = largest.reduce((a, b) => a + b, 0) + MIB;
      const mib = (b: number) => (b / MIB).toFixed(1);
      t.comment(
        `export ${mib(received)} MiB in ${batches} batches; held by the main thread: in the stall (${polls} polls) up to ${mib(stallHeld)} MiB, ` +
          `while reading up to ${mib(readingHeld)} MiB (bound ${mib(bound)}); server RSS MiB: before ${before.toFixed(0)}, ` +
          `peak in the stall ${stallRss.toFixed(0)}, peak ${rss.toFixed(0)}`,
      );
      t.ok(bound < received / 4, `the bound (EXPORT_CREDITS + 2 batches) is a small part of the export`);
      t.same([...streams], [1], 'one export being sent throughout the stall');
      t.ok(stallHeld > 0, 'the stalled export waits in the main thread (the figure sees it)');
      t.ok(stallHeld < bound, `the main thread held ${mib(stallHeld)} MiB (< ${mib(bound)}) while the client read nothing`);
      t.ok(readingHeld < bound, `the main thread held ${mib(readingHeld)} MiB (< ${mib(bound)}) while the client read`);
      t.same(await held(), { bytes: 0, exports: 0 }, 'once sent, the export holds nothing');
      // The whole process, as a sanity bound with a wide margin: RSS also moves with glibc's arenas, Polars'
      // allocator and GC timing, and with other processes' load (stall growth 4-42 MiB seen, with another test
      // file alongside). A server that piles up the export while the client stalls grows by more than the
      // export's size (200-280 MiB seen with the flow control switched off). Not caught here: the local
      // backend's worker reading the whole table before the first batch (+~50 MiB for this table).
      t.ok(stallRss - before < received / MIB, `server RSS grew by ${(stallRss - before).toFixed(1)} MiB (< the export's ${mib(received)}) by the end of the stall`);
    });

    t.test('CSV export: streamed, complete, and round-trips', async (t) => {
      const res = await fetch(`${server.url}${base}/data?format=csv`);
      t.equal(res.status, 200);
      t.match(res.headers.get('content-type'), /^text\/csv/);
      t.equal(res.headers.get('x-total-rows'), String(ROWS));
      const { bytes, chunks, first } = await readAll(res);
      t.comment(`CSV: ${bytes.length} bytes in ${chunks} chunks, the first ${first} bytes`);
      t.ok(chunks > 10 && first < bytes.length / 10, `the first chunk (${first} bytes) came well before the end (${bytes.length} bytes, ${chunks} chunks)`);
      const starts = lineStarts(bytes);
      t.equal(starts.length - 1, ROWS + 1, 'a header and 3,000,000 lines');
      t.equal(bytes.subarray(0, starts[1]).toString(), COLS.join(',') + '\n', 'header');
      for (const [i, w] of WINDOWS.entries()) sameFlights(t, csvFlights(bytes, starts, w), ref.windows[i], `CSV lines ${w}… as hyparquet reads the original`);
      await sameAsOriginal(t, bytes, 'flights-export.csv');
    });

    t.test('CSV export: the client goes away mid-stream', async (t) => {
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`${server.url}${base}/data?format=csv`);
        const reader = res.body!.getReader();
        t.notOk((await reader.read()).done);
        await reader.cancel();
      }
      // With WORKERS=2, an export left waiting for credits would hold a worker; three abandoned exports and
      // then a full one show none is.
      const res = await fetch(`${server.url}${base}/data?format=csv&offset=${ROWS - 5}&limit=10`);
      const lines = (await res.text()).trimEnd().split('\n');
      t.equal(lines.length, 6, 'a new export still completes');
      t.equal((await getJson(server, '/health')).status, 200);
    });

    t.test('Parquet export: hyparquet reads it, and it round-trips', async (t) => {
      const res = await fetch(`${server.url}${base}/data`, { headers: { accept: 'application/vnd.apache.parquet' } });
      t.equal(res.status, 200);
      t.equal(res.headers.get('content-type'), 'application/vnd.apache.parquet');
      t.equal(res.headers.get('x-total-rows'), String(ROWS));
      const { bytes } = await readAll(res);
      t.equal(bytes.subarray(0, 4).toString(), 'PAR1');
      t.equal(bytes.subarray(-4).toString(), 'PAR1');
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
      const metadata = parquetMetadata(buffer);
      t.equal(Number(metadata.num_rows), ROWS, 'num_rows in the footer');
      t.same(metadata.schema.slice(1).map((e) => e.name), COLS);
      for (const [i, w] of WINDOWS.entries()) sameFlights(t, await parquetRows(buffer, w), ref.windows[i], `Parquet rows ${w}… as hyparquet reads the original`);
      await sameAsOriginal(t, bytes, 'flights-export.parquet');
    });

    t.test('NDJSON export: 3M lines', async (t) => {
      const res = await fetch(`${server.url}${base}/data?format=ndjson`);
      t.equal(res.status, 200);
      t.equal(res.headers.get('content-type'), 'application/x-ndjson');
      const wanted = new Map<number, number>(); // line → which window
      WINDOWS.forEach((w, k) => {
        for (let i = 0; i < PAGE; i++) wanted.set(w + i, k);
      });
      const got: Flight[][] = WINDOWS.map(() => []);
      let line = 0;
      let rest = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        const text = rest + decoder.decode(chunk, { stream: true });
        let from = 0;
        for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', from)) {
          const k = wanted.get(line);
          if (k !== undefined) got[k].push(JSON.parse(text.slice(from, nl)));
          line++;
          from = nl + 1;
        }
        rest = text.slice(from);
      }
      t.equal(rest, '', 'ends with a newline');
      t.equal(line, ROWS, '3,000,000 lines');
      for (const [i, w] of WINDOWS.entries()) sameFlights(t, got[i], ref.windows[i], `NDJSON lines ${w}…`);
    });

    t.test('Arrow stream export: read batch by batch', async (t) => {
      const res = await fetch(`${server.url}${base}/data?format=arrow-stream`);
      t.equal(res.status, 200);
      t.equal(res.headers.get('content-type'), 'application/vnd.apache.arrow.stream');
      const reader = await A.RecordBatchReader.from(res.body as unknown as AsyncIterable<Uint8Array>);
      let rows = 0;
      let batches = 0;
      const got: Flight[][] = WINDOWS.map(() => []);
      for await (const batch of reader) {
        if (batches++ === 0) t.same(batch.schema.fields.map((f) => f.name), COLS, 'schema');
        const table = new A.Table(batch);
        for (const [k, w] of WINDOWS.entries()) {
          const from = Math.max(w, rows);
          const to = Math.min(w + PAGE, rows + batch.numRows);
          if (from < to) got[k].push(...arrowFlights(table, from - rows, to - from));
        }
        rows += batch.numRows;
      }
      t.equal(rows, ROWS, `3,000,000 rows in ${batches} record batches`);
      t.ok(batches > 1, 'more than one batch');
      for (const [i, w] of WINDOWS.entries()) sameFlights(t, got[i], ref.windows[i], `Arrow stream rows ${w}…`);
    });

    t.test('Arrow file export', async (t) => {
      const res = await fetch(`${server.url}${base}/data`, { headers: { accept: 'application/vnd.apache.arrow.file' } });
      t.equal(res.status, 200);
      t.equal(res.headers.get('content-type'), 'application/vnd.apache.arrow.file');
      const { bytes } = await readAll(res);
      t.equal(bytes.subarray(0, 6).toString(), 'ARROW1', 'file magic');
      const table = A.tableFromIPC(bytes);
      t.equal(table.numRows, ROWS);
      t.same(table.schema.fields.map((f) => f.name), COLS);
      for (const [i, w] of WINDOWS.entries()) sameFlights(t, arrowFlights(table, w), ref.windows[i], `Arrow file rows ${w}…`);
    });

    t.test('windows of an export: exactly those rows', async (t) => {
      const at = 1_234_567;
      const csv = await fetch(`${server.url}${base}/data?format=csv&offset=${at}&limit=${PAGE}`);
      t.equal(csv.headers.get('x-total-rows'), String(ROWS), 'X-Total-Rows is the whole result');
      const bytes = Buffer.from(await csv.arrayBuffer());
      const starts = lineStarts(bytes);
      t.equal(starts.length - 1, PAGE + 1, 'header + 1000 lines');
      const file = await asyncBufferFromFile(FLIGHTS);
      const want = await parquetRows(file, at);
      sameFlights(t, csvFlights(bytes, starts, 0), want, `format=csv&offset=${at}&limit=${PAGE}`);

      const page = Math.floor(at / PAGE) + 1;
      const nd = await fetch(`${server.url}${base}/data?page=${page}&page_size=${PAGE}`, { headers: { accept: 'application/x-ndjson' } });
      t.equal(nd.headers.get('content-type'), 'application/x-ndjson', 'NDJSON by Accept');
      const ndRows = (await nd.text()).trimEnd().split('\n').map((l) => JSON.parse(l));
      sameFlights(t, ndRows, await parquetRows(file, (page - 1) * PAGE), `Accept: application/x-ndjson, page ${page} of ${PAGE}`);

      const pq = await fetch(`${server.url}${base}/data?offset=${ROWS - 10}&limit=100`, { headers: { accept: 'application/vnd.apache.parquet' } });
      const pqBytes = await pq.arrayBuffer();
      t.equal(Number(parquetMetadata(pqBytes).num_rows), 10, 'a window across the end is clipped');
      const last = ref.windows[2].slice(-10);
      sameFlights(t, (await parquetReadObjects({ file: pqBytes, compressors })).map(flight), last, 'Parquet window: the last 10 rows');

      const empty = await fetch(`${server.url}${base}/data?format=csv&offset=${ROWS}&limit=10`);
      t.equal(empty.status, 200);
      t.equal(await empty.text(), COLS.join(',') + '\n', 'a window past the end: the header only');
    });

    t.test('filtered, sorted, projected export of the 3M rows vs hyparquet', async (t) => {
      const cols = await columns();
      const origins = new Set(['ORD', 'ATL', 'DFW']);
      const idx: number[] = [];
      for (let i = 0; i < ROWS; i++) if (cols.delay[i] >= 120 && origins.has(cols.origin[i])) idx.push(i);
      // sort=-delay,date; stable, so rows equal in both keep file order.
      idx.sort((a, b) => cols.delay[b] - cols.delay[a] || cols.date[a] - cols.date[b] || a - b);
      const want = idx.map((i) => [isoMinute(cols.date[i]), String(cols.delay[i]), cols.destination[i]]);
      t.ok(want.length > 1000 && want.length < 100_000, `${want.length} rows kept`);

      const q = 'filter[delay]gte=120&filter[origin]in=ORD,ATL,DFW&sort=-delay,date&columns=date,delay,destination&format=csv';
      const res = await fetch(`${server.url}${base}/data?${q.replace(/\[/g, '%5B').replace(/\]/g, '%5D')}`);
      t.equal(res.status, 200);
      t.equal(res.headers.get('x-total-rows'), String(want.length));
      const rows = parseCsv(await res.text()) as string[][];
      t.same(rows[0], ['date', 'delay', 'destination'], 'the projected header');
      const got = rows.slice(1);
      t.equal(got.length, want.length);
      const bad = want.findIndex((w, i) => w.join(',') !== got[i]?.join(','));
      t.equal(bad, -1, `every row equal${bad >= 0 ? ` (first difference at ${bad}: ${got[bad]} vs ${want[bad]})` : ''}`);
    });

    t.test('generated CSV: filtered, projected export; csv_safe; windows', async (t) => {
      const text = smallCsv();
      const up = await upload(server, text, 'notes.csv', { name: 'Notes' });
      t.equal(up.status, 201);
      const sbase = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;
      const types = (await getJson(server, `${sbase}/schema`)).body.columns.map((c: any) => [c.name, c.type]);
      t.same(types, Object.entries(SMALL_TYPES), 'schema');
      const ref = readSmall(text);

      // Filtered + projected + sorted, as CSV, vs JS over csv-parse's reading.
      const params = new URLSearchParams([
        ['filter[x]lt', '50'],
        ['filter[city]in', 'Zürich,東京,Łódź'],
        ['filter[day]not_null', ''],
        ['sort', '-day,id'],
        ['columns', 'day,city,x,note,id'],
        ['format', 'csv'],
      ]);
      const res = await fetch(`${server.url}${sbase}/data?${params}`);
      t.equal(res.status, 200);
      const want = ref
        .filter((r) => r.x !== null && (r.x as number) < 50 && ['Zürich', '東京', 'Łódź'].includes(r.city as string) && r.day !== null)
        .sort((a, b) => (a.day! < b.day! ? 1 : a.day! > b.day! ? -1 : (a.id as number) - (b.id as number)))
        .map((r) => ({ day: r.day, city: r.city, x: r.x, note: r.note, id: r.id }));
      t.ok(want.length > 100, `${want.length} rows kept`);
      t.equal(res.headers.get('x-total-rows'), String(want.length));
      const body = await res.text();
      t.same(readSmall(body), want, 'filtered, projected, sorted CSV export = the JS computation');
      t.equal(body.split('\n')[0], 'day,city,x,note,id', 'header in projection order');

      // csv_safe: formula-looking text cells get a leading ', numbers (also negative) are left alone.
      const plain = readSmall(await (await fetch(`${server.url}${sbase}/data?format=csv`)).text());
      t.same(plain, ref, 'without csv_safe: every cell as uploaded');
      const safeRes = await fetch(`${server.url}${sbase}/data?format=csv&csv_safe=true`);
      const safe = readSmall(await safeRes.text());
      const neutral = (s: Cell) => (typeof s === 'string' && /^[=+\-@\t\r]/.test(s) ? `'${s}` : s);
      t.same(
        safe.map((r) => r.note),
        ref.map((r) => neutral(r.note)),
        "csv_safe: =…, +…, -…, @… (and tab) text cells start with '",
      );
      const expected: Record<string, string> = { '=1+1': "'=1+1", '+x': "'+x", '-x': "'-x", '@x': "'@x", '=HYPERLINK("http://e.x")': '\'=HYPERLINK("http://e.x")', plain: 'plain', 'a=b': 'a=b', ' =lead space': ' =lead space' };
      for (const [from, to] of Object.entries(expected)) {
        const i = ref.findIndex((r) => r.note === from);
        t.equal(safe[i].note, to, `${JSON.stringify(from)} → ${JSON.stringify(to)}`);
      }
      t.same(
        safe.map((r) => [r.id, r.n, r.x, r.day, r.city]),
        ref.map((r) => [r.id, r.n, r.x, r.day, r.city]),
        'numbers (negative ones too), dates and other text untouched',
      );
      t.ok(ref.some((r) => (r.n as number) < 0) && ref.some((r) => (r.x as number) < 0), 'there are negative numbers');
      const nd = await fetch(`${server.url}${sbase}/data?format=ndjson&csv_safe=true&offset=0&limit=${SMALL_N}`);
      t.same(
        (await nd.text()).trimEnd().split('\n').map((l) => JSON.parse(l).note),
        ref.map((r) => r.note),
        'csv_safe only changes CSV',
      );

      // Windows, by offset/limit and by page/page_size, with and without a filter.
      const win = await fetch(`${server.url}${sbase}/data?format=csv&offset=1234&limit=567`);
      t.same(readSmall(await win.text()), ref.slice(1234, 1801), 'offset=1234&limit=567');
      const fwin = await fetch(`${server.url}${sbase}/data?${new URLSearchParams([['filter[n]gte', '0'], ['format', 'csv'], ['page', '3'], ['page_size', '100']])}`);
      const kept = ref.filter((r) => (r.n as number) >= 0);
      t.equal(fwin.headers.get('x-total-rows'), String(kept.length));
      t.same(readSmall(await fwin.text()), kept.slice(200, 300), 'filter + page=3&page_size=100');
      const bad = await getJson(server, `${sbase}/data?format=csv&${encodeURI('filter[nope]eq=1')}`);
      t.match(bad, { status: 400, body: { detail: /nope/ } }, 'a bad filter on an export is still a clean 400');
    });
  });
}
