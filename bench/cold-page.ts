/**
 * The cold first page (the full bench's `cold-first-page-local` target) alone, for this build and optionally
 * another build of the service (`--baseline <repo>`, built with `npm run build`), restarts interleaved in one
 * run so both see the same machine. Each restart: the local service on its data directory (the flights table,
 * uploaded once as Parquet), one /health, then one 100-row JSON page at a random offset (timed: the cold
 * page) and another (the next page). `--env K=V,...` sets environment variables for this build only (to try
 * a setting against the same build as baseline: `--baseline . --env MALLOC_MMAP_THRESHOLD_=131072`).
 *
 *   npm run build && npm run build:bench && node dist/bench/cold-page.js [--baseline ../other] [--restarts 15] [--env K=V]
 */
import { parseArgs } from 'node:util';
import { uploadFile } from './client.js';
import { coldFirstPage } from './scenarios/cold.js';
import { installCleanup, startService, stopAll, type ServerHandle } from './servers.js';
import { comparedBuilds, inTurn, log, median, PARQUET_PATH, round } from './util.js';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    restarts: { type: 'string', default: '15' },
    env: { type: 'string', default: '' },
  },
});

installCleanup();
const env = Object.fromEntries(args.env!.split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const targets = [];
for (const { name, main } of comparedBuilds(args.baseline)) {
  const server = await startService({ backend: 'local', workers: 2, main, env: main ? {} : env });
  targets.push({ name, server, table: await uploadFile(server.url, PARQUET_PATH, 'flights'), first: [] as number[], next: [] as number[] });
}
for (let i = 0; i < Number(args.restarts); i++) {
  for (const t of inTurn(targets, i)) {
    const { server, figures } = await coldFirstPage(t.server as ServerHandle, t.table, 1);
    t.server = server;
    t.first.push(figures.first_page_ms);
    t.next.push(figures.second_page_ms);
  }
}
const lines = [`local backend, cold first page (ms) after a restart, ${args.restarts} restarts each, interleaved${args.env ? `; this build with ${args.env}` : ''}`, '', '| server | first page p50 | min | max | next page p50 |', '|---|---:|---:|---:|---:|'];
for (const t of targets) lines.push(`| ${t.name} | ${round(median(t.first), 2)} | ${round(Math.min(...t.first), 2)} | ${round(Math.max(...t.first), 2)} | ${round(median(t.next), 2)} |`);
log('done');
console.log(lines.join('\n'));
await stopAll();
process.exit(0);
