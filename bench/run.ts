/**
 * `npm run bench [-- --quick] [--json PATH] [--cpu-prof]`: builds (npm script), then measures the service
 * on both backends against the baselines it runs itself (HTTP floor, engine floor), and writes JSON,
 * Markdown and SVG. Every server is started here on loopback and stopped here, also on error or Ctrl-C.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { prepareInputs } from './data.js';
import { machineInfo } from './machine.js';
import { summarizeProfiles, type ProfileSummary } from './profile.js';
import { assemble, writeOutputs, type RssPoint } from './report.js';
import { engineFloor } from './scenarios/engine.js';
import { eventLoopScenario, type EventLoopFigures } from './scenarios/event-loop.js';
import { exportEngineFloor, exportScenario } from './scenarios/exports.js';
import { filteredEngineFloor, filteredPagesScenario } from './scenarios/filtered.js';
import { dataPath, floorVariants, pagesScenario, type PageTarget } from './scenarios/pages.js';
import { statisticsScenario, type StatisticsFigures } from './scenarios/statistics.js';
import { sweepScenario, type SweepRow } from './scenarios/sweep.js';
import { uploadScenario, type UploadResult } from './scenarios/uploads.js';
import { installCleanup, setIdleThreshold, startFloor, startService, stopAll, type Backend, type ServerHandle } from './servers.js';
import { parseArgs } from './settings.js';
import { log, round } from './util.js';

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
  const nodeArgs = (backend: Backend, workers: number) =>
    settings.cpu_prof ? ['--cpu-prof', `--cpu-prof-dir=${join(profileDir, `${backend}-workers${workers}`)}`] : [];

  log(`${settings.mode} run: ${settings.reps} repetition(s), ${settings.page_duration_s} s per load run, ${settings.cells.length} page cells`);
  const machine = machineInfo();
  const inputs = prepareInputs();
  const engine = engineFloor(inputs, settings.reps, settings.engine_page_ops);
  log(`engine floor: CSV ${engine.csv_read_mb_s} MB/s, Parquet ${engine.parquet_read_mb_s} MB/s, statistics ${engine.statistics_basic_ms} / ${engine.statistics_detailed_ms} ms`);

  // Started together (start-up is mostly loading modules); measured one at a time.
  const started = await Promise.all(
    settings.backends.map((backend) => startService({ backend, workers: settings.main_workers, nodeArgs: nodeArgs(backend, settings.main_workers) })),
  );
  const services = new Map<Backend, ServerHandle>(settings.backends.map((b, i) => [b, started[i]]));
  // RSS of each main server after every phase: growth that the phase's own figures do not show (e.g. a leak).
  const rssTimeline = new Map<Backend, RssPoint[]>(settings.backends.map((b) => [b, []]));
  const mark = (phase: string) => {
    for (const [backend, server] of services) {
      const st = server.status();
      if (st) rssTimeline.get(backend)!.push({ phase, rss_mb: round(st.rss_mb, 1), hwm_mb: round(st.hwm_mb, 1) });
    }
  };
  mark('started');

  const uploads = new Map<Backend, UploadResult>();
  const statistics = new Map<Backend, StatisticsFigures>();
  for (const [backend, server] of services) {
    uploads.set(backend, await uploadScenario(server, inputs, settings.reps));
    statistics.set(backend, await statisticsScenario(server, uploads.get(backend)!.table, settings.reps));
  }
  mark('after uploads and statistics');

  const first = settings.backends[0];
  const variants = await floorVariants(services.get(first)!, uploads.get(first)!.table, [...new Set(settings.cells.map((c) => c.rows))]);
  const floor = await startFloor(variants);
  const targets: PageTarget[] = [
    { name: 'floor', url: floor.url, dataPath: dataPath(uploads.get(first)!.table), pid: floor.pid },
    ...settings.backends.map((b) => ({ name: b, url: services.get(b)!.url, dataPath: dataPath(uploads.get(b)!.table), pid: services.get(b)!.pid })),
  ];
  const load = { reps: settings.reps, durationS: settings.page_duration_s, warmupS: settings.warmup_s };
  const pages = await pagesScenario(targets, settings.cells, { ...load, budgetS: settings.page_budget_s });
  mark('after page load');
  await floor.stop();

  const eventLoop = new Map<Backend, EventLoopFigures>();
  for (const backend of settings.event_loop_backends) {
    const server = services.get(backend)!;
    eventLoop.set(backend, await eventLoopScenario(server, uploads.get(backend)!.table, inputs, settings.event_loop_concurrency));
  }
  mark('after event-loop scenario');

  // Filtered pages and whole-table exports come after every other scenario on these servers, so nothing
  // measured before them (nor the RSS marks above) depends on them; the sweep after them starts its own
  // servers. Their engine floors run here, in this process, while the servers are idle.
  const filteredEngine = filteredEngineFloor(settings.filtered_queries, settings.filtered_engine_ops);
  const filteredPages = await filteredPagesScenario(
    settings.backends.map((b) => ({ name: b, url: services.get(b)!.url, dataPath: dataPath(uploads.get(b)!.table), pid: services.get(b)!.pid })),
    settings.filtered_queries,
    settings.filtered_concurrency,
    { reps: settings.reps, durationS: settings.filtered_duration_s, warmupS: settings.warmup_s, budgetS: settings.filtered_budget_s },
  );
  mark('after filtered pages');
  const exportEngine = exportEngineFloor(settings.export_formats, settings.reps);
  const exports = await exportScenario(
    settings.backends.map((b) => ({ backend: b, server: services.get(b)!, dataPath: dataPath(uploads.get(b)!.table) })),
    settings.export_formats,
    settings.reps,
    exportEngine,
  );
  mark('after exports');
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

  let profiles: { dir: string; summaries: ProfileSummary[] }[] = [];
  if (settings.cpu_prof) {
    const dirs = settings.backends.flatMap((b) => settings.sweep_workers.map((w) => join(profileDir, `${b}-workers${w}`)));
    profiles = dirs.map((dir) => ({ dir, summaries: summarizeProfiles(dir) })).filter((p) => p.summaries.length > 0);
  }

  machine.load_average_at_end = loadavg().map((x) => round(x, 2));
  const results = assemble({
    settings,
    machine,
    inputs,
    engine,
    floorPages: pages.floor,
    pages,
    uploads,
    statistics,
    eventLoop,
    filteredPages,
    filteredEngine,
    exports,
    exportEngine,
    sweep,
    rssTimeline,
    profiles,
    durationS: round((Date.now() - began) / 1000, 1),
  });
  const written = writeOutputs(results, settings.json_path);
  process.stdout.write(`\n${written.markdown}\n`);
  log(`wrote ${written.paths.join(', ')}`);
}

main()
  .catch(async (err) => {
    process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    await stopAll();
    process.exit(1);
  })
  .then(() => stopAll());
