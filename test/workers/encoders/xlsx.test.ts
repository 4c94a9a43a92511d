/**
 * The xlsx export (`/data?format=xlsx` or by Accept), on both backends. Workbooks are read back with SheetJS
 * (`@e965/xlsx`, not the writer under test): each cell's type, raw value and number format, and SheetJS's own
 * rendering of the value through that format, are compared with what the uploaded text says (csv-parse's
 * reading of the CSV, the values a test Parquet file was built from, the field-case README). Exports are
 * uploaded again: types Excel holds exactly come back as the original /data serves them, the rest as the
 * documented text. Also: csv_safe, Excel's limits (a cell over 32,767 characters, a view over 1,048,576 rows),
 * filters/sort/projection/paging, Accept negotiation, the sheet name rules.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import * as XLSX from '@e965/xlsx';
import pl from 'nodejs-polars';
import { parse as parseCsv } from 'csv-parse/sync';
import { BACKENDS, ROOT, getJson, parseExact, startServer, upload, type Server } from '../../support/server.js';
import { fieldCase } from '../../support/field-cases.js';
import { excelSheetName, xlsxFileName } from '../../../src/routes/datasets/versions/xlsx-names.js';

const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
const FIELD = fieldCase;
const MS_PER_DAY = 86_400_000;

/** Every type a CSV gives, with nulls, formula-looking text, non-ASCII text and a line break inside a field. */
const TYPED_CSV = [
  'id,big,f,flag,name,day,ts',
  '1,9007199254740993,1.5,true,=1+2,2024-01-02,2024-01-02T03:04:05.123',
  '2,-42,-0.25,false,héllo 東京 😀,1900-03-01,1999-12-31T23:59:59',
  '3,9223372036854775807,0.1,true,"line1\nline2",2099-12-31,2024-02-29T00:00:00',
  '4,,,,,,',
  '5,7,12345.678,false,@cmd,1970-01-01,1970-01-01T00:00:00.001',
].join('\n');
const typedRows = parseCsv(TYPED_CSV, { columns: true }) as Record<string, string>[];

interface Sheet {
  name: string;
  /** Row-major cells, row 0 = header; undefined for an empty cell. */
  rows: (XLSX.CellObject | undefined)[][];
}

function readWorkbook(bytes: Uint8Array): Sheet {
  const wb = XLSX.read(bytes, { type: 'buffer', cellNF: true, cellFormula: true });
  t.equal(wb.SheetNames.length, 1, 'one worksheet');
  const ws = wb.Sheets[wb.SheetNames[0]];
  const range = XLSX.utils.decode_range(ws['!ref'] ?? 'A1:A1');
  const rows: (XLSX.CellObject | undefined)[][] = [];
  for (let r = range.s.r; r <= range.e.r; r++) {
    const row: (XLSX.CellObject | undefined)[] = [];
    for (let c = range.s.c; c <= range.e.c; c++) row.push(ws[XLSX.utils.encode_cell({ r, c })]);
    rows.push(row);
  }
  return { name: wb.SheetNames[0], rows };
}

async function exportXlsx(server: Server, path: string, init?: RequestInit): Promise<{ res: Response; bytes: Uint8Array }> {
  const res = await fetch(`${server.url}${path}`, init);
  return { res, bytes: new Uint8Array(await res.arrayBuffer()) };
}

/** The serial number Excel stores for an ISO wall-clock time (UTC fields, from 1900-03-01). */
const serialOf = (iso: string) => Date.parse(`${iso}${iso.length === 10 ? 'T00:00:00' : ''}Z`) / MS_PER_DAY + 25569;

/** Asserts a number cell with this serial (to the millisecond) and format, as SheetJS renders it. */
function dateCell(t: Test, cell: XLSX.CellObject | undefined, iso: string, format: string, shown: string, what: string) {
  t.equal(cell?.t, 'n', `${what}: a number`);
  t.ok(Math.abs((cell!.v as number) - serialOf(iso)) * MS_PER_DAY < 0.5, `${what}: serial of ${iso} (${cell!.v})`);
  t.equal(cell!.z, format, `${what}: format`);
  t.equal(cell!.w, shown, `${what}: shown as`);
}

