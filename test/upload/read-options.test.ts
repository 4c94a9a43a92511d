/**
 * The upload form fields that steer the reader (delimiter, encoding, header_row, skip_rows, sheets,
 * column_types) and the reader report kept with each version, through the real server on both backends.
 * Expected values come from csv-parse, from bytes written by hand, or from the fixtures' expected JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import t, { type Test } from 'tap';
import { BACKENDS, ROOT, getJson, startServer, upload, type Server } from '../support/server.js';
import { FIELD_CASES } from '../support/field-cases.js';


async function stored(t: Test, server: Server, bytes: Uint8Array | string, name: string, fields: Record<string, string> = {}) {
  const res = await upload(server, bytes, name, { name, ...fields });
  t.equal(res.status, 201, `${name} ${JSON.stringify(fields)} is stored: ${JSON.stringify(res.body).slice(0, 400)}`);
  return { base: `/api/datasets/${res.body.dataset.id}/versions/${res.body.version.id}`, version: res.body.version };
}

async function rows(server: Server, base: string, sheet?: string): Promise<any[]> {
  const res = await getJson(server, `${base}/data?page_size=1000${sheet ? `&sheet=${encodeURIComponent(sheet)}` : ''}`);
  return res.body.data;
}

async function datasetCount(server: Server): Promise<string | null> {
  return (await getJson(server, '/api/datasets')).headers.get('x-total-count');
}

for (const backend of BACKENDS) {
  t.test(`${backend} backend`, async (t) => {
    const server = await startServer(t, { backend });

    t.test('delimiter: the client wins over detection and the report says so', async (t) => {
      const text = 'a;b,c\n1;2,3\n4;5,6\n';
      const detected = await stored(t, server, text, 'ambiguous.csv');
      t.equal(detected.version.reader.delimiter, ',');
      t.equal(detected.version.reader.delimiter_from, 'detected');
      const forced = await stored(t, server, text, 'ambiguous.csv', { delimiter: 'semicolon' });
      t.same(await rows(server, forced.base), parse(text, { delimiter: ';', columns: true, cast: (v) => (/^\d+$/.test(v) ? Number(v) : v) }));
      t.match(forced.version.reader, { delimiter: ';', delimiter_from: 'form' });
      const sep = await stored(t, server, readFileSync(join(FIELD_CASES, 'c06_sep_hint.csv')), 'c06.csv');
      t.match(sep.version.reader, { delimiter: ';', delimiter_from: 'sep_line', header_row: 2 });
      const bad = await upload(server, text, 'x.csv', { name: 'x', delimiter: '"' });
      t.match(bad, { status: 400, body: { detail: /delimiter must be one character/ } });
      const wrongFormat = await upload(server, readFileSync(join(FIELD_CASES, 'p12_uint64.parquet')), 'u.parquet', { name: 'u', delimiter: ';' });
      t.match(wrongFormat, { status: 400, body: { detail: /delimiter applies to csv files, not to this parquet file/ } });
    });

    t.test('encoding: a Windows-1252 file read as such; without the field, a 422 that names the field', async (t) => {
      // "café €5" and "naïve" written byte by byte in Windows-1252 (é E9, € 80, ï EF).
      const bytes = Buffer.from([...Buffer.from('word,price\ncaf'), 0xe9, 0x20, 0x80, ...Buffer.from('5,1\nna'), 0xef, ...Buffer.from('ve,2\n')]);
      const res = await stored(t, server, bytes, 'cp1252.csv', { encoding: 'windows-1252' });
      t.same(await rows(server, res.base), [
        { word: 'café €5', price: 1 },
        { word: 'naïve', price: 2 },
      ]);
      t.match(res.version.reader, { encoding: 'windows-1252', encoding_from: 'form' });
      const refused = await upload(server, bytes, 'cp1252.csv');
      t.match(refused, { status: 422, body: { detail: /line 2 is not valid UTF-8.*encoding=windows-1252/ } });
      const bom = await stored(t, server, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('k\n1\n')]), 'bom.csv');
      t.match(bom.version.reader, { encoding: 'utf-8', encoding_from: 'bom' });
      const unknown = await upload(server, 'k\n1\n', 'k.csv', { name: 'k', encoding: 'klingon' });
      t.match(unknown, { status: 400, body: { detail: /encoding "klingon" is not an encoding we know/ } });
    });

    t.test('skip_rows and header_row: title lines, a header further down, or none', async (t) => {
      const text = 'Quarterly report\nexported 2024-01-01\nid,name\n1,ann\n2,bob\n';
      const want = parse(text, { from_line: 3, columns: true, cast: (v) => (/^\d+$/.test(v) ? Number(v) : v) });
      const skipped = await stored(t, server, text, 'titled.csv', { skip_rows: '2' });
      t.same(await rows(server, skipped.base), want);
      t.match(skipped.version.reader, { header_row: 3, skip_rows: 2 });
      const byHeader = await stored(t, server, text, 'titled.csv', { header_row: '3' });
      t.same(await rows(server, byHeader.base), want, 'header_row 3 is the same as skipping two lines');
      const none = await stored(t, server, '1,ann\n2,bob\n', 'headless.csv', { header_row: 'none' });
      t.same(await rows(server, none.base), [
        { column_1: 1, column_2: 'ann' },
        { column_1: 2, column_2: 'bob' },
      ]);
      t.equal(none.version.reader.header_row, null);
      const shifted = await upload(server, 'title\na,b\n1,2,3\n', 'shifted.csv', { name: 's', skip_rows: '1' });
      t.match(shifted, { status: 422, body: { detail: /^line 3 has 3 fields/ } }, 'line numbers count the skipped lines');
      const past = await upload(server, 'a\n1\n', 'short.csv', { name: 's', skip_rows: '5' });
      t.match(past, { status: 422, body: { detail: /skip 5 lines, but the file has only 2/ } });
    });

    t.test('column_types: forced types, and a value that does not fit is a 422 naming row and column', async (t) => {
      const text = 'code,amount,when\n001,5,2024-01-02\n002,7,2024-01-03\n';
      const inferred = await stored(t, server, text, 'codes.csv');
      t.same(inferred.version.reader.sheets[0].columns.map((c: any) => [c.name, c.type, c.decided_by]), [
        ['code', 'string', 'inferred'],
        ['amount', 'integer', 'inferred'],
        ['when', 'date', 'inferred'],
      ]);
      const forced = await stored(t, server, text, 'codes.csv', { column_types: JSON.stringify({ amount: 'decimal', when: 'string', code: 'integer' }) });
      t.same(await rows(server, forced.base), [
        { code: 1, amount: '5', when: '2024-01-02' },
        { code: 2, amount: '7', when: '2024-01-03' },
      ]);
      t.same(forced.version.reader.sheets[0].columns.map((c: any) => [c.name, c.dtype, c.decided_by]), [
        ['code', 'Int64', 'column_types'],
        ['amount', 'Decimal(38, 0)', 'column_types'],
        ['when', 'String', 'column_types'],
      ]);
      const before = await datasetCount(server);
      const misfit = await upload(server, 'k,v\n1,2\n2,x\n', 'misfit.csv', { name: 'm', column_types: '{"v":"integer"}' });
      t.match(misfit, { status: 422, body: { detail: /column_types asks for integer, but data row 2, column "v": "x" is not an integer/ } });
      const badDate = await upload(server, 'k,d\n1,2024-01-01\n2,01/02/2024\n', 'dates.csv', { name: 'm', column_types: '{"d":"date"}' });
      t.match(badDate, { status: 422, body: { detail: /data row 2, column "d": "01\/02\/2024" is not a date/ } });
      t.equal(await datasetCount(server), before, 'nothing stored');
      const unknownType = await upload(server, text, 'codes.csv', { name: 'c', column_types: '{"amount":"money"}' });
      t.match(unknownType, { status: 400, body: { detail: /"amount" asks for "money"; types: string, integer/ } });
      const unknownColumn = await upload(server, text, 'codes.csv', { name: 'c', column_types: '{"amt":"float"}' });
      t.match(unknownColumn, { status: 400, body: { detail: /column_types names "amt", which the file does not have/ } });

      // Parquet: UInt64 as text keeps every digit; a float column forced to integer must not truncate 1.5.
      const parquet = readFileSync(join(FIELD_CASES, 'p12_uint64.parquet'));
      const asText = await stored(t, server, parquet, 'u.parquet', { column_types: '{"u":"string"}' });
      t.same((await rows(server, asText.base)).map((r) => r.u), ['18446744073709551615', '9223372036854775808']);
      t.equal(asText.version.reader.sheets[0].columns[0].decided_by, 'column_types');
      const csvFloat = await stored(t, server, 'f\n1.5\n2\n', 'floats.csv');
      const floatParquet = Buffer.from(await (await fetch(`${server.url}${csvFloat.base}/data?format=parquet`)).arrayBuffer());
      const truncated = await upload(server, floatParquet, 'f.parquet', { name: 'f', column_types: '{"f":"integer"}' });
      t.match(truncated, { status: 422, body: { detail: /data row 1, column "f": "1.5" \(Float64\) cannot be one/ } });
      // A text column of a Parquet file is converted as a CSV's is (`001` forced to integer is 1), not cast back
      // and compared (which refused it: the text column's dtype is `String`, never equal to the binding's `Utf8`).
      const textParquet = Buffer.from(await (await fetch(`${server.url}${inferred.base}/data?format=parquet`)).arrayBuffer());
      const fromText = await stored(t, server, textParquet, 'codes.parquet', { column_types: JSON.stringify({ code: 'integer' }) });
      t.same((await rows(server, fromText.base)).map((r) => r.code), [1, 2], 'Parquet text forced to integer by the CSV rules');
    });

    t.test('column_types never changes a typed value: refused with the exact value, or kept', async (t) => {
      const field = (name: string) => readFileSync(join(FIELD_CASES, name));
      const cases: [string, Record<string, string>, RegExp][] = [
        ['p12_uint64.parquet', { u: 'float' }, /data row 1, column "u": "18446744073709551615" \(UInt64\) cannot be one/],
        ['p12_uint64.parquet', { u: 'integer' }, /data row 1, column "u": "18446744073709551615" \(UInt64\)/],
        ['p05_decimal.parquet', { money: 'integer' }, /data row 1, column "money": "1234567890.12" \(Decimal\(12, 2\)\)/],
        ['p01_int96_sentinels.parquet', { load_ts: 'date' }, /data row 1, column "load_ts": "2021-06-09 03:02:37(\.0+)?" \(Datetime\(us\)\)/],
      ];
      for (const [file, types, detail] of cases) {
        const res = await upload(server, field(file), file, { name: file, column_types: JSON.stringify(types) });
        t.match(res, { status: 422, body: { detail } }, `${file} ${JSON.stringify(types)}`);
      }
      const kept = await stored(t, server, field('p05_decimal.parquet'), 'p05.parquet', { column_types: '{"money":"float"}' });
      t.same((await rows(server, kept.base)).map((r) => r.money), [1234567890.12, -0.05, 1], 'a decimal that a float holds at its scale');
      const csv = await stored(t, server, 'd,t\n2024-01-01,2024-01-01T10:00:00\n2024-02-30,2024-13-01T10:00:00\n', 'calendar.csv');
      t.same(csv.version.reader.sheets[0].columns.map((c: any) => c.type), ['string', 'string'], 'no calendar date: text, and the file is read');
      const forced = await upload(server, 'd\n2024-01-01\n2024-02-30\n', 'calendar.csv', { name: 'c', column_types: '{"d":"date"}' });
      t.match(forced, { status: 422, body: { detail: /data row 2, column "d": "2024-02-30" is not a date/ } });
      const workbook = readFileSync(join(ROOT, 'test/fixtures/multi-sheet.xlsx'));
      const expected = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/multi-sheet.xlsx.expected.json'), 'utf8'));
      const other = await upload(server, workbook, 'book.xlsx', {
        name: 'b',
        sheets: JSON.stringify([expected[1].name]),
        column_types: JSON.stringify({ [expected[0].columns[1]]: 'string' }),
      });
      t.match(other, { status: 400, body: { detail: /which no sheet read has \(only .*, as sheets asks\); the columns read: / } });
    });

    t.test('text_because: the first value that made a column text', async (t) => {
      const res = await stored(t, server, readFileSync(join(FIELD_CASES, 'c08_na_spellings.csv')), 'c08.csv');
      const score = res.version.reader.sheets[0].columns.find((c: any) => c.name === 'score');
      t.same(score, { name: 'score', type: 'string', dtype: 'String', decided_by: 'inferred', text_because: { candidate: 'integer', row: 2, value: 'N/A' } });
      const again = await getJson(server, `${res.base}`);
      t.same(again.body.reader, res.version.reader, 'GET …/versions/{vid} has the same report');
      const list = await getJson(server, `${res.base.replace(/\/versions\/\d+$/, '/versions')}`);
      t.notOk('reader' in list.body[0], 'lists leave the report out');
    });

    t.test('sheets: read only the worksheets asked for', async (t) => {
      const workbook = readFileSync(join(ROOT, 'test/fixtures/multi-sheet.xlsx'));
      const expected = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/multi-sheet.xlsx.expected.json'), 'utf8'));
      const second = expected[1];
      const res = await upload(server, workbook, 'book.xlsx', { name: 'b', sheets: JSON.stringify([second.name]) });
      t.equal(res.status, 201, JSON.stringify(res.body));
      t.same(res.body.sheets.map((s: any) => s.name), [second.name]);
      const base = `/api/datasets/${res.body.dataset.id}/versions/${res.body.version.id}`;
      t.same((await rows(server, base)).map((r) => second.columns.map((c: string) => r[c])).length, second.rows.length);
      t.same(res.body.version.reader.sheets.map((s: any) => s.name), [second.name]);
      const missing = await upload(server, workbook, 'book.xlsx', { name: 'b', sheets: '["Nope"]' });
      t.match(missing, { status: 400, body: { detail: /sheets names "Nope", which the workbook does not have; its worksheets: / } });
      const xls = readFileSync(join(ROOT, 'test/fixtures/legacy.xls'));
      const xlsExpected = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/legacy.xls.expected.json'), 'utf8'));
      const last = xlsExpected.at(-1).name;
      const fromXls = await upload(server, xls, 'legacy.xls', { name: 'l', sheets: last });
      t.equal(fromXls.status, 201, JSON.stringify(fromXls.body));
      t.same(fromXls.body.sheets.map((s: any) => s.name), [last]);
    });

    if (backend === 'local') {
      t.test('the report survives a restart', async (t) => {
        const own = await startServer(t, { backend });
        const res = await stored(t, own, 'a;b\n1;x\n', 'kept.csv');
        await own.stop();
        const again = await startServer(t, { backend, dataDir: own.dataDir });
        t.same((await getJson(again, res.base)).body.reader, res.version.reader);
      });
    }
  });
}
