/**
 * `npm run bench [-- --quick] [--json PATH] [--cpu-prof] [--only cache-sweep]`: builds (npm script), then measures the service
 * on both backends against the baselines it runs itself (HTTP floor, engine floor), and writes JSON,
 * Markdown and SVG. Every server is started here on loopback and stopped here, also on error or Ctrl-C.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { prepareInputs } from './data.js';
import { machineInfo } from './machine.js';
import { summarizeProfiles, type ProfileSummary } from './profile.js';
import { assemble, cacheSweepMarkdown, writeOutputs, type RssPoint } from './report.js';
import { engineFloor } from './scenarios/engine.js';
import { csvCpuBaselines } from './scenarios/csv-cpu.js';
import { eventLoopScenario, medianFigures, type EventLoopFigures } from './scenarios/event-loop.js';
import { exportEngineFloor, exportScenario } from './scenarios/exports.js';
import { filteredEngineFloor, filteredFirstPages, filteredPagesScenario } from './scenarios/filtered.js';
import { uploadFile, type Uploaded } from './client.js';
import { cacheSweep } from './scenarios/cache-sweep.js';
import { coldFirstPage } from './scenarios/cold.js';
import { cellKey, dataPath, floorVariants, pagesScenario, serviceTarget, type PageTarget } from './scenarios/pages.js';
import { statisticsScenario, type StatisticsFigures } from './scenarios/statistics.js';
import { sweepScenario, type SweepRow } from './scenarios/sweep.js';
import { uploadScenario, type UploadResult } from './scenarios/uploads.js';
import { installCleanup, setIdleThreshold, startFloor, startNamed, stopAll, type Backend, type ServerHandle, type ServiceName } from './servers.js';
import { parseArgs, type Settings } from './settings.js';
import { inTurn, log, round } from './util.js';

async function main() {
  const settings = parseArgs(process.argv.slice(2));
  installCleanup();
  const began = Date.now();
  const outDir = dirname(settings.json_path);
  mkdirSync(outDir, { recursive: true });
  const profileDir = join(outDir, 'profiles');
  if (settings.cpu_prof) {
    rmSync(profileDir, { recursive: true, force: true });
    setIdleThreshold(0.6);
  }
  const nodeArgs = (name: string, workers: number) =>
    settings.cpu_prof ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${name}-workers${workers}`)}`] : [];
  if (settings.only === 'cache-sweep') return cacheSweepAlone(settings, began);

  log(`${settings.mode} run: ${settings.reps} repetition(s), ${settings.page_duration_s} s per load run, ${settings.cells.length} page cells`);
  const machine = machineInfo();
  const inputs = prepareInputs();
  const engine = engineFloor(inputs, settings.reps, settings.engine_page_ops);
  log(`engine floor: CSV ${engine.csv_read_mb_s} MB/s, Parquet ${engine.parquet_read_mb_s} MB/s, statistics ${engine.statistics_basic_ms} / ${engine.statistics_detailed_ms} ms`);
  const csvCpu = await csvCpuBaselines(inputs, settings.reps);

  // Started together (start-up is mostly loading modules); measured one at a time.
  const started = await Promise.all(
    settings.services.map((name) => startNamed(name, { workers: settings.main_workers, nodeArgs: nodeArgs(name, settings.main_workers) })),
  );
  const services = new Map<ServiceName, ServerHandle>(settings.services.map((n, i) => [n, started[i]]));
  // RSS of each main server after every phase: growth that the phase's own figures do not show (e.g. a leak).
  const rssTimeline = new Map<ServiceName, RssPoint[]>(settings.services.map((n) => [n, []]));
  const mark = (phase: string) => {
    for (const [name, server] of services) {
      const st = server.status();
      if (st) rssTimeline.get(name)!.push({ phase, rss_mb: round(st.rss_mb, 1), hwm_mb: round(st.hwm_mb, 1) });
    }
  };
  mark('started');

  // Uploads and statistics on memory and local; local-nocache only gets the table (its uploads are local's).
  const uploads = new Map<Backend, UploadResult>();
  const statistics = new Map<Backend, StatisticsFigures>();
  const tables = new Map<ServiceName, Uploaded>();
  for (const backend of settings.backends) {
    const server = services.get(backend)!;
    uploads.set(backend, await uploadScenario(server, inputs, settings.reps));
    tables.set(backend, uploads.get(backend)!.table);
    statistics.set(backend, await statisticsScenario(server, uploads.get(backend)!.table, settings.reps));
  }
  for (const name of settings.services) {
    if (!tables.has(name)) tables.set(name, await uploadFile(services.get(name)!.url, inputs.parquet.path, 'bench table'));
  }
  mark('after uploads and statistics');

  const target = (name: ServiceName, only?: PageTarget['only']) => serviceTarget(services.get(name)!, dataPath(tables.get(name)!), only);
  const nocacheKeys = new Set(settings.nocache_cells.map(cellKey));
  const targetOf = (name: ServiceName, only?: (key: string) => boolean) => target(name, name === 'local-nocache' ? (k) => nocacheKeys.has(k) && (!only || only(k)) : only);

  const first = settings.services[0];
  const variants = await floorVariants(services.get(first)!, tables.get(first)!, [...new Set(settings.cells.map((c) => c.rows))]);
  const floor = await startFloor(variants);
  const pageTargets: PageTarget[] = [
    { name: 'floor', url: floor.url, dataPath: dataPath(tables.get(first)!), pid: floor.pid, service: false },
    ...settings.services.map((n) => targetOf(n)),
  ];
  const load = { reps: settings.reps, durationS: settings.page_duration_s, warmupS: settings.warmup_s };
  const pages = await pagesScenario(pageTargets, settings.cells, { ...load, budgetS: settings.page_budget_s });
  mark('after page load');
  await floor.stop();

  // `reps` runs per backend, the backends taking turns, so each backend's median spans the same stretch of time.
  const eventLoopRuns = new Map<Backend, EventLoopFigures[]>(settings.event_loop_backends.map((b) => [b, []]));
  for (let rep = 0; rep < settings.reps; rep++) {
    for (const backend of inTurn(settings.event_loop_backends, rep)) {
      const server = services.get(backend)!;
      eventLoopRuns.get(backend)!.push(await eventLoopScenario(server, tables.get(backend)!, inputs, settings.event_loop_concurrency));
    }
  }
  const eventLoop = new Map([...eventLoopRuns].map(([backend, runs]) => [backend, medianFigures(runs)]));
  mark('after event-loop scenario');

  // Filtered pages and whole-table exports come after every other scenario on these servers, so nothing
  // measured before them (nor the RSS marks above) depends on them; the sweeps after them start their own
  // servers. Their engine floors run here, in this process, while the servers are idle. The first pages of
  // never-asked query variants come before the load runs of the queries themselves.
  const filteredTargets = settings.services.map((n) => target(n));
  const { pages: filteredFirst, engine: engineFirst } = await filteredFirstPages(filteredTargets, settings.filtered_queries, settings.filtered_first_pages);
  const filteredEngine = filteredEngineFloor(settings.filtered_queries, settings.filtered_engine_ops).map((e) => ({ ...e, ...engineFirst.get(e.query)! }));
  const filteredPages = await filteredPagesScenario(filteredTargets, settings.filtered_queries, settings.filtered_concurrency, {
    reps: settings.reps,
    durationS: settings.filtered_duration_s,
    warmupS: settings.warmup_s,
    budgetS: settings.filtered_budget_s,
  });
  mark('after filtered pages');
  const exportEngine = exportEngineFloor(settings.export_formats, settings.reps);
  const exports = await exportScenario(
    settings.backends.map((b) => ({ backend: b, server: services.get(b)!, dataPath: dataPath(tables.get(b)!) })),
    settings.export_formats,
    settings.reps,
    exportEngine,
  );
  mark('after exports');

  // Last on the local server: restarts (its RSS timeline ends here).
  const cold = await coldFirstPage(services.get('local')!, tables.get('local')!, settings.cold_restarts);
  services.set('local', cold.server);
  for (const server of services.values()) await server.stop();

  const sweepCell = pages[first].find(
    (c) => c.rows === settings.sweep_cell.rows && c.format === settings.sweep_cell.format && c.concurrency === settings.sweep_cell.concurrency,
  );
  const sweep: SweepRow[] = [];
  if (sweepCell) {
    for (const backend of settings.backends) {
      const row = pages[backend].find((c) => c.rows === sweepCell.rows && c.format === sweepCell.format && c.concurrency === sweepCell.concurrency)!;
      sweep.push({ ...row, backend, workers: settings.main_workers });
    }
  }
  sweep.push(
    ...(await sweepScenario({
      backends: settings.backends,
      workers: settings.sweep_workers.filter((w) => !(sweepCell && w === settings.main_workers)),
      cell: settings.sweep_cell,
      load,
      inputs,
      nodeArgs,
    })),
  );
  sweep.sort((a, b) => a.workers - b.workers || a.backend.localeCompare(b.backend));

  const cacheSweepFigures = await runCacheSweep(settings);

  let profiles: { dir: string; summaries: ProfileSummary[] }[] = [];
  if (settings.cpu_prof) {
    const dirs = settings.services.flatMap((n) => settings.sweep_workers.map((w) => join(profileDir, `${n}-workers${w}`)));
    profiles = dirs.map((dir) => ({ dir, summaries: summarizeProfiles(dir) })).filter((p) => p.summaries.length > 0);
  }

  machine.load_average_at_end = loadavg().map((x) => round(x, 2));
  const results = assemble({
    settings,
    machine,
    inputs,
    engine,
    csvCpu,
    floorPages: pages.floor,
    pages,
    uploads,
    statistics,
    eventLoop,
    filteredPages,
    filteredFirst,
    filteredEngine,
    exports,
    exportEngine,
    cold: cold.figures,
    sweep,
    cacheSweep: cacheSweepFigures,
    rssTimeline,
    profiles,
    durationS: round((Date.now() - began) / 1000, 1),
  });
  const written = writeOutputs(results, settings.json_path);
  process.stdout.write(`\n${written.markdown}\n`);
  log(`wrote ${written.paths.join(', ')}`);
}

/** `--only cache-sweep`: the cache sweep on its own servers; its JSON to settings.json_path, Markdown to stdout. */
async function cacheSweepAlone(settings: Settings, began: number): Promise<void> {
  const machine = machineInfo();
  const figures = await runCacheSweep(settings);
  machine.load_average_at_end = loadavg().map((x) => round(x, 2));
  const durationS = round((Date.now() - began) / 1000, 1);
  writeFileSync(settings.json_path, `${JSON.stringify({ scenario: 'cache-sweep', settings, machine, duration_s: durationS, cache_sweep: figures }, null, 2)}\n`);
  process.stdout.write(`\n${cacheSweepMarkdown(figures)}\n`);
  log(`wrote ${settings.json_path}`);
}

function runCacheSweep(settings: Settings) {
  const load = { reps: settings.reps, durationS: settings.page_duration_s, warmupS: settings.warmup_s };
  return cacheSweep({ tables: settings.cache_sweep_tables, tableRows: settings.cache_sweep_rows, workers: settings.main_workers, cell: settings.cache_sweep_cell, load });
}

main()
  .catch(async (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stopAll();
    process.exit(1);
  })
  .then(() => stopAll());
