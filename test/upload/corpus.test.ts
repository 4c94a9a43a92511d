/**
 * Hardening corpus: hostile, damaged and odd inputs and requests, on both backends, against the real server.
 * Every case ends in a success with faithful data, or a 4xx with the contract's error body whose detail names
 * the problem and where — never a 5xx, a dead worker or process, or a value dropped or altered. Datasets
 * stored before the corpus read back identical after it, the process is alive and /health is ok, and (local)
 * DATA_DIR holds nothing outside its layout.
 *
 * Inputs are generated here (test/support/corpus/*), big ones once and shared. Some cases run on the local backend
 * only, since the reader and the parse worker are shared by both backends and both hand the parser a file (the
 * memory backend's in SHARED_MEMORY_DIR): the 1,048,576-row sheet (~20 s) and the peak-memory measurement around
 * it, and the 100 MB single-line CSVs (~35 s a backend).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as XLSX from '@e965/xlsx';
import pl from 'nodejs-polars';
import t, { type Test } from 'tap';
import { BACKENDS, ROOT, getJson, parseExact, startServer, upload, type Server } from '../support/server.js';
import { LATE_ROWS, LONG_LINE_BYTES, csvCases, longLine, wideLine, type Accepted, type Refusal } from '../support/corpus/csv.js';
import { send, streamUpload, uploadParts } from '../support/corpus/http.js';
import { BASE_ROWS, WIDE_COLUMNS, baseFrame, flipBits, randomBytes, toParquet, wideParquet, zeroRowFrame } from '../support/corpus/parquet.js';
import * as X from '../support/corpus/xlsx.js';
import { zip } from '../support/corpus/zip.js';

// ---- helpers -------------------------------------------------------------------------------------------

const ARROW = 'application/vnd.apache.arrow.stream';

function once<T>(fn: () => T): () => T {
  let value: { v: T } | undefined;
  return () => (value ??= { v: fn() }).v;
}

/** VmHWM (peak resident set) and VmRSS of the server process, in MiB. */
function memory(server: Server): { peak: number; rss: number } {
  const status = readFileSync(`/proc/${server.proc.pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? NaN);
  return { peak: Math.round(kb('VmHWM') / 1024), rss: Math.round(kb('VmRSS') / 1024) };
}

/** The contract's error body, with the status, code and a detail that names the problem. */
function isRefusal(t: Test, label: string, res: { status: number; body: any }, want: Refusal): void {
  t.equal(res.status, want.status, `${label}: ${want.status} (${JSON.stringify(res.body)?.slice(0, 300)})`);
  t.same(Object.keys(res.body ?? {}).sort(), ['detail', 'error_code', 'timestamp'], `${label}: the contract's error body`);
  t.equal(res.body?.error_code, want.code, `${label}: error_code`);
  t.match(res.body?.detail, want.detail, `${label}: the detail names the problem and where`);
  t.match(res.body?.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `${label}: timestamp`);
}

const base = (up: { body: any }) => `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;

/** Every row of a sheet as JSON, integers past 2^53 as BigInt. */
async function allRows(server: Server, path: string, sheet?: string): Promise<{ columns: string[]; rows: any[]; total: number }> {
  const rows: any[] = [];
  let columns: string[] = [];
  let total = 0;
  for (let page = 1; ; page++) {
    const q = `page=${page}&page_size=1000${sheet ? `&sheet=${encodeURIComponent(sheet)}` : ''}`;
    const res = await fetch(`${server.url}${path}/data?${q}`);
    const body = parseExact(await res.text());
    if (res.status !== 200) throw new Error(`GET ${path}/data: ${res.status} ${JSON.stringify(body)}`);
    columns = body.columns;
    total = body.total_rows;
    rows.push(...body.data);
    if (page >= body.total_pages) break;
  }
  return { columns, rows, total };
}

/** The whole sheet as an Arrow IPC stream, read back by Polars. */
async function arrowFrame(server: Server, path: string, sheet?: string): Promise<pl.DataFrame> {
  const res = await fetch(`${server.url}${path}/data${sheet ? `?sheet=${encodeURIComponent(sheet)}` : ''}`, { headers: { accept: ARROW } });
  if (res.status !== 200) throw new Error(`GET ${path}/data (Arrow): ${res.status} ${await res.text()}`);
  return pl.readIPCStream(Buffer.from(await res.arrayBuffer()));
}

/** Same names, types and values (NaN equal to NaN, null to null). */
function sameFrame(t: Test, label: string, got: pl.DataFrame, want: pl.DataFrame): void {
  t.same(got.columns, want.columns, `${label}: column names`);
  t.same(got.dtypes.map(String), want.dtypes.map(String), `${label}: column types`);
  t.equal(got.height, want.height, `${label}: row count`);
  if (got.columns.join() !== want.columns.join() || got.height !== want.height) return;
  if (got.frameEqual(want, true)) {
    t.pass(`${label}: every value`);
    return;
  }
  t.same(got.toRecords(), want.toRecords(), `${label}: every value`);
}

/** A snapshot of what a stored version serves: metadata, schema, every row (JSON) and the Arrow bytes. */
async function snapshot(server: Server, up: { body: any }) {
  const path = base(up);
  const version = await getJson(server, path);
  const schema = await getJson(server, `${path}/schema`);
  const rows = await allRows(server, path);
  const arrow = await fetch(`${server.url}${path}/data`, { headers: { accept: ARROW } });
  const download = await fetch(`${server.url}${path}/download`);
  return {
    version: version.body,
    schema: schema.body,
    rows,
    arrow: createHash('sha256').update(Buffer.from(await arrow.arrayBuffer())).digest('hex'),
    download: createHash('sha256').update(Buffer.from(await download.arrayBuffer())).digest('hex'),
  };
}

// ---- inputs generated once, shared by both backends --------------------------------------------------

const inputs = {
  parquetBase: once(() => toParquet(baseFrame())),
  parquetPlain: once(() => toParquet(baseFrame(), 'uncompressed')),
  parquetWide: once(() => wideParquet(ROOT)),
  bombs: once(() => X.zipBombs()),
  longText: once(() => X.longTextWorkbook()),
  fullSheet: once(() => X.fullHeightWorkbook()),
  longLine: once(() => longLine()),
  longLineHash: once(() => createHash('sha256').update(longLine().subarray(10, 10 + LONG_LINE_BYTES)).digest('hex')),
  wideLine: once(() => wideLine()),
};

const GOOD = [
  { file: 'good-cities.csv', bytes: Buffer.from('city,population,founded,coastal\nLyon,522250,-43-01-01,false\nNice,342669,,true\nBrest,139602,1593-01-01,true\n') },
  { file: 'good-book.xlsx', bytes: X.simpleWorkbook() },
  { file: 'good-table.parquet', bytes: null as Buffer | null }, // the parquet base, filled in below
];

// ---- the corpus --------------------------------------------------------------------------------------------

for (const backend of BACKENDS) {
  t.test(`${backend}: the corpus`, async (t) => {
    const started = Date.now();
    const server = await startServer(t, { backend, env: { PARSE_TIMEOUT_S: '120' } });
    let died = '';
    server.proc.once('exit', (code, signal) => (died = `exited with ${code ?? signal}`));
    let accepted = 0; // uploads that created a dataset (each corpus upload is a new dataset)

    // Datasets stored before anything hostile arrives, and what they serve.
    const good: { up: { status: number; body: any }; before: Awaited<ReturnType<typeof snapshot>> }[] = [];
    for (const g of GOOD) {
      const up = await upload(server, g.bytes ?? inputs.parquetBase(), g.file);
      t.equal(up.status, 201, `good dataset ${g.file} stored`);
      good.push({ up, before: await snapshot(server, up) });
    }
    const corpus = async (bytes: Buffer | Uint8Array, file: string) => {
      const res = await upload(server, bytes, file);
      t.ok(res.status < 500, `${file}: never a 5xx (${res.status})`);
      if (res.status === 201) accepted++;
      return res;
    };

    await t.test('Excel zip bombs whose headers say their size are refused before inflating (default budgets)', async (t) => {
      // Bombs that lie about their size, and the memory a refusal costs: test/workers/xlsx-limits.test.ts.
      const bombs = inputs.bombs();
      const before = memory(server);
      const cases = [
        { file: 'bomb-cells.xlsx', bytes: bombs.cells, detail: /\(XLSX_MAX_BYTES\): sheet "Bomb" \(xl\/worksheets\/sheet1\.xml\) declares 2113548968 bytes/ },
        { file: 'bomb-shared-string.xlsx', bytes: bombs.sharedString, detail: /\(XLSX_MAX_BYTES\): the shared strings table \(xl\/sharedStrings\.xml\) declares \d+ bytes/ },
      ];
      for (const c of cases) {
        const res = await corpus(c.bytes, c.file);
        isRefusal(t, `${c.file} (${c.bytes.length} bytes → ${bombs.inflatedBytes} inflated)`, res, { status: 422, code: 'file_too_complex', detail: c.detail });
      }
      const after = memory(server);
      t.comment(`${backend}: peak RSS ${before.peak} MiB before the zip bombs, ${after.peak} MiB after (+${after.peak - before.peak})`);
      t.ok(after.peak - before.peak < 200, `peak RSS grew by ${after.peak - before.peak} MiB (< 200) for ${2 * bombs.inflatedBytes} bytes of bombs`);
    });

    await t.test('Excel: long texts that deflate 270:1 are read, every character kept', async (t) => {
      const book = inputs.longText();
      const ratio = book.sharedStringsXml / book.sharedStringsDeflated;
      t.ok(ratio >= 120, `the shared strings part deflates ${ratio.toFixed(0)}:1 (${book.sharedStringsXml} bytes of XML)`);
      const res = await corpus(book.bytes, 'long-notes.xlsx');
      t.equal(res.status, 201, `read (${JSON.stringify(res.body).slice(0, 300)})`);
      if (res.status !== 201) return;
      t.same(res.body.sheets, [{ name: 'Notes', row_count: 1000, column_count: 2 }], 'one sheet of 1,000 rows');
      // Independent reading: SheetJS parses the same bytes; it must agree with what the file was written from.
      const sheetjs = XLSX.utils.sheet_to_json(XLSX.read(book.bytes, { type: 'buffer' }).Sheets.Notes);
      t.same(sheetjs, book.rows, 'SheetJS reads the values the workbook was written with');
      const { rows } = await allRows(server, base(res));
      t.same(rows, book.rows, 'every row served exactly (JSON)');
      sameFrame(t, 'Arrow', await arrowFrame(server, base(res)), pl.DataFrame(book.rows).withColumns(pl.col('id').cast(pl.Int64)));
    });

    if (backend === 'local') {
      await t.test('Excel: a sheet with all 1,048,576 rows (local backend only: same reader)', async (t) => {
        const bytes = inputs.fullSheet();
        const before = memory(server);
        const s = Date.now();
        const res = await corpus(bytes, 'full-height.xlsx');
        const ms = Date.now() - s;
        const after = memory(server);
        t.comment(`1,048,576-row sheet (${bytes.length} bytes): ${res.status} in ${ms} ms; peak RSS ${before.peak} → ${after.peak} MiB`);
        t.equal(res.status, 201, `read within the parse timeout (${JSON.stringify(res.body).slice(0, 200)})`);
        t.ok(after.peak < 2048, `peak RSS ${after.peak} MiB stays under 2 GiB`);
        if (res.status !== 201) return;
        t.same(res.body.sheets, [{ name: 'Full', row_count: X.MAX_ROWS - 1, column_count: 3 }], 'every data row (header + 1,048,575)');
        const n = X.MAX_ROWS - 1;
        const want = pl.DataFrame([
          pl.Series('id', Array.from({ length: n }, (_, i) => X.fullSheetValue(i + 2).id), pl.Int64),
          pl.Series('value', Array.from({ length: n }, (_, i) => X.fullSheetValue(i + 2).value), pl.Float64),
          pl.Series('flag', Array.from({ length: n }, (_, i) => X.fullSheetValue(i + 2).flag), pl.Bool),
        ]);
        sameFrame(t, '1,048,575 rows', await arrowFrame(server, base(res)), want);
        const last = await getJson(server, `${base(res)}/data?offset=${n - 1}&limit=1`);
        t.same(last.body.data, [{ id: n, value: X.fullSheetValue(X.MAX_ROWS).value, flag: X.fullSheetValue(X.MAX_ROWS).flag }], 'the last row, as JSON');
      });
    }

    await t.test('CSV', async (t) => {
      for (const c of csvCases()) {
        const res = await corpus(c.bytes, c.file);
        if ('status' in c.expect) {
          isRefusal(t, c.name, res, c.expect);
          continue;
        }
        const want = c.expect as Accepted;
        t.equal(res.status, 201, `${c.name}: stored (${JSON.stringify(res.body).slice(0, 200)})`);
        if (res.status !== 201) continue;
        t.same(res.body.sheets, [{ name: 'Sheet1', row_count: want.rows.length, column_count: want.columns.length }], `${c.name}: one sheet, its size`);
        const got = await allRows(server, base(res));
        t.same(got.columns, want.columns, `${c.name}: column names`);
        t.same(got.rows, want.rows, `${c.name}: every value`);
        if (want.types) {
          const schema = await getJson(server, `${base(res)}/schema`);
          t.same(Object.fromEntries(schema.body.columns.map((col: any) => [col.name, col.type])), want.types, `${c.name}: column types`);
        }
        if (c.file === 'late-mixed.csv') t.equal(got.total, LATE_ROWS, 'all 60,000 rows');
      }
    });

    if (backend === 'local') {
      await t.test('CSV: a 100 MB single line (local backend only: same reader, and the same file hand-over)', async (t) => {
        const bytes = inputs.longLine();
        const res = await corpus(bytes, 'long-line.csv');
        t.equal(res.status, 201, `read faithfully (${JSON.stringify(res.body).slice(0, 200)})`);
        if (res.status === 201) {
          t.same(res.body.sheets, [{ name: 'Sheet1', row_count: 1, column_count: 2 }]);
          const page = await fetch(`${server.url}${base(res)}/data`);
          const row = (await page.json()).data[0];
          t.equal(row.id, 1);
          t.equal(row.blob.length, LONG_LINE_BYTES, 'the 100 MB value, whole');
          t.equal(createHash('sha256').update(row.blob).digest('hex'), inputs.longLineHash(), 'byte for byte');
        }
        const wide = await corpus(inputs.wideLine(), 'wide-line.csv');
        isRefusal(t, 'a 100 MB line of delimiters (millions of columns)', wide, {
          status: 422,
          code: 'unreadable_file',
          detail: /line 1 \(the header\) has more than 16384 comma-separated fields/,
        });
        // Not a limit of the contract: a guard against this case drifting towards the machine's memory.
        const peak = memory(server).peak;
        t.comment(`${backend}: peak RSS after the 100 MB lines: ${peak} MiB`);
        t.ok(peak < 4096, `peak RSS ${peak} MiB < 4 GiB for a 100 MB value`);
      });
    }

    await t.test('Parquet', async (t) => {
      const parquet = inputs.parquetBase();
      const refusals: [string, Buffer, Refusal][] = [
        ['truncated.parquet', parquet.subarray(0, Math.floor(parquet.length * 0.6)), { status: 422, code: 'unreadable_file', detail: /not a readable Parquet file.*must end with PAR1/ }],
        ['footer-cut.parquet', parquet.subarray(0, parquet.length - 6), { status: 422, code: 'unreadable_file', detail: /not a readable Parquet file/ }],
        ['header-cut.parquet', parquet.subarray(64), { status: 415, code: 'unsupported_file_type', detail: /"header-cut\.parquet" is named as PARQUET but its content is binary data/ }],
        ['magic-only.parquet', Buffer.from('PAR1PAR1'), { status: 422, code: 'unreadable_file', detail: /not a readable Parquet file/ }],
        ['random.parquet', randomBytes(7, 20_000), { status: 415, code: 'unsupported_file_type', detail: /binary data/ }],
        ['random-with-magic.parquet', Buffer.concat([Buffer.from('PAR1'), randomBytes(8, 20_000), Buffer.from('PAR1')]), { status: 422, code: 'unreadable_file', detail: /not a readable Parquet file/ }],
        ['table.csv', parquet, { status: 415, code: 'unsupported_file_type', detail: /"table\.csv" is named as CSV but its content is a Parquet file/ }],
        ['empty.parquet', Buffer.alloc(0), { status: 422, code: 'unreadable_file', detail: /not a readable Parquet file/ }],
      ];
      for (const [file, bytes, want] of refusals) isRefusal(t, file, await corpus(bytes, file), want);

      const zero = await corpus(toParquet(zeroRowFrame()), 'zero-rows.parquet');
      t.equal(zero.status, 201, 'zero rows: stored');
      t.same(zero.body.sheets, [{ name: 'Sheet1', row_count: 0, column_count: 6 }], 'zero rows: every column kept');
      sameFrame(t, 'zero rows', await arrowFrame(server, base(zero)), zeroRowFrame());

      const wideBytes = inputs.parquetWide();
      const wide = await corpus(wideBytes, 'wide.parquet');
      t.equal(wide.status, 201, `${WIDE_COLUMNS} columns: stored (${JSON.stringify(wide.body).slice(0, 200)})`);
      if (wide.status === 201) {
        t.same(wide.body.sheets, [{ name: 'Sheet1', row_count: 3, column_count: WIDE_COLUMNS }]);
        sameFrame(t, `${WIDE_COLUMNS} columns`, await arrowFrame(server, base(wide)), pl.readParquet(wideBytes));
        const page = await getJson(server, `${base(wide)}/data`);
        t.same([page.body.data[2].c0, page.body.data[1].c4999, page.body.data[2].c4999], [0, 9998, -4999], `${WIDE_COLUMNS} columns: JSON page`);
      }

      // Bit flips: a 4xx, or exactly what Polars reads from the same bytes. Compressed pages mostly fail their
      // checksum; uncompressed ones often still decode (to other values), which is then what must be served.
      let decoded = 0;
      for (const [kind, bytes] of [['zstd', parquet], ['uncompressed', inputs.parquetPlain()]] as const) {
        for (let seed = 1; seed <= 12; seed++) {
          const flipped = flipBits(bytes, seed * 7919, 1 + (seed % 4));
          const label = `${kind} bit flips seed ${seed} at ${flipped.offsets.join(',')}`;
          const res = await corpus(flipped.bytes, `flip-${kind}-${seed}.parquet`);
          if (res.status !== 201) {
            isRefusal(t, label, res, { status: 422, code: 'unreadable_file', detail: /not a readable Parquet file/ });
            continue;
          }
          decoded++;
          let reference: pl.DataFrame | undefined;
          try {
            reference = pl.readParquet(flipped.bytes);
          } catch (err) {
            t.fail(`${label}: stored, but Polars cannot read these bytes (${String(err).split('\n')[0]})`);
          }
          if (reference) sameFrame(t, label, await arrowFrame(server, base(res)), reference);
        }
      }
      t.comment(`${backend}: ${decoded} of 24 bit-flipped files still decoded (and were compared with Polars)`);
    });

    await t.test('Excel', async (t) => {
      const simpleRows = X.SIMPLE_ROWS.slice(1).map(([id, name, score, ok]) => ({ id, name, score, ok }));

      const macro = await corpus(X.macroWorkbook(), 'macros.xlsm');
      t.equal(macro.status, 201, `.xlsm with a vbaProject.bin: read (its deflate data is garbage, so it was never inflated) ${JSON.stringify(macro.body).slice(0, 200)}`);
      if (macro.status === 201) {
        t.same((await allRows(server, base(macro))).rows, simpleRows, '.xlsm: every value');
        t.equal(macro.body.version.file_type, 'xlsm');
      }

      const linked = await corpus(X.externalLinkWorkbook(), 'external-links.xlsx');
      t.equal(linked.status, 201, 'external links: read');
      if (linked.status === 201) t.same((await allRows(server, base(linked))).rows, X.EXTERNAL_LINK_ROWS, "external links: the formulas' cached values");

      isRefusal(t, 'a workbook of chart sheets only', await corpus(X.chartsOnlyWorkbook(), 'charts-only.xlsx'), {
        status: 422,
        code: 'unreadable_file',
        detail: /no worksheet to read: its sheets \("Chart1", "Chart2"\) are chart sheets/,
      });
      isRefusal(t, 'a password-protected workbook (.xlsx)', await corpus(X.encryptedWorkbook(), 'secret.xlsx'), {
        status: 422,
        code: 'unreadable_file',
        detail: /password-protected.*remove the password/,
      });
      isRefusal(t, 'a password-protected workbook named .xlsm', await corpus(X.encryptedWorkbook(), 'secret.xlsm'), {
        status: 422,
        code: 'unreadable_file',
        detail: /password-protected/,
      });
      isRefusal(t, 'a password-protected workbook named .xls', await corpus(X.encryptedWorkbook(), 'secret.xls'), {
        status: 422,
        code: 'unreadable_file',
        detail: /password-protected/,
      });
      isRefusal(t, 'an OLE2 file that is not encrypted, named .xlsx', await corpus(X.plainOle2(), 'legacy.xlsx'), {
        status: 415,
        code: 'unsupported_file_type',
        detail: /named as XLSX but its content is an OLE2 compound file.*\.xls/,
      });
      isRefusal(t, 'a part whose bytes do not match its CRC-32', await corpus(X.checksumMismatch(), 'crc.xlsx'), {
        status: 422,
        code: 'unreadable_file',
        detail: /sheet "Data" \(xl\/worksheets\/sheet1\.xml\) is damaged: its content does not match its checksum/,
      });
      const corrupt: Record<string, RegExp> = {
        'truncated.xlsx': /zip directory could not be read/,
        'no-directory.xlsx': /zip directory could not be read/,
        'damaged-deflate.xlsx': /sheet "Data" is damaged/,
        'garbage-after-magic.xlsx': /zip directory could not be read/,
      };
      for (const [file, bytes] of Object.entries(X.corruptZips())) {
        isRefusal(t, `corrupt zip: ${file}`, await corpus(bytes, file), { status: 422, code: 'unreadable_file', detail: corrupt[file] });
      }
      isRefusal(t, 'a zip that is no workbook', await corpus(zip([{ name: 'readme.txt', data: 'hello' }]), 'notes.xlsx'), {
        status: 422,
        code: 'unreadable_file',
        detail: /no workbook part/,
      });
    });

    await t.test('requests', async (t) => {
      // File names: never a path, no control characters in what is stored and echoed.
      const names: [string | Buffer, string][] = [
        ['../../../etc/passwd.csv', 'passwd.csv'],
        ['..\\..\\windows\\win.csv', 'win.csv'],
        ['/abs/path/x.csv', 'x.csv'],
        [Buffer.from('nul\x00byte.csv'), 'nul_byte.csv'],
        ['ctl\x01\x1b[31mred\x7f.csv', 'ctl__[31mred_.csv'],
        ['tab\there.csv', 'tab_here.csv'],
        ['\u202egnp.csv', '_gnp.csv'],
        ['café 日本.csv', 'café 日本.csv'],
        ['%2e%2e%2fenc.csv', '%2e%2e%2fenc.csv'],
        [`${'n'.repeat(400)}.csv`, `${'n'.repeat(251)}.csv`],
      ];
      for (const [raw, want] of names) {
        const label = `file name ${JSON.stringify(String(raw)).slice(0, 60)}`;
        const res = await uploadParts(server, [
          { name: 'name', value: 'named' },
          { name: 'file', fileName: raw, content: 'a,b\n1,2\n' },
        ]);
        t.equal(res.status, 201, `${label}: stored`);
        if (res.status !== 201) continue;
        accepted++;
        t.equal(res.body.version.file_name, want, `${label}: stored as ${JSON.stringify(want).slice(0, 40)}`);
        t.notMatch(res.body.version.file_name, /[\x00-\x1f\x7f\u202a-\u202e\/\\]/, `${label}: no control characters or path separators`);
        const dl = await fetch(`${server.url}${base(res)}/download`);
        const cd = dl.headers.get('content-disposition') ?? '';
        t.match(cd, /^attachment; filename="[\x20-\x21\x23-\x5b\x5d-\x7e]*"; filename\*=UTF-8''[A-Za-z0-9%!'()*._~-]+$/, `${label}: Content-Disposition is sane (${cd.slice(0, 80)})`);
        t.equal(decodeURIComponent(cd.split("''")[1]), want, `${label}: Content-Disposition carries the stored name`);
        t.equal(await dl.text(), 'a,b\n1,2\n', `${label}: download gives the bytes back`);
      }

      // Missing and malformed fields.
      const csv = 'a,b\n1,2\n';
      isRefusal(t, 'no file part', await uploadParts(server, [{ name: 'name', value: 'x' }]), { status: 400, code: 'invalid_request', detail: /no file.*"file"/ });
      isRefusal(t, 'no name for a new dataset', await uploadParts(server, [{ name: 'file', fileName: 'x.csv', content: csv }]), { status: 400, code: 'invalid_request', detail: /name is required/ });
      isRefusal(t, 'an empty name', await uploadParts(server, [{ name: 'name', value: '  ' }, { name: 'file', fileName: 'x.csv', content: csv }]), { status: 400, code: 'invalid_request', detail: /name must not be empty/ });
      isRefusal(t, 'an unknown field', await uploadParts(server, [{ name: 'name', value: 'x' }, { name: 'owner', value: 'me' }, { name: 'file', fileName: 'x.csv', content: csv }]), { status: 400, code: 'invalid_request', detail: /unknown form field: owner/ });
      isRefusal(t, 'two files', await uploadParts(server, [{ name: 'name', value: 'x' }, { name: 'file', fileName: 'x.csv', content: csv }, { name: 'file', fileName: 'y.csv', content: csv }]), { status: 400, code: 'invalid_request', detail: /one file/ });
      isRefusal(t, 'a file in another field', await uploadParts(server, [{ name: 'name', value: 'x' }, { name: 'upload', fileName: 'x.csv', content: csv }]), { status: 400, code: 'invalid_request', detail: /unexpected file part "upload"/ });
      isRefusal(t, 'an empty multipart body', await uploadParts(server, []), { status: 400, code: 'invalid_request', detail: /no file/ });
      isRefusal(t, 'not multipart', await send(server, '/api/datasets/upload', Buffer.from('{"name":"x"}'), { 'content-type': 'application/json' }), { status: 400, code: 'invalid_request', detail: /multipart\/form-data/ });
      isRefusal(t, 'a file without an extension', await uploadParts(server, [{ name: 'name', value: 'x' }, { name: 'file', fileName: 'data', content: csv }]), { status: 415, code: 'unsupported_file_type', detail: /"data": a file without an extension/ });
      isRefusal(t, 'bad tags', await uploadParts(server, [{ name: 'name', value: 'x' }, { name: 'tags', value: '["a",' }, { name: 'file', fileName: 'x.csv', content: csv }]), { status: 400, code: 'invalid_request', detail: /tags is not a valid JSON array/ });

      // dataset_id: missing, deleted, malformed, and another dataset's id (the version goes there, only there).
      const withId = (id: string, fields: Record<string, string> = {}) =>
        uploadParts(server, [...Object.entries(fields).map(([name, value]) => ({ name, value })), { name: 'dataset_id', value: id }, { name: 'file', fileName: 'v.csv', content: csv }]);
      isRefusal(t, 'dataset_id of a missing dataset', await withId('987654'), { status: 404, code: 'dataset_not_found', detail: /987654/ });
      const doomed = await upload(server, csv, 'doomed.csv');
      t.equal((await fetch(`${server.url}/api/datasets/${doomed.body.dataset.id}`, { method: 'DELETE' })).status, 204);
      isRefusal(t, 'dataset_id of a deleted dataset', await withId(String(doomed.body.dataset.id)), { status: 404, code: 'dataset_not_found', detail: new RegExp(String(doomed.body.dataset.id)) });
      for (const bad of ['abc', '-1', '0', '1.5', '1e3', '99999999999999999999']) {
        isRefusal(t, `dataset_id "${bad}"`, await withId(bad), { status: 400, code: 'invalid_request', detail: /dataset_id must be a positive integer/ });
      }
      // Numbers past what is answered exactly: a 400 naming the limit, never a lookup of a rounded number.
      isRefusal(t, 'a dataset id past the largest', await getJson(server, '/api/datasets/99999999999999999999'), { status: 400, code: 'invalid_request', detail: /params\.id must be <= 2147483647/ });
      t.equal((await getJson(server, '/api/datasets/2147483647')).status, 404, 'the largest id is looked up');
      for (const q of ['offset=99999999999999999999&limit=10', 'page=9007199254740992']) {
        isRefusal(t, `?${q}`, await getJson(server, `${base(good[0].up)}/data?${q}`), { status: 400, code: 'invalid_request', detail: /querystring\.(offset|page) must be <= 9007199254740991/ });
      }
      const [a, b] = [good[0].up.body.dataset.id, good[1].up.body.dataset.id];
      isRefusal(t, 'name sent with dataset_id', await withId(String(b), { name: 'a new name' }), { status: 400, code: 'invalid_request', detail: new RegExp(`name cannot be sent with dataset_id.*PATCH /api/datasets/${b}`) });
      const intoB = await withId(String(b));
      t.equal(intoB.status, 201, "a version into another dataset (by its id)");
      t.equal(intoB.body.dataset.id, b, 'lands in that dataset');
      t.equal(intoB.body.version.version_number, 2);
      t.equal(intoB.body.dataset.name, good[1].up.body.dataset.name, 'the dataset keeps its name');
      t.same((await getJson(server, `/api/datasets/${a}`)).body.versions.map((v: any) => v.version_number), [1], 'the other dataset is untouched');
      t.equal((await fetch(`${server.url}/api/datasets/${b}/versions/${intoB.body.version.id}`, { method: 'DELETE' })).status, 204, 'and removed again');

      // Twelve new versions of one dataset at once: dense, unique version numbers.
      const target = await upload(server, csv, 'concurrent.csv');
      accepted++;
      const id = target.body.dataset.id;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => upload(server, `a,b\n${i},${i * i}\n`, `v${i + 2}.csv`, { dataset_id: String(id) })),
      );
      t.same(results.map((r) => r.status), Array(12).fill(201), '12 concurrent uploads: all stored');
      t.same(results.map((r) => r.body.version.version_number).sort((x, y) => x - y), Array.from({ length: 12 }, (_, i) => i + 2), 'version numbers 2..13, each once');
      const ds = (await getJson(server, `/api/datasets/${id}`)).body;
      t.same(ds.versions.map((v: any) => v.version_number), Array.from({ length: 13 }, (_, i) => 13 - i), 'versions 13..1, dense');
      t.match(ds, { current_version: 13, version_count: 13 });
      for (const r of results) {
        const rows = (await allRows(server, base(r))).rows;
        const i = Number(/v(\d+)\.csv/.exec(r.body.version.file_name)![1]) - 2;
        if (rows[0]?.a !== i || rows[0]?.b !== i * i) t.fail(`version ${r.body.version.version_number} holds another upload's data`);
      }
    });

    await t.test('after the corpus: nothing stored before was touched, the server is whole', async (t) => {
      for (const g of good) t.same(await snapshot(server, g.up), g.before, `${g.up.body.version.file_name}: reads back identical`);
      t.equal(died, '', 'the server process never exited');
      t.equal(server.proc.exitCode, null, 'the process is alive');
      const health = await getJson(server, '/health');
      t.match(health, { status: 200, body: { status: 'ok', storage_backend: backend } }, '/health ok');
      const listed = await getJson(server, '/api/datasets?limit=1');
      t.equal(Number(listed.headers.get('x-total-count')), GOOD.length + accepted, 'one dataset per accepted upload, none for a refused one');
      const fives = server.logs.filter((l) => /"statusCode":5\d\d/.test(l) || /unhandled error/.test(l));
      t.same(fives.slice(0, 3), [], 'no 5xx and no unhandled error in the server log');
      if (backend === 'local') checkLayout(t, server);
      t.comment(`${backend}: corpus ran in ${Math.round((Date.now() - started) / 1000)} s; peak RSS ${memory(server).peak} MiB`);
    });
  });
}

