/**
 * The OpenAPI document at /docs/json declares, for every operation, its success shape, its media types and
 * response headers, and its errors as the shared ErrorBody; and pages the workers encoded are sent as their
 * bytes (a response schema never makes Fastify re-serialize them). Both backends.
 */
import t from 'tap';
import { ERROR_CODES } from '../../src/errors.js';
import { BACKENDS, getJson, startServer, upload } from '../support/server.js';

const DATA_TYPES = [
  'application/json',
  'text/csv',
  'application/x-ndjson',
  'application/vnd.apache.parquet',
  'application/vnd.apache.arrow.stream',
  'application/vnd.apache.arrow.file',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
];

for (const backend of BACKENDS) {
  t.test(`${backend} backend`, async (t) => {
    const server = await startServer(t, { backend });
    const doc = (await getJson(server, '/docs/json')).body;
    const op = (path: string, method: string) => doc.paths[path]?.[method];

    t.test('every operation has a success response with a schema, and its errors as ErrorBody', async (t) => {
      let operations = 0;
      const ids = new Set<string>();
      for (const [path, methods] of Object.entries<any>(doc.paths)) {
        for (const [method, o] of Object.entries<any>(methods)) {
          operations++;
          t.ok(o.operationId && !ids.has(o.operationId), `${method} ${path} has its own operationId (${o.operationId})`);
          ids.add(o.operationId);
          const success = Object.entries<any>(o.responses).filter(([code]) => code.startsWith('2'));
          t.ok(success.length > 0, `${method} ${path} declares a success`);
          for (const [code, r] of success) {
            if (code === '204') t.notOk(r.content, `${method} ${path} 204 has no body`);
            else t.ok(Object.values<any>(r.content ?? {}).length > 0 && Object.values<any>(r.content).every((m) => m.schema), `${method} ${path} ${code} has a schema`);
          }
          for (const [code, r] of Object.entries<any>(o.responses).filter(([c]) => /^[45]/.test(c))) {
            t.same(r.content?.['application/json']?.schema, { $ref: '#/components/schemas/ErrorBody' }, `${method} ${path} ${code} is an ErrorBody`);
            if (code === '503' || code === '429') t.ok(r.headers?.['Retry-After'], `${method} ${path} ${code} has Retry-After`);
          }
          if (path.startsWith('/api/')) t.ok(o.responses['500'] && o.responses['503'], `${method} ${path} declares 500 and 503`);
        }
      }
      t.ok(operations >= 28, `${operations} operations`);
      t.same(doc.components.schemas.ErrorBody.properties.error_code.enum, Object.keys(ERROR_CODES), 'error codes come from the one list');
      t.same(Object.keys(doc.components.schemas.ErrorBody.properties).sort(), ['detail', 'error_code', 'timestamp']);
    });

    t.test('media types, headers and examples', async (t) => {
      const data = op('/api/datasets/{id}/versions/{vid}/data', 'get').responses['200'];
      t.same(Object.keys(data.content).sort(), [...DATA_TYPES].sort(), '/data lists every format');
      t.equal(data.content['text/csv'].schema.format, 'binary');
      t.ok(data.content['application/json'].schema.properties.total_pages, 'the JSON page is described');
      t.ok(data.headers['X-Total-Rows'] && data.headers['Content-Disposition'], '/data: X-Total-Rows, Content-Disposition');
      const download = op('/api/datasets/{id}/versions/{vid}/download', 'get').responses['200'];
      t.ok(download.content['application/octet-stream'], '/download: the original file as octet-stream');
      t.ok(download.headers['Content-Disposition'], '/download: Content-Disposition');
      t.ok(op('/api/datasets', 'get').responses['200'].headers['X-Total-Count'], 'list: X-Total-Count');
      const sql = op('/api/datasets/{id}/versions/{vid}/query', 'post').responses['200'];
      t.same(Object.keys(sql.content).sort(), ['application/json', 'application/vnd.apache.arrow.file', 'application/vnd.apache.arrow.stream']);
      t.ok(op('/api/datasets/upload', 'post').requestBody.content['multipart/form-data'].schema.properties.dataset_id, 'the upload form is documented');
      const hasExample = (r: any) => {
        const media = r.content['application/json'];
        return media.example !== undefined || media.examples !== undefined || media.schema.examples !== undefined;
      };
      for (const [path, method, code] of [
        ['/api/datasets/upload', 'post', '201'],
        ['/api/datasets', 'get', '200'],
        ['/api/datasets/{id}/versions/{vid}/data', 'get', '200'],
        ['/api/datasets/{id}/versions/{vid}/schema', 'get', '200'],
        ['/api/datasets/{id}/versions/{vid}/statistics', 'get', '200'],
      ]) {
        t.ok(hasExample(op(path, method).responses[code]), `${method} ${path} has an example`);
      }
    });

    t.test('a JSON page is sent as the worker encoded it', async (t) => {
      // 2^53 + 1 is not a JavaScript number: a parse and re-stringify on the main thread would change it.
      const up = await upload(server, 'big,x\n9007199254740993,0.1\n', 'big.csv');
      t.equal(up.status, 201);
      const res = await fetch(`${server.url}/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data`);
      const text = await res.text();
      t.match(text, /"big":9007199254740993,"x":0\.1\}/, 'every digit, as written by the worker');
      t.equal(res.headers.get('x-total-rows'), '1');
      const sql = await fetch(`${server.url}/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/query`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sql: 'SELECT big FROM data' }),
      });
      t.match(await sql.text(), /"big":9007199254740993\}/, 'SQL answers too');
      const stats = await getJson(server, `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/statistics`);
      t.equal(stats.body.columns[0].unique_count, 1);
      t.ok('detailed' in stats.body && 'computed_at' in stats.body, 'statistics keep every field');
    });
  });
}
