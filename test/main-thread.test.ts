/**
 * The Fastify main thread never loads the table libraries: after a full upload / read / statistics /
 * download cycle on each backend, the main thread has not loaded `nodejs-polars`, `exceljs` or
 * `@e965/xlsx` (nor any worker-only module of ours), and the only native addon it opened is better-sqlite3's.
 *
 * How: the real server runs with `--require test/support/main-thread-probe.cjs`, which, in the main thread
 * only, records every CommonJS load, every `process.dlopen` and every ESM resolution, and writes them to
 * MAIN_THREAD_PROBE_OUT at exit (the server exits 0 on SIGTERM, so the exit handler runs). Sanity checks
 * make sure the probe itself works: it must have seen fastify and better-sqlite3, and the polars addon the
 * workers loaded must be in the process but not in the main thread's record.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import pl from 'nodejs-polars';
import { tableFromIPC } from 'apache-arrow';
import t from 'tap';
import { requestsSettled } from './support/logs.js';
import { BACKENDS, ROOT, getJson, startServer, tmpDir, upload, type Server } from './support/server.js';

/**
 * These servers run beside other test files on a possibly busy machine; the service's event-loop load
 * shedding (503 past SHED_EVENT_LOOP_DELAY_MS) is about load, not about what this file checks, so it is off.
 */
const NO_SHEDDING = { SHED_EVENT_LOOP_DELAY_MS: '0' };

const PROBE = join(import.meta.dirname, 'support/main-thread-probe.cjs');
const XLSX_FIXTURE = join(import.meta.dirname, 'fixtures/multi-sheet.xlsx');

/** Anything that means a table library (or its native addon) was loaded. */
const FORBIDDEN = /nodejs-polars|[\\/]exceljs[\\/]|^exceljs$|@e965[\\/]xlsx/;
/** Our own worker-side modules: entry points, readers, encoders and table code. */
const WORKER_ONLY = /[\\/]dist[\\/]workers[\\/](?:parse-worker|data-worker|readers[\\/]|encoders[\\/]|table[\\/])/;

const CSV = 'city,population,coastal\nLyon,522250,false\nNice,342669,true\nBrest,139602,true\n';

interface ProbeRecord {
  pid: number;
  cjs: { request: string; resolved: string | null; parent: string | null }[];
  dlopen: string[];
  esm: { specifier: string; url: string; parent: string | null }[];
  cache: string[];
  sharedObjects: string[];
  exitCode: number | null;
}

function unique(xs: string[]): string[] {
  return [...new Set(xs)];
}

function parquetBytes(): Uint8Array {
  const df = pl.DataFrame({ id: [1, 2, 3, 4], label: ['a', 'b', 'c', null], score: [0.5, 1.25, -2, 8] });
  return new Uint8Array(df.writeParquet({ compression: 'snappy' }));
}

t.test('no import runs from workers/ up into src/ (the thread contract, workers/protocol.ts, owns the shared types)', async (t) => {
  const workersDir = join(ROOT, 'workers');
  const files = (readdirSync(workersDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.ts')).map((f) => join(workersDir, f));
  t.ok(files.some((f) => f.endsWith('protocol.ts')) && files.some((f) => f.endsWith(join('table', 'sheets.ts'))), 'the scan sees workers/ and its subfolders');
  const specifiers = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"]+)['"]/g;
  const upward: string[] = [];
  let relativeImports = 0;
  for (const file of files) {
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(specifiers)) {
      if (!spec.startsWith('.')) continue;
      relativeImports++;
      const target = resolve(dirname(file), spec);
      if (relative(workersDir, target).startsWith('..')) upward.push(`${relative(ROOT, file)} imports ${spec}`);
    }
  }
  t.ok(relativeImports > 50, `the scan finds the workers' own imports (${relativeImports})`);
  t.same(upward, [], 'every relative import of a worker module stays inside workers/');
});

