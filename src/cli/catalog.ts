/**
 * `npm run catalog -- COMMAND`, with the service's settings (environment, then `.env`):
 *   copy-to-postgres   copies DATA_DIR/catalog.sqlite into the empty PostgreSQL database at CATALOG_URL
 *                      (ids, numbers, tags and timestamps kept; the files under DATA_DIR stay as they are)
 *   check [--repair]   compares the catalog (CATALOG_URL, or DATA_DIR/catalog.sqlite) with the files under
 *                      DATA_DIR/versions; --repair removes versions whose files are gone and orphan directories
 * With the SQLite catalog both take DATA_DIR's instance lock: stop the service first. Exit status 0 when
 * consistent (or copied), 1 when check found something (and did not repair), 2 on a usage or setting error.
 */
import { join } from 'node:path';
import type { Catalog } from '../catalog/catalog.js';
import { checkCatalogFiles } from '../catalog/check-files.js';
import { copyCatalogToPostgres } from '../catalog/copy-to-postgres.js';
import { SqliteCatalog } from '../catalog/sqlite-catalog.js';
import { ConfigError, loadConfig } from '../config.js';
import { bindDataDir, movedToPostgres, openPostgresFor, SQLITE_FILE } from '../instances/data-dir-catalog.js';
import { lockDataDir } from '../instances/data-dir-lock.js';
import { thisInstance } from '../instances/instance.js';

const USAGE = 'usage: npm run catalog -- copy-to-postgres | check [--repair]';

async function main(args: string[]): Promise<number> {
  const [command, ...flags] = args;
  const config = loadConfig();
  if (config.storageBackend !== 'local') throw new ConfigError('the catalog commands are for the local backend (STORAGE_BACKEND=local)');
  const sqlitePath = join(config.dataDir, SQLITE_FILE);
  if (command === 'copy-to-postgres' && flags.length === 0) {
    if (!config.catalogUrl) throw new ConfigError('copy-to-postgres needs CATALOG_URL: the PostgreSQL database to copy into');
    const unlock = lockDataDir(config.dataDir, thisInstance());
    try {
      const { copied, catalogId } = await copyCatalogToPostgres(sqlitePath, config.catalogUrl);
      movedToPostgres(config.dataDir, catalogId);
      process.stdout.write(
        `copied ${Object.entries(copied).map(([table, n]) => `${n} ${table}`).join(', ')} into CATALOG_URL; ${SQLITE_FILE} was renamed ` +
          `${SQLITE_FILE}.moved-to-postgres; start the service with CATALOG_URL set\n`,
      );
      return 0;
    } finally {
      unlock();
    }
  }
  if (command === 'check' && flags.every((f) => f === '--repair')) {
    const repair = flags.includes('--repair');
    const unlock = config.catalogUrl ? undefined : lockDataDir(config.dataDir, thisInstance());
    let catalog: Catalog;
    try {
      // The catalog that keeps DATA_DIR, or a refusal: checked against another, every file would be an orphan.
      if (config.catalogUrl) {
        catalog = (await openPostgresFor(config.dataDir, config.catalogUrl, { maxConnections: 2 })).catalog;
      } else {
        bindDataDir(config.dataDir, { kind: 'sqlite' });
        catalog = new SqliteCatalog(sqlitePath);
      }
    } catch (err) {
      unlock?.();
      throw err;
    }
    try {
      const found = await checkCatalogFiles(catalog, config.dataDir, repair);
      for (const m of found.missingFiles) process.stdout.write(`version ${m.versionId} of dataset ${m.datasetId} (${m.storageKey}): missing ${m.missing.join(', ')}\n`);
      for (const o of found.orphans) process.stdout.write(`orphan directory versions/${o}: no version owns it\n`);
      const problems = found.missingFiles.length + found.orphans.length;
      if (repair) process.stdout.write(`repaired: ${found.repaired.versionsRemoved} versions removed from the catalog, ${found.repaired.orphansDeleted} orphan directories deleted\n`);
      else process.stdout.write(problems ? `${problems} problems; run with --repair to fix them\n` : 'catalog and files agree\n');
      return problems && !repair ? 1 : 0;
    } finally {
      await catalog.close();
      unlock?.();
    }
  }
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof ConfigError ? 'configuration error' : 'error'}: ${(err as Error).message}\n`);
    process.exit(2);
  },
);
