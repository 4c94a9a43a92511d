/**
 * Cached query results, on both backends, with the cache off (CACHE_BYTES=0) and with a budget small enough
 * that results are evicted while the test runs:
 * - pages of randomized filters / sorts / projections (seeded) equal the independent computation (plain
 *   JavaScript over csv-parse's reading of the same CSV, test/support/reference-query.ts: the service's sort is
 *   stable, nulls last, so ties keep file order), every page of each query, in a shuffled order interleaved
 *   across queries, several at a time — so later pages are slices of a cached result, or recomputed after an
 *   eviction; equivalent requests (filters in another order) answer the same;
 * - a whole export of a filtered, sorted view (the export path takes the cached result) equals it too;
 * - facets and SQL answers are equal before and after they are cached;
 * - a new version of the dataset never serves the older version's results, and the older one still its own;
 * - a delete answers 404 afterwards and drops every cached entry (/health: the data workers' caches, the SQL
 *   answers).
 */
import t, { type Test } from 'tap';
import { prng } from '../../support/prng.js';
import { BACKENDS, getJson, startServer, upload, type Server } from '../../support/server.js';
import { settledHealth } from '../../support/health.js';
import {
  CITIES,
  COLUMNS,
  TYPES,
  compare,
  expectedFacet,
  expectedRows,
  generateCsv,
  matches,
  queryString,
  readReference,
  sameRows,
  type Filter,
  type Row,
} from '../../support/reference-query.js';

const N = 3000;
const CSV = generateCsv(N, 20261130);
const REF = readReference(CSV);
const CSV_V2 = generateCsv(1200, 4242);
const REF_V2 = readReference(CSV_V2);

interface Query {
  filters: Filter[];
  sort?: string[];
  columns?: string[];
}

const OPS: Record<string, string[]> = {
  integer: ['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'is_null', 'not_null'],
  float: ['eq', 'lt', 'gt', 'gte', 'in', 'is_null', 'not_null'],
  date: ['eq', 'ne', 'lt', 'gte', 'in', 'is_null'],
  datetime: ['lt', 'gt', 'lte', 'not_null'],
  string: ['eq', 'ne', 'lt', 'gt', 'in', 'contains', 'startswith', 'is_null'],
  boolean: ['eq', 'ne', 'is_null'],
};

/** A random filter whose values occur in the file (so most filters keep some rows). */
function randomFilter(rnd: () => number, rows: Row[]): Filter {
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const column = pick(COLUMNS);
  const type = TYPES[column];
  const op = pick(OPS[type]);
  const values = rows.map((r) => r[column]).filter((v) => v !== null);
  const text = (v: unknown) => String(v);
  if (op === 'is_null' || op === 'not_null') return [column, op, ''];
  if (op === 'in') {
    // `in` lists are split at commas: no city holding one.
    const plain = values.filter((v) => !String(v).includes(','));
    return [column, op, [pick(plain), pick(plain), pick(plain)].map(text).join(',')];
  }
  if (op === 'contains' || op === 'startswith') {
    const city = pick(CITIES);
    const from = op === 'startswith' ? 0 : Math.floor(rnd() * (city.length - 1));
    return [column, op, city.slice(from, from + 1 + Math.floor(rnd() * 3))];
  }
  return [column, op, text(pick(values))];
}

/** Filters, a sort and a projection, each drawn at random; at least a filter or a sort key. */
function randomQuery(rnd: () => number, rows: Row[]): Query {
  const filters = Array.from({ length: Math.floor(rnd() * 3) }, () => randomFilter(rnd, rows));
  const sort = Array.from({ length: filters.length === 0 ? 1 + Math.floor(rnd() * 3) : Math.floor(rnd() * 4) }, () => {
    const c = COLUMNS[Math.floor(rnd() * COLUMNS.length)];
    return rnd() < 0.5 ? `-${c}` : c;
  });
  const columns = rnd() < 0.5 ? COLUMNS.filter(() => rnd() < 0.5).sort(() => rnd() - 0.5) : undefined;
  return { filters, sort: sort.length ? sort : undefined, columns: columns?.length ? columns : undefined };
}

function shuffle<T>(xs: T[], rnd: () => number): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/** Runs `jobs` with at most `width` at a time. */
async function inParallel(jobs: (() => Promise<void>)[], width: number): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) await jobs[next++]();
  }));
}

/**
 * Every page of each query (page sizes 40, 100 or 250, and one page past the end) in one shuffled order,
 * four requests at a time, each checked against `ref`; the mismatches are reported, the first few in full.
 */
