/**
 * The full bench's filtered-pages target alone: JSON pages of 100 rows at random offsets of each filtered or
 * sorted query's result (the pages after the first: the result is computed once, then cached) beside plain pages,
 * at c=16, on the 3M-row flights table, for this build and optionally another (`--baseline <repo>`, built with
 * `npm run build`), runs alternated in one process so every build sees the same machine. Prints, per backend and
 * build, the medians of req/s and each query's ratio to plain pages (the target: ≥ 0.5×), and, measured first,
 * the first page of `--firsts` never-asked variants of each query (one request at a time, builds in turn; the
 * full bench's target compares it with the in-process engine).
 *
 *   npm run build && npm run build:bench && node dist/bench/filtered.js [--baseline ../other] [--runs 3] [--seconds 3] [--firsts 7] [--backends memory,local]
 */
import { parseArgs } from 'node:util';
import { getText, uploadFile } from './client.js';
import { TABLE_ROWS } from './data.js';
import { runLoad } from './load.js';
import { filteredFirstPages, queryString } from './scenarios/filtered.js';
import { installCleanup, startService, stopAll, waitIdle, type Backend } from './servers.js';
import { DELAYED_OVER_HOUR, LATE_FROM_ORD } from './settings.js';
import { comparedBuilds, inTurn, log, median, PARQUET_PATH, round } from './util.js';

const { values: args } = parseArgs({
  options: {
    baseline: { type: 'string' },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '3' },
    firsts: { type: 'string', default: '7' },
    backends: { type: 'string', default: 'memory,local' },
  },
});

const CONCURRENCY = 16;
const QUERIES = [LATE_FROM_ORD, DELAYED_OVER_HOUR];
const views = [{ name: 'plain', query: '' }, ...QUERIES.map((q) => ({ name: q.name, query: queryString(q) }))];

installCleanup();
const lines = [
  `filtered pages after the first (JSON/100, c=${CONCURRENCY}, ${args.seconds} s runs), medians of ${args.runs} alternated runs`,
  '',
  `| backend | server | ${views.map((v) => `${v.name} req/s`).join(' | ')} | ${views.slice(1).map((v) => `${v.name} ÷ plain`).join(' | ')} |`,
  `|---|---|${views.map(() => '---:').join('|')}|${views.slice(1).map(() => '---:').join('|')}|`,
];
const firstLines = [`first page of a never-asked variant (JSON/100, offset 0), medians of ${args.firsts}`, '', `| backend | server | ${QUERIES.map((q) => `${q.name} ms`).join(' | ')} |`, `|---|---|${QUERIES.map(() => '---:').join('|')}|`];
for (const backend of args.backends!.split(',') as Backend[]) {
  const targets = [];
  for (const { name, main } of comparedBuilds(args.baseline)) {
    const server = await startService({ backend, workers: 2, main });
    const table = await uploadFile(server.url, PARQUET_PATH, 'flights');
    const dataPath = `/api/datasets/${table.dataset_id}/versions/${table.version_id}/data`;
    // Each view's size, which also computes and caches its result (and, local, reads the table into the cache).
    const totals = [];
    for (const v of views) totals.push(v.query ? (JSON.parse(await getText(`${server.url}${dataPath}?${v.query}&limit=1`)) as { total_rows: number }).total_rows : TABLE_ROWS);
    targets.push({ name, server, dataPath, totals, rps: views.map(() => [] as number[]) });
  }
  const { pages: firsts } = await filteredFirstPages(targets.map((t) => ({ name: t.name, url: t.server.url, dataPath: t.dataPath, pid: t.server.pid, service: true })), QUERIES, Number(args.firsts));
  for (const t of targets) firstLines.push(`| ${backend} | ${t.name} | ${firsts[t.name].map((f) => f.p50_ms).join(' | ')} |`);
  for (let r = 0; r < Number(args.runs); r++) {
    for (const t of inTurn(targets, r)) {
      for (const [i, v] of views.entries()) {
        await waitIdle([t.server.pid]);
        const run = await runLoad({ url: t.server.url, dataPath: t.dataPath, query: v.query || undefined, totalRows: t.totals[i], rows: 100, format: 'json', concurrency: CONCURRENCY, durationS: Number(args.seconds), seed: 100 * r + i });
        if (run.non2xx || run.errors) throw new Error(`${t.name} ${v.name}: ${run.non2xx} non-2xx, ${run.errors} errors`);
        t.rps[i].push(run.rps);
        log(`${backend} ${t.name} ${v.name}: ${round(run.rps)} req/s`);
      }
    }
  }
  for (const t of targets) {
    const rps = t.rps.map((runs) => median(runs));
    lines.push(`| ${backend} | ${t.name} | ${rps.map((x) => round(x)).join(' | ')} | ${rps.slice(1).map((x) => round(x / rps[0], 2)).join(' | ')} |`);
  }
  await stopAll();
}
log('done');
console.log([...lines, '', ...firstLines].join('\n'));
process.exit(0);