/**
 * Only the local layout under DATA_DIR: the catalog, the instance lock, an empty staging/, and
 * versions/<instance id>.<uuid>/{source,sheet-N.parquet}.
 */
function checkLayout(t: Test, server: Server): void {
  const strays: string[] = [];
  for (const entry of readdirSync(server.dataDir, { withFileTypes: true })) {
    if (entry.isFile() && /^(catalog\.sqlite(-wal|-shm|-journal)?|instance\.lock)$/.test(entry.name)) continue;
    if (entry.isDirectory() && entry.name === 'staging') {
      strays.push(...readdirSync(join(server.dataDir, 'staging')).map((n) => `staging/${n}`));
      continue;
    }
    if (entry.isDirectory() && entry.name === 'versions') {
      for (const v of readdirSync(join(server.dataDir, 'versions'), { withFileTypes: true })) {
        if (!v.isDirectory() || !/^[0-9a-f]{12}\.[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v.name)) {
          strays.push(`versions/${v.name}`);
          continue;
        }
        for (const f of readdirSync(join(server.dataDir, 'versions', v.name))) {
          if (f !== 'source' && !/^sheet-\d+\.parquet$/.test(f)) strays.push(`versions/${v.name}/${f}`);
        }
      }
      continue;
    }
    strays.push(entry.name);
  }
  t.same(strays, [], 'DATA_DIR holds nothing outside its layout (no file named by a client, no leftover staging)');
}