async function checkPages(t: Test, server: Server, base: string, queries: Query[], ref: Row[], rnd: () => number): Promise<void> {
  const jobs: (() => Promise<void>)[] = [];
  const wrong: string[] = [];
  let pages = 0;
  for (const q of queries) {
    const want = expectedRows(ref, q);
    const size = [40, 100, 250][Math.floor(rnd() * 3)];
    const last = Math.ceil(want.length / size) + 1;
    for (let page = 1; page <= last; page++) {
      jobs.push(async () => {
        const path = `${base}/data?${queryString(q, [['page', String(page)], ['page_size', String(size)]])}`;
        const res = await getJson(server, path);
        pages++;
        const slice = want.slice((page - 1) * size, page * size);
        const ok =
          res.status === 200 &&
          res.body.total_rows === want.length &&
          res.headers.get('x-total-rows') === String(want.length) &&
          JSON.stringify(res.body.data) === JSON.stringify(slice);
        if (!ok) wrong.push(`${path}: ${res.status} total ${res.body?.total_rows} (want ${want.length}) ${JSON.stringify(res.body?.data?.[0] ?? res.body)} (want ${JSON.stringify(slice[0])})`);
      });
    }
  }
  await inParallel(shuffle(jobs, rnd), 4);
  t.same(wrong.slice(0, 3), [], `${pages} pages of ${queries.length} queries equal the independent computation (${wrong.length} differ)`);
}

