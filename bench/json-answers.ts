/**
 * JSON answers built on the main thread (not pages: those are encoded in the workers): the dataset list, one
 * dataset with its versions, a version's schema and /health, for this build and another build of the service
 * (`--baseline <repo>`, built with `npm run build`), interleaved in one run on the memory backend, each
 * server holding the same `--datasets` small uploads. Shows what serializing from the response schemas
 * (fast-json-stringify through Fastify) does against the build before it. Prints req/s medians and ratios.
 *
 *   npm run build && npm run build:bench && node dist/bench/json-answers.js --baseline ../other [--reps 3] [--seconds 4]
 */
import autocannon from 'autocannon';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { uploadFile } from './client.js';
import { installCleanup, startService, stopAll, waitIdle, type ServerHandle } from './servers.js';
import { comparedBuilds, inTurn, log, median } from './util.js';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    reps: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '16' },
    datasets: { type: 'string', default: '100' },
  },
});

installCleanup();
const dir = mkdtempSync(join(tmpdir(), 'dataset-bench-json-'));
const csv = join(dir, 'small.csv');
writeFileSync(csv, 'id,name,when,amount\n' + Array.from({ length: 50 }, (_, i) => `${i},row ${i},2024-01-${String((i % 28) + 1).padStart(2, '0')},${i * 1.5}`).join('\n') + '\n');

interface Target {
  name: string;
  server: ServerHandle;
  paths: Record<string, string>;
}
const targets: Target[] = [];
for (const { name, main } of comparedBuilds(args.baseline)) {
  const server = await startService({ backend: 'memory', workers: 2, main });
  let last = { dataset_id: 0, version_id: 0 };
  for (let i = 0; i < Number(args.datasets); i++) last = await uploadFile(server.url, csv, `dataset ${i}`);
  targets.push({
    name,
    server,
    paths: {
      'GET /api/datasets?limit=100': '/api/datasets?limit=100',
      'GET /api/datasets/{id}': `/api/datasets/${last.dataset_id}`,
      'GET …/versions/{vid}/schema': `/api/datasets/${last.dataset_id}/versions/${last.version_id}/schema`,
      'GET /health': '/health',
    },
  });
}

const rps = new Map<string, number[]>();
for (let rep = 0; rep < Number(args.reps); rep++) {
  for (const route of Object.keys(targets[0].paths)) {
    for (const t of inTurn(targets, rep)) {
      await waitIdle(targets.map((x) => x.server.pid));
      const result = await autocannon({ url: t.server.url + t.paths[route], connections: Number(args.concurrency), duration: Number(args.seconds) });
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${t.name} ${route}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      log(`${route} ${t.name}: ${result.requests.average} req/s`);
      rps.set(`${route}|${t.name}`, [...(rps.get(`${route}|${t.name}`) ?? []), result.requests.average]);
    }
  }
}

const lines = [`memory backend, ${args.datasets} datasets, c=${args.concurrency}, medians of ${args.reps} interleaved runs of ${args.seconds} s`, '', '| answer | this build req/s | baseline req/s | × baseline |', '|---|---:|---:|---:|'];
for (const route of Object.keys(targets[0].paths)) {
  const m = (name: string) => median(rps.get(`${route}|${name}`) ?? [Number.NaN]);
  lines.push(`| ${route} | ${m('this build').toFixed(0)} | ${m('baseline').toFixed(0)} | ${(m('this build') / m('baseline')).toFixed(2)} |`);
}
console.log(lines.join('\n'));
await stopAll();
process.exit(0);