for (const backend of BACKENDS) {
  t.test(`${backend} backend: main thread loads no table library`, async (t) => {
    const outDir = tmpDir(t, 'main-thread-probe-');
    const outFile = join(outDir, 'probe.json');
    const server = await startServer(t, {
      backend,
      nodeArgs: ['--require', PROBE],
      env: { ...NO_SHEDDING, MAIN_THREAD_PROBE_OUT: outFile },
    });

    // --- a full cycle: uploads of each type, data as JSON and Arrow, schema, statistics, download
    const uploads: { file: Uint8Array | string; name: string; rows: number; sheet: string }[] = [
      { file: CSV, name: 'cities.csv', rows: 3, sheet: 'Sheet1' },
      { file: parquetBytes(), name: 'scores.parquet', rows: 4, sheet: 'Sheet1' },
    ];
    if (existsSync(XLSX_FIXTURE)) {
      const [first] = JSON.parse(readFileSync(`${XLSX_FIXTURE}.expected.json`, 'utf8')) as { name: string; rows: unknown[] }[];
      uploads.push({ file: readFileSync(XLSX_FIXTURE), name: 'multi-sheet.xlsx', rows: first.rows.length, sheet: first.name });
    }

    for (const u of uploads) {
      const up = await upload(server, u.file, u.name, { name: u.name });
      t.equal(up.status, 201, `${u.name} uploads`, { body: up.body });
      if (up.status !== 201) continue;
      const ds = up.body.dataset.id;
      const v = up.body.version.id;
      const base = `/api/datasets/${ds}/versions/${v}`;
      const sheet = up.body.sheets[0];
      t.same([sheet.name, sheet.row_count], [u.sheet, u.rows], `${u.name}: first sheet and its rows`);

      const json = await getJson(server, `${base}/data`);
      t.equal(json.status, 200, `${u.name}: JSON data`);
      t.equal(json.body.data.length, sheet.row_count, `${u.name}: every row in the JSON page`);

      const arrow = await fetch(`${server.url}${base}/data`, { headers: { accept: 'application/vnd.apache.arrow.stream' } });
      t.equal(arrow.status, 200, `${u.name}: Arrow data`);
      const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()));
      t.equal(table.numRows, sheet.row_count, `${u.name}: every row in the Arrow stream`);

      const schema = await getJson(server, `${base}/schema`);
      t.equal(schema.status, 200, `${u.name}: schema`);
      t.equal(schema.body.columns.length, sheet.column_count);

      const stats = await getJson(server, `${base}/statistics`);
      t.equal(stats.status, 200, `${u.name}: statistics`);
      t.equal(stats.body.total_rows, sheet.row_count);

      const detailed = await getJson(server, `${base}/statistics/refresh?detailed=true`, { method: 'POST' });
      t.equal(detailed.status, 200, `${u.name}: detailed statistics`);
      t.equal(detailed.body.detailed, true);

      const download = await fetch(`${server.url}${base}/download`);
      t.equal(download.status, 200, `${u.name}: download`);
      t.same(new Uint8Array(await download.arrayBuffer()), typeof u.file === 'string' ? new TextEncoder().encode(u.file) : u.file);
    }

    // Sanity for the "CSV was parsed by polars" part of the check below: the typed values came back.
    const list = await getJson(server, '/api/datasets?name=cities');
    const csvVersion = (await getJson(server, `/api/datasets/${list.body[0].id}/versions/latest`)).body.id;
    const cities = await getJson(server, `/api/datasets/${list.body[0].id}/versions/${csvVersion}/data`);
    t.same(cities.body.data[0], { city: 'Lyon', population: 522250, coastal: false });

    await requestsSettled(server);
    t.equal(await server.stop(), 0, 'the server exits 0 on SIGTERM (so the probe\'s exit handler ran)');
    t.ok(existsSync(outFile), 'the probe wrote its record');
    const rec: ProbeRecord = JSON.parse(readFileSync(outFile, 'utf8'));
    t.equal(rec.pid, server.proc.pid, 'the record is the server process\'s');
    t.equal(rec.exitCode, 0);

    const esmUrls = rec.esm.map((e) => e.url);
    const cjsNames = rec.cjs.flatMap((c) => [c.request, c.resolved ?? '']);
    const everything = unique([...esmUrls, ...rec.esm.map((e) => e.specifier), ...cjsNames, ...rec.dlopen, ...rec.cache]);

    t.test('the probe works', async (t) => {
      t.ok(esmUrls.some((u) => u.endsWith('/dist/src/main.js')), 'saw the entry point resolve');
      t.ok(esmUrls.some((u) => /\/node_modules\/fastify\/fastify\.js$/.test(u)), 'saw fastify resolve (ESM)');
      t.ok(esmUrls.some((u) => /\/node_modules\/better-sqlite3\//.test(u)), 'saw better-sqlite3 resolve (ESM)');
      t.ok(rec.cjs.some((c) => (c.resolved ?? '').includes('/node_modules/fastify/')), 'saw fastify\'s own requires (CJS)');
      t.ok(rec.dlopen.some((f) => f.endsWith('better_sqlite3.node')), 'saw better_sqlite3.node opened (dlopen)');
      t.ok(rec.cache.some((f) => f.includes('/node_modules/better-sqlite3/')), 'better-sqlite3 is in the CJS cache');
      // Polars was loaded in this process (the workers parsed and served the data above) ...
      t.ok(
        rec.sharedObjects.some((f) => /nodejs-polars.*\.node$/.test(f)),
        'the polars addon is loaded somewhere in the process (by a worker)',
      );
      // ... and the workers, which run the same --require, are not in the record.
      t.notOk(esmUrls.some((u) => /\/dist\/workers\/(parse|data)-worker\.js$/.test(u)), 'worker entry points were not recorded');
      t.notOk(rec.cjs.some((c) => c.resolved === join(ROOT, 'node_modules/piscina/dist/worker.js')), 'piscina\'s worker bootstrap was not recorded');
    });

    t.test('no table library in the main thread', async (t) => {
      t.same(everything.filter((s) => FORBIDDEN.test(s)), [], 'no nodejs-polars, exceljs or @e965/xlsx');
      t.same(rec.dlopen.filter((f) => !f.endsWith('/better_sqlite3.node')), [], 'no native addon but better-sqlite3\'s');
      t.same(everything.filter((s) => WORKER_ONLY.test(s)), [], 'no worker-only module of ours');
    });
  });
}
