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
 * - a PostgreSQL catalog other than the one that keeps the DATA_DIR (or a database with no catalog yet);
 * - a PostgreSQL catalog that lists versions on a DATA_DIR it has never used (not the shared volume?).
 * Checks only: `catalog` is what the database held before anything was migrated (PostgresCatalog.inspect; `id`
 * missing when it holds no catalog yet). openPostgresFor writes the identity file on a first start.
 */
export function bindDataDir(dataDir: string, catalog: { kind: 'sqlite' } | { kind: 'postgres'; id?: string; versions: number }): void {
  const bound = boundTo(dataDir);
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
  if (bound && bound !== `postgres ${catalog.id}`) {
    const theirs = catalog.id ?? 'none: that database holds no catalog yet, and was left unchanged';
    throw new ConfigError(`DATA_DIR ${dataDir} is kept by another PostgreSQL catalog (${IDENTITY_FILE}: ${bound}; CATALOG_URL's is ${theirs}): use that catalog's CATALOG_URL, or another DATA_DIR`);
  }
  if (!bound && catalog.versions > 0) {
    // A catalog with versions meets a DATA_DIR it has never used: most likely not the shared volume (unmounted,
    // another path). Every version would read as missing, and clean-up or repair would take them for lost.
    const mine = catalog.id ? `"postgres ${catalog.id}"` : 'the catalog\'s id (after one start with a DATA_DIR of its own)';
    throw new ConfigError(
      `DATA_DIR ${dataDir} is not the one this PostgreSQL catalog keeps: it has no ${IDENTITY_FILE}, and the catalog lists ` +
        `${catalog.versions} versions. Check that DATA_DIR is the shared volume; if it really is, write ${mine} into ${join(dataDir, IDENTITY_FILE)}`,
    );
  }
}

/**
 * The PostgreSQL catalog at `url`, opened (migrated) for `dataDir` only once bindDataDir accepts what the database
 * held: a start refused for the wrong database changes nothing in it. A first start on the DATA_DIR writes its
 * identity file. Returns the catalog and its storage keys, so that start-up, which compares the files with them,
 * does not read them again. Throws bindDataDir's ConfigError, or what connecting or migrating throws.
 */
export async function openPostgresFor(dataDir: string, url: string, options: { maxConnections?: number } = {}): Promise<{ catalog: PostgresCatalog; keys: Set<string> }> {
  const { PostgresCatalog } = await import('../catalog/postgres-catalog.js');
  bindDataDir(dataDir, { kind: 'postgres', ...(await PostgresCatalog.inspect(url)) });
  const catalog = await PostgresCatalog.open(url, options);
  try {
    const keys = await catalog.storageKeys();
    if (!boundTo(dataDir)) writeAtomically(join(dataDir, IDENTITY_FILE), `postgres ${await catalog.identity()}\n`);
    return { catalog, keys };
  } catch (err) {
    await catalog.close();
    throw err;
  }
}

/** What DATA_DIR/catalog-identity names (`postgres <id>`), if the DATA_DIR has one. */
function boundTo(dataDir: string): string | undefined {
  const path = join(dataDir, IDENTITY_FILE);
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
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
