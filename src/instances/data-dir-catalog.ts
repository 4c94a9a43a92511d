import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PostgresCatalog } from '../catalog/postgres-catalog.js';
import { ConfigError } from '../config.js';

/** Names the PostgreSQL catalog that keeps a DATA_DIR: `postgres <catalog id>`. */
const IDENTITY_FILE = 'catalog-identity';
/** The embedded catalog's file. */
export const SQLITE_FILE = 'catalog.sqlite';

/**
 * Ties a DATA_DIR to the one catalog that lists its files, before anything is cleaned up at start: start-up
 * removes uncatalogued files of dead instances, so an instance started with the wrong catalog would take every
 * version for an orphan. Refused at start, with a ConfigError naming what to do:
 * - the SQLite catalog on a DATA_DIR a PostgreSQL catalog keeps (DATA_DIR/catalog-identity);
 * - a PostgreSQL catalog on a DATA_DIR that holds a SQLite catalog (move it first: copy-to-postgres);
 * - a PostgreSQL catalog other than the one that keeps the DATA_DIR;
 * - a PostgreSQL catalog that lists versions on a DATA_DIR it has never used (not the shared volume?).
 * A PostgreSQL catalog's first start on a DATA_DIR writes the identity file.
 */
export function bindDataDir(dataDir: string, catalog: { kind: 'sqlite' } | { kind: 'postgres'; id: string; versions: number }): void {
  const identityPath = join(dataDir, IDENTITY_FILE);
  const bound = existsSync(identityPath) ? readFileSync(identityPath, 'utf8').trim() : undefined;
  if (catalog.kind === 'sqlite') {
    if (bound) {
      throw new ConfigError(`DATA_DIR ${dataDir} is kept by a PostgreSQL catalog (${IDENTITY_FILE}): start with its CATALOG_URL; without it every version would look like an orphan`);
    }
    return;
  }
  if (existsSync(join(dataDir, SQLITE_FILE))) {
    throw new ConfigError(
      `DATA_DIR ${dataDir} holds a SQLite catalog (${SQLITE_FILE}): stop the service and move it into the empty PostgreSQL database with ` +
        '`npm run catalog -- copy-to-postgres` first, or use another DATA_DIR',
    );
  }
  const mine = `postgres ${catalog.id}`;
  if (bound && bound !== mine) {
    throw new ConfigError(`DATA_DIR ${dataDir} is kept by another PostgreSQL catalog (${IDENTITY_FILE}: ${bound}; CATALOG_URL's is ${catalog.id}): use that catalog's CATALOG_URL, or another DATA_DIR`);
  }
  if (!bound && catalog.versions > 0) {
    // A catalog with versions meets a DATA_DIR it has never used: most likely not the shared volume (unmounted,
    // another path). Every version would read as missing, and clean-up or repair would take them for lost.
    throw new ConfigError(
      `DATA_DIR ${dataDir} is not the one this PostgreSQL catalog keeps: it has no ${IDENTITY_FILE}, and the catalog lists ` +
        `${catalog.versions} versions. Check that DATA_DIR is the shared volume; if it really is, write "${mine}" into ${identityPath}`,
    );
  }
  if (!bound) writeAtomically(identityPath, `${mine}\n`);
}

/**
 * bindDataDir for a PostgreSQL catalog, with what it needs asked of the catalog (its id, its versions). Returns
 * the catalog's storage keys, so that start-up, which compares the files with them, does not read them again.
 */
export async function bindDataDirToPostgres(dataDir: string, catalog: PostgresCatalog): Promise<Set<string>> {
  const keys = await catalog.storageKeys();
  bindDataDir(dataDir, { kind: 'postgres', id: await catalog.identity(), versions: keys.size });
  return keys;
}

/** After copy-to-postgres: the SQLite catalog is set aside (kept, renamed) and DATA_DIR bound to the PostgreSQL one. */
export function movedToPostgres(dataDir: string, catalogId: string): void {
  for (const suffix of ['', '-wal', '-shm']) {
    const path = join(dataDir, `${SQLITE_FILE}${suffix}`);
    if (existsSync(path)) renameSync(path, join(dataDir, `${SQLITE_FILE}${suffix}.moved-to-postgres`));
  }
  writeAtomically(join(dataDir, IDENTITY_FILE), `postgres ${catalogId}\n`);
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}