function textCell(t: Test, cell: XLSX.CellObject | undefined, text: string, what: string) {
  t.equal(cell?.t, 's', `${what}: text`);
  t.equal(cell!.v, text, `${what}: ${JSON.stringify(text).slice(0, 60)}`);
  t.notOk(cell!.f, `${what}: no formula`);
}

function numberCell(t: Test, cell: XLSX.CellObject | undefined, n: number, what: string) {
  t.equal(cell?.t, 'n', `${what}: a number`);
  t.equal(cell!.v, n, `${what}: ${n}`);
}

async function uploadOk(t: Test, server: Server, bytes: Uint8Array | string, name: string) {
  const up = await upload(server, bytes, name);
  t.equal(up.status, 201, `upload ${name}: ${JSON.stringify(up.body).slice(0, 200)}`);
  return `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;
}

async function dataOf(server: Server, base: string, query = 'page_size=1000') {
  const res = await fetch(`${server.url}${base}/data?${query}`);
  return parseExact(await res.text());
}

for (const backend of BACKENDS) {
  t.test(`xlsx export (${backend})`, async (t) => {
    const server = await startServer(t, { backend });
    const typed = await uploadOk(t, server, TYPED_CSV, 'typed.csv');

    t.test('every CSV type: cells, formats, and the same /data after uploading the export', async (t) => {
      const { res, bytes } = await exportXlsx(server, `${typed}/data?format=xlsx`);
      t.equal(res.status, 200);
      t.equal(res.headers.get('content-type'), XLSX_TYPE);
      t.equal(res.headers.get('content-disposition'), `attachment; filename="typed.xlsx"; filename*=UTF-8''typed.xlsx`);
      t.equal(res.headers.get('x-total-rows'), '5');
      const sheet = readWorkbook(bytes);
      t.equal(sheet.name, 'Sheet1');
      t.same(
        sheet.rows[0].map((c) => c?.v),
        Object.keys(typedRows[0]),
        'header row = column names',
      );
      t.equal(sheet.rows.length, typedRows.length + 1);
      typedRows.forEach((want, i) => {
        const row = sheet.rows[i + 1];
        const at = (c: number) => `row ${i + 2} col ${c + 1}`;
        if (want.id === '4') {
          t.same(row.slice(1).map((c) => c?.v), [undefined, undefined, undefined, undefined, undefined, undefined], 'nulls are empty cells');
          return;
        }
        numberCell(t, row[0], Number(want.id), at(0));
        // Int64 per value: within ±(2^53 − 1) a number, beyond it text with every digit.
        if (Number.isSafeInteger(Number(want.big))) numberCell(t, row[1], Number(want.big), at(1));
        else textCell(t, row[1], want.big, at(1));
        numberCell(t, row[2], Number(want.f), at(2));
        t.equal(row[3]?.t, 'b', at(3));
        t.equal(row[3]!.v, want.flag === 'true', at(3));
        textCell(t, row[4], want.name, at(4));
        dateCell(t, row[5], want.day, 'yyyy-mm-dd', want.day, at(5));
        const hasFraction = /\.\d+$/.test(want.ts);
        dateCell(t, row[6], want.ts, hasFraction ? 'yyyy-mm-dd hh:mm:ss.000' : 'yyyy-mm-dd hh:mm:ss', want.ts.replace('T', ' '), at(6));
      });

      const again = await uploadOk(t, server, bytes, 'typed-export.xlsx');
      const [before, after] = [await dataOf(server, typed), await dataOf(server, again)];
      const exact = ['id', 'f', 'flag', 'name', 'day', 'ts'];
      const pick = (rows: Record<string, unknown>[], cols: string[]) => rows.map((r) => cols.map((c) => r[c]));
      t.same(pick(after.data, exact), pick(before.data, exact), 'types Excel holds exactly come back as they were');
      const [schemaBefore, schemaAfter] = [await getJson(server, `${typed}/schema`), await getJson(server, `${again}/schema`)];
      const types = (s: any) => s.columns.filter((c: any) => exact.includes(c.name)).map((c: any) => [c.name, c.type]);
      t.same(types(schemaAfter.body), types(schemaBefore.body), 'and keep their types');
      t.same(
        after.data.map((r: any) => r.big),
        typedRows.map((r) => r.big || null),
        'the big Int64 column comes back as text with every digit (a column mixing numbers and text is text)',
      );
    });

    t.test('csv_safe neutralises text starting with = + - @; text is never a formula', async (t) => {
      const plain = readWorkbook((await exportXlsx(server, `${typed}/data?format=xlsx`)).bytes);
      textCell(t, plain.rows[1][4], '=1+2', 'without csv_safe: the text itself, as a string cell');
      const safe = readWorkbook((await exportXlsx(server, `${typed}/data?format=xlsx&csv_safe=true`)).bytes);
      textCell(t, safe.rows[1][4], "'=1+2", '= prefixed');
      textCell(t, safe.rows[5][4], "'@cmd", '@ prefixed');
      textCell(t, safe.rows[2][4], typedRows[1].name, 'other text untouched');
      numberCell(t, safe.rows[2][1], -42, 'numbers untouched');
      textCell(t, safe.rows[3][1], '9223372036854775807', 'integers written as text are not prefixed');
    });

    t.test('filters, sort, projection and paging apply as to every export', async (t) => {
      const { res, bytes } = await exportXlsx(server, `${typed}/data?format=xlsx&filter[id]gte=2&sort=-id&columns=name,id`);
      t.equal(res.status, 200);
      t.equal(res.headers.get('x-total-rows'), '4');
      const want = typedRows.filter((r) => Number(r.id) >= 2).sort((a, b) => Number(b.id) - Number(a.id));
      const sheet = readWorkbook(bytes);
      t.same(
        sheet.rows.map((r) => r.map((c) => c?.v)),
        [['name', 'id'], ...want.map((r) => [r.name || undefined, Number(r.id)])],
      );
      const page = readWorkbook((await exportXlsx(server, `${typed}/data?format=xlsx&page=2&page_size=2`)).bytes);
      t.same(
        page.rows.map((r) => r[0]?.v),
        ['id', 3, 4],
        'page 2 of 2 rows',
      );
    });

    t.test('Accept negotiates xlsx; ?format= wins over Accept', async (t) => {
      const { res, bytes } = await exportXlsx(server, `${typed}/data`, { headers: { accept: `text/html, ${XLSX_TYPE};q=0.9` } });
      t.equal(res.status, 200);
      t.equal(res.headers.get('content-type'), XLSX_TYPE);
      t.equal(readWorkbook(bytes).rows.length, 6);
      const csv = await fetch(`${server.url}${typed}/data?format=csv`, { headers: { accept: XLSX_TYPE } });
      t.match(csv.headers.get('content-type'), /^text\/csv/);
      await csv.arrayBuffer();
      const bad = await getJson(server, `${typed}/data?format=xls`);
      t.equal(bad.status, 400);
      t.match(bad.body.detail, /xlsx/, 'the enum lists xlsx');
      const docs = await getJson(server, '/docs/json');
      const params = docs.body.paths['/api/datasets/{id}/versions/{vid}/data'].get.parameters;
      t.ok(params.find((p: any) => p.name === 'format').schema.enum.includes('xlsx'), 'OpenAPI lists xlsx');
    });

    t.test('a cell over 32,767 characters is a 400 naming it; 32,767 is written whole', async (t) => {
      const long = await uploadOk(t, server, `a,b\n1,x\n2,y\n3,${'z'.repeat(32_768)}\n`, 'long.csv');
      const refused = await getJson(server, `${long}/data?format=xlsx`);
      t.equal(refused.status, 400);
      t.equal(refused.body.error_code, 'invalid_request');
      t.match(refused.body.detail, /cell B4 \(column "b"/);
      t.match(refused.body.detail, /32,768 characters/);
      // UTF-16, as Excel counts: 16,384 emoji are 32,768 units.
      const emoji = await uploadOk(t, server, `a,b\n1,${'😀'.repeat(16_384)}\n`, 'emoji.csv');
      const refusedEmoji = await getJson(server, `${emoji}/data?format=xlsx`);
      t.equal(refusedEmoji.status, 400);
      t.match(refusedEmoji.body.detail, /cell B2 .*32,768 characters/);
      const fits = await uploadOk(t, server, `a,b\n1,${'z'.repeat(32_767)}\n`, 'fits.csv');
      const { res, bytes } = await exportXlsx(server, `${fits}/data?format=xlsx`);
      t.equal(res.status, 200);
      t.equal((readWorkbook(bytes).rows[1][1]!.v as string).length, 32_767);
      // csv_safe's prefix counts too.
      const prefixed = await uploadOk(t, server, `a,b\n1,=${'z'.repeat(32_766)}\n`, 'prefixed.csv');
      t.equal((await exportXlsx(server, `${prefixed}/data?format=xlsx`)).res.status, 200);
      t.match((await getJson(server, `${prefixed}/data?format=xlsx&csv_safe=true`)).body.detail, /cell B2 .*32,768 characters/);
    });

    t.test('control characters and _xHHHH_ text survive', async (t) => {
      const path = await uploadOk(t, server, `a,b\n1,"a\u0001b\rc_x0041_d\u007f"\n`, 'controls.csv');
      const bytes = (await exportXlsx(server, `${path}/data?format=xlsx`)).bytes;
      // SheetJS decodes _x0001_ and _x000D_ (as Excel writes them) ...
      t.match(readWorkbook(bytes).rows[1][1]!.v, /^a\u0001b\rc/);
      // ... but decodes `_x005F_x0041_` twice (to `A`), so the whole value is checked through this service's
      // reader, which decodes each escape once, as Excel does.
      const again = await uploadOk(t, server, bytes, 'controls.xlsx');
      const [before, after] = [await dataOf(server, path), await dataOf(server, again)];
      t.equal(after.data[0].b, before.data[0].b, 'every character kept');
      t.equal(after.data[0].b, 'a\u0001b\rc_x0041_d\u007f');
    });

    t.test('more than 1,048,576 rows with the header is a 400 before any byte', async (t) => {
      const lines = ['n'];
      for (let i = 0; i < 1_048_576; i++) lines.push(String(i % 100));
      const big = await uploadOk(t, server, lines.join('\n'), 'rows.csv');
      const refused = await getJson(server, `${big}/data?format=xlsx`);
      t.equal(refused.status, 400);
      t.match(refused.body.detail, /1,048,576 rows, 1,048,577 with the header; an Excel sheet holds at most 1,048,576 rows/);
      const windowed = await exportXlsx(server, `${big}/data?format=xlsx&filter[n]eq=7`);
      t.equal(windowed.res.status, 200, 'a filtered view that fits is exported');
      t.equal(readWorkbook(windowed.bytes).rows.length, 10_486 + 1);
    });

    t.test('times, durations, zoned datetimes, floats Excel cannot hold, 64-bit integers (Parquet from Polars)', async (t) => {
      const frame = pl
        .DataFrame({
          tn: [30_600e9, 61_200_123e6, 86_399_000_001_000, null],
          d: [129_600_000_000, -90_000_000, 1_500, null],
          // microseconds since 1970
          z: [Date.UTC(2024, 0, 1, 3, 30) * 1000, Date.UTC(2024, 5, 30, 18, 29, 59, 500) * 1000, Date.UTC(1899, 11, 31) * 1000, null],
          f: [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 2.5],
          i: ['1', '9007199254740993', '-9223372036854775808', null],
          old: [Date.UTC(1899, 11, 31, 23, 59, 59) * 1000, Date.UTC(1900, 0, 1) * 1000, Date.UTC(2024, 0, 1) * 1000 + 1, null],
        })
        .select(
          pl.col('tn').cast(pl.Int64).cast(pl.Time).alias('t'),
          pl.col('d').cast(pl.Int64).cast(pl.Duration('us')),
          pl.col('z').cast(pl.Int64).cast(pl.Datetime('us')).dt.replaceTimeZone('UTC'),
          pl.col('f'),
          pl.col('i').cast(pl.Int64),
          pl.col('old').cast(pl.Int64).cast(pl.Datetime('us')),
        );
      const path = await uploadOk(t, server, new Uint8Array(frame.writeParquet()), 'temporal.parquet');
      const { res, bytes } = await exportXlsx(server, `${path}/data?format=xlsx`);
      t.equal(res.status, 200, new TextDecoder().decode(bytes.slice(0, 300)));
      const rows = readWorkbook(bytes).rows;
      t.same(rows[0].map((c) => c?.v), ['t', 'd', 'z', 'f', 'i', 'old']);
      // time: fraction of a day, hh:mm:ss (+ .000 with milliseconds); below the millisecond: text
      t.equal(rows[1][0]!.v, 30_600 / 86_400);
      t.equal(rows[1][0]!.z, 'hh:mm:ss');
      t.equal(rows[1][0]!.w, '08:30:00');
      t.ok(Math.abs((rows[2][0]!.v as number) * MS_PER_DAY - 61_200_123) < 0.5);
      t.equal(rows[2][0]!.z, 'hh:mm:ss.000');
      t.equal(rows[2][0]!.w, '17:00:00.123');
      textCell(t, rows[3][0], '23:59:59.000001', 'sub-millisecond time');
      // duration: days, [h]:mm:ss
      t.equal(rows[1][1]!.v, 1.5);
      t.equal(rows[1][1]!.z, '[h]:mm:ss');
      t.equal(rows[1][1]!.w, '36:00:00');
      t.equal(rows[2][1]!.v, -90 / 86_400);
      t.equal(rows[2][1]!.z, '[h]:mm:ss');
      textCell(t, rows[3][1], 'PT0.0015S', 'sub-millisecond duration as ISO 8601');
      // zoned datetimes: ISO text with the offset
      textCell(t, rows[1][2], '2024-01-01T03:30:00+00:00', 'zoned');
      textCell(t, rows[2][2], '2024-06-30T18:29:59.500+00:00', 'zoned with ms');
      textCell(t, rows[3][2], '1899-12-31T00:00:00+00:00', 'zoned before 1900');
      // floats Excel has no value for
      textCell(t, rows[1][3], 'NaN', 'NaN');
      textCell(t, rows[2][3], 'inf', '+inf');
      textCell(t, rows[3][3], '-inf', '-inf');
      numberCell(t, rows[4][3], 2.5, 'float');
      numberCell(t, rows[1][4], 1, 'small Int64');
      textCell(t, rows[2][4], '9007199254740993', 'Int64 beyond 2^53');
      textCell(t, rows[3][4], '-9223372036854775808', 'Int64 minimum');
      // naive datetimes Excel cannot show: before 1900-01-01, or below the millisecond
      textCell(t, rows[1][5], '1899-12-31T23:59:59', 'before 1900');
      // Excel counts 1900-01-01 as 1 (and a 29 February 1900 that never was), so this one is not serialOf's.
      numberCell(t, rows[2][5], 1, '1900-01-01');
      t.equal(rows[2][5]!.z, 'yyyy-mm-dd hh:mm:ss');
      t.equal(rows[2][5]!.w, '1900-01-01 00:00:00', 'SheetJS shows it as that day');
      textCell(t, rows[3][5], '2024-01-01T00:00:00.000001', 'sub-millisecond datetime');
    });

    t.test('field cases: Decimal(38,18), UInt64 beyond Int64, nested list and struct', async (t) => {
      const dec = await uploadOk(t, server, FIELD('p05_decimal.parquet'), 'p05_decimal.parquet');
      const decRows = readWorkbook((await exportXlsx(server, `${dec}/data?format=xlsx`)).bytes).rows;
      t.same(decRows[0].map((c) => c?.v), ['big', 'money']);
      // The field-case README: every digit. More than 15 significant digits → text; fewer → the number.
      textCell(t, decRows[1][0], '12345678901234567890.123456789012345678', 'Decimal(38,18) with 38 digits');
      numberCell(t, decRows[2][0], -1e-18, 'Decimal(38,18) with one significant digit');
      numberCell(t, decRows[3][0], 1, '1.000000000000000000');
      t.same(
        decRows.slice(1).map((r) => r[1]?.v),
        [1234567890.12, -0.05, 1],
        'Decimal(12,2) as numbers',
      );
      const decAgain = await uploadOk(t, server, (await exportXlsx(server, `${dec}/data?format=xlsx`)).bytes, 'p05.xlsx');
      const decData = (await dataOf(server, decAgain)).data;
      t.equal(decData[0].big, '12345678901234567890.123456789012345678', 'uploaded again: the text, every digit');
      t.same(decData.map((r: any) => r.money), [1234567890.12, -0.05, 1]);

      const u64 = await uploadOk(t, server, FIELD('p12_uint64.parquet'), 'p12_uint64.parquet');
      const u64Bytes = (await exportXlsx(server, `${u64}/data?format=xlsx`)).bytes;
      const u64Rows = readWorkbook(u64Bytes).rows;
      textCell(t, u64Rows[1][0], '18446744073709551615', 'UInt64 maximum as text');
      const u64Again = await uploadOk(t, server, u64Bytes, 'p12.xlsx');
      t.equal((await dataOf(server, u64Again)).data[0].u, '18446744073709551615', 'uploaded again: exact');

      const nested = await uploadOk(t, server, FIELD('p10_nested_list_struct.parquet'), 'p10.parquet');
      const nestedBytes = (await exportXlsx(server, `${nested}/data?format=xlsx`)).bytes;
      const nestedRows = readWorkbook(nestedBytes).rows;
      t.same(nestedRows[0].map((c) => c?.v), ['id', 'tags', 'addr']);
      const json = (await dataOf(server, nested)).data;
      json.forEach((r: any, i: number) => {
        numberCell(t, nestedRows[i + 1][0], r.id, 'id');
        textCell(t, nestedRows[i + 1][1], JSON.stringify(r.tags), 'list as the JSON /data serves');
        textCell(t, nestedRows[i + 1][2], JSON.stringify(r.addr), 'struct as the JSON /data serves');
      });
      t.same(JSON.parse(nestedRows[1][2]!.v as string), { city: 'Oslo', zip: '0150' });
      const nestedAgain = await uploadOk(t, server, nestedBytes, 'p10.xlsx');
      t.same(
        (await dataOf(server, nestedAgain)).data.map((r: any) => r.tags),
        ['[1,2,3]', '[]'],
        'uploaded again: the JSON text',
      );
    });
  });
}

t.test('sheet and file names', async (t) => {
  t.equal(excelSheetName('Sheet1'), 'Sheet1');
  t.equal(excelSheetName('a[b]:c*d?e/f\\g'), 'a_b__c_d_e_f_g');
  t.equal(excelSheetName('x'.repeat(40)), 'x'.repeat(31));
  t.equal(excelSheetName(`${'x'.repeat(29)}😀`), `${'x'.repeat(29)}😀`, 'an emoji counts 2, as in Excel');
  t.equal(excelSheetName(`${'x'.repeat(30)}😀`), 'x'.repeat(30), 'a character is never cut in half');
  t.equal(excelSheetName("'quoted'"), '_quoted_');
  t.equal(excelSheetName(''), 'Sheet1');
  t.equal(excelSheetName('History'), 'History_');
  t.equal(xlsxFileName('weather.csv', 'Sheet1', 1), 'weather.xlsx');
  t.equal(xlsxFileName('book.xlsx', 'Q1', 2), 'book-Q1.xlsx');
});
