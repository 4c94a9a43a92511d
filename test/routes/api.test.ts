/**
 * Every endpoint of the contract, on both backends and both catalogs, against a real server: datasets, versions, sheets,
 * schema, data paging, statistics, download, PATCH/DELETE, tags, health and the error shape.
 */
import t from 'tap';
import { SETUPS, getJson, startServer, upload } from '../support/server.js';

const CSV_V1 = 'city,population,founded,coastal\nLyon,522250,-43-01-01,false\nNice,342669,,true\nBrest,139602,1593-01-01,true\n';
const CSV_V2 = 'city;population\nLyon;522969\nNice;348085\nBrest;139926\nParis;2102650\n';

for (const { backend, catalog, name } of SETUPS) {
  t.test(name, async (t) => {
    const server = await startServer(t, { backend, catalog });

    const first = await upload(server, CSV_V1, 'cities.csv', { name: 'Cities', description: 'French cities', tags: '["geo","france"]' });
    t.equal(first.status, 201, 'upload creates a dataset');
    const ds = first.body.dataset;
    t.match(first.body, {
      dataset: { name: 'Cities', description: 'French cities', tags: ['geo', 'france'], current_version: 1, version_count: 1, file_size: CSV_V1.length },
      version: { dataset_id: ds.id, version_number: 1, file_name: 'cities.csv', file_type: 'csv', file_size: CSV_V1.length, row_count: 3 },
      sheets: [{ name: 'Sheet1', row_count: 3, column_count: 4 }],
    });
    t.match(ds.created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'ISO 8601 UTC timestamps');
    const v1 = first.body.version.id;

    const second = await upload(server, CSV_V2, 'cities-2025.csv', { dataset_id: String(ds.id) });
    t.equal(second.status, 201, 'upload with dataset_id adds a version');
    t.equal(second.body.version.version_number, 2);
    t.equal(second.body.dataset.current_version, 2);
    const v2 = second.body.version.id;

    const other = await upload(server, 'x,y\n1,2\n', 'other.csv', { name: 'Other dataset', tags: 'misc, geo' });
    t.equal(other.status, 201);
    t.same(other.body.dataset.tags, ['misc', 'geo'], 'comma-separated tags');

    t.test('listing, filtering, sorting, tags', async (t) => {
      const all = await getJson(server, '/api/datasets');
      t.equal(all.status, 200);
      t.equal(all.headers.get('x-total-count'), '2');
      t.same(all.body.map((d: any) => d.name), ['Other dataset', 'Cities'], 'newest first by default');
      const byName = await getJson(server, '/api/datasets?name=CIT');
      t.same(byName.body.map((d: any) => d.name), ['Cities'], 'name is a case-insensitive substring');
      const byTags = await getJson(server, '/api/datasets?tags=geo&tags=france');
      t.same(byTags.body.map((d: any) => d.name), ['Cities'], 'all tags must match');
      const sorted = await getJson(server, '/api/datasets?sort_by=name&sort_order=asc&limit=1&offset=1');
      t.same(sorted.body.map((d: any) => d.name), ['Other dataset']);
      t.equal(sorted.headers.get('x-total-count'), '2');
      const tags = await getJson(server, '/api/datasets/tags');
      t.same(tags.body, [{ name: 'geo', count: 2 }, { name: 'france', count: 1 }, { name: 'misc', count: 1 }]);
      const bad = await getJson(server, '/api/datasets?limit=500');
      t.equal(bad.status, 400);
      t.match(bad.body, { error_code: 'invalid_request', detail: /limit/ });
      const badSort = await getJson(server, '/api/datasets?sort_by=color');
      t.equal(badSort.status, 400);
      t.match(badSort.body.detail, 'querystring.sort_by must be one of: name, created_at, updated_at, file_size, current_version', 'names what is allowed');
    });

    t.test('dataset and versions', async (t) => {
      const got = await getJson(server, `/api/datasets/${ds.id}`);
      t.equal(got.status, 200);
      t.same(got.body.versions.map((v: any) => v.version_number), [2, 1], 'versions newest first');
      t.notOk('storage_key' in got.body.versions[0], 'internal fields are not exposed');
      const versions = await getJson(server, `/api/datasets/${ds.id}/versions`);
      t.same(versions.body.map((v: any) => v.id), [v2, v1]);
      const latest = await getJson(server, `/api/datasets/${ds.id}/versions/latest`);
      t.equal(latest.body.id, v2);
      const one = await getJson(server, `/api/datasets/${ds.id}/versions/${v1}`);
      t.match(one.body, { id: v1, version_number: 1, sheets: [{ name: 'Sheet1', row_count: 3, column_count: 4 }] });
      const sheets = await getJson(server, `/api/datasets/${ds.id}/versions/${v2}/sheets`);
      t.same(sheets.body[0].columns.map((c: any) => [c.name, c.type]), [['city', 'string'], ['population', 'integer']], 'semicolon CSV detected');
      const missing = await getJson(server, `/api/datasets/${ds.id}/versions/999999`);
      t.equal(missing.status, 404);
      t.equal(missing.body.error_code, 'version_not_found');
      const noDataset = await getJson(server, '/api/datasets/999999');
      t.match(noDataset, { status: 404, body: { error_code: 'dataset_not_found' } });
      const wrongParent = await getJson(server, `/api/datasets/${other.body.dataset.id}/versions/${v1}`);
      t.equal(wrongParent.status, 404, 'a version is only found under its own dataset');
    });

    t.test('data, schema, statistics', async (t) => {
      const data = await getJson(server, `/api/datasets/${ds.id}/versions/${v1}/data`);
      t.equal(data.status, 200);
      t.same(data.body, {
        data: [
          { city: 'Lyon', population: 522250, founded: '-43-01-01', coastal: false },
          { city: 'Nice', population: 342669, founded: null, coastal: true },
          { city: 'Brest', population: 139602, founded: '1593-01-01', coastal: true },
        ],
        columns: ['city', 'population', 'founded', 'coastal'],
        total_rows: 3,
        page: 1,
        page_size: 100,
        total_pages: 1,
      });
      const page2 = await getJson(server, `/api/datasets/${ds.id}/versions/${v2}/data?page=2&page_size=3`);
      t.same(page2.body.data, [{ city: 'Paris', population: 2102650 }]);
      t.match(page2.body, { total_rows: 4, page: 2, page_size: 3, total_pages: 2 });
      const byOffset = await getJson(server, `/api/datasets/${ds.id}/versions/${v2}/data?offset=1&limit=2`);
      t.same(byOffset.body.data.map((r: any) => r.city), ['Nice', 'Brest']);
      const past = await getJson(server, `/api/datasets/${ds.id}/versions/${v2}/data?page=9`);
      t.same(past.body.data, [], 'a page past the end is empty, not an error');
      const tooBig = await getJson(server, `/api/datasets/${ds.id}/versions/${v2}/data?page_size=1001`);
      t.match(tooBig, { status: 400, body: { error_code: 'invalid_request', detail: /1000/ } });
      const typo = await getJson(server, `/api/datasets/${ds.id}/versions/${v2}/data?pagesize=2`);
      t.match(typo, { status: 400, body: { error_code: 'invalid_request', detail: /^unknown query parameter "pagesize"; allowed: .*\bpage_size\b.*filter\[column\]op/ } });
      const mixed = await getJson(server, `/api/datasets/${ds.id}/versions/${v2}/data?page=1&offset=2`);
      t.equal(mixed.status, 400);
      const noSheet = await getJson(server, `/api/datasets/${ds.id}/versions/${v2}/data?sheet=Nope`);
      t.match(noSheet, { status: 404, body: { error_code: 'sheet_not_found', detail: /Sheet1/ } });

      const schema = await getJson(server, `/api/datasets/${ds.id}/versions/${v1}/schema`);
      t.same(schema.body, {
        version_id: v1,
        sheet: 'Sheet1',
        columns: [
          { name: 'city', type: 'string', dtype: 'String', nullable: false },
          { name: 'population', type: 'integer', dtype: 'Int64', nullable: false },
          { name: 'founded', type: 'string', dtype: 'String', nullable: true },
          { name: 'coastal', type: 'boolean', dtype: 'Boolean', nullable: false },
        ],
      });

      const stats = await getJson(server, `/api/datasets/${ds.id}/versions/${v1}/statistics`);
      t.equal(stats.status, 200);
      t.match(stats.body, { dataset_id: ds.id, version_id: v1, sheet: 'Sheet1', total_rows: 3, total_columns: 4, file_size: CSV_V1.length });
      const pop = stats.body.columns.find((c: any) => c.column_name === 'population');
      t.same(pop, {
        column_name: 'population', data_type: 'integer', null_count: 0, unique_count: 3,
        min: 139602, max: 522250, mean: (522250 + 342669 + 139602) / 3, median: 342669,
        std_dev: stdDev([522250, 342669, 139602]),
      });
      const city = stats.body.columns.find((c: any) => c.column_name === 'city');
      t.same([city.min, city.max, city.mean, city.median, city.std_dev], ['Brest', 'Nice', null, null, null], 'string columns: no mean');
      const again = await getJson(server, `/api/datasets/${ds.id}/versions/${v1}/statistics`);
      t.equal(again.body.computed_at, stats.body.computed_at, 'statistics are cached');
      const latestStats = await getJson(server, `/api/datasets/${ds.id}/statistics`);
      t.equal(latestStats.body.version_id, v2, 'dataset statistics are the latest version\'s');

      const detailed = await getJson(server, `/api/datasets/${ds.id}/versions/${v1}/statistics/refresh?detailed=true`, { method: 'POST' });
      t.equal(detailed.status, 200);
      const dpop = detailed.body.columns.find((c: any) => c.column_name === 'population');
      t.same(Object.keys(dpop.quantiles), ['p5', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95']);
      t.equal(dpop.quantiles.p50, 342669);
      t.equal(dpop.histogram.counts.reduce((a: number, b: number) => a + b, 0), 3, 'histogram counts every value');
      t.equal(dpop.histogram.bin_edges.length, dpop.histogram.counts.length + 1);
      const dcity = detailed.body.columns.find((c: any) => c.column_name === 'coastal');
      t.same(dcity.top_values, [{ value: true, count: 2 }, { value: false, count: 1 }]);
    });

    t.test('download returns the uploaded bytes and name', async (t) => {
      const res = await fetch(`${server.url}/api/datasets/${ds.id}/versions/${v2}/download`);
      t.equal(res.status, 200);
      t.equal(await res.text(), CSV_V2);
      t.match(res.headers.get('content-disposition'), /filename="cities-2025\.csv"/);
    });

    t.test('patch and delete', async (t) => {
      const patched = await getJson(server, `/api/datasets/${ds.id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Villes', tags: ['geo'] }),
      });
      t.match(patched.body, { name: 'Villes', description: 'French cities', tags: ['geo'] });
      const badJson = await getJson(server, `/api/datasets/${ds.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"name":' });
      t.match(badJson, { status: 400, body: { error_code: 'invalid_request' } });
      const unknownField = await getJson(server, `/api/datasets/${ds.id}`, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"colour":"red"}' });
      t.equal(unknownField.status, 400);

      const delV2 = await fetch(`${server.url}/api/datasets/${ds.id}/versions/${v2}`, { method: 'DELETE' });
      t.equal(delV2.status, 204);
      const after = await getJson(server, `/api/datasets/${ds.id}`);
      t.match(after.body, { current_version: 1, version_count: 1 });
      const gone = await getJson(server, `/api/datasets/${ds.id}/versions/${v2}/data`);
      t.equal(gone.status, 404);
      const v3 = await upload(server, CSV_V2, 'again.csv', { dataset_id: String(ds.id) });
      t.equal(v3.body.version.version_number, 3, 'version numbers are never reused');

      const delDs = await fetch(`${server.url}/api/datasets/${ds.id}`, { method: 'DELETE' });
      t.equal(delDs.status, 204);
      t.equal((await getJson(server, `/api/datasets/${ds.id}`)).status, 404);
      t.equal((await getJson(server, `/api/datasets/${ds.id}/versions/${v1}/data`)).status, 404);
      t.equal((await fetch(`${server.url}/api/datasets/${ds.id}`, { method: 'DELETE' })).status, 404);
    });

    t.test('health', async (t) => {
      const health = await getJson(server, '/health');
      t.match(health.body, { status: 'ok', storage_backend: backend, datasets: 1, uptime_s: Number });
      t.equal(health.body.workers.count, 2);
    });

    if (backend === 'memory') {
      t.test('deleting frees the shard memory /health reports', async (t) => {
        const shardBytes = async () => (await getJson(server, '/health')).body.workers.shards.map((s: any) => s.bytes);
        const total = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
        const before = await shardBytes();
        const big = 'n,s\n' + Array.from({ length: 20_000 }, (_, i) => `${i},row ${i}`).join('\n') + '\n';
        const up = await upload(server, big, 'big.csv', { name: 'big' });
        const during = (await getJson(server, '/health')).body.workers.shards;
        t.ok(total(during.map((s: any) => s.bytes)) > total(before) + 100_000, 'the loaded version is counted');
        t.equal(during.filter((s: any) => s.versions > 0 && s.datasets > 0).length >= 1, true);
        await fetch(`${server.url}/api/datasets/${up.body.dataset.id}`, { method: 'DELETE' });
        t.same(await shardBytes(), before, 'bytes back where they were after the delete');
      });
    }

    t.test('errors have the contract shape', async (t) => {
      const noRoute = await getJson(server, '/api/nope');
      t.match(noRoute.body, { detail: String, error_code: 'route_not_found', timestamp: /Z$/ });
      const noName = await upload(server, 'a\n1\n', 'a.csv', {});
      t.match(noName, { status: 400, body: { error_code: 'invalid_request', detail: /name is required/ } });
      const badDataset = await upload(server, 'a\n1\n', 'a.csv', { dataset_id: '424242' });
      t.match(badDataset, { status: 404, body: { error_code: 'dataset_not_found' } });
      const notNumber = await upload(server, 'a\n1\n', 'a.csv', { dataset_id: 'abc' });
      t.equal(notNumber.status, 400);
      const badTags = await upload(server, 'a\n1\n', 'a.csv', { name: 'x', tags: '[1,2' });
      t.match(badTags, { status: 400, body: { detail: /tags/ } });
      const notMultipart = await getJson(server, '/api/datasets/upload', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      t.equal(notMultipart.status, 400);
      const list = await getJson(server, '/api/datasets');
      t.equal(list.headers.get('x-total-count'), '1', 'failed uploads stored nothing');
    });
  });
}

function stdDev(xs: number[]): number {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
}
