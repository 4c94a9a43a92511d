/**
 * `npm run soak [-- --requests N --concurrency C]`: the long soak, on both backends, each on its own server.
 * Prints a JSON report per backend; the short form runs in the test suite (test/soak.test.ts).
 */
import { installCleanup, startService, stopAll, type Backend } from './servers.js';
import { runSoak } from '../test/support/soak-load.js';

async function main() {
  const args = process.argv.slice(2);
  const flag = (name: string, fallback: number) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? Number(args[i + 1]) : fallback;
  };
  installCleanup();
  for (const backend of ['memory', 'local'] as Backend[]) {
    const server = await startService({ backend, workers: 2 });
    const report = await runSoak({
      url: server.url,
      pid: server.pid,
      requests: flag('requests', 20_000),
      concurrency: flag('concurrency', 64),
      seedDatasets: 6,
      log: (line) => process.stdout.write(`[${backend}] ${line}\n`),
    });
    process.stdout.write(`${JSON.stringify({ backend, ...report }, null, 2)}\n`);
    await server.stop();
  }
  await stopAll();
}

main().catch(async (err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  await stopAll();
  process.exit(1);
});
