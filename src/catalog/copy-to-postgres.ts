import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PostgresCatalog } from './postgres-catalog.js';

/** Tables in the order their foreign keys need, with the columns both schemas share. */
const TABLES = [
  { name: 'datasets', columns: ['id', 'name', 'description', 'tags', 'created_at', 'updated_at', 'last_version_number'], identity: true },
  { name: 'versions', columns: ['id', 'dataset_id', 'version_number', 'file_name', 'file_type', 'file_size', 'created_at', 'storage_key', 'reader'], identity: true },
  { name: 'sheets', columns: ['version_id', 'position', 'name', 'row_count', 'columns'], identity: false },
  { name: 'statistics', columns: ['version_id', 'sheet', 'body'], identity: false },
  { name: 'version_tags', columns: ['dataset_id', 'name', 'version_id', 'description', 'created_at', 'updated_at'], identity: false },
] as const;

/** Rows per INSERT: PostgreSQL takes at most 65,535 parameters a statement. */
const BATCH_ROWS = 500;

/**
 * Copies the SQLite catalog at `sqlitePath` (DATA_DIR/catalog.sqlite) into the PostgreSQL database at `url`,
 * keeping every id, version number, storage key and timestamp, so the files under DATA_DIR stay where they are
 * and clients see the same datasets. The schema is migrated first; the copy is one transaction, and refuses a
 * database that already holds datasets (nothing is merged or overwritten). Identity counters continue after
 * the highest ids copied. Returns the rows copied per table and the PostgreSQL catalog's id. Errors: the
 * database's or SQLite's, unchanged.
 */
export async function copyCatalogToPostgres(sqlitePath: string, url: string): Promise<{ copied: Record<string, number>; catalogId: string }> {
  if (!existsSync(sqlitePath)) throw new Error(`${sqlitePath} does not exist: nothing to copy`);
  // Creates or migrates the schema, under the migration lock; the catalog's id binds DATA_DIR to it afterwards.
  const target = await PostgresCatalog.open(url, { maxConnections: 1 });
  const catalogId = await target.identity();
  await target.close();
  const source = new Database(sqlitePath, { readonly: true, fileMustExist: true });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const copied: Record<string, number> = {};
  try {
    await client.query('BEGIN');
    const { rows } = await client.query('SELECT COUNT(*)::int AS n FROM datasets');
    if (rows[0].n > 0) throw new Error(`the PostgreSQL catalog already holds ${rows[0].n} datasets; copy into an empty database`);
    for (const table of TABLES) {
      const all = source.prepare(`SELECT ${table.columns.join(', ')} FROM ${table.name}`).all() as Record<string, unknown>[];
      for (let i = 0; i < all.length; i += BATCH_ROWS) {
        const batch = all.slice(i, i + BATCH_ROWS);
        const values = batch.map((_, r) => `(${table.columns.map((_, c) => `$${r * table.columns.length + c + 1}`).join(', ')})`);
        await client.query(
          `INSERT INTO ${table.name} (${table.columns.join(', ')}) VALUES ${values.join(', ')}`,
          batch.flatMap((row) => table.columns.map((c) => row[c])),
        );
      }
      if (table.identity) {
        await client.query(`SELECT setval(pg_get_serial_sequence('${table.name}', 'id'), GREATEST((SELECT MAX(id) FROM ${table.name}), 1), (SELECT COUNT(*) > 0 FROM ${table.name}))`);
      }
      copied[table.name] = all.length;
    }
    await client.query('COMMIT');
    return { copied, catalogId };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    await client.end();
    source.close();
  }
}
