/**
 * The query surface, on both backends: `/data` with projection, filters (every operator, alone and combined),
 * multi-key sort and paging; `/facets`; and read-only SQL (`POST …/query`) with its refusals.
 *
 * Every expectation is computed here, in plain JavaScript, over csv-parse's reading of the CSV this test
 * generates (a few thousand deterministic pseudo-random rows with nulls, dates, datetimes and non-ASCII text),
 * never from the service's own output.
 *
 * Semantics asserted (decided by checking the service, and the ones a SQL user expects):
 * - A comparison (`eq`, `ne`, `lt`, …, `in`, `contains`, `startswith`) never matches a null: `ne` keeps only
 *   non-null values that differ. Strings compare by code point (UTF-8 bytes), booleans false < true, dates and
 *   datetimes chronologically (their ISO strings).
 * - Sort: nulls go last in both directions; the sort is stable (rows equal in every key keep file order).
 * - Facets count null as a value of its own (ordered after every non-null value of the same count), and
 *   `distinct_count` counts distinct non-null values.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import * as A from 'apache-arrow';
import { SETUPS, ROOT, getJson, startServer, upload, type Server } from '../support/server.js';
import {
  CITIES,
  COLUMNS,
  TYPES,
  compare,
  matches,
  type Type,
  generateCsv,
  readReference,
  expectedRows,
  expectedFacet,
  queryString,
  sameRows,
  type Filter,
  type Row,
  type Value,
} from '../support/reference-query.js';

const N = 4000;
const SQL_MAX_ROWS = 500;

// ---------------------------------------------------------------------------------------------------------
// Talking to the service
// ---------------------------------------------------------------------------------------------------------

/** Every row of a query through JSON pages of 1000, checking each page's envelope on the way. */
async function fetchAll(t: Test, server: Server, base: string, q: Parameters<typeof queryString>[0]): Promise<{ rows: Row[]; total: number; columns: string[] }> {
  const rows: Row[] = [];
  let total = -1;
  let columns: string[] = [];
  for (let page = 1; ; page++) {
    const res = await getJson(server, `${base}/data?${queryString(q, [['page', String(page)], ['page_size', '1000']])}`);
    if (res.status !== 200) {
      t.fail(`${queryString(q)} page ${page}: ${res.status} ${JSON.stringify(res.body)}`);
      return { rows, total, columns };
    }
    total = res.body.total_rows;
    columns = res.body.columns;
    if (res.headers.get('x-total-rows') !== String(total)) t.fail(`X-Total-Rows ${res.headers.get('x-total-rows')} != ${total}`);
    rows.push(...res.body.data);
    if (page >= res.body.total_pages) break;
  }
  return { rows, total, columns };
}