async function sql(server: Server, base: string, text: string) {
  return getJson(server, `${base}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: text }) });
}

interface CacheFigures {
  entries: number;
  bytes: number;
  evictions: number;
  hits: number;
}

/** The data workers' cache figures summed, and the SQL answers', from /health. */
async function caches(server: Server): Promise<{ workers: CacheFigures; sql: CacheFigures }> {
  const body = await settledHealth(server);
  const sum = (cs: CacheFigures[]) =>
    cs.reduce((a, c) => ({ entries: a.entries + c.entries, bytes: a.bytes + c.bytes, evictions: a.evictions + c.evictions, hits: a.hits + c.hits }), {
      entries: 0,
      bytes: 0,
      evictions: 0,
      hits: 0,
    });
  return { workers: sum(body.workers.data.map((w: { cache: CacheFigures }) => w.cache)), sql: sum([body.sql_answers]) };
}

/** SQL over the reference: rows per city among those with qty above `min`, by city in code point order. */
function expectedCityCounts(ref: Row[], min: number) {
  const counts = new Map<string, number>();
  for (const r of ref) if (r.city !== null && r.qty !== null && (r.qty as number) > min) counts.set(r.city as string, (counts.get(r.city as string) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => compare(a, b, 'string')).map(([city, n]) => ({ city, n }));
}

// Small enough that the results of one run do not all fit (each worker gets about 190 kB), so entries are evicted
// and recomputed while pages are checked; large enough to hold several.
const SMALL_BUDGET = '400000';

for (const backend of BACKENDS) {
  for (const budget of ['0', SMALL_BUDGET]) {
    t.test(`${backend} backend, CACHE_BYTES=${budget}`, async (t) => {
      const server = await startServer(t, { backend, env: { CACHE_BYTES: budget } });
      const cached = budget !== '0';
      const rnd = prng(backend === 'local' ? 11 : 12);
      const up = await upload(server, CSV, 'cached.csv');
      t.equal(up.status, 201, 'uploaded');
      const dataset = up.body.dataset.id;
      const v1 = `/api/datasets/${dataset}/versions/${up.body.version.id}`;

      const queries = Array.from({ length: 10 }, () => randomQuery(rnd, REF));
      // The same filters in another order: the same result (and, normalized, the same cache entry).
      const twins = queries.filter((q) => q.filters.length > 1).map((q) => ({ ...q, filters: [...q.filters].reverse() }));
      // Ties: sorting by a few-valued column alone keeps file order within each value.
      queries.push({ filters: [], sort: ['flag'] }, { filters: [['flag', 'not_null', '']], sort: ['-city'], columns: ['city', 'id'] });
      await t.test('pages of random queries, in random order, twice over', async (t) => {
        await checkPages(t, server, v1, [...queries, ...twins], REF, rnd);
        await checkPages(t, server, v1, queries.slice(0, 6), REF, rnd);
        const figures = await caches(server);
        if (cached) {
          t.ok(figures.workers.hits > 0, `pages were answered from cached results (${figures.workers.hits} hits)`);
          t.ok(figures.workers.evictions > 0, `results were evicted to stay within the budget (${figures.workers.evictions})`);
        } else {
          t.same([figures.workers.entries, figures.workers.bytes], [0, 0], 'CACHE_BYTES=0 keeps nothing');
        }
      });

      await t.test('a whole export of a filtered, sorted view equals its pages', async (t) => {
        for (const q of queries.slice(0, 4)) {
          const res = await fetch(`${server.url}${v1}/data?${queryString(q, [['format', 'ndjson']])}`);
          t.equal(res.status, 200, queryString(q));
          const lines = (await res.text()).split('\n').filter((l) => l !== '');
          sameRows(t, lines.map((l) => JSON.parse(l)), expectedRows(REF, q), `export ${queryString(q)}`);
        }
      });

      await t.test('facets and SQL answers are the same before and after they are cached', async (t) => {
        for (let i = 0; i < 3; i++) {
          const filters = [randomFilter(rnd, REF)];
          const columns = ['city', 'flag', 'qty'];
          const kept = REF.filter((r) => filters.every((f) => matches(r, f)));
          const want = { total_rows: kept.length, facets: columns.map((c) => expectedFacet(kept, c, 5)) };
          for (const round of ['first', 'second']) {
            const res = await getJson(server, `${v1}/facets?${queryString({ filters }, [['columns', columns.join(',')], ['limit', '5']])}`);
            t.same({ total_rows: res.body.total_rows, facets: res.body.facets }, want, `facets of ${JSON.stringify(filters)}, ${round} time`);
          }
        }
        const before = (await caches(server)).sql;
        for (const min of [-50, 0, 60]) {
          const text = `SELECT city, COUNT(*) AS n FROM data WHERE qty > ${min} AND city IS NOT NULL GROUP BY city ORDER BY city`;
          for (const round of ['first', 'second']) {
            const res = await sql(server, v1, text);
            t.same(res.body.data, expectedCityCounts(REF, min), `SQL with qty > ${min}, ${round} time`);
          }
        }
        const after = (await caches(server)).sql;
        t.equal(after.hits - before.hits, cached ? 3 : 0, cached ? 'each repeated SQL query was answered as kept' : 'no SQL answer kept');
      });

      const v2up = await upload(server, CSV_V2, 'cached-v2.csv', { dataset_id: String(dataset) });
      t.equal(v2up.status, 201, 'a new version uploaded');
      const v2 = `/api/datasets/${dataset}/versions/${v2up.body.version.id}`;

      await t.test('a new version never serves the older version\'s results', async (t) => {
        // Queries drawn from v1's values, asked of both versions: each answers its own rows.
        const some = queries.slice(0, 6);
        await checkPages(t, server, v2, some, REF_V2, rnd);
        await checkPages(t, server, v1, some, REF, rnd);
        const text = 'SELECT city, COUNT(*) AS n FROM data WHERE qty > 0 AND city IS NOT NULL GROUP BY city ORDER BY city';
        t.same((await sql(server, v2, text)).body.data, expectedCityCounts(REF_V2, 0), 'SQL over the new version');
        const facets = await getJson(server, `${v2}/facets?columns=city&limit=5`);
        t.same(facets.body.facets, [expectedFacet(REF_V2, 'city', 5)], 'facets of the new version');
      });

      await t.test('a delete answers 404 and drops every cached entry', async (t) => {
        const q = queries[0];
        const before = await caches(server);
        if (cached) t.ok(before.workers.entries > 0 && before.sql.entries > 0, `entries cached before the delete (${before.workers.entries} results, ${before.sql.entries} SQL answers)`);
        t.equal((await fetch(`${server.url}${v1}`, { method: 'DELETE' })).status, 204, 'version 1 deleted');
        t.equal((await getJson(server, `${v1}/data?${queryString(q)}`)).status, 404, 'its query pages are 404');
        t.equal((await getJson(server, `${v1}/facets?columns=city`)).status, 404, 'its facets are 404');
        t.equal((await sql(server, v1, 'SELECT COUNT(*) AS n FROM data')).status, 404, 'its SQL is 404');
        await checkPages(t, server, v2, [q], REF_V2, rnd);
        t.equal((await fetch(`${server.url}/api/datasets/${dataset}`, { method: 'DELETE' })).status, 204, 'the dataset deleted');
        const after = await caches(server);
        t.same(
          { worker_entries: after.workers.entries, worker_bytes: after.workers.bytes, sql_entries: after.sql.entries, sql_bytes: after.sql.bytes },
          { worker_entries: 0, worker_bytes: 0, sql_entries: 0, sql_bytes: 0 },
          'nothing of the deleted versions stays cached',
        );
      });
    });
  }
}
