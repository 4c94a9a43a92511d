/**
 * The page hot path, per thread: 100-row pages at random offsets of the flights table on the memory backend,
 * for the HTTP floor, this build and optionally another build of the service (`--baseline <repo>`, built with
 * `npm run build`), interleaved in one run. For each: req/s and p99 against the floor's, and CPU per page of the
 * main thread, of the busiest other thread (the shard holding the table) and of all the rest (V8 and Polars
 * helpers), from /proc/<pid>/task/<tid>/stat around each load run.
 *
 *   npm run build && npm run build:bench && node dist/bench/hot-path.js [--baseline ../other] [--reps 3] [--seconds 6]
 *     [--concurrency 64] [--formats json,arrow] [--log-level info]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { uploadFile, type Uploaded } from './client.js';
import { TABLE_ROWS } from './data.js';
import { runLoad, type PageFormat } from './load.js';
import { dataPath, floorVariants } from './scenarios/pages.js';
import { installCleanup, startFloor, startService, stopAll, waitIdle, type ServerHandle } from './servers.js';
import { comparedBuilds, inTurn, log, median, PARQUET_PATH } from './util.js';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    reps: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '6' },
    concurrency: { type: 'string', default: '64' },
    formats: { type: 'string', default: 'json,arrow' },
    'log-level': { type: 'string', default: 'info' },
  },
});

/** CPU seconds of each thread of a process, by OS thread id. */
function threadCpu(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(f[11]) + Number(f[12])) / 100);
    } catch {
      /* the thread ended */
    }
  }
  return out;
}

interface Run {
  rps: number;
  p99_ms: number;
  main_us: number;
  busiest_us: number;
  rest_us: number;
}

interface Target {
  name: string;
  server: ServerHandle;
  path: string;
}

installCleanup();
const level = args['log-level']!;
const targets: Target[] = [];
let table: Uploaded | undefined;
for (const { name, main } of comparedBuilds(args.baseline)) {
  const server = await startService({ backend: 'memory', workers: 2, logLevel: level, main });
  const uploaded = await uploadFile(server.url, PARQUET_PATH, 'flights');
  table ??= uploaded;
  targets.push({ name, server, path: dataPath(uploaded) });
}
// The floor serves the bytes of this build's pages on the same route.
const floor = await startFloor(await floorVariants(targets[0].server, table!, [100]));
targets.unshift({ name: 'HTTP floor', server: floor, path: targets[0].path });

const runs = new Map<string, Run[]>();
const formats = args.formats!.split(',') as PageFormat[];
for (const format of formats) {
  for (let rep = 0; rep < Number(args.reps); rep++) {
    for (const t of inTurn(targets, rep)) {
      const spec = { url: t.server.url, dataPath: t.path, totalRows: TABLE_ROWS, rows: 100, format, concurrency: Number(args.concurrency), durationS: Number(args.seconds), seed: rep + 1 };
      if (rep === 0) await runLoad({ ...spec, durationS: 2 });
      await waitIdle(targets.map((x) => x.server.pid));
      const before = threadCpu(t.server.pid);
      const fig = await runLoad(spec);
      const after = threadCpu(t.server.pid);
      const perPage = (s: number) => (s / Math.max(1, fig.requests)) * 1e6;
      const main = String(t.server.pid);
      const others = [...after].filter(([tid]) => tid !== main).map(([tid, s]) => s - (before.get(tid) ?? 0)).sort((a, b) => b - a);
      const run: Run = {
        rps: fig.rps,
        p99_ms: fig.p99_ms,
        main_us: perPage((after.get(main) ?? 0) - (before.get(main) ?? 0)),
        busiest_us: perPage(others[0] ?? 0),
        rest_us: perPage(others.slice(1).reduce((a, b) => a + b, 0)),
      };
      log(`${format} ${t.name}: ${run.rps} req/s, p99 ${run.p99_ms} ms, main ${run.main_us.toFixed(1)} µs, busiest other ${run.busiest_us.toFixed(1)} µs, rest ${run.rest_us.toFixed(1)} µs`);
      runs.set(`${format}|${t.name}`, [...(runs.get(`${format}|${t.name}`) ?? []), run]);
    }
  }
}

const lines = [
  `memory backend, 100-row pages, c=${args.concurrency}, LOG_LEVEL=${level}, medians of ${args.reps} interleaved runs`,
  '',
  '| format | server | req/s | × floor | p99 ms | × floor | main µs/page | shard µs/page | rest µs/page |',
  '|---|---|---:|---:|---:|---:|---:|---:|---:|',
];
for (const format of formats) {
  const med = (name: string, f: (r: Run) => number) => median((runs.get(`${format}|${name}`) ?? []).map(f));
  for (const t of targets) {
    const m = (f: (r: Run) => number) => med(t.name, f);
    lines.push(
      `| ${format} | ${t.name} | ${m((r) => r.rps).toFixed(0)} | ${(m((r) => r.rps) / med('HTTP floor', (r) => r.rps)).toFixed(2)} | ${m((r) => r.p99_ms).toFixed(1)} | ` +
        `${(m((r) => r.p99_ms) / med('HTTP floor', (r) => r.p99_ms)).toFixed(2)} | ${m((r) => r.main_us).toFixed(1)} | ${m((r) => r.busiest_us).toFixed(1)} | ${m((r) => r.rest_us).toFixed(1)} |`,
    );
  }
}
console.log(lines.join('\n'));
await stopAll();
process.exit(0);