async function sql(server: Server, base: string, body: Record<string, unknown>, accept?: string) {
  const res = await fetch(`${server.url}${base}/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(accept ? { accept } : {}) },
    body: JSON.stringify(body),
  });
  if (accept && res.status === 200) return { status: res.status, headers: res.headers, body: new Uint8Array(await res.arrayBuffer()) as any };
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

// ---------------------------------------------------------------------------------------------------------

const CSV = generateCsv(N, 20261127);
const REF = readReference(CSV);
const CSV_V2 = generateCsv(37, 7);
const XLSX = readFileSync(join(ROOT, 'test/fixtures/multi-sheet.xlsx'));
const XLSX_EXPECTED = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/multi-sheet.xlsx.expected.json'), 'utf8')) as {
  name: string;
  columns: string[];
  rows: Value[][];
}[];

/** A few values that occur in the file, picked from the reference (so eq/in filters match something). */
const someDay = REF.find((r) => r.day !== null && (r.id as number) > 100)!.day as string;
const someDays = REF.filter((r) => r.day !== null).slice(200, 203).map((r) => r.day as string);
const somePrices = REF.filter((r) => r.price !== null).slice(10, 13).map((r) => String(r.price));
const someTs = REF.find((r) => r.ts !== null && (r.id as number) > 50)!.ts as string;

/** Each operator at least once, on every type it applies to. */
const SINGLE: Filter[][] = [
  [['qty', 'eq', '7']],
  [['city', 'eq', '東京']],
  [['day', 'eq', someDay]],
  [['ts', 'eq', someTs]],
  [['flag', 'eq', 'true']],
  [['price', 'eq', REF.find((r) => r.price !== null)!.price!.toString()]],
  [['city', 'ne', 'Zürich']],
  [['flag', 'ne', 'false']],
  [['price', 'lt', '0']],
  [['city', 'lt', 'M']],
  [['day', 'lte', '2019-06-30']],
  [['ts', 'lt', '2019-03-01T12:00:00']],
  [['qty', 'gt', '90']],
  [['city', 'gt', 'Ø']], // past ASCII: Łódź, İstanbul, Αθήνα, 東京
  [['price', 'gte', '1234.5']],
  [['ts', 'gte', '2024-01-01T00:00:00']],
  [['city', 'in', 'Kraków,São Paulo,東京']],
  [['qty', 'in', '-1,0,1']],
  [['day', 'in', someDays.join(',')]],
  [['price', 'in', somePrices.join(',')]],
  [['city', 'contains', 'ö']],
  [['city', 'contains', '(O']], // regex metacharacters are literal
  [['city', 'contains', ', D.']],
  [['city', 'contains', '.']],
  [['city', 'startswith', 'Kra']],
  [['city', 'startswith', 'St. ']],
  [['city', 'startswith', '東']],
  [['price', 'is_null', '']],
  [['city', 'is_null', '']],
  [['flag', 'is_null', 'true']],
  [['day', 'not_null', '']],
  [['qty', 'not_null', '']],
];

const COMBOS: Filter[][] = [
  [['price', 'gte', '100'], ['day', 'lt', '2021-01-01'], ['flag', 'eq', 'false']],
  [['city', 'in', 'Köln,Malmö,Αθήνα'], ['qty', 'not_null', ''], ['price', 'is_null', '']],
  [['qty', 'gte', '-10'], ['qty', 'lte', '10']], // a range: two filters on one column
  [['city', 'startswith', 'K'], ['ts', 'gte', '2020-06-01T00:00:00']],
  [['city', 'ne', '東京'], ['day', 'is_null', '']],
];

for (const { backend, catalog, name } of SETUPS) {
  t.test(name, async (t) => {
    const server = await startServer(t, { backend, catalog, env: { SQL_MAX_ROWS: String(SQL_MAX_ROWS) } });
    const up = await upload(server, CSV, 'orders.csv', { name: 'Orders' });
    t.equal(up.status, 201, 'upload');
    t.equal(up.body.sheets[0].row_count, N);
    const dsId = up.body.dataset.id;
    const vid = up.body.version.id;
    const base = `/api/datasets/${dsId}/versions/${vid}`;

    t.test('schema: the types the expectations assume', async (t) => {
      const schema = await getJson(server, `${base}/schema`);
      t.same(
        schema.body.columns.map((c: any) => [c.name, c.type]),
        COLUMNS.map((c) => [c, TYPES[c]]),
      );
      t.ok(REF.some((r) => r.price === null) && REF.some((r) => r.city === null) && REF.some((r) => r.day === null), 'the file has nulls');
    });

    t.test('every operator alone', async (t) => {
      for (const filters of SINGLE) {
        const want = expectedRows(REF, { filters });
        const got = await fetchAll(t, server, base, { filters });
        const label = filters.map((f) => `filter[${f[0]}]${f[1]}=${f[2]}`).join('&');
        t.equal(got.total, want.length, `${label}: total_rows`);
        sameRows(t, got.rows, want, label);
        t.ok(want.length > 0 && want.length < N, `${label}: the filter is selective (${want.length} rows), so it can fail`);
      }
      // Nulls never match a comparison: ne keeps only the non-null values that differ.
      const ne = expectedRows(REF, { filters: [['city', 'ne', 'Zürich']] }).length;
      t.equal(ne, REF.filter((r) => r.city !== null && r.city !== 'Zürich').length);
    });

    t.test('2 and 3 filters combined (AND)', async (t) => {
      for (const filters of COMBOS) {
        const want = expectedRows(REF, { filters });
        const got = await fetchAll(t, server, base, { filters });
        const label = filters.map((f) => `filter[${f[0]}]${f[1]}=${f[2]}`).join('&');
        t.equal(got.total, want.length, `${label}: total_rows`);
        t.ok(want.length > 0, `${label}: keeps some rows (${want.length})`);
        sameRows(t, got.rows, want, label);
      }
      const none = await getJson(server, `${base}/data?${queryString({ filters: [['qty', 'gt', '100']] })}`);
      t.match(none.body, { data: [], total_rows: 0, total_pages: 0 }, 'a filter that keeps nothing: an empty page');
    });

    t.test('sort: multi-key, descending, nulls last, stable', async (t) => {
      const cases: { sort: string[]; columns?: string[]; filters?: Filter[] }[] = [
        { sort: ['price'] },
        { sort: ['-price'] },
        { sort: ['flag', '-day', 'city'] },
        { sort: ['city', '-qty'], columns: ['city', 'qty', 'id'] },
        { sort: ['-day', 'id'], filters: [['city', 'contains', 'ü']] },
        { sort: ['-ts'] },
        { sort: ['-city', 'price'] },
      ];
      for (const q of cases) {
        const want = expectedRows(REF, q);
        const got = await fetchAll(t, server, base, q);
        sameRows(t, got.rows, want, `sort=${q.sort.join(',')}`);
        const first = q.sort[0].replace('-', '');
        const nulls = want.filter((r) => r[first] === null).length;
        if (nulls > 0) {
          t.ok(
            got.rows.slice(-nulls).every((r) => r[first] === null) && got.rows.slice(0, -nulls).every((r) => r[first] !== null),
            `sort=${q.sort.join(',')}: the ${nulls} nulls of "${first}" come last`,
          );
        }
      }
    });

    t.test('projection', async (t) => {
      const got = await getJson(server, `${base}/data?columns=flag,id&page_size=5`);
      t.same(got.body.columns, ['flag', 'id'], 'columns in the order asked');
      t.same(got.body.data, expectedRows(REF, { columns: ['flag', 'id'] }).slice(0, 5));
      t.same(Object.keys(got.body.data[0]), ['flag', 'id']);
      const q = { columns: ['city', 'day'], filters: [['price', 'lt', '-400'] as Filter], sort: ['id'] };
      const all = await fetchAll(t, server, base, q);
      t.same(all.columns, ['city', 'day']);
      sameRows(t, all.rows, expectedRows(REF, q), 'projection with a filter on a column not projected');
    });

    t.test('paging through a filtered, sorted result', async (t) => {
      const q = { filters: [['price', 'not_null', ''], ['city', 'ne', '東京']] as Filter[], sort: ['-price', 'id'], columns: ['id', 'price', 'city'] };
      const want = expectedRows(REF, q);
      const size = 97;
      const pages = Math.ceil(want.length / size);
      const rows: Row[] = [];
      let envelopes = 0;
      for (let page = 1; page <= pages + 1; page++) {
        const res = await getJson(server, `${base}/data?${queryString(q, [['page', String(page)], ['page_size', String(size)]])}`);
        if (res.body.total_rows === want.length && res.body.total_pages === pages && res.body.page === page && res.body.page_size === size) envelopes++;
        if (page <= pages) t.equal(res.body.data.length, page < pages ? size : want.length - (pages - 1) * size, `page ${page} size`);
        else t.same(res.body.data, [], 'the page past the end is empty');
        rows.push(...res.body.data);
      }
      t.equal(envelopes, pages + 1, `every page says total_rows ${want.length}, total_pages ${pages}, its page and page_size`);
      sameRows(t, rows, want, 'pages concatenated = the whole filtered, sorted result');

      const win = await getJson(server, `${base}/data?${queryString(q, [['offset', '250'], ['limit', '333']])}`);
      t.equal(win.body.total_rows, want.length);
      sameRows(t, win.body.data, want.slice(250, 583), 'offset=250&limit=333');
      const tail = await getJson(server, `${base}/data?${queryString(q, [['offset', String(want.length - 5)], ['limit', '50']])}`);
      sameRows(t, tail.body.data, want.slice(-5), 'a window across the end is clipped');
    });

    t.test('facets vs counting in JS', async (t) => {
      const cases: { filters: Filter[]; columns: string[]; limit?: number }[] = [
        { filters: [], columns: ['city', 'flag', 'qty', 'day', 'price'], limit: 5 },
        { filters: [], columns: ['city', 'flag'] }, // default limit 10
        { filters: [['price', 'gt', '0'], ['day', 'gte', '2020-01-01']], columns: ['city', 'flag', 'qty'], limit: 50 },
        { filters: [['city', 'in', 'Zürich,東京,Kraków']], columns: ['city', 'day'], limit: 3 },
        { filters: [], columns: ['id'], limit: 1000 }, // all ties: ordered by value, as numbers (2 < 10)
        { filters: [['qty', 'gt', '100']], columns: ['city'] }, // nothing kept
      ];
      for (const c of cases) {
        const p = new URLSearchParams(queryString({ filters: c.filters }));
        p.set('columns', c.columns.join(','));
        if (c.limit) p.set('limit', String(c.limit));
        const res = await getJson(server, `${base}/facets?${p}`);
        const rows = REF.filter((r) => c.filters.every((f) => matches(r, f)));
        t.equal(res.status, 200, p.toString());
        t.same(
          res.body,
          { version_id: vid, sheet: 'Sheet1', total_rows: rows.length, facets: c.columns.map((col) => expectedFacet(rows, col, c.limit ?? 10)) },
          `facets ${decodeURIComponent(p.toString())}`,
        );
      }
    });

    t.test('facets of columns named like the answer\'s own fields (count, value)', async (t) => {
      const csv = 'count,value,n\n3,a,1\n3,b,2\n5,a,3\n,a,4\n';
      const up = await upload(server, Buffer.from(csv), 'counts.csv', { name: 'counts' });
      const res = await getJson(server, `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/facets?columns=count,value`);
      t.equal(res.status, 200);
      t.same(res.body.facets, [
        { column: 'count', distinct_count: 2, values: [{ value: 3, count: 2 }, { value: 5, count: 1 }, { value: null, count: 1 }] }, // ties by value, null last
        { column: 'value', distinct_count: 2, values: [{ value: 'a', count: 3 }, { value: 'b', count: 1 }] },
      ]);
    });

    t.test('bad column, operator or value: 400 naming it', async (t) => {
      const cases: [key: string, value: string, patterns: RegExp[]][] = [
        ['filter[nope]eq', '1', [/nope/]],
        ['filter[qty]like', '1', [/like/]],
        ['filter[qty]eq', 'abc', [/qty/, /"abc" is not an integer value/]],
        ['filter[qty]gt', '1.5', [/qty/, /1\.5/]],
        ['filter[day]gt', '2021-02-30', [/day/, /2021-02-30/]],
        ['filter[ts]lt', 'yesterday', [/ts/, /yesterday/]],
        ['filter[flag]eq', 'maybe', [/flag/, /maybe/]],
        ['filter[price]lt', 'cheap', [/price/, /cheap/]],
        ['filter[qty]in', '1,x,3', [/qty/, /"x"/]],
        ['filter[qty]contains', '1', [/qty/, /contains/]],
        ['filter[day]startswith', '2020', [/day/, /startswith/]],
        ['sort', 'nope', [/sort/, /nope/]],
        ['sort', 'id,-nope', [/nope/]],
        ['columns', 'id,nope', [/columns/, /nope/]],
        ['filter[qty]EQ', '1', [/EQ/]], // an operator in capitals is still named
        ['filter[qty]', '1', [/filter\[qty\]/, /no operator/]], // no operator at all
        ['filter[]eq', '1', [/filter\[\]eq/]], // no column
        ['filter[qty]eq', '', [/qty/, /""/]], // no value
      ];
      for (const [key, value, patterns] of cases) {
        const q = `${key}=${value}`;
        const res = await getJson(server, `${base}/data?${new URLSearchParams([[key, value]])}`);
        t.equal(res.status, 400, `${q}: 400`);
        t.equal(res.body?.error_code, 'invalid_request', `${q}: error_code`);
        for (const p of patterns) t.match(res.body?.detail, p, `${q}: detail names ${p} (${res.body?.detail})`);
      }
      const facet = await getJson(server, `${base}/facets?columns=city,nope`);
      t.match(facet, { status: 400, body: { detail: /nope/ } }, 'facets: unknown column');
      const facetOp = await getJson(server, `${base}/facets?columns=city&${encodeURI('filter[qty]between=1')}`);
      t.match(facetOp, { status: 400, body: { detail: /between/ } }, 'facets: unknown operator');
    });

    // -------------------------------------------------------------------------------------------------------
    // SQL
    // -------------------------------------------------------------------------------------------------------

    const count = async (target = base, table = 'data') => (await sql(server, target, { sql: `SELECT count(*) AS n FROM "${table}"` })).body?.data?.[0]?.n;

    t.test('SQL: GROUP BY / ORDER BY vs JS', async (t) => {
      const res = await sql(server, base, {
        sql:
          'SELECT city, count(*) AS n, sum(qty) AS total_qty, min(day) AS first_day, max(price) AS max_price, max(ts) AS last_ts ' +
          'FROM data WHERE city IS NOT NULL AND flag = true GROUP BY city ORDER BY n DESC, city',
      });
      t.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      const groups = new Map<string, Row[]>();
      for (const r of REF) if (r.city !== null && r.flag === true) groups.set(r.city as string, [...(groups.get(r.city as string) ?? []), r]);
      const max = (xs: Value[], type: Type) => xs.filter((x) => x !== null).reduce((a, b) => (compare(a, b, type) >= 0 ? a : b));
      const min = (xs: Value[], type: Type) => xs.filter((x) => x !== null).reduce((a, b) => (compare(a, b, type) <= 0 ? a : b));
      const want = [...groups]
        .map(([city, rows]) => ({
          city,
          n: rows.length,
          total_qty: rows.reduce((s, r) => s + ((r.qty as number) ?? 0), 0),
          first_day: min(rows.map((r) => r.day), 'date'),
          max_price: max(rows.map((r) => r.price), 'float'),
          last_ts: max(rows.map((r) => r.ts), 'datetime'),
        }))
        .sort((a, b) => b.n - a.n || compare(a.city, b.city, 'string'));
      t.equal(res.body.total_rows, CITIES.length);
      t.same(res.body.columns, ['city', 'n', 'total_qty', 'first_day', 'max_price', 'last_ts']);
      t.same(res.body.data, want.slice(0, 100));

      const paged = await sql(server, base, { sql: 'SELECT id, city FROM data WHERE qty > 95 ORDER BY id', page: 2, page_size: 7 });
      const all = REF.filter((r) => r.qty !== null && (r.qty as number) > 95).map((r) => ({ id: r.id, city: r.city }));
      t.match(paged.body, { total_rows: all.length, page: 2, page_size: 7, total_pages: Math.ceil(all.length / 7) });
      t.same(paged.body.data, all.slice(7, 14), 'SQL result paged by page/page_size in the body');

      const arrow = await sql(server, base, { sql: 'SELECT id, day FROM data WHERE price < -450 ORDER BY id' }, 'application/vnd.apache.arrow.stream');
      t.equal(arrow.status, 200);
      const table = A.tableFromIPC(arrow.body as Uint8Array);
      const cheap = REF.filter((r) => r.price !== null && (r.price as number) < -450);
      t.same(
        Array.from(table.getChild('id')!.toArray() as BigInt64Array, Number),
        cheap.map((r) => r.id),
        'SQL as Arrow: the same rows',
      );
    });

    t.test('SQL: self-join of data with its sheet name', async (t) => {
      const res = await sql(server, base, {
        sql: 'SELECT a.id, a.city, b.id AS next_id FROM data a JOIN Sheet1 b ON b.id = a.id + 1 WHERE a.city = b.city ORDER BY a.id',
      });
      t.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      const want: Row[] = [];
      for (let i = 0; i + 1 < REF.length; i++) {
        if (REF[i].city !== null && REF[i].city === REF[i + 1].city) want.push({ id: REF[i].id, city: REF[i].city, next_id: REF[i + 1].id });
      }
      t.ok(want.length > 100, `the join has rows (${want.length})`);
      t.equal(res.body.total_rows, want.length);
      const all = await sql(server, base, {
        sql: 'SELECT a.id, a.city, b.id AS next_id FROM data a JOIN Sheet1 b ON b.id = a.id + 1 WHERE a.city = b.city ORDER BY a.id',
        offset: 0,
        limit: SQL_MAX_ROWS,
      });
      t.same(all.body.data, want);
    });

    t.test('SQL: JOIN of two sheets of an xlsx', async (t) => {
      const x = await upload(server, XLSX, 'multi-sheet.xlsx', { name: 'Workbook' });
      t.equal(x.status, 201);
      const xbase = `/api/datasets/${x.body.dataset.id}/versions/${x.body.version.id}`;
      const [ventes, donnees] = XLSX_EXPECTED;
      const res = await sql(server, xbase, {
        sql: `SELECT v.id, v.client, d.nom FROM "${ventes.name}" v JOIN "${donnees.name}" d ON v.id = d.x ORDER BY v.id`,
      });
      t.equal(res.status, 200, JSON.stringify(res.body).slice(0, 300));
      const col = (s: (typeof XLSX_EXPECTED)[number], name: string) => s.columns.indexOf(name);
      const want = ventes.rows
        .filter((v) => v[col(ventes, 'id')] !== null)
        .flatMap((v) => donnees.rows.filter((d) => d[col(donnees, 'x')] === v[col(ventes, 'id')]).map((d) => ({ id: v[0], client: v[col(ventes, 'client')], nom: d[col(donnees, 'nom')] })))
        .sort((a, b) => (a.id as number) - (b.id as number));
      t.ok(want.length >= 2, 'the fixture has matching rows');
      t.same(res.body.data, want);
      t.equal(await count(xbase), ventes.rows.length, '"data" is the first sheet');
      t.equal(await count(xbase, donnees.name), donnees.rows.length);
    });

    t.test('SQL: refusals, each a 400 that says why; the tables still answer', async (t) => {
      const refusals: [string, RegExp][] = [
        ["SELECT * FROM read_csv('/etc/passwd')", /read_csv/],
        ["SELECT read_parquet('x')", /read_parquet/],
        ["SELECT * FROM data, (SELECT * FROM READ_CSV('/etc/hostname')) t", /READ_CSV/i],
        ['SELECT 1; DROP TABLE data', /single|statements/i],
        ['SELECT * FROM data; SELECT * FROM data', /single|statements/i],
        ['DROP TABLE data', /DROP/],
        ['CREATE TABLE x AS SELECT * FROM data', /CREATE/],
        ['INSERT INTO data (id) VALUES (1)', /INSERT/],
        ['DELETE FROM data', /DELETE/],
        ['SELECT * FROM data WHERE', /pars|syntax|expected/i],
        ['', /empty|sql/i],
        ['SELECT * FROM no_such_table', /no_such_table/],
        ['SELECT * FROM public.data', /schema|public/],
        ['SELECT nope FROM data', /nope/],
      ];
      for (const [q, why] of refusals) {
        const res = await sql(server, base, { sql: q });
        t.equal(res.status, 400, `${JSON.stringify(q)}: 400`);
        t.match(res.body?.detail, why, `${JSON.stringify(q)}: says why (${res.body?.detail})`);
        t.ok(res.body?.error_code, 'has an error_code');
        t.equal(await count(), N, `after ${JSON.stringify(q)}: data still answers with ${N} rows`);
      }
      t.equal(await count(base, 'Sheet1'), N, 'Sheet1 still there after DROP');
    });

    t.test(`SQL: results larger than SQL_MAX_ROWS=${SQL_MAX_ROWS} are refused`, async (t) => {
      const atLimit = await sql(server, base, { sql: `SELECT id FROM data WHERE id <= ${SQL_MAX_ROWS}` });
      t.equal(atLimit.status, 200, 'exactly SQL_MAX_ROWS rows is allowed');
      t.equal(atLimit.body.total_rows, SQL_MAX_ROWS);
      for (const q of [`SELECT id FROM data WHERE id <= ${SQL_MAX_ROWS + 1}`, 'SELECT * FROM data', 'SELECT a.id FROM data a CROSS JOIN Sheet1 b']) {
        const res = await sql(server, base, { sql: q });
        t.equal(res.status, 400, `${q}: 400`);
        t.match(res.body?.detail, new RegExp(`${SQL_MAX_ROWS}.*SQL_MAX_ROWS|SQL_MAX_ROWS.*${SQL_MAX_ROWS}`), `${q}: names the limit (${res.body?.detail})`);
      }
      t.equal(await count(), N, 'still answers');
    });

    t.test('SQL: nothing outside the version is reachable', async (t) => {
      // A second version of the same dataset (its sheet is also "Sheet1") and another dataset (the xlsx).
      const v2 = await upload(server, CSV_V2, 'orders-v2.csv', { dataset_id: String(dsId) });
      t.equal(v2.status, 201);
      const base2 = `/api/datasets/${dsId}/versions/${v2.body.version.id}`;
      t.equal(await count(base), N, 'version 1 sees its own data');
      t.equal(await count(base, 'Sheet1'), N, 'version 1 sees its own Sheet1');
      t.equal(await count(base2), 37, 'version 2 sees its own data');
      t.equal(await count(base2, 'Sheet1'), 37);

      const x = await upload(server, XLSX, 'other.xlsx', { name: 'Other' });
      const xbase = `/api/datasets/${x.body.dataset.id}/versions/${x.body.version.id}`;
      const [ventes, donnees] = XLSX_EXPECTED;
      const attempts: [string, string, RegExp][] = [
        [base, `SELECT * FROM "${ventes.name}"`, new RegExp(ventes.name)],
        [base, `SELECT * FROM data WHERE id IN (SELECT x FROM "${donnees.name}")`, new RegExp(donnees.name)],
        [base, `SELECT id FROM data UNION ALL SELECT x FROM "${donnees.name}"`, new RegExp(donnees.name)],
        [base, `SELECT (SELECT count(*) FROM "${donnees.name}") AS n FROM data`, new RegExp(donnees.name)],
        [base, `WITH "${donnees.name}" AS (SELECT * FROM "${donnees.name}") SELECT * FROM "${donnees.name}"`, new RegExp(donnees.name)],
        [xbase, 'SELECT * FROM Sheet1', /Sheet1/],
        [base2, `SELECT * FROM "${ventes.name}"`, new RegExp(ventes.name)],
      ];
      if (backend === 'local') {
        // Every stored Parquet file, by path: not one is readable through SQL (not even this version's own).
        const dir = join(server.dataDir, 'versions');
        const files = readdirSync(dir).flatMap((v) => readdirSync(join(dir, v)).filter((f) => f.endsWith('.parquet')).map((f) => join(dir, v, f)));
        t.ok(files.length >= 4 && files.every((f) => statSync(f).size > 0), `${files.length} stored Parquet files`);
        for (const f of files) {
          attempts.push([base, `SELECT * FROM '${f}'`, /not part of this version|not allowed/]);
          attempts.push([base, `SELECT * FROM read_parquet('${f}')`, /read_parquet/]);
          attempts.push([base, `SELECT * FROM "${f}"`, /not part of this version|not allowed/]);
        }
      }
      for (const [target, q, why] of attempts) {
        const res = await sql(server, target, { sql: q });
        t.equal(res.status, 400, `${q}: 400`);
        t.match(res.body?.detail, why, `${q}: says why (${res.body?.detail})`);
      }
      t.equal(await count(base), N, 'still answers');
      t.equal(await count(xbase), ventes.rows.length, 'the other dataset is untouched');
    });
  });
}
