/**
 * The full bench's mixed scenario alone (event-loop delay and /health latency while the 127 MB CSV uploads, a
 * detailed statistics job runs and JSON pages are served at c=8; scenarios/event-loop.ts), for this build and
 * optionally another build (`--baseline <repo>`, built with `npm run build`), runs alternated in one process so
 * both see the same machine. Prints the medians per build and backend.
 *
 *   npm run build && npm run build:bench && node dist/bench/mixed.js [--baseline ../other] [--runs 3] [--backends memory,local]
 */
import { parseArgs } from 'node:util';
import { uploadFile } from './client.js';
import { prepareInputs } from './data.js';
import { eventLoopScenario, type EventLoopFigures } from './scenarios/event-loop.js';
import { installCleanup, startService, stopAll, type Backend } from './servers.js';
import { comparedBuilds, inTurn, log, median, PARQUET_PATH, round } from './util.js';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    runs: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'memory,local' },
  },
});

installCleanup();
const inputs = prepareInputs();
const lines = [`mixed scenario (CSV upload + detailed statistics + JSON pages at c=8), medians of ${args.runs} alternated runs`, '', '| backend | server | event loop p99 ms | /health p99 ms | /health requests |', '|---|---|---:|---:|---:|'];
for (const backend of args.backends!.split(',') as Backend[]) {
  const targets = [];
  for (const { name, main } of comparedBuilds(args.baseline)) {
    const server = await startService({ backend, workers: 2, main });
    targets.push({ name, server, table: await uploadFile(server.url, PARQUET_PATH, 'flights'), runs: [] as EventLoopFigures[] });
  }
  for (let i = 0; i < Number(args.runs); i++) {
    for (const t of inTurn(targets, i)) t.runs.push(await eventLoopScenario(t.server, t.table, inputs, 8));
  }
  for (const t of targets) {
    const p99 = median(t.runs.map((r) => r.probe?.p99_ms ?? r.event_loop_delay_p99_ms ?? NaN));
    lines.push(`| ${backend} | ${t.name} | ${round(p99, 2)} | ${round(median(t.runs.map((r) => r.health.p99_ms)), 2)} | ${median(t.runs.map((r) => r.health.requests))} |`);
  }
  await stopAll();
}
log('done');
console.log(lines.join('\n'));
process.exit(0);
