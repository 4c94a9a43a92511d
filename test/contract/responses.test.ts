/**
 * Real answers keep the served contract: every operation of `/docs/json` is called against a real server, on both
 * backends, and each answer is checked against the document (not the routes' own schema objects): its status is
 * declared, its Content-Type is among the declared media types, a JSON body matches the schema declared for that
 * status and media type, required headers are there, and the headers clients rely on (X-Total-Count,
 * X-Total-Rows, Content-Disposition, Retry-After) are declared where they are sent. Every operation of the
 * document must be exercised here, so a route added without a call below fails.
 *
 * Each call asserts the status it meant to provoke (so a check is never run on an accidental answer), then
 * `METHOD /path → status (case): keeps the contract`, listing what does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SETUPS, ROOT, startServer, type Server } from '../support/server.js';
import { ContractValidator, checkAnswer, fetchDocument, operations, type Operation } from './support/contract.js';

const CSV = readFileSync(join(ROOT, 'test/fixtures/contract/seattle-weather-2012-01.csv'));
const XLSX = readFileSync(join(ROOT, 'test/fixtures/multi-sheet.xlsx'));
const XLSX_SECOND_SHEET = 'Données';

const ARROW_STREAM = 'application/vnd.apache.arrow.stream';
const ARROW_FILE = 'application/vnd.apache.arrow.file';
const XLSX_MEDIA = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

interface Call {
  /** What this call is about, for the assertion's name. */
  as: string;
  params?: Record<string, string | number>;
  query?: Record<string, string | number | boolean | string[]>;
  headers?: Record<string, string>;
  json?: unknown;
  form?: { file?: { bytes: Uint8Array; name: string }; fields?: Record<string, string> };
  body?: string;
  /** The status this call is meant to provoke. */
  expect: number;
}

interface Result {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json(): any;
}

function queryString(query: Call['query']): string {
  if (!query) return '';
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const one of Array.isArray(v) ? v : [v]) qs.append(k, String(one));
  return `?${qs}`;
}

t.test('the checker itself: a wrong body, an undeclared status and an undeclared media type are reported', async (t) => {
  // A hand-made document, so this holds whatever the service declares.
  const doc = {
    openapi: '3.0.3',
    info: { title: 'probe', version: '1' },
    paths: {
      '/x': {
        get: {
          responses: {
            '200': {
              description: 'ok',
              headers: { 'X-Total-Count': { schema: { type: 'integer' }, required: true } },
              content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } },
            },
          },
        },
      },
    },
    components: { schemas: { Thing: { type: 'object', required: ['id'], properties: { id: { type: 'integer' }, note: { type: 'string', nullable: true } } } } },
  };
  const v = new ContractValidator(doc);
  const op = operations(doc)[0]!;
  const answer = (status: number, type: string, body: unknown, headers: Record<string, string> = { 'x-total-count': '1' }) => ({
    status,
    headers: new Headers({ 'content-type': type, ...headers }),
    bytes: Buffer.from(JSON.stringify(body)),
  });
  t.same(checkAnswer(v, op, answer(200, 'application/json; charset=utf-8', { id: 1, note: null })), [], 'a conforming answer passes');
  t.match(checkAnswer(v, op, answer(200, 'application/json', { id: '1' })), [/body: \/id must be integer/], 'a wrong type in the body');
  t.match(checkAnswer(v, op, answer(200, 'application/json', { note: 'x' })), [/must have required property 'id'/], 'a missing field');
  t.match(checkAnswer(v, op, answer(404, 'application/json', {})), [/status 404 is not declared/], 'an undeclared status');
  t.match(checkAnswer(v, op, answer(200, 'text/csv', 'a')), [/Content-Type text\/csv is not declared/], 'an undeclared media type');
  t.match(checkAnswer(v, op, answer(200, 'application/json', { id: 1 }, {})), [/required header x-total-count is missing/], 'a missing required header');
  t.match(
    checkAnswer(v, op, answer(200, 'application/json', { id: 1 }, { 'x-total-count': '1', 'x-total-rows': '5' })),
    [/header x-total-rows is sent but not declared/],
    'a contract header sent but not declared',
  );

  // The same document as OpenAPI 3.1 (JSON Schema 2020-12: null as a type, not `nullable`).
  const doc31 = structuredClone(doc) as any;
  doc31.openapi = '3.1.0';
  doc31.components.schemas.Thing.properties.note = { type: ['string', 'null'] };
  const v31 = new ContractValidator(doc31);
  const op31 = operations(doc31)[0]!;
  t.same(checkAnswer(v31, op31, answer(200, 'application/json', { id: 1, note: null })), [], '3.1: a conforming answer passes');
  t.match(checkAnswer(v31, op31, answer(200, 'application/json', { id: 1, note: 5 })), [/body: \/note must be string,null/], '3.1: a wrong type');
});

