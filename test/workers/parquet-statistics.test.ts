/**
 * Parquet column statistics (workers/parquet-write.ts): the files the service writes — the local backend's
 * stored sheets, and `?format=parquet` exports on both backends — carry them, except for a table with a text
 * value longer than STATISTICS_MAX_VALUE_CHARS, whose minimum and maximum Polars would repeat whole in the file
 * (a 100 MB cell made an 839 MB file). Files are read back by hyparquet, independently of Polars.
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import t from 'tap';
import { STATISTICS_MAX_VALUE_CHARS } from '../../workers/parquet-write.js';
import { BACKENDS, startServer, upload, type Server } from '../support/server.js';

/** Per column: whether its chunks in every row group carry a minimum and a maximum. */
function statistics(file: Uint8Array): Record<string, boolean> {
  const meta = parquetMetadata(file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer);
  const out: Record<string, boolean> = {};
  for (const group of meta.row_groups) {
    for (const chunk of group.columns) {
      const name = chunk.meta_data!.path_in_schema.join('.');
      const stats = chunk.meta_data!.statistics;
      out[name] = (out[name] ?? true) && stats?.min_value !== undefined && stats?.max_value !== undefined;
    }
  }
  return out;
}

async function rows(file: Uint8Array): Promise<Record<string, unknown>[]> {
  return parquetReadObjects({ file: file.buffer.slice(file.byteOffset, file.byteOffset + file.byteLength) as ArrayBuffer, compressors });
}

/** The local backend's stored Parquet file of the version uploaded by `upload` (the one new directory). */
async function storedSheet(server: Server, uploadIt: () => Promise<{ status: number; body: any }>): Promise<{ up: { status: number; body: any }; sheet?: Uint8Array }> {
  const versions = join(server.dataDir, 'versions');
  const before = new Set(server.backend === 'local' ? readdirSync(versions) : []);
  const up = await uploadIt();
  if (server.backend !== 'local') return { up };
  const added = readdirSync(versions).filter((d) => !before.has(d));
  return { up, sheet: added.length === 1 ? readFileSync(join(versions, added[0], 'sheet-0.parquet')) : undefined };
}

async function exported(server: Server, up: { body: any }): Promise<Uint8Array> {
  const res = await fetch(`${server.url}/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}/data?format=parquet`);
  if (res.status !== 200) throw new Error(`export: ${res.status} ${await res.text()}`);
  return new Uint8Array(await res.arrayBuffer());
}

for (const backend of BACKENDS) {
  t.test(`${backend}: Parquet statistics`, async (t) => {
    const server = await startServer(t, { backend });

    await t.test('a table of short values: written with every column statistics', async (t) => {
      const csv = 'id,city\n1,Oslo\n2,Bergen\n3,Tromsø\n';
      const { up, sheet } = await storedSheet(server, () => upload(server, csv, 'cities.csv'));
      t.equal(up.status, 201);
      const files = { export: await exported(server, up), ...(sheet ? { stored: sheet } : {}) };
      if (backend === 'local') t.ok(sheet, 'the stored sheet found');
      for (const [what, file] of Object.entries(files)) {
        t.same(statistics(file), { id: true, city: true }, `${what}: min and max for each column`);
        t.same(await rows(file), [{ id: 1n, city: 'Oslo' }, { id: 2n, city: 'Bergen' }, { id: 3n, city: 'Tromsø' }], `${what}: the rows`);
      }
    });

    await t.test('a table with a value longer than the limit: written without statistics, its size the data', async (t) => {
      // Random text: compression cannot hide a copy of it.
      const long = randomBytes(Math.ceil(((STATISTICS_MAX_VALUE_CHARS + 1000) * 3) / 4)).toString('base64');
      t.ok(long.length > STATISTICS_MAX_VALUE_CHARS);
      const csv = `id,note\n1,short\n2,${long}\n3,\n`;
      const { up, sheet } = await storedSheet(server, () => upload(server, csv, 'long-note.csv'));
      t.equal(up.status, 201);
      const files = { export: await exported(server, up), ...(sheet ? { stored: sheet } : {}) };
      if (backend === 'local') t.ok(sheet, 'the stored sheet found');
      for (const [what, file] of Object.entries(files)) {
        // With statistics, the value's minimum and maximum copies made the file ~7× the value (~600 KB here).
        t.ok(file.byteLength < 1.5 * csv.length, `${what}: ${file.byteLength} bytes for a ${csv.length}-byte CSV`);
        t.same(statistics(file), { id: false, note: false }, `${what}: no statistics`);
        t.same(await rows(file), [{ id: 1n, note: 'short' }, { id: 2n, note: long }, { id: 3n, note: null }], `${what}: the rows, the long value whole`);
      }
    });

    await t.test('a value at the limit keeps them', async (t) => {
      const csv = `id,note\n1,${'x'.repeat(STATISTICS_MAX_VALUE_CHARS)}\n`;
      const { up, sheet } = await storedSheet(server, () => upload(server, csv, 'at-limit.csv'));
      t.equal(up.status, 201);
      for (const [what, file] of Object.entries({ export: await exported(server, up), ...(sheet ? { stored: sheet } : {}) })) {
        t.same(statistics(file), { id: true, note: true }, `${what}: statistics`);
      }
    });
  });
}
