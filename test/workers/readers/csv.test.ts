/**
 * CSV files that readers commonly get wrong (the field cases, and inputs of our own for each kind),
 * through the real server on both backends. Expected values come from the field cases' README and from
 * csv-parse reading the same bytes, never from our reader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import t, { type Test } from 'tap';
import { BACKENDS, ROOT, getJson, startServer, upload, type Server } from '../../support/server.js';
import { fieldCase } from '../../support/field-cases.js';


/** Uploads `bytes` and returns the version's base path, failing the test unless the upload is a 201. */
async function stored(t: Test, server: Server, bytes: Uint8Array | string, name: string): Promise<string> {
  const res = await upload(server, bytes, name);
  t.equal(res.status, 201, `${name} is stored: ${JSON.stringify(res.body)}`);
  return `/api/datasets/${res.body.dataset.id}/versions/${res.body.version.id}`;
}

async function typesOf(server: Server, base: string): Promise<Record<string, string>> {
  const schema = await getJson(server, `${base}/schema`);
  return Object.fromEntries(schema.body.columns.map((c: any) => [c.name, c.type]));
}

async function rows(server: Server, base: string, query = ''): Promise<any[]> {
  const res = await getJson(server, `${base}/data?page_size=1000${query}`);
  if (res.status !== 200) throw new Error(`${base}/data${query}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** A decimal's digits without insignificant trailing zeros: `0.1000` and `0.1` are the same value. */
const decimalValue = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);

for (const backend of BACKENDS) {
  t.test(`${backend} backend`, async (t) => {
    const server = await startServer(t, { backend });

    t.test('an empty field is null whether quoted or not (QUOTE_ALL export = its unquoted twin)', async (t) => {
      const quoted = await stored(t, server, fieldCase('c01_quote_all_empty.csv'), 'c01.csv');
      const plain = await stored(t, server, fieldCase('c01b_unquoted_empty.csv'), 'c01b.csv');
      t.same(await typesOf(server, quoted), { id: 'integer', amount: 'float', when: 'date', flag: 'boolean' });
      t.same(await typesOf(server, quoted), await typesOf(server, plain), 'same types as the unquoted twin');
      t.same(await rows(server, quoted), await rows(server, plain), 'same values as the unquoted twin');
      t.same((await rows(server, quoted))[1], { id: 2, amount: null, when: null, flag: null }, 'row 2 null in each');

      // Our own: every field quoted, a datetime and a text column with "" among real values.
      const own = '"k","at","note"\r\n"1","2024-05-01T10:00:00","x"\r\n"2","",""\r\n"3","2024-05-02T11:30:00","z"\r\n';
      const base = await stored(t, server, own, 'quote-all-own.csv');
      t.same(await typesOf(server, base), { k: 'integer', at: 'datetime', note: 'string' });
      t.same((await rows(server, base))[1], { k: 2, at: null, note: null }, 'a quoted empty field is null in text columns too');
      const stats = await getJson(server, `${base}/statistics`);
      t.equal(stats.body.columns.find((c: any) => c.column_name === 'note').null_count, 1);
    });

    t.test('numbers are never rounded or overflowed', async (t) => {
      const base = await stored(t, server, fieldCase('c02_float_precision.csv'), 'c02.csv');
      const types = await typesOf(server, base);
      t.ok(['decimal', 'string'].includes(types.amount), `amount is a decimal or text, not a float (${types.amount})`);
      t.ok(['decimal', 'string'].includes(types.ratio), `ratio is a decimal or text, not a float (${types.ratio})`);
      const want: string[][] = parse(fieldCase('c02_float_precision.csv'), { columns: false, from_line: 2 });
      const got = await rows(server, base);
      for (const [i, [, amount, ratio]] of want.entries()) {
        t.equal(decimalValue(String(got[i].amount)), decimalValue(amount), `amount ${amount}: every digit`);
        t.equal(String(got[i].ratio), ratio, `ratio ${ratio}: neither rounded, infinity nor zero`);
      }
      const stats = await getJson(server, `${base}/statistics`);
      t.equal(stats.status, 200);
      t.equal(decimalValue(stats.body.columns.find((c: any) => c.column_name === 'amount').max), '99999999999999.99', 'max exact');
      t.equal(stats.body.columns.find((c: any) => c.column_name === 'ratio').null_count, 0, 'nothing became null');
      const csv = await (await fetch(`${server.url}${base}/data?format=csv`)).text();
      t.match(csv, /12345678901234\.5678/, 'the CSV export keeps every digit');

      // Our own: floats written in shortest round-trip form stay floats; wider decimals keep every digit.
      const own =
        'f,d,big,e\n' +
        '0.30000000000000004,123456789012345678.123456,123456789012345678901,-1e309\n' +
        '1e-310,-0.00000000000001,-99999999999999999999,2.5e-5\n' +
        '1.7976931348623157e308,1,0,1\n';
      const ownBase = await stored(t, server, own, 'precision-own.csv');
      t.same(await typesOf(server, ownBase), { f: 'float', d: 'decimal', big: 'decimal', e: 'string' });
      const ownRows = await rows(server, ownBase);
      const ownWant: string[][] = parse(own, { from_line: 2 });
      t.same(
        ownRows.map((r) => [Number(r.f), decimalValue(r.d), r.big, r.e]),
        ownWant.map(([f, d, big, e]) => [Number(f), decimalValue(d), big, e]),
        'floats exact, decimals and text digit for digit',
      );
      t.equal(ownRows[0].f, 0.30000000000000004);
    });

    t.test('a value past the sample decides the type: every column is checked whole', async (t) => {
      // 5,000 rows; in each column but n, one value far past the first rows breaks the type.
      const late = { i: [4500, '007'], f: [4600, '12345678901234.5678'], d: [4700, '2024-02-30'], b: [4800, 'yes'], t: [4900, '2016-12-31T23:59:60'] } as const;
      const lines = ['i,f,d,b,n,t'];
      for (let r = 1; r <= 5000; r++) {
        const at = (col: keyof typeof late, normal: string) => (late[col][0] === r ? late[col][1] : normal);
        lines.push([at('i', String(r)), at('f', `${r}.5`), at('d', '2024-01-31'), at('b', r % 2 ? 'true' : 'False'), String(-r), at('t', '2024-05-01T10:00:00')].join(','));
      }
      const text = lines.join('\n') + '\n';
      const res = await upload(server, text, 'late.csv');
      t.equal(res.status, 201, JSON.stringify(res.body).slice(0, 300));
      const base = `/api/datasets/${res.body.dataset.id}/versions/${res.body.version.id}`;
      // The rules (README): 007 is no integer, a value with more digits than a float64 keeps makes the column
      // a decimal, 2024-02-30 is no date, yes is no boolean, a leap second no datetime (Polars would make it the
      // next day's midnight).
      t.same(await typesOf(server, base), { i: 'string', f: 'decimal', d: 'string', b: 'string', n: 'integer', t: 'string' });
      const why = Object.fromEntries(res.body.version.reader.sheets[0].columns.map((c: any) => [c.name, c.text_because]));
      t.same(why.i, { candidate: 'integer', row: 4500, value: '007' });
      t.same(why.d, { candidate: 'date', row: 4700, value: '2024-02-30' });
      t.same(why.t, { candidate: 'datetime', row: 4900, value: '2016-12-31T23:59:60' });
      const expected = parse(text, { columns: true }) as Record<string, string>[];
      const window = async (offset: number, limit: number) => (await getJson(server, `${base}/data?offset=${offset}&limit=${limit}`)).body.data as any[];
      for (const [col, [row]] of Object.entries(late)) {
        const [got] = await window(row - 1, 1);
        const want = expected[row - 1][col];
        t.equal(col === 'f' ? decimalValue(String(got[col])) : got[col], col === 'f' ? decimalValue(want) : want, `${col} row ${row} as written`);
      }
      const page = await window(4000, 1000);
      t.same(page.map((r) => r.i), expected.slice(4000, 5000).map((r) => r.i), 'text column i holds every value as written');
      t.same(page.map((r) => r.n), expected.slice(4000, 5000).map((r) => Number(r.n)), 'integer column n exact');
    });

    t.test('a file without quotes: blank lines skipped, a ragged line far down named', async (t) => {
      const body = Array.from({ length: 3000 }, (_, r) => `${r},x${r}`);
      const blank = 'a,b\n' + body.slice(0, 1000).join('\n') + '\n\n\r\n' + body.slice(1000).join('\r\n') + '\n';
      const base = await stored(t, server, blank, 'blank.csv');
      const total = await getJson(server, `${base}/data?offset=2990&limit=10`);
      t.equal(total.headers.get('x-total-rows'), '3000', 'the two blank lines are no rows');
      t.same(total.body.data.map((r: any) => r.b), body.slice(2990).map((l) => l.split(',')[1]));
      const ragged = [...body];
      ragged[2500] += ',extra';
      const res = await upload(server, 'a,b\n' + ragged.join('\n') + '\n', 'ragged.csv');
      t.match(res, { status: 422, body: { detail: /^line 2502 has 3 fields but the header has 2 \(comma-delimited\)/ } });
      const short = await upload(server, 'a,b,c\n1,2,3\n4,5\n', 'short.csv');
      t.match(short, { status: 422, body: { detail: /^line 3 has 2 fields but the header has 3/ } });

      // The check asks Polars (which refuses long lines) and counts delimiters only when the last column has a
      // null: each of these must still be refused, naming the line csv-parse (an independent reader) stops at.
      const cases: [string, string][] = [
        ['a short line where the last column also has real empty values', 'a,b,c\n1,2,\n3,4,5\n6,7\n8,9,\n'],
        ['one long and one short line, whose delimiters add up', 'a,b,c\n1,2,3,4\n5,6\n7,8,9\n'],
        ['the short line first, then the long one', 'a,b,c\n1,2\n3,4,5,6\n7,8,9\n'],
        ['a short last line without a line break', 'a,b,c\n1,2,3\n4,5,6\n7,8'],
        ['a one-field line in a CRLF file', 'a,b\r\n1,2\r\n3\r\n4,5\r\n'],
      ];
      for (const [what, text] of cases) {
        let line = 0;
        try {
          parse(text, { relax_column_count: false });
        } catch (err) {
          line = (err as { lines: number }).lines;
        }
        t.ok(line > 0, `csv-parse refuses it too (${what})`);
        const res = await upload(server, text, 'ragged.csv');
        t.match(res, { status: 422, body: { detail: new RegExp(`^line ${line} has \\d+ fields? but the header has`) } }, what);
      }
      const fine = 'a,b,c\n1,2,\n,,\n4,,6\n';
      const ok = await upload(server, fine, 'empties.csv');
      t.equal(ok.status, 201, 'empty fields, however many, are no ragged line');
      t.equal(ok.body.version.sheets?.[0]?.row_count ?? ok.body.sheets[0].row_count, 3);
    });

    t.test('quotes escaped with a backslash are read as the writer meant', async (t) => {
      const bytes = fieldCase('c05_backslash_quotes.csv');
      const base = await stored(t, server, bytes, 'c05.csv');
      const want: Record<string, string>[] = parse(bytes, { columns: true, escape: '\\' });
      t.equal(want[0].comment, 'He said "hi"', 'csv-parse with backslash escapes agrees with the README');
      t.same((await rows(server, base)).map((r) => r.comment), want.map((r) => r.comment));

      // Our own: a backslash-escaped backslash, an escaped quote ending a field, a delimiter and a newline inside.
      const own = 'id,text\n1,"C:\\\\temp\\\\"\n2,"a \\"quoted, multi\nline\\""\n3,"plain"\n';
      const ownWant: Record<string, string>[] = parse(own, { columns: true, escape: '\\' });
      const ownBase = await stored(t, server, own, 'backslash-own.csv');
      t.same((await rows(server, ownBase)).map((r) => r.text), ownWant.map((r) => r.text));
      t.same(ownWant.map((r) => r.text), ['C:\\temp\\', 'a "quoted, multi\nline"', 'plain']);

      // Text after a closing quote that no escaping explains is refused, naming the line, and nothing is stored.
      const before = (await getJson(server, '/api/datasets')).headers.get('x-total-count');
      const bad = await upload(server, 'id,text\n1,"ok"\n2,"abc"def\n', 'stray-quote.csv');
      t.match(bad, { status: 422, body: { error_code: 'unreadable_file', detail: /line 3.*closing quote/ } });
      t.equal((await getJson(server, '/api/datasets')).headers.get('x-total-count'), before, 'nothing stored');
    });

    t.test("Excel's sep= first line sets the delimiter and is not data", async (t) => {
      const base = await stored(t, server, fieldCase('c06_sep_hint.csv'), 'c06.csv');
      const data = await rows(server, base);
      t.same(Object.keys(data[0]), ['name', 'price', 'qty']);
      t.same(data, [
        { name: 'Widget', price: '3,50', qty: 2 },
        { name: 'Gadget', price: '12,00', qty: 1 },
      ], 'two rows; decimal commas kept as written');

      // Our own: a pipe hint over data whose commas would otherwise look like the delimiter, and a tab hint.
      const pipe = await stored(t, server, 'sep=|\na|b,c\n1|x,y\n2|z\n', 'sep-pipe.csv');
      t.same(await rows(server, pipe), [
        { a: 1, 'b,c': 'x,y' },
        { a: 2, 'b,c': 'z' },
      ]);
      const tab = await stored(t, server, 'sep=\t\r\nk\tv\r\n1\t2.5\r\n', 'sep-tab.csv');
      t.same(await rows(server, tab), [{ k: 1, v: 2.5 }]);
      const bad = await upload(server, 'sep=;\na;b\n1;2;3\n', 'sep-bad.csv');
      t.match(bad, { status: 422, body: { detail: /line 3 has 3 fields/ } }, 'line numbers count the sep= line');
    });

    t.test('column names are used exactly as written, in every parameter', async (t) => {
      const base = await stored(t, server, fieldCase('c12_space_after_comma_header.csv'), 'c12.csv');
      const q = (s: string) => encodeURIComponent(s);
      t.same(Object.keys((await rows(server, base))[0]), ['id', ' name', ' price'], 'names kept as written');
      t.same(await rows(server, base, `&columns=${q(' name')}`), [{ ' name': ' apple' }, { ' name': ' pear' }], 'columns=');
      const facets = await getJson(server, `${base}/facets?columns=${q(' name')}`);
      t.equal(facets.status, 200, JSON.stringify(facets.body));
      t.same(await rows(server, base, `&${q('filter[ name]eq')}=${q(' pear')}&columns=id`), [{ id: 2 }], 'filters');
      t.same(await rows(server, base, `&sort=${q('- name')}&columns=id`), [{ id: 2 }, { id: 1 }], 'sort');
      const trimmed = await getJson(server, `${base}/data?columns=name`);
      t.match(trimmed, { status: 400, body: { detail: /no column "name" \(did you mean " name"\?/ } }, 'no silent trimming');

      // Our own: dots, brackets, commas, a leading minus and a quote in names; quoted in lists (CSV rule).
      const own = '"a.b","x[1]","p, q","-neg","say ""hi"""\n1,2,3,4,5\n6,7,8,9,10\n';
      const ownBase = await stored(t, server, own, 'names-own.csv');
      const names = ['a.b', 'x[1]', 'p, q', '-neg', 'say "hi"'];
      t.same(Object.keys((await rows(server, ownBase))[0]), names);
      const list = names.map((n) => `"${n.replaceAll('"', '""')}"`).join(',');
      t.same(Object.keys((await rows(server, ownBase, `&columns=${q(list)}`))[0]), names, 'every name, quoted, in columns=');
      for (const name of names) {
        const quoted = `"${name.replaceAll('"', '""')}"`;
        t.same(await rows(server, ownBase, `&${q(`filter[${name}]gte`)}=1&sort=${q(`-${quoted}`)}&columns=${q(quoted)}`).then((r) => r.length), 2, `filter and sort on ${name}`);
        const f = await getJson(server, `${ownBase}/facets?columns=${q(quoted)}`);
        t.equal(f.status, 200, `facets on ${name}: ${JSON.stringify(f.body)}`);
      }
      t.same(await rows(server, ownBase, `&${q('filter[p, q]in')}=${q('"3",8')}&columns=${q('"p, q"')}`), [{ 'p, q': 3 }, { 'p, q': 8 }], 'in-lists use the same quoting');
      const unclosed = await getJson(server, `${ownBase}/data?columns=${q('"a.b')}`);
      t.match(unclosed, { status: 400, body: { detail: /columns: a quoted name is never closed/ } });
    });

    t.test('read right today, kept right', async (t) => {
      const zeros = await stored(t, server, fieldCase('c04_leading_zeros.csv'), 'c04.csv');
      t.same(await rows(server, zeros), parse(fieldCase('c04_leading_zeros.csv'), { columns: true }), 'leading zeros and + kept');
      const bom = fieldCase('c07_bom_semicolon_decimal_comma.csv');
      const bomBase = await stored(t, server, bom, 'c07.csv');
      t.same(await typesOf(server, bomBase), { name: 'string', price: 'string', qty: 'integer' });
      t.same((await rows(server, bomBase)).map((r) => r.price), ['3,50', '1.234,00'], 'decimal commas not misread');
      const na = fieldCase('c08_na_spellings.csv');
      const naBase = await stored(t, server, na, 'c08.csv');
      t.same(await rows(server, naBase), parse(na, { columns: true }), 'NA, N/A, null, NaN, yes/no, whitespace: every value as written');
    });
  });
}