for (const { backend, catalog, name } of SETUPS) {
  t.test(`${name}: every operation answers as the document says`, async (t) => {
    const server: Server = await startServer(t, { backend, catalog });
    const doc = await fetchDocument(server);
    const validator = new ContractValidator(doc);
    const declared = new Map<string, Operation>(operations(doc).map((o) => [o.key, o]));
    const exercised = new Set<string>();

    /** Calls one operation by its document key (`GET /api/datasets/{id}`), checks the answer against the document. */
    async function call(key: string, c: Call): Promise<Result> {
      exercised.add(key);
      const [method, template] = key.split(' ') as [string, string];
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        if (c.params?.[name] === undefined) throw new Error(`${key}: no value for {${name}}`);
        return encodeURIComponent(String(c.params[name]));
      });
      const headers: Record<string, string> = { ...c.headers };
      let body: BodyInit | undefined = c.body;
      if (c.json !== undefined) {
        headers['content-type'] ??= 'application/json';
        body = JSON.stringify(c.json);
      }
      if (c.form) {
        const form = new FormData();
        for (const [k, v] of Object.entries(c.form.fields ?? {})) form.set(k, v);
        if (c.form.file) form.set('file', new Blob([c.form.file.bytes]), c.form.file.name);
        body = form;
      }
      const res = await fetch(`${server.url}${path}${queryString(c.query)}`, { method, headers, body });
      const bytes = Buffer.from(await res.arrayBuffer());
      const result: Result = { status: res.status, headers: res.headers, bytes, json: () => JSON.parse(bytes.toString('utf8')) };
      const name = `${key} → ${res.status} (${c.as})`;
      t.equal(res.status, c.expect, `${key} (${c.as}): answers ${c.expect}`, res.status === c.expect ? {} : { body: bytes.toString('utf8').slice(0, 500) });
      const operation = declared.get(key);
      if (!operation) t.fail(`${key} is not in the document`);
      else t.same(checkAnswer(validator, operation, { status: res.status, headers: res.headers, bytes }), [], `${name}: keeps the contract`);
      return result;
    }

    // Service.
    await call('GET /health', { as: 'health', expect: 200 });
    await call('GET /metrics', { as: 'Prometheus text', expect: 200 });
    const access = await call('GET /api/access', { as: 'no API keys: every scope', expect: 200 });
    t.same(access.json(), { auth: 'none', scopes: ['read', 'write', 'admin'] }, 'without API_KEYS every scope is allowed');

    // Uploads: a real CSV, a new version of it, a workbook with several sheets.
    const up1 = await call('POST /api/datasets/upload', {
      as: 'CSV, new dataset',
      form: { file: { bytes: CSV, name: 'seattle-weather.csv' }, fields: { name: 'Seattle weather', description: 'January 2012', tags: 'weather,seattle' } },
      expect: 201,
    });
    const ds = up1.json().dataset?.id as number;
    const v1 = up1.json().version?.id as number;
    const up2 = await call('POST /api/datasets/upload', {
      as: 'CSV, new version',
      form: { file: { bytes: CSV.subarray(0, CSV.indexOf('\n2012-01-20')), name: 'seattle-weather-part.csv' }, fields: { dataset_id: String(ds) } },
      expect: 201,
    });
    const v2 = up2.json().version?.id as number;
    const up3 = await call('POST /api/datasets/upload', {
      as: 'xlsx, several sheets',
      form: { file: { bytes: XLSX, name: 'multi-sheet.xlsx' }, fields: { name: 'Workbook', tags: '["excel"]' } },
      expect: 201,
    });
    const uploadId = 'contract-upload-0001';
    await call('POST /api/datasets/upload', {
      as: 'with X-Upload-Id',
      form: { file: { bytes: CSV, name: 'progress.csv' }, fields: { name: 'Progress' } },
      headers: { 'x-upload-id': uploadId },
      expect: 201,
    });
    const tracked = await call('GET /api/uploads/{id}', { as: 'an upload that ended', params: { id: uploadId }, expect: 200 });
    t.same(tracked.json(), { upload_id: uploadId, phase: 'done', bytes_received: tracked.json().bytes_expected, bytes_expected: tracked.json().bytes_expected }, 'done, every byte');
    await call('GET /api/uploads/{id}', { as: 'unknown', params: { id: 'never-sent-0001' }, expect: 404 });
    await call('DELETE /api/datasets/{id}', { as: 'the progress dataset', params: { id: (await (await fetch(`${server.url}/api/datasets?name=Progress`)).json())[0].id }, expect: 204 });
    const xds = up3.json().dataset?.id as number;
    const xv = up3.json().version?.id as number;
    t.ok(ds && v1 && v2 && xds && xv, 'the uploads gave ids');

    // Datasets.
    const list = await call('GET /api/datasets', { as: 'list, sorted', query: { limit: 10, sort_by: 'name', sort_order: 'asc' }, expect: 200 });
    t.equal(list.headers.get('x-total-count'), '2', 'X-Total-Count counts the datasets');
    await call('GET /api/datasets', { as: 'list, filtered by tag and name', query: { tags: ['weather', 'seattle'], name: 'seattle' }, expect: 200 });
    const byRows = await call('GET /api/datasets', { as: 'list, by row_count', query: { sort_by: 'row_count', sort_order: 'desc' }, expect: 200 });
    t.same(byRows.json().map((d: any) => d.row_count), [up2.json().version.row_count, up3.json().version.row_count].sort((a, b) => b - a), 'row_count: the current versions’ rows (v2 is the Seattle dataset’s), largest first');
    await call('GET /api/datasets/tags', { as: 'labels', expect: 200 });
    await call('GET /api/datasets/{id}', { as: 'with versions', params: { id: ds }, expect: 200 });
    await call('PATCH /api/datasets/{id}', { as: 'description and tags', params: { id: ds }, json: { description: 'Seattle, January 2012', tags: ['weather'] }, expect: 200 });
    await call('PATCH /api/datasets/{id}', { as: 'clear description', params: { id: ds }, json: { description: null }, expect: 200 });

    // Versions.
    await call('GET /api/datasets/{id}/versions', { as: 'newest first', params: { id: ds }, expect: 200 });
    await call('GET /api/datasets/{id}/versions/latest', { as: 'latest', params: { id: ds }, expect: 200 });
    await call('GET /api/datasets/{id}/versions/{vid}', { as: 'CSV version', params: { id: ds, vid: v1 }, expect: 200 });
    await call('GET /api/datasets/{id}/versions/{vid}', { as: 'xlsx version', params: { id: xds, vid: xv }, expect: 200 });
    await call('GET /api/datasets/{id}/versions/number/{n}', { as: 'number 1', params: { id: ds, n: 1 }, expect: 200 });
    await call('GET /api/datasets/{id}/versions/{vid}/sheets', { as: 'one sheet', params: { id: ds, vid: v1 }, expect: 200 });
    await call('GET /api/datasets/{id}/versions/{vid}/sheets', { as: 'three sheets', params: { id: xds, vid: xv }, expect: 200 });
    const dl = await call('GET /api/datasets/{id}/versions/{vid}/download', { as: 'the CSV file', params: { id: ds, vid: v1 }, expect: 200 });
    t.ok(dl.bytes.equals(CSV), 'the download is the uploaded bytes');
    await call('GET /api/datasets/{id}/versions/{vid}/download', { as: 'the xlsx file', params: { id: xds, vid: xv }, expect: 200 });

    // Table data: JSON pages and every export.
    const data = '/api/datasets/{id}/versions/{vid}/data';
    const v = { id: ds, vid: v1 };
    await call(`GET ${data}`, { as: 'JSON, first page', params: v, expect: 200 });
    await call(`GET ${data}`, {
      as: 'JSON, filtered, sorted, projected',
      params: v,
      query: { 'filter[weather]eq': 'rain', sort: '-temp_max', columns: 'date,temp_max,weather', page: 1, page_size: 5 },
      expect: 200,
    });
    await call(`GET ${data}`, { as: 'JSON, offset/limit, int64 as string', params: v, query: { offset: 10, limit: 5, int64: 'string' }, expect: 200 });
    await call(`GET ${data}`, { as: 'JSON, xlsx second sheet', params: { id: xds, vid: xv }, query: { sheet: XLSX_SECOND_SHEET }, expect: 200 });
    await call(`GET ${data}`, { as: 'Arrow stream by Accept', params: v, headers: { accept: ARROW_STREAM }, expect: 200 });
    await call(`GET ${data}`, { as: 'Arrow file by Accept', params: v, headers: { accept: ARROW_FILE }, expect: 200 });
    await call(`GET ${data}`, { as: 'Parquet by Accept', params: v, headers: { accept: 'application/vnd.apache.parquet' }, expect: 200 });
    await call(`GET ${data}`, { as: 'xlsx by Accept', params: v, headers: { accept: XLSX_MEDIA }, expect: 200 });
    for (const format of ['csv', 'ndjson', 'parquet', 'arrow-stream', 'arrow-file', 'xlsx']) {
      await call(`GET ${data}`, { as: `format=${format}`, params: v, query: { format, csv_safe: format === 'csv' }, expect: 200 });
    }

    // Download tokens: one export of a view, once, by a URL without a key.
    const mintKey = 'POST /api/datasets/{id}/versions/{vid}/download-tokens';
    const minted = await call(mintKey, { as: 'CSV, filtered', params: v, json: { format: 'csv', filters: { 'filter[weather]eq': 'rain' }, sort: '-temp_max' }, expect: 201 });
    const token = minted.json().token as string;
    const viaToken = await call('GET /api/downloads/{token}', { as: 'the export', params: { token }, expect: 200 });
    const viaData = await fetch(`${server.url}/api/datasets/${ds}/versions/${v1}/data?format=csv&filter%5Bweather%5Deq=rain&sort=-temp_max`);
    t.ok(viaToken.bytes.equals(Buffer.from(await viaData.arrayBuffer())), 'the token’s export is …/data’s');
    await call('GET /api/downloads/{token}', { as: 'used twice', params: { token }, expect: 404 });
    const xlsxToken = (await call(mintKey, { as: 'xlsx, second sheet', params: { id: xds, vid: xv }, json: { format: 'xlsx', sheet: XLSX_SECOND_SHEET }, expect: 201 })).json().token;
    await call('GET /api/downloads/{token}', { as: 'xlsx', params: { token: xlsxToken }, expect: 200 });
    const originalToken = (await call(mintKey, { as: 'the original file', params: v, json: { format: 'original' }, expect: 201 })).json().token;
    const original = await call('GET /api/downloads/{token}', { as: 'the original file', params: { token: originalToken }, expect: 200 });
    t.ok(original.bytes.equals(CSV), 'the original file’s token downloads the uploaded bytes');
    await call(mintKey, { as: 'original with a view field', params: v, json: { format: 'original', sort: 'date' }, expect: 400 });
    await call(mintKey, { as: 'unknown column', params: v, json: { format: 'csv', columns: 'colour' }, expect: 400 });
    await call(mintKey, { as: 'unknown version', params: { id: ds, vid: 999_999 }, json: { format: 'csv' }, expect: 404 });

    // Schema, statistics, facets, SQL.
    await call('GET /api/datasets/{id}/versions/{vid}/schema', { as: 'CSV', params: v, expect: 200 });
    await call('GET /api/datasets/{id}/versions/{vid}/schema', { as: 'xlsx sheet', params: { id: xds, vid: xv }, query: { sheet: XLSX_SECOND_SHEET }, expect: 200 });
    await call('GET /api/datasets/{id}/versions/{vid}/statistics', { as: 'cached or computed', params: v, expect: 200 });
    await call('GET /api/datasets/{id}/statistics', { as: 'latest version', params: { id: ds }, expect: 200 });
    await call('POST /api/datasets/{id}/versions/{vid}/statistics/refresh', { as: 'plain', params: v, expect: 200 });
    await call('POST /api/datasets/{id}/versions/{vid}/statistics/refresh', { as: 'detailed', params: v, query: { detailed: true }, expect: 200 });
    await call('POST /api/datasets/{id}/versions/{vid}/statistics/refresh', { as: 'detailed, xlsx', params: { id: xds, vid: xv }, query: { detailed: true }, expect: 200 });
    await call('GET /api/datasets/{id}/versions/{vid}/facets', { as: 'two columns', params: v, query: { columns: 'weather,wind', limit: 3 }, expect: 200 });
    const sql = 'SELECT weather, count(*) AS days, max(temp_max) AS hottest FROM data GROUP BY weather ORDER BY days DESC';
    await call('POST /api/datasets/{id}/versions/{vid}/query', { as: 'SQL, JSON', params: v, json: { sql, page_size: 10 }, expect: 200 });
    await call('POST /api/datasets/{id}/versions/{vid}/query', { as: 'SQL, Arrow', params: v, json: { sql }, headers: { accept: ARROW_STREAM }, expect: 200 });

    // Schema comparison and version tags.
    await call('POST /api/datasets/{id}/schema/compare', { as: 'two versions', params: { id: ds }, json: { version_id_1: v1, version_id_2: v2 }, expect: 200 });
    const tag = { id: ds, tag_name: 'production' };
    await call('POST /api/datasets/{id}/tags/{tag_name}', { as: 'create', params: tag, json: { version_id: v1, description: 'what runs' }, expect: 201 });
    await call('POST /api/datasets/{id}/tags/{tag_name}', { as: 'move', params: tag, json: { version_id: v2 }, expect: 200 });
    await call('GET /api/datasets/{id}/tags/{tag_name}', { as: 'one tag', params: tag, expect: 200 });
    await call('GET /api/datasets/{id}/tags', { as: "the dataset's tags", params: { id: ds }, expect: 200 });
    await call('GET /api/datasets/{id}/versions/tag/{tag_name}', { as: 'version by tag', params: tag, expect: 200 });
    await call('DELETE /api/datasets/{id}/tags/{tag_name}', { as: 'delete', params: tag, expect: 204 });

    // Errors a client meets: each answer is checked against the document too.
    const missing = 999_999;
    await call('GET /api/datasets/{id}', { as: 'unknown dataset', params: { id: missing }, expect: 404 });
    await call('GET /api/datasets/{id}', { as: 'id not a number', params: { id: 'abc' }, expect: 400 });
    await call('GET /api/datasets', { as: 'limit not a number', query: { limit: 'ten' }, expect: 400 });
    await call('GET /api/datasets', { as: 'unknown sort_by', query: { sort_by: 'colour' }, expect: 400 });
    await call('GET /api/datasets/{id}/versions', { as: 'unknown dataset', params: { id: missing }, expect: 404 });
    await call('GET /api/datasets/{id}/versions/latest', { as: 'unknown dataset', params: { id: missing }, expect: 404 });
    await call('GET /api/datasets/{id}/versions/{vid}', { as: 'unknown version', params: { id: ds, vid: missing }, expect: 404 });
    await call('GET /api/datasets/{id}/versions/number/{n}', { as: 'unknown number', params: { id: ds, n: 99 }, expect: 404 });
    await call('GET /api/datasets/{id}/versions/{vid}/sheets', { as: 'unknown version', params: { id: ds, vid: missing }, expect: 404 });
    await call('GET /api/datasets/{id}/versions/{vid}/download', { as: 'unknown version', params: { id: ds, vid: missing }, expect: 404 });
    await call(`GET ${data}`, { as: 'unknown sheet', params: v, query: { sheet: 'nope' }, expect: 404 });
    await call(`GET ${data}`, { as: 'JSON page too large', params: v, query: { page_size: 5000 }, expect: 400 });
    await call(`GET ${data}`, { as: 'unknown column in filter', params: v, query: { 'filter[colour]eq': 'red' }, expect: 400 });
    await call(`GET ${data}`, { as: 'unknown version', params: { id: ds, vid: missing }, expect: 404 });
    await call('GET /api/datasets/{id}/versions/{vid}/schema', { as: 'unknown sheet', params: v, query: { sheet: 'nope' }, expect: 404 });
    await call('GET /api/datasets/{id}/versions/{vid}/statistics', { as: 'unknown version', params: { id: ds, vid: missing }, expect: 404 });
    await call('GET /api/datasets/{id}/statistics', { as: 'unknown dataset', params: { id: missing }, expect: 404 });
    await call('POST /api/datasets/{id}/versions/{vid}/statistics/refresh', { as: 'detailed not a boolean', params: v, query: { detailed: 'maybe' }, expect: 400 });
    await call('GET /api/datasets/{id}/versions/{vid}/facets', { as: 'no columns', params: v, expect: 400 });
    await call('POST /api/datasets/{id}/versions/{vid}/query', { as: 'not a SELECT', params: v, json: { sql: 'DROP TABLE data' }, expect: 400 });
    await call('POST /api/datasets/{id}/versions/{vid}/query', { as: 'sql not a string', params: v, json: { sql: 5 }, expect: 400 });
    await call('POST /api/datasets/{id}/schema/compare', { as: 'missing version_id_2', params: { id: ds }, json: { version_id_1: v1 }, expect: 400 });
    await call('POST /api/datasets/{id}/schema/compare', { as: 'unknown version', params: { id: ds }, json: { version_id_1: v1, version_id_2: missing }, expect: 404 });
    await call('POST /api/datasets/{id}/tags/{tag_name}', { as: 'bad tag name', params: { id: ds, tag_name: 'no spaces' }, json: { version_id: v1 }, expect: 400 });
    await call('POST /api/datasets/{id}/tags/{tag_name}', { as: 'version_id a string', params: { id: ds, tag_name: 'staging' }, json: { version_id: String(v1) }, expect: 400 });
    await call('GET /api/datasets/{id}/tags/{tag_name}', { as: 'unknown tag', params: tag, expect: 404 });
    await call('GET /api/datasets/{id}/versions/tag/{tag_name}', { as: 'unknown tag', params: tag, expect: 404 });
    await call('DELETE /api/datasets/{id}/tags/{tag_name}', { as: 'unknown tag', params: tag, expect: 404 });
    await call('GET /api/datasets/{id}/tags', { as: 'unknown dataset', params: { id: missing }, expect: 404 });
    // Strict JSON bodies: a wrong type is a 400 naming the field, and nothing changes.
    await call('PATCH /api/datasets/{id}', { as: 'tags not a list', params: { id: ds }, json: { tags: 'not-a-list' }, expect: 400 });
    await call('PATCH /api/datasets/{id}', { as: 'name a number', params: { id: ds }, json: { name: 5 }, expect: 400 });
    await call('PATCH /api/datasets/{id}', { as: 'body as XML', params: { id: ds }, body: '<name>x</name>', headers: { 'content-type': 'application/xml' }, expect: 415 });
    await call('PATCH /api/datasets/{id}', { as: 'unknown dataset', params: { id: missing }, json: { name: 'x' }, expect: 404 });
    // Upload refusals.
    await call('POST /api/datasets/upload', { as: 'ragged CSV', form: { file: { bytes: Buffer.from('a,b\n1,2\n3,4,5\n'), name: 'bad.csv' }, fields: { name: 'Bad' } }, expect: 422 });
    await call('POST /api/datasets/upload', { as: 'a ZIP named .csv', form: { file: { bytes: XLSX, name: 'data.csv' }, fields: { name: 'Zip' } }, expect: 415 });
    await call('POST /api/datasets/upload', { as: 'unknown form field', form: { file: { bytes: CSV, name: 'w.csv' }, fields: { name: 'W', colour: 'red' } }, expect: 400 });
    await call('POST /api/datasets/upload', { as: 'no name for a new dataset', form: { file: { bytes: CSV, name: 'w.csv' } }, expect: 400 });
    await call('POST /api/datasets/upload', { as: 'name with dataset_id (use PATCH)', form: { file: { bytes: CSV, name: 'w.csv' }, fields: { dataset_id: String(ds), name: 'Renamed' } }, expect: 400 });
    await call('POST /api/datasets/upload', { as: 'unknown dataset_id', form: { file: { bytes: CSV, name: 'w.csv' }, fields: { dataset_id: String(missing) } }, expect: 404 });

    // Deletes.
    await call('DELETE /api/datasets/{id}/versions/{vid}', { as: 'second version', params: { id: ds, vid: v2 }, expect: 204 });
    await call('DELETE /api/datasets/{id}/versions/{vid}', { as: 'already deleted', params: { id: ds, vid: v2 }, expect: 404 });
    await call('DELETE /api/datasets/{id}', { as: 'workbook', params: { id: xds }, expect: 204 });
    await call('DELETE /api/datasets/{id}', { as: 'already deleted', params: { id: xds }, expect: 404 });

    const notExercised = [...declared.keys()].filter((k) => !exercised.has(k));
    t.same(notExercised, [], 'every operation in the document was exercised (add a call here for a new route)');
  });
}