// ---- limits: a small MAX_UPLOAD_BYTES and REQUEST_TIMEOUT_S ------------------------------------------------

for (const backend of BACKENDS) {
  t.test(`${backend}: oversize and slow uploads are cut off, and store nothing`, async (t) => {
    const server = await startServer(t, { backend, env: { MAX_UPLOAD_BYTES: '64KB', REQUEST_TIMEOUT_S: '3' } });
    const kept = await upload(server, 'id,name\n1,alpha\n2,beta\n', 'kept.csv');
    t.equal(kept.status, 201);
    const before = await snapshot(server, kept);
    const count = async () => Number((await getJson(server, '/api/datasets')).headers.get('x-total-count'));

    // Content-Length past the limit (and the form allowance): refused before the body is read. The route
    // answers 413 and closes at once, so the client may only see the connection reset (the close discards
    // the unread body and with it, on the client's side, the answer): either is a refusal here.
    const declared = await streamUpload(server, { fileName: 'declared.csv', chunk: Buffer.alloc(64 << 10, '1,2\n'), total: 64 << 20, everyMs: 0, giveUpMs: 20_000, declareLength: true });
    t.ok(declared.response?.status === 413 || declared.closed, `a declared length past the limit: ${declared.response?.status ?? 'connection closed'}`);
    t.ok(declared.sent < 32 << 20, `refused after ${declared.sent} of ${64 << 20} bytes`);
    if (declared.response?.body) isRefusal(t, 'a declared length past the limit', declared.response, { status: 413, code: 'file_too_large', detail: /limit is 64000 bytes \(MAX_UPLOAD_BYTES\)/ });

    // A file past the limit within the form allowance, from fetch (which reads the answer only once its whole
    // body is sent): a clean 413, the rest of the small body is drained.
    const counted = await upload(server, Buffer.alloc(512 << 10, 'a,b\n'), 'counted.csv');
    isRefusal(t, 'a file past the limit, within the form allowance', counted, { status: 413, code: 'file_too_large', detail: /upload limit of 64000 bytes \(MAX_UPLOAD_BYTES\)/ });

    // 200 MB without a length: the 413 comes while the body is still streaming, and the connection is closed
    // once a few more MB have been drained — not after reading all of it. What the client has written when it
    // notices the answer includes what loopback's socket buffers hold and what it wrote before its own event
    // loop read the answer: 18.7 MB once on a loaded CI host, hence a bound of 32 MiB (a sixth of the body).
    const streamed = await streamUpload(server, { fileName: 'endless.csv', chunk: Buffer.alloc(64 << 10, '1,2\n'), total: 200 << 20, everyMs: 0, giveUpMs: 30_000 });
    if (streamed.response) isRefusal(t, 'a chunked body past the limit', streamed.response, { status: 413, code: 'file_too_large', detail: /MAX_UPLOAD_BYTES/ });
    else t.fail('a chunked body past the limit: no response');
    t.ok(streamed.sentAtResponse < 32 << 20, `413 after ${streamed.sentAtResponse} of ${200 << 20} bytes, while streaming`);
    t.ok(streamed.closed && streamed.sent < 64 << 20, `connection closed after ${streamed.sent} bytes (${streamed.ms} ms), not after all ${200 << 20}`);

    // Slowloris: a form that trickles in (4 bytes every 300 ms, a day for the whole MiB) is cut off after
    // REQUEST_TIMEOUT_S. The client gives up after 20 s, which fails the test; when within that the cut came is
    // reported, not asserted (a loaded machine delays the server's timer).
    const slow = await streamUpload(server, { fileName: 'slow.csv', chunk: Buffer.from('1,2\n'), total: 1 << 20, everyMs: 300, giveUpMs: 20_000 });
    t.ok(slow.response?.status === 408 || slow.closed, `a trickling upload is cut off (${slow.response?.status ?? 'closed'} after ${slow.ms} ms, REQUEST_TIMEOUT_S is 3 s)`);
    t.ok(slow.closed, 'and its connection is closed');
    if (slow.response) isRefusal(t, 'a trickling upload', slow.response, { status: 408, code: 'request_timeout', detail: /REQUEST_TIMEOUT_S.*nothing was stored/ });

    t.equal(await count(), 1, 'nothing was stored by the refused uploads');
    if (backend === 'local') t.same(readdirSync(join(server.dataDir, 'staging')), [], 'no staged leftovers');
    t.same(await snapshot(server, kept), before, 'the stored dataset reads back identical');
    const again = await upload(server, 'x\n1\n', 'after.csv');
    t.equal(again.status, 201, 'the server takes uploads again');
    t.equal(server.proc.exitCode, null, 'the process is alive');
    t.match(await getJson(server, '/health'), { status: 200, body: { status: 'ok' } });
  });
}
