/**
 * The full bench's mixed scenario alone (event-loop delay and /health latency while the 127 MB CSV uploads, a
 * detailed statistics job runs and JSON pages are served at c=8; scenarios/event-loop.ts), for this build and
 * optionally another build (`--baseline <repo>`, built with `npm run build`), runs alternated in one process so
 * both see the same machine. Prints the medians per build and backend.
 *
 *   npm run build && npm run build:bench && node dist/bench/mixed.js [--baseline ../other] [--runs 3] [--backends memory,local]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { uploadFile } from './client.js';
import { prepareInputs } from './data.js';
import { eventLoopScenario, type EventLoopFigures } from './scenarios/event-loop.js';
import { installCleanup, startService, stopAll, type Backend } from './servers.js';
import { log, median, PARQUET_PATH, round } from './util.js';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    runs: { type: 'string', default: '3' },
    backends: { type: 'string', default: 'memory,local' },
  },
});

installCleanup();
const inputs = prepareInputs();
const builds: [string, string | undefined][] = [['this build', undefined], ...(args.baseline ? [['baseline', join(args.baseline, 'dist/src/main.js')] as [string, string]] : [])];
const lines = [`mixed scenario (CSV upload + detailed statistics + JSON pages at c=8), medians of ${args.runs} alternated runs`, '', '| backend | server | event loop p99 ms | /health p99 ms | /health requests |', '|---|---|---:|---:|---:|'];
for (const backend of args.backends!.split(',') as Backend[]) {
  const targets = [];
  for (const [name, main] of builds) {
    const server = await startService({ backend, workers: 2, main });
    targets.push({ name, server, table: await uploadFile(server.url, PARQUET_PATH, 'flights'), runs: [] as EventLoopFigures[] });
  }
  for (let i = 0; i < Number(args.runs); i++) {
    for (let k = 0; k < targets.length; k++) {
      const t = targets[(k + i) % targets.length];
      t.runs.push(await eventLoopScenario(t.server, t.table, inputs, 8));
    }
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
