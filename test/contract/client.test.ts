/**
 * A typed client generated from the served contract compiles and works: TypeScript types are generated from
 * `/docs/json` with openapi-typescript, test/contract/client/client.ts (plain fetch typed by those `paths`) is
 * compiled against them with the project's TypeScript in strict mode, and the compiled client runs against a real
 * server on both backends; what it reads must equal the direct HTTP answers. A contract break fails the compile:
 * checked here by renaming one field the client uses in a copy of the document.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import openapiTS, { astToString } from 'openapi-typescript';
import t from 'tap';
import { BACKENDS, ROOT, getJson, startServer, tmpDir, type Server } from '../support/server.js';
import { fetchDocument, resolve, type Doc } from './support/contract.js';

const CSV_PATH = join(ROOT, 'test/fixtures/contract/seattle-weather-2012-01.csv');
const CLIENT_SOURCE = join(ROOT, 'test/contract/client/client.ts');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const DATA = '/api/datasets/{id}/versions/{vid}/data';

/** Generates the types of `doc`, puts them beside a copy of the client, compiles; the build's output directory. */
async function buildClient(t: Parameters<typeof tmpDir>[0], doc: Doc): Promise<{ dir: string; status: number | null; output: string }> {
  const dir = tmpDir(t, 'dataset-service-client-');
  writeFileSync(join(dir, 'openapi-types.d.ts'), astToString(await openapiTS(structuredClone(doc) as any)));
  copyFileSync(CLIENT_SOURCE, join(dir, 'client.ts'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023'],
        types: ['node'],
        typeRoots: [join(ROOT, 'node_modules/@types')],
        strict: true,
        noEmitOnError: true,
        skipLibCheck: true,
        outDir: 'out',
      },
      files: ['client.ts', 'openapi-types.d.ts'],
    }),
  );
  const r = spawnSync(process.execPath, [TSC, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', cwd: dir });
  return { dir, status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Renames a property of the schema at `node` (following references), in `properties` and `required`. */
function renameProperty(doc: Doc, node: any, from: string, to: string): boolean {
  const schema = resolve(doc, node);
  if (!schema?.properties || !(from in schema.properties)) return false;
  schema.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k === from ? to : k, v]));
  if (Array.isArray(schema.required)) schema.required = schema.required.map((r: string) => (r === from ? to : r));
  return true;
}

let served: Doc | undefined;
const builds = new Map<string, string>();

for (const backend of BACKENDS) {
  t.test(`${backend} backend: the generated client compiles and reads what the API answers`, async (t) => {
    const server: Server = await startServer(t, { backend });
    const doc = await fetchDocument(server);
    served ??= doc;
    const build = await buildClient(t, doc);
    t.equal(build.status, 0, 'the client compiles against the types generated from the served document', { tsc: build.output });
    if (build.status !== 0) return;
    builds.set(backend, build.dir);

    const run = spawnSync(process.execPath, [join(build.dir, 'out/client.js'), server.url, CSV_PATH], { encoding: 'utf8' });
    t.equal(run.status, 0, 'the compiled client runs', { stderr: run.stderr });
    if (run.status !== 0) return;
    const got = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    const { id, vid } = got.version;
    const base = `/api/datasets/${id}/versions/${vid}`;

    const version = await getJson(server, `/api/datasets/${id}/versions/${vid}`);
    t.equal(got.versionNumber, version.body.version_number, 'upload: the version number');
    t.same(got.sheets, [{ name: 'Sheet1', row_count: 31, column_count: 6 }], 'upload: the sheets');

    const list = await getJson(server, '/api/datasets?name=typed&limit=10&sort_by=name&sort_order=asc');
    t.same(
      got.listed,
      list.body.map((d: any) => ({ id: d.id, name: d.name, tags: d.tags, current_version: d.current_version })),
      'list: what the client read is the API answer',
    );
    t.same(got.listed.map((d: any) => d.tags), [['typed']], 'list: the uploaded dataset with its tags');

    const page = await getJson(server, `${base}/data?page=2&page_size=5&sort=-temp_max&columns=date,temp_max,weather`);
    const { data, columns, total_rows, total_pages, page: pageNo, page_size } = page.body;
    t.same(got.page, { total: total_rows, pages: total_pages, page: pageNo, page_size, columns, rows: data }, 'data: the page');
    t.equal(got.page.total, 31, 'data: 31 rows in all');
    t.equal(got.page.rows.length, 5, 'data: a page of 5');

    const schema = await getJson(server, `${base}/schema`);
    t.same(got.schema, { sheet: schema.body.sheet, columns: schema.body.columns.map(({ name, type, dtype, nullable }: any) => ({ name, type, dtype, nullable })) }, 'schema');

    const stats = await getJson(server, `${base}/statistics`);
    const tempMax = stats.body.columns.find((c: any) => c.column_name === 'temp_max');
    t.same(
      got.statistics,
      { total_rows: stats.body.total_rows, total_columns: stats.body.total_columns, temp_max: { data_type: tempMax.data_type, null_count: tempMax.null_count, mean: tempMax.mean, max: tempMax.max } },
      'statistics',
    );
  });
}

t.test('a contract break fails the client build', async (t) => {
  t.ok(served, 'the served document was fetched');
  if (!served) return;
  const broken = structuredClone(served);
  const pageSchema = broken.paths?.[DATA]?.get?.responses?.['200']?.content?.['application/json']?.schema;
  t.ok(renameProperty(broken, pageSchema, 'total_rows', 'row_total'), 'the data page declares total_rows (renamed in a copy)');
  const build = await buildClient(t, broken);
  t.not(build.status, 0, 'the client no longer compiles');
  t.match(build.output, /total_rows/, 'and tsc names the renamed field');
});
