/**
 * Results: every figure in one JSON document, a Markdown summary with the targets (PASS/MISS) and an SVG
 * chart. Ratios are always `service / baseline` of the same figure: for req/s and MB/s below 1 is slower
 * than the baseline, for latencies and times above 1 is slower. The targets are issue 10's "Done when".
 */
import { writeFileSync } from 'node:fs';
import type { Inputs } from './data.js';
import type { MachineInfo } from './machine.js';
import type { ProfileSummary } from './profile.js';
import type { CacheSweepFigures } from './scenarios/cache-sweep.js';
import type { ColdFigures } from './scenarios/cold.js';
import type { EngineFloor } from './scenarios/engine.js';
import type { CsvCpuBaselines, TimedCpu } from './scenarios/csv-cpu.js';
import type { EventLoopFigures } from './scenarios/event-loop.js';
import type { ExportEngineFigures, ExportFigures } from './scenarios/exports.js';
import type { FilteredEngineFigures, FilteredFigures, FirstPageFigures } from './scenarios/filtered.js';
import { cellKey, type CellFigures } from './scenarios/pages.js';
import type { StatisticsFigures } from './scenarios/statistics.js';
import type { SweepRow } from './scenarios/sweep.js';
import type { UploadFigures, UploadResult, UploadRun } from './scenarios/uploads.js';
import { SERVICES, type Backend, type ServiceName } from './servers.js';
import type { Settings } from './settings.js';
import { chartSvg } from './svg.js';
import { totalCpu } from './threads.js';
import { MB, median, ratio, round } from './util.js';

export interface PageRow extends CellFigures {
  floor: Pick<CellFigures, 'rps' | 'p50_ms' | 'p90_ms' | 'p99_ms' | 'max_ms'> | null;
  ratio_to_floor: { rps: number | null; p50_ms: number | null; p99_ms: number | null };
}

/** A filtered-page cell with its baselines: the unfiltered page, the HTTP floor and the engine floor. */
export interface FilteredRow extends FilteredFigures {
  /** Unfiltered JSON pages of 100 rows, same service and concurrency, this run (null if not measured). */
  plain_page: Pick<CellFigures, 'rps' | 'p50_ms' | 'p90_ms' | 'p99_ms' | 'max_ms'> | null;
  ratio_to_plain_page: { rps: number | null; p50_ms: number | null; p99_ms: number | null };
  /** The HTTP floor's JSON/100 page at this concurrency (null if not measured). */
  floor: Pick<CellFigures, 'rps' | 'p50_ms' | 'p90_ms' | 'p99_ms' | 'max_ms'> | null;
  ratio_to_floor: { rps: number | null; p50_ms: number | null; p99_ms: number | null };
  /** The same query + slice + JSON encode in-process (see engineAnalogue). */
  engine: { analogue: EngineAnalogue; p50_ms: number; total_rows: number } | null;
  ratio_to_engine: { p50_ms: number | null };
  /** The server's match count equals the engine's. */
  total_rows_match_engine: boolean | null;
}

/** The first page of never-asked variants of a query, against the engine computing the same first pages. */
export interface FilteredFirstRow extends FirstPageFigures {
  engine: { analogue: EngineAnalogue; ms: number } | null;
  ratio_to_engine: number | null;
}

/**
 * What the in-process engine does for a service's query: memory and cached local hold the decoded frame
 * (in-memory DataFrame); local with its cache off reads the file each time (lazy scan).
 */
type EngineAnalogue = 'in-memory DataFrame' | 'lazy scan of the Parquet file';
const engineAnalogue = (name: ServiceName): EngineAnalogue => (name === 'local-nocache' ? 'lazy scan of the Parquet file' : 'in-memory DataFrame');

/** A whole-table export with its engine floor (pl.readParquet + the same writer in-process). */
export interface ExportRow extends ExportFigures {
  engine: Omit<ExportEngineFigures, 'format' | 'runs'> | null;
  /** mb_s / engine mb_s (read + write). */
  ratio_to_engine: number | null;
}

export interface RssPoint {
  phase: string;
  rss_mb: number;
  hwm_mb: number;
}

export interface Target {
  id: string;
  /** The service judged, or 'all' when the target compares services. */
  backend: ServiceName | 'all';
  description: string;
  measured: string;
  pass: boolean | null;
  note?: string;
}

export interface Results {
  schema: 'dataset-service-bench/2';
  mode: Settings['mode'];
  started_at: string;
  duration_s: number;
  machine: MachineInfo;
  settings: Omit<Settings, 'json_path'>;
  inputs: { rows: number; csv_bytes: number; parquet_bytes: number };
  baselines: {
    http_floor: { pages: CellFigures[] };
    engine_floor: EngineFloor;
    engine_floor_filtered_pages: FilteredEngineFigures[];
    engine_floor_exports: ExportEngineFigures[];
    /** CPU baselines of a CSV upload (engine, reader, transport), for the bound in csvUploadBound. */
    csv_cpu: CsvCpuBaselines | null;
  };
  /** By service: memory, local (default CACHE_BYTES), local-nocache (CACHE_BYTES=0). */
  backends: Partial<Record<ServiceName, BackendResults>>;
  /** The local server's first page after a restart (nothing cached). */
  cold_first_page: ColdFigures | null;
  /** Worker-count sweep (default CACHE_BYTES). */
  sweep: SweepRow[];
  /** Pages spread over more tables than CACHE_BYTES holds, against all held and the cache off. */
  cache_sweep: CacheSweepFigures | null;
  targets: Target[];
  profiles: { dir: string; summaries: ProfileSummary[] }[];
  notes: string[];
}

/**
 * Two bounds on a CSV upload's ratio to `pl.readCSV`, each from figures measured together.
 * - The design's (`parts`, from csv-cpu.ts's in-process baselines, against the engine read measured with them): the
 *   service's reader reads the received text with Polars, then checks and casts whole columns, which needs the
 *   last value; so even with the text read hidden behind the transport (on two cores it is not: the transport
 *   keeps ~1.5 cores busy), an upload takes the transport (the bench's client to the multipart parser, bytes
 *   dropped) plus the reader's work after its text read (reader − text read), plus, on local, the Parquet write.
 *   The same parts' CPU (transport, client included; the whole reader; the Parquet write) spread perfectly over the
 *   cores bounds it too (`parts_cpu`). The hop to a shard and the catalog are left out, so both are generous.
 * - The implementation's (`cpu`): the upload's own CPU (median, the bench's client included) spread perfectly over
 *   the cores, against pl.readCSV read beside the uploads (the target's baseline, in the same minutes), whose CPU
 *   is given too (`engine_cpu_ms`: CPU against CPU, in the same minutes, says what share of the upload's CPU must go).
 * null when the baselines or the uploads were not measured.
 */
export function csvUploadBound(
  r: Results,
  backend: Backend,
): {
  parts_ms: number;
  parts_ratio: number;
  parts: string;
  parts_cpu_ms: number;
  parts_cpu_ratio: number;
  cpu_ms: number;
  cpu_floor_ms: number;
  cpu_ratio: number;
  engine_ms: number;
  engine_cpu_ms: number | null;
} | null {
  const c = r.baselines.csv_cpu;
  const u = r.backends[backend]?.upload?.csv;
  if (!c || !u?.runs.length) return null;
  const afterText = Math.max(0, c.reader.wall_ms - c.text_read.wall_ms);
  const parquet = backend === 'local' ? c.parquet_write.wall_ms : 0;
  const partsMs = c.transport.wall_ms + afterText + parquet;
  const partsCpuMs = c.transport.client_cpu_ms + c.transport.server_cpu_ms + c.reader.cpu_ms + (backend === 'local' ? c.parquet_write.cpu_ms : 0);
  const cpuMs = median(u.runs.map(uploadCpuMs));
  const engineMs = u.file_bytes / MB / u.engine_mb_s * 1000;
  return {
    parts_ms: round(partsMs, 0),
    parts_ratio: round(c.engine.wall_ms / partsMs, 3),
    parts: `transport ${fmt(c.transport.wall_ms, 0)} + type checks and casts after the text read ${fmt(afterText, 0)}${backend === 'local' ? ` + Parquet write ${fmt(parquet, 0)}` : ''} ms`,
    parts_cpu_ms: round(partsCpuMs, 0),
    parts_cpu_ratio: round(c.engine.wall_ms / (partsCpuMs / c.cores), 3),
    cpu_ms: round(cpuMs, 0),
    cpu_floor_ms: round(cpuMs / c.cores, 0),
    cpu_ratio: round(engineMs / (cpuMs / c.cores), 3),
    engine_ms: round(engineMs, 0),
    engine_cpu_ms: u.engine_cpu_ms ?? null,
  };
}

/** An upload's whole CPU: the bench's client and every thread of the server. */
const uploadCpuMs = (run: UploadRun): number => run.client_cpu_ms + totalCpu(run.server_cpu_ms);

function boundNote(b: ReturnType<typeof csvUploadBound>, bar: number): string | undefined {
  if (!b) return undefined;
  const parts = `the design's bounds, against pl.readCSV measured with their parts: ≥ ${b.parts} = ${b.parts_ms} ms (at best ${b.parts_ratio}×), and their CPU, ${b.parts_cpu_ms} CPU-ms over the cores (at best ${b.parts_cpu_ratio}×)`;
  const cpu = `this upload's CPU, ${b.cpu_ms} CPU-ms with the client's, needs ≥ ${b.cpu_floor_ms} ms on the cores: at best ${b.cpu_ratio}× pl.readCSV beside it (${b.engine_ms} ms${b.engine_cpu_ms === null ? '' : `, ${b.engine_cpu_ms} CPU-ms`})`;
  const verdict = Math.min(b.parts_ratio, b.parts_cpu_ratio) < bar ? 'out of reach with this reader' : b.cpu_ratio < bar ? `needs ≥ ${round((1 - b.cpu_ratio / bar) * 100, 0)}% less CPU` : 'within reach';
  return `${verdict} — ${cpu}; ${parts}`;
}

/** One service's figures; the scenarios run only on memory and local are null for local-nocache. */
export interface BackendResults {
  description: string;
  pages: PageRow[];
  /** JSON pages of 100 rows at random offsets of a filtered/sorted/projected result (after its first page). */
  filtered_pages: FilteredRow[];
  /** The first page of queries never asked before. */
  filtered_first_pages: FilteredFirstRow[];
  /** The whole table streamed as CSV, Parquet, Arrow stream. */
  exports: ExportRow[];
  upload: {
    /** The uploads' own engine baseline (engine_mb_s, beside each upload) and, for reference, the engine at the run's start. */
    csv: UploadFigures & { engine_at_start_mb_s: number };
    parquet: UploadFigures & { engine_at_start_mb_s: number };
  } | null;
  statistics:
    | (StatisticsFigures & {
        floor: { basic_ms: number; detailed_ms: number };
        ratio_to_floor: { basic_ms: number | null; detailed_ms: number | null };
      })
    | null;
  event_loop: EventLoopFigures | null;
  event_loop_delay_p99_ms: number | null;
  memory: UploadResult['memory'] | null;
  rss_ratio_to_arrow: number | null;
  /** RSS of the main server after each phase of the run. */
  rss_timeline: RssPoint[];
  sweep: SweepRow[];
}

export function assemble(a: {
  settings: Settings;
  machine: MachineInfo;
  inputs: Inputs;
  engine: EngineFloor;
  csvCpu: CsvCpuBaselines | null;
  floorPages: CellFigures[];
  pages: Record<string, CellFigures[]>;
  uploads: Map<Backend, UploadResult>;
  statistics: Map<Backend, StatisticsFigures>;
  eventLoop: Map<Backend, EventLoopFigures>;
  filteredPages: Record<string, FilteredFigures[]>;
  filteredFirst: Record<string, FirstPageFigures[]>;
  filteredEngine: FilteredEngineFigures[];
  exports: Record<string, ExportFigures[]>;
  exportEngine: ExportEngineFigures[];
  cold: ColdFigures | null;
  sweep: SweepRow[];
  cacheSweep: CacheSweepFigures | null;
  rssTimeline: Map<ServiceName, RssPoint[]>;
  profiles: { dir: string; summaries: ProfileSummary[] }[];
  durationS: number;
}): Results {
  const floorByKey = new Map(a.floorPages.map((c) => [cellKey(c), c]));
  const pick = (x: CellFigures | undefined) => (x ? { rps: x.rps, p50_ms: x.p50_ms, p90_ms: x.p90_ms, p99_ms: x.p99_ms, max_ms: x.max_ms } : null);
  const backends: Results['backends'] = {};
  for (const name of a.settings.services) {
    const backend = name as Backend;
    const up = a.uploads.get(backend);
    const st = a.statistics.get(backend);
    const el = a.eventLoop.get(backend) ?? null;
    const analogue = engineAnalogue(name);
    backends[name] = {
      description: SERVICES[name].description,
      pages: (a.pages[name] ?? []).map((c) => {
        const f = floorByKey.get(cellKey(c));
        return {
          ...c,
          floor: pick(f),
          ratio_to_floor: { rps: ratio(c.rps, f?.rps), p50_ms: ratio(c.p50_ms, f?.p50_ms), p99_ms: ratio(c.p99_ms, f?.p99_ms) },
        };
      }),
      filtered_pages: (a.filteredPages[name] ?? []).map((c): FilteredRow => {
        const plain = (a.pages[name] ?? []).find((p) => p.rows === 100 && p.format === 'json' && p.concurrency === c.concurrency);
        const f = floorByKey.get(cellKey({ rows: 100, format: 'json', concurrency: c.concurrency }));
        const e = a.filteredEngine.find((x) => x.query === c.query);
        const engine = e ? { analogue, p50_ms: analogue === 'in-memory DataFrame' ? e.in_memory_p50_ms : e.lazy_scan_p50_ms, total_rows: e.total_rows } : null;
        return {
          ...c,
          plain_page: pick(plain),
          ratio_to_plain_page: { rps: ratio(c.rps, plain?.rps), p50_ms: ratio(c.p50_ms, plain?.p50_ms), p99_ms: ratio(c.p99_ms, plain?.p99_ms) },
          floor: pick(f),
          ratio_to_floor: { rps: ratio(c.rps, f?.rps), p50_ms: ratio(c.p50_ms, f?.p50_ms), p99_ms: ratio(c.p99_ms, f?.p99_ms) },
          engine,
          ratio_to_engine: { p50_ms: ratio(c.p50_ms, engine?.p50_ms) },
          total_rows_match_engine: engine ? engine.total_rows === c.total_rows : null,
        };
      }),
      filtered_first_pages: (a.filteredFirst[name] ?? []).map((c): FilteredFirstRow => {
        const e = a.filteredEngine.find((x) => x.query === c.query);
        const ms = e ? (analogue === 'in-memory DataFrame' ? e.first_page_in_memory_ms : e.first_page_lazy_scan_ms) : null;
        return { ...c, engine: ms === null ? null : { analogue, ms }, ratio_to_engine: ratio(c.p50_ms, ms) };
      }),
      exports: (a.exports[name] ?? []).map((x): ExportRow => {
        const e = a.exportEngine.find((y) => y.format === x.format);
        return {
          ...x,
          engine: e ? { bytes: e.bytes, read_ms: e.read_ms, write_ms: e.write_ms, mb_s: e.mb_s, write_only_mb_s: e.write_only_mb_s } : null,
          ratio_to_engine: ratio(x.mb_s, e?.mb_s),
        };
      }),
      upload: up
        ? {
            csv: { ...up.csv, engine_at_start_mb_s: a.engine.csv_read_mb_s },
            parquet: { ...up.parquet, engine_at_start_mb_s: a.engine.parquet_read_mb_s },
          }
        : null,
      statistics: st
        ? {
            ...st,
            floor: { basic_ms: a.engine.statistics_basic_ms, detailed_ms: a.engine.statistics_detailed_ms },
            ratio_to_floor: { basic_ms: ratio(st.basic_ms, a.engine.statistics_basic_ms), detailed_ms: ratio(st.detailed_ms, a.engine.statistics_detailed_ms) },
          }
        : null,
      event_loop: el,
      event_loop_delay_p99_ms: el?.event_loop_delay_p99_ms ?? null,
      memory: up?.memory ?? null,
      rss_ratio_to_arrow: up?.memory.rss_ratio_to_arrow ?? null,
      rss_timeline: a.rssTimeline.get(name) ?? [],
      sweep: a.sweep.filter((r) => r.backend === name),
    };
  }
  const { json_path: _ignored, ...settings } = a.settings;
  const results: Results = {
    schema: 'dataset-service-bench/2',
    mode: a.settings.mode,
    started_at: new Date(Date.now() - a.durationS * 1000).toISOString(),
    duration_s: a.durationS,
    machine: a.machine,
    settings,
    inputs: { rows: 3_000_000, csv_bytes: a.inputs.csv.bytes, parquet_bytes: a.inputs.parquet.bytes },
    baselines: {
      http_floor: { pages: a.floorPages },
      engine_floor: a.engine,
      engine_floor_filtered_pages: a.filteredEngine,
      engine_floor_exports: a.exportEngine,
      csv_cpu: a.csvCpu,
    },
    backends,
    cold_first_page: a.cold,
    sweep: a.sweep,
    cache_sweep: a.cacheSweep,
    targets: [],
    profiles: a.profiles,
    notes: [
      'Load generator: autocannon in the bench process, on the same 2-core machine as the server; latencies recorded per response with microsecond resolution. Before each run every server is idle (a server still answering requests of a finished run is waited for); the run\'s drain_s is how long its server kept working after the run ended.',
      'Services side by side in one run: memory, local (default CACHE_BYTES; its table read before the measured runs, so "after its first read") and local-nocache (CACHE_BYTES=0: every page a scan of the Parquet file).',
      'CPU µs per request: /proc/<pid>/task/<tid>/stat utime+stime from the start of a load run until its server is idle again, divided by the requests sent; main = the thread whose tid is the pid, shards = the data workers /health lists with a cache, other = every other thread (Polars\' thread pool, V8 helpers, libuv, parse workers; the data workers too when /health lists no thread ids). Medians over runs. Cache hit ratio = hits / (hits + misses) of the data workers\' caches over the same spans, from /health.',
      '"other load (cores)" is CPU used during the measurement by processes that are neither the bench nor its servers (from /proc/stat): on a shared machine, figures with a high value are unreliable.',
      '"≥" before a p99: it was at least 40% of the run length, so the requests still in flight when the run stopped (not in the latencies) weigh much and the p99 is a lower bound.',
      'ratio_to_floor = service / baseline of the same figure (req/s, MB/s: <1 is slower; ms: >1 is slower).',
      'Event-loop delay is judged on the bench\'s probe (monitorEventLoopDelay at 1 ms resolution, preloaded into the server); /metrics\' nodejs_eventloop_lag_* are shown beside it and include whatever resolution the server sets.',
      'RSS is the whole server process (main thread and every worker thread): /proc/<pid>/status VmRSS, sampled every 50 ms during uploads and load runs.',
      a.settings.mode === 'quick' ? 'Quick run: one repetition, shorter load runs and fewer cells; targets are indicative. The full run reports medians of three.' : 'Full run: every figure is the median of the repetitions; each run is listed under runs.',
    ],
  };
  const short = Object.entries(a.pages).flatMap(([server, cells]) =>
    cells.filter((c) => c.runs.length < a.settings.reps).map((c) => `${server} ${cellKey(c)} (${c.runs.length} run${c.runs.length === 1 ? '' : 's'})`),
  );
  const shortFiltered = Object.entries(a.filteredPages).flatMap(([server, cells]) =>
    cells.filter((c) => c.runs.length < a.settings.reps).map((c) => `${server} ${c.query}/c${c.concurrency} (${c.runs.length} run${c.runs.length === 1 ? '' : 's'})`),
  );
  if (shortFiltered.length) results.notes.push(`The filtered-page scenario passed its ${a.settings.filtered_budget_s} s budget; these cells have fewer than ${a.settings.reps} runs: ${shortFiltered.join(', ')}.`);
  if (short.length) results.notes.push(`The page scenario passed its ${a.settings.page_budget_s} s budget; these cells have fewer than ${a.settings.reps} runs: ${short.join(', ')}.`);
  results.targets = targets(results);
  return results;
}

/** The cache sweep's two targets: req/s against the cache-off server's, and its RSS bound. */
function cacheSweepTargets(cs: CacheSweepFigures): Target[] {
  const out: Target[] = [];
  const [small, , off] = cs.rows;
  const q = ratio(small?.rps, off?.rps);
  out.push({
    id: 'cache-sweep-vs-cold-scans',
    backend: 'local',
    description: `pages spread over ${cs.tables} tables, more than CACHE_BYTES holds (${small?.server}): req/s ≥ the cache-off server's on the same tables`,
    measured: `${fmt(small?.rps, 0)} req/s, cache off ${fmt(off?.rps, 0)} req/s = ${fmt(q)}×; hit ratio ${fmt(small?.cache?.hit_ratio)}, ${small?.cache?.evictions ?? 'n/a'} evictions${failures(small)}`,
    pass: q === null ? null : q >= 1 && clean(small),
  });
  const bound = small && off?.rss_peak_mb != null ? off.rss_peak_mb + (2 * small.cache_bytes) / MB : null;
  out.push({
    id: 'cache-sweep-rss-bounded',
    backend: 'local',
    description: "the same: RSS bounded (no thrash): peak RSS ≤ the cache-off server's peak + 2 × CACHE_BYTES",
    measured: `peak ${fmt(small?.rss_peak_mb, 0)} MB (before the runs ${fmt(small?.rss_before_mb, 0)}, after ${fmt(small?.rss_after_mb, 0)}); cache off peak ${fmt(off?.rss_peak_mb, 0)} MB; bound ${fmt(bound, 0)} MB`,
    pass: bound === null || small?.rss_peak_mb == null ? null : small.rss_peak_mb <= bound,
  });
  return out;
}

/**
 * Markdown for a run of the cache sweep alone (`--only cache-sweep`): its target lines and its section, as a
 * full run's summary has them.
 */
export function cacheSweepMarkdown(cs: CacheSweepFigures): string {
  const L = ['| target | measured | verdict |', '|---|---|---|'];
  for (const t of cacheSweepTargets(cs)) L.push(`| ${t.description} (${t.backend}) | ${t.measured} | **${verdict(t.pass)}** |`);
  return [...L, ...cacheSweepSection({ cache_sweep: cs } as Results)].join('\n');
}

function pageCell(r: Results, name: ServiceName, rows: number, format: string, concurrency: number): PageRow | undefined {
  return r.backends[name]?.pages.find((c) => c.rows === rows && c.format === format && c.concurrency === concurrency);
}

const fmt = (x: number | null | undefined, d = 2) => (typeof x === 'number' && Number.isFinite(x) ? String(round(x, d)) : 'n/a');
const clean = (c: CellFigures | undefined) => (c ? c.non2xx === 0 && c.errors === 0 : false);
const failures = (c: CellFigures | undefined) => (c && (c.non2xx || c.errors) ? `; ${c.non2xx} non-2xx, ${c.errors} errors` : '');

/** Issue 10's "Done when" targets, each judged on ratios from this run. */
export function targets(r: Results): Target[] {
  const out: Target[] = [];
  // Memory pages against the HTTP floor.
  for (const format of ['json', 'arrow'] as const) {
    const c = pageCell(r, 'memory', 100, format, 64);
    const rpsRatio = c?.ratio_to_floor.rps ?? null;
    const p99Ratio = c?.ratio_to_floor.p99_ms ?? null;
    out.push({
      id: `page-${format}-100-c64`,
      backend: 'memory',
      description: `${format.toUpperCase()} 100-row pages at c=64: req/s ≥ 0.40× the HTTP floor's, p99 ≤ 4× the floor's`,
      measured: c
        ? `${fmt(c.rps, 0)} req/s = ${fmt(rpsRatio)}× of ${fmt(c.floor?.rps, 0)}; p99 ${fmt(c.p99_ms)} ms = ${fmt(p99Ratio)}× of ${fmt(c.floor?.p99_ms)} ms${failures(c)}`
        : 'not measured',
      pass: rpsRatio === null || p99Ratio === null ? null : rpsRatio >= 0.4 && p99Ratio <= 4 && clean(c),
    });
  }
  // Local (cache on, table read before) against memory.
  for (const format of ['json', 'arrow'] as const) {
    const m = pageCell(r, 'memory', 100, format, 64);
    const l = pageCell(r, 'local', 100, format, 64);
    const q = ratio(l?.rps, m?.rps);
    out.push({
      id: `local-vs-memory-rps-${format}-c64`,
      backend: 'local',
      description: `local (cache on, table already read), ${format.toUpperCase()} 100-row pages at c=64: req/s ≥ 0.8× memory's`,
      measured: `local ${fmt(l?.rps, 0)} req/s, memory ${fmt(m?.rps, 0)} req/s = ${fmt(q)}×${failures(l)}`,
      pass: q === null ? null : q >= 0.8 && clean(l),
    });
  }
  for (const format of ['json', 'arrow'] as const) {
    const m = pageCell(r, 'memory', 100, format, 1);
    const l = pageCell(r, 'local', 100, format, 1);
    const q = ratio(l?.p50_ms, m?.p50_ms);
    out.push({
      id: `local-vs-memory-p50-${format}-c1`,
      backend: 'local',
      description: `local (cache on, table already read), ${format.toUpperCase()} 100-row pages at c=1: p50 ≤ 1.25× memory's`,
      measured: `local ${fmt(l?.p50_ms, 3)} ms, memory ${fmt(m?.p50_ms, 3)} ms = ${fmt(q)}×${failures(l)}`,
      pass: q === null ? null : q <= 1.25 && clean(l),
    });
  }
  const cold = r.cold_first_page;
  out.push({
    id: 'cold-first-page-local',
    backend: 'local',
    description: 'cold first page of the 3M-row table (JSON, 100 rows, after a restart; median of several): ≤ 10 ms',
    measured: cold ? `${fmt(cold.first_page_ms)} ms (runs ${cold.runs.map((x) => x.first_page_ms).join(', ')}); the next page ${fmt(cold.second_page_ms)} ms` : 'not measured',
    pass: cold ? cold.first_page_ms <= 10 : null,
  });
  // Filtered/sorted paging on memory and local (cache on).
  for (const name of ['memory', 'local'] as const) {
    const b = r.backends[name];
    if (!b) continue;
    for (const c of b.filtered_pages.filter((x) => x.concurrency === 16)) {
      const q = c.ratio_to_plain_page.rps;
      out.push({
        id: `filtered-pages-${name}-${c.query}`,
        backend: name,
        description: `filtered/sorted pages after the first (${c.query}) at c=16: req/s ≥ 0.5× plain pages' (JSON/100, c=16)`,
        measured: `${fmt(c.rps, 0)} req/s, plain ${fmt(c.plain_page?.rps, 0)} req/s = ${fmt(q)}×${failures(c)}`,
        pass: q === null ? null : q >= 0.5 && clean(c),
      });
    }
    for (const f of b.filtered_first_pages) {
      out.push({
        id: `filtered-first-page-${name}-${f.query}`,
        backend: name,
        description: `first page of a filtered/sorted query (${f.query}, never asked before): ≤ 1.2× the in-process engine's time (${f.engine?.analogue ?? 'n/a'}: collect, count, first 100 rows as JSON)`,
        measured: `${fmt(f.p50_ms)} ms, engine ${fmt(f.engine?.ms)} ms = ${fmt(f.ratio_to_engine)}×`,
        pass: f.ratio_to_engine === null ? null : f.ratio_to_engine <= 1.2,
      });
    }
  }
  // CSV upload speed and peak RSS.
  for (const [name, bar] of [['memory', 0.35], ['local', 0.25]] as const) {
    const u = r.backends[name]?.upload?.csv;
    out.push({
      id: `csv-upload-${name}`,
      backend: name,
      description: `${fmt(r.inputs.csv_bytes / MB, 0)} MB CSV upload, end to end: MB/s ≥ ${bar}× pl.readCSV's`,
      measured: u ? `${fmt(u.mb_s)} MB/s = ${fmt(u.ratio_to_engine)}× of ${fmt(u.engine_mb_s)} MB/s (pl.readCSV beside each upload)` : 'not measured',
      pass: u ? u.ratio_to_engine >= bar : null,
      note: boundNote(csvUploadBound(r, name), bar),
    });
  }
  {
    const u = r.backends.local?.upload?.csv;
    const fileMb = r.inputs.csv_bytes / MB;
    out.push({
      id: 'csv-upload-peak-rss-local',
      backend: 'local',
      description: 'peak RSS during the CSV upload ≤ 3× the file size above RSS before',
      measured: u ? `+${fmt(u.peak_above_steady_mb, 0)} MB for a ${fmt(fileMb, 0)} MB file = ${fmt(u.peak_ratio_to_file)}×` : 'not measured',
      pass: u ? u.peak_ratio_to_file <= 3 : null,
    });
    const m = r.backends.memory?.upload?.csv;
    const frames = r.backends.memory?.memory?.csv_arrow_mb ?? null;
    const allowed = frames === null ? null : 3 * fileMb + fileMb + frames;
    out.push({
      id: 'csv-upload-peak-rss-memory',
      backend: 'memory',
      description: 'peak RSS during the CSV upload ≤ 3× the file size above RSS before, plus what it keeps (the source bytes and the frames)',
      measured: m
        ? `+${fmt(m.peak_above_steady_mb, 0)} MB; allowed 3 × ${fmt(fileMb, 0)} + ${fmt(fileMb, 0)} source + ${fmt(frames, 0)} frames = ${fmt(allowed, 0)} MB (${fmt(ratio(m.peak_above_steady_mb, allowed))}×)`
        : 'not measured',
      pass: m && allowed !== null ? m.peak_above_steady_mb <= allowed : null,
      note: m && allowed === null ? "the frames' size is not in /health: not judged" : undefined,
    });
  }
  // Pages spread over more tables than CACHE_BYTES holds.
  if (r.cache_sweep) out.push(...cacheSweepTargets(r.cache_sweep));
  // The mixed scenario.
  for (const name of ['memory', 'local'] as const) {
    const el = r.backends[name]?.event_loop;
    out.push({
      id: `health-p99-${name}`,
      backend: name,
      description: '/health p99 ≤ 15 ms (c=1) during a CSV upload + detailed statistics + JSON pages at c=8..16',
      measured: el
        ? `p99 ${fmt(el.health.p99_ms)} ms (p50 ${fmt(el.health.p50_ms)}, max ${fmt(el.health.max_ms)}, ${el.health.requests} requests${el.health.failures ? `, ${el.health.failures} failed` : ''}${el.runs ? `; runs ${el.runs.map((x) => fmt(x.health_p99_ms)).join(', ')}` : ''})`
        : 'not measured',
      pass: el ? el.health.p99_ms <= 15 && el.health.failures === 0 : null,
    });
    const probe = el?.probe ?? null;
    out.push({
      id: `event-loop-${name}`,
      backend: name,
      description: 'main-thread event-loop delay p99 ≤ 10 ms (1 ms resolution) in the same scenario',
      measured: el
        ? `probe p99 ${fmt(probe?.p99_ms)} ms (max ${fmt(probe?.max_ms)}${el.runs ? `; runs ${el.runs.map((x) => fmt(x.probe_p99_ms)).join(', ')}` : ''}); /metrics p99 ${fmt(el.event_loop_delay_p99_ms)} ms`
        : 'not measured',
      pass: probe ? probe.p99_ms <= 10 : null,
    });
  }
  // The seed's comparison.
  for (const format of ['json', 'arrow'] as const) {
    const m = pageCell(r, 'memory', 100, format, 1);
    const l = pageCell(r, 'local-nocache', 100, format, 1);
    const q = ratio(m?.p50_ms, l?.p50_ms);
    out.push({
      id: `memory-vs-local-nocache-${format}-c1`,
      backend: 'all',
      description: `${format.toUpperCase()} 100-row pages at c=1: memory p50 ≤ 0.5× uncached local's (CACHE_BYTES=0)`,
      measured: `memory ${fmt(m?.p50_ms, 3)} ms, local-nocache ${fmt(l?.p50_ms, 3)} ms = ${fmt(q)}×`,
      pass: q === null ? null : q <= 0.5,
    });
  }
  return out;
}

/** Non-2xx status codes and their counts, e.g. "(503×57)". */
const codes = (sc: Record<string, number>) => {
  const bad = Object.entries(sc).filter(([k]) => !k.startsWith('2'));
  return bad.length ? `(${bad.map(([k, v]) => `${k}×${v}`).join(', ')})` : '';
};

const verdict = (p: boolean | null) => (p === null ? 'n/a' : p ? 'PASS' : 'MISS');

export function markdown(r: Results): string {
  const m = r.machine;
  const L: string[] = [];
  L.push(`# Dataset service bench (${r.mode})`, '');
  L.push(
    `${r.started_at}, ${r.duration_s} s. Machine: ${m.cores} × ${m.cpu_model}, ${m.memory_gib} GiB, load average ${m.load_average_at_start.join(' ')} at start, ${m.load_average_at_end?.join(' ') ?? '?'} at end; ` +
      `Node ${m.node}; ${Object.entries(m.libraries).map(([k, v]) => `${k} ${v ?? '-'}`).join(', ')}; commit ${m.git_commit ?? '?'}${m.git_dirty ? ' (src/workers modified)' : ''}.`,
    `Repetitions ${r.settings.reps} (figures are medians), ${r.settings.page_duration_s} s per load run after ${r.settings.warmup_s} s warm-up; main servers WORKERS=${r.settings.main_workers}.`,
    '',
  );
  L.push('## Targets', '', '| target | measured | result |', '|---|---|---|');
  for (const t of r.targets) L.push(`| ${t.description}${t.backend === 'all' ? '' : ` (${t.backend})`} | ${t.measured}${t.note ? ` — ${t.note}` : ''} | **${verdict(t.pass)}** |`);
  L.push('');

  L.push('## Pages (random offsets of the 3,000,000-row table)', '');
  L.push(
    'CPU µs/req: main thread / data workers (shards) / other threads of the server per request (see the notes); cache hit: the data workers\' cache over the runs.',
    '',
  );
  L.push('| service | format | rows | conc | req/s | × floor | p50 ms | p90 ms | p99 ms | × floor p99 | max ms | floor req/s | floor p99 ms | CPU µs/req main / shards / other | cache hit | non-2xx | errors | other load (cores) |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|');
  const floorByKey = new Map(r.baselines.http_floor.pages.map((c) => [cellKey(c), c]));
  const rowsOf = [...r.baselines.http_floor.pages.map((c) => ({ name: 'floor', c: { ...c, floor: null, ratio_to_floor: { rps: null, p50_ms: null, p99_ms: null } } as PageRow }))];
  for (const [name, b] of Object.entries(r.backends)) for (const c of b!.pages) rowsOf.push({ name, c });
  for (const { name, c } of rowsOf) {
    const f = floorByKey.get(cellKey(c));
    L.push(
      `| ${name} | ${c.format} | ${c.rows} | ${c.concurrency} | ${fmt(c.rps, 0)} | ${fmt(c.ratio_to_floor.rps)} | ${fmt(c.p50_ms, 2)} | ${fmt(c.p90_ms, 2)} | ${c.p99_lower_bound ? '≥ ' : ''}${fmt(c.p99_ms, 2)} | ${fmt(c.ratio_to_floor.p99_ms)} | ${fmt(c.max_ms, 1)} | ${fmt(f?.rps, 0)} | ${fmt(f?.p99_ms, 2)} | ${cpu(c)} | ${fmt(c.cache?.hit_ratio, 3)} | ${c.non2xx ? `${c.non2xx} ${codes(c.status_codes)}` : 0} | ${c.errors} | ${fmt(c.foreign_cpu_cores, 1)} |`,
    );
  }
  L.push(...hotTableSection(r));
  const e = r.baselines.engine_floor;
  L.push('', `Engine floor, one thread, slice + encode per page (p50): ${e.pages.map((p) => `${p.format}/${p.rows} ${p.p50_ms} ms`).join(', ')}; Polars' JSON writer alone (no datetime select): ${Object.entries(e.json_writer_only_p50_ms).map(([k, v]) => `${k} rows ${v} ms`).join(', ')}.`, '');
  L.push(`nodejs-polars JavaScript layer, per call on a 100-row slice (median): ${Object.entries(e.polars_js_layer_ms).map(([k, v]) => `\`${k}\` ${v} ms`).join(', ')}.`, '');

  L.push(...coldSection(r), ...filteredSection(r), ...exportsSection(r));

  L.push('## Uploads (POST until the first page is served)', '');
  L.push(
    "Baseline: the engine reading the same bytes in the bench process (pl.readCSV with dates parsed, pl.readParquet) right before and after each upload, the server idle; the engine's speed at the run's start is given for reference.",
    '',
    '| backend | file | MB | MB/s | engine MB/s beside the uploads | × engine | engine MB/s at the run\'s start | s (runs) | peak RSS above steady MB | × file size | other load (cores) |',
    '|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|',
  );
  for (const [backend, b] of Object.entries(r.backends)) {
    if (!b!.upload) continue;
    for (const kind of ['csv', 'parquet'] as const) {
      const u = b!.upload[kind];
      L.push(`| ${backend} | ${kind} | ${fmt(u.file_bytes / MB, 1)} | ${fmt(u.mb_s)} | ${fmt(u.engine_mb_s)} | ${fmt(u.ratio_to_engine, 3)} | ${fmt(u.engine_at_start_mb_s)} | ${fmt(u.readable_ms / 1000)} (${u.runs.map((x) => fmt(x.readable_ms / 1000)).join(', ')}) | ${fmt(u.peak_above_steady_mb, 0)} | ${fmt(u.peak_ratio_to_file)} | ${fmt(median(u.runs.map((x) => x.foreign_cpu_cores)), 1)} |`);
    }
  }
  L.push(...csvCpuSection(r));
  L.push('', '## Statistics (3,000,000 rows, 5 columns)', '');
  L.push('| backend | first GET ms | basic ms | × floor | detailed ms | × floor | floor basic / detailed ms | other load (cores) |', '|---|---:|---:|---:|---:|---:|---|---:|');
  for (const [backend, b] of Object.entries(r.backends)) {
    const s = b!.statistics;
    if (!s) continue;
    L.push(`| ${backend} | ${fmt(s.first_basic_ms, 0)} | ${fmt(s.basic_ms, 0)} | ${fmt(s.ratio_to_floor.basic_ms)} | ${fmt(s.detailed_ms, 0)} | ${fmt(s.ratio_to_floor.detailed_ms)} | ${fmt(s.floor.basic_ms, 0)} / ${fmt(s.floor.detailed_ms, 0)} | ${fmt(s.foreign_cpu_cores, 1)} |`);
  }
  L.push('', '## Event loop (main thread) and /health during CSV upload + detailed statistics + JSON page traffic', '');
  L.push(
    'probe = the bench\'s monitorEventLoopDelay at 1 ms resolution (judged); /metrics = the server\'s nodejs_eventloop_lag_*; /health = GET /health one at a time through the window, from a thread of the bench\'s own. Each figure is the median over the runs (the backends taking turns).',
    '',
  );
  L.push('| backend | probe p50 / p99 / max ms | /metrics p50 / p99 / max ms | /health p50 / p99 / max ms (requests) | window s | upload s | detailed stats s | traffic req/s | traffic p99 ms | non-2xx | other load (cores) |', '|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [backend, b] of Object.entries(r.backends)) {
    const el = b!.event_loop;
    if (!el) continue;
    L.push(
      `| ${backend} | ${el.probe ? `${fmt(el.probe.p50_ms)} / ${fmt(el.probe.p99_ms)} / ${fmt(el.probe.max_ms)}` : 'n/a'} | ${el.source ? `${fmt(el.event_loop_delay_p50_ms)} / ${fmt(el.event_loop_delay_p99_ms)} / ${fmt(el.event_loop_delay_max_ms)}` : 'none'} | ${fmt(el.health.p50_ms)} / ${fmt(el.health.p99_ms)} / ${fmt(el.health.max_ms)} (${el.health.requests}) | ${fmt(el.window_s, 1)} | ${fmt(el.upload_ms / 1000, 1)} | ${fmt(el.statistics_detailed_ms / 1000, 1)} | ${fmt(el.traffic.rps, 0)} | ${fmt(el.traffic.p99_ms)} | ${el.traffic.non2xx} | ${fmt(el.foreign_cpu_cores, 1)} |`,
    );
    if (el.note) L.push('', `Note (${backend}): ${el.note}`);
  }
  L.push('', '## Memory (RSS of the server process)', '');
  L.push('| backend | startup MB | with table MB | growth MB | Arrow MB | growth × Arrow | CSV: growth MB / Arrow MB / × | CSV peak above steady MB | VmHWM MB |', '|---|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const [backend, b] of Object.entries(r.backends)) {
    const mm = b!.memory;
    if (!mm) continue;
    L.push(
      `| ${backend} | ${fmt(mm.startup_rss_mb, 0)} | ${fmt(mm.loaded_rss_mb, 0)} | ${fmt(mm.rss_growth_mb, 0)} | ${fmt(mm.arrow_mb, 0)} | ${fmt(mm.rss_ratio_to_arrow)} | ${fmt(mm.csv_rss_growth_mb, 0)} / ${fmt(mm.csv_arrow_mb, 0)} / ${fmt(mm.csv_rss_ratio_to_arrow)} | ${fmt(mm.csv_peak_above_steady_mb, 0)} | ${fmt(mm.hwm_mb, 0)} |`,
    );
  }
  L.push('', 'RSS of the main servers after each phase (MB; VmHWM in brackets):', '');
  for (const [backend, b] of Object.entries(r.backends)) {
    L.push(`- ${backend}: ${b!.rss_timeline.map((p) => `${p.phase} ${fmt(p.rss_mb, 0)} (${fmt(p.hwm_mb, 0)})`).join(' → ')}`);
  }
  L.push(...cacheSweepSection(r));
  if (r.sweep.length) {
    const s0 = r.sweep[0];
    L.push('', `## Worker sweep (${s0.format.toUpperCase()} pages of ${s0.rows} rows, concurrency ${s0.concurrency})`, '');
    L.push('| WORKERS | backend | req/s | p50 ms | p99 ms | non-2xx | other load (cores) |', '|---:|---|---:|---:|---:|---:|---:|');
    for (const w of r.sweep) L.push(`| ${w.workers} | ${w.backend} | ${fmt(w.rps, 0)} | ${fmt(w.p50_ms)} | ${w.p99_lower_bound ? '≥ ' : ''}${fmt(w.p99_ms)} | ${w.non2xx ? `${w.non2xx} ${codes(w.status_codes)}` : 0} | ${fmt(w.foreign_cpu_cores, 1)} |`);
  }
  for (const p of r.profiles) {
    L.push('', `## CPU profile ${p.dir.split('/').pop()}`, '');
    for (const s of p.summaries.slice(0, 3)) {
      L.push(`${s.thread} (${s.file.split('/').pop()}): busy ${fmt(s.busy_ms / 1000, 1)} s of ${fmt(s.total_ms / 1000, 1)} s`, '', '| self ms | % busy | function | where |', '|---:|---:|---|---|');
      for (const t of s.top.slice(0, 8)) L.push(`| ${t.self_ms} | ${t.self_pct_of_busy} | \`${t.function}\` | ${t.where} |`);
      L.push('');
    }
  }
  L.push('', '## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  return L.join('\n');
}

/** "main / shards / other" µs of CPU per request; shards "–" when /health lists no worker threads (then inside other). */
function cpu(c: CellFigures): string {
  const u = c.cpu_us_per_request;
  if (!u) return 'n/a';
  return `${fmt(u.main, 0)} / ${u.shards === null ? '–' : fmt(u.shards, 0)} / ${fmt(u.other, 0)}`;
}

/**
 * One hot table at c=64 (JSON/100): how busy each thread was over the run (cores; 1 = one core all the
 * time), to see whether one data worker saturates while another idles. From the cell's first run.
 */
/** Where a CSV upload's CPU goes, beside the baselines that bound it (csvUploadBound). */
function csvCpuSection(r: Results): string[] {
  const c = r.baselines.csv_cpu;
  if (!c) return [];
  const L = ['', '### CSV upload: where the time and the CPU go (medians; CPU in CPU-ms)', ''];
  L.push('| | wall ms | client CPU | server main | server worker + V8 threads | Polars pool | other native | total CPU | total ÷ cores (ms) |', '|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [backend, res] of Object.entries(r.backends)) {
    const runs = res?.upload?.csv.runs;
    if (!runs?.length) continue;
    const m = (f: (x: UploadRun) => number) => median(runs.map(f));
    const total = m(uploadCpuMs);
    L.push(
      `| ${backend} upload, end to end | ${fmt(m((x) => x.readable_ms), 0)} | ${fmt(m((x) => x.client_cpu_ms), 0)} | ${fmt(m((x) => x.server_cpu_ms.main), 0)} | ${fmt(m((x) => x.server_cpu_ms.node_threads), 0)} | ${fmt(m((x) => x.server_cpu_ms.polars), 0)} | ${fmt(m((x) => x.server_cpu_ms.other), 0)} | ${fmt(total, 0)} | ${fmt(total / c.cores, 0)} |`,
    );
  }
  const row = (label: string, t: TimedCpu) => `| ${label} | ${fmt(t.wall_ms, 0)} | | | | | | ${fmt(t.cpu_ms, 0)} | |`;
  L.push(`| transport floor (the same client → the multipart parser, bytes dropped; ${fmt(c.transport.mb_s, 0)} MB/s) | ${fmt(c.transport.wall_ms, 0)} | ${fmt(c.transport.client_cpu_ms, 0)} | ${fmt(c.transport.server_cpu_ms, 0)} (all threads) | | | | ${fmt(c.transport.client_cpu_ms + c.transport.server_cpu_ms, 0)} | |`);
  L.push(row("the service's reader in-process (readCsv)", c.reader), row('its text read alone (pl.readCSV, every column as text)', c.text_read));
  L.push(row("writing the reader's frame as Parquet as local stores it", c.parquet_write), row('engine: pl.readCSV, dates parsed (as beside each upload)', c.engine));
  L.push('');
  for (const backend of ['memory', 'local'] as const) {
    const b = csvUploadBound(r, backend);
    if (b) {
      L.push(`- ${backend}: its CPU, ${b.cpu_ms} CPU-ms (client included) over ${c.cores} cores, means ≥ ${b.cpu_floor_ms} ms, so at best ${b.cpu_ratio}× pl.readCSV read beside the uploads (${b.engine_ms} ms${b.engine_cpu_ms === null ? '' : `, ${b.engine_cpu_ms} CPU-ms`}).`);
      L.push(
        `  The design: ≥ ${b.parts} = ${b.parts_ms} ms, so at best ${b.parts_ratio}× pl.readCSV (${fmt(c.engine.wall_ms, 0)} ms, measured with these parts); their CPU, ${b.parts_cpu_ms} CPU-ms over ${c.cores} cores, means ≥ ${round(b.parts_cpu_ms / c.cores, 0)} ms: at best ${b.parts_cpu_ratio}×.`,
      );
    }
  }
  return L;
}

function hotTableSection(r: Results): string[] {
  const L: string[] = ['', '### One hot table: threads during JSON/100 pages at c=64 (first run)', ''];
  L.push('| service | req/s | data workers (cores each) | busiest threads (cores) |', '|---|---:|---|---|');
  let any = false;
  for (const [name, b] of Object.entries(r.backends)) {
    const c = b!.pages.find((x) => x.rows === 100 && x.format === 'json' && x.concurrency === 64);
    const t = c?.runs[0]?.threads;
    if (!c || !t) continue;
    any = true;
    const workers = t.workers.length ? t.workers.map((w) => `${w.name} ${fmt(w.cores)}`).join(', ') : 'not listed in /health';
    L.push(`| ${name} | ${fmt(c.rps, 0)} | ${workers} | ${t.busiest.map((x) => `${x.role}${x.role === 'other' ? ` ${x.tid}` : ''} ${fmt(x.cores)}`).join(', ')} |`);
  }
  return any ? [...L, ''] : [];
}

function coldSection(r: Results): string[] {
  const c = r.cold_first_page;
  if (!c) return [];
  return [
    '## Cold first page (local, after a restart)',
    '',
    `The local server restarted on its data directory ${c.runs.length} times; after each restart one JSON page of 100 rows at a random offset of the 3,000,000-row table, then a second page at another offset. Median first page ${fmt(c.first_page_ms)} ms, second ${fmt(c.second_page_ms)} ms; runs (first / second ms): ${c.runs.map((x) => `${x.first_page_ms} / ${x.second_page_ms}`).join(', ')}.`,
    '',
  ];
}

function cacheSweepSection(r: Results): string[] {
  const cs = r.cache_sweep;
  if (!cs) return [];
  const c0 = cs.rows[0];
  const L: string[] = [
    '',
    `## Cache sweep: ${c0?.format.toUpperCase()} pages of ${c0?.rows} rows at c=${c0?.concurrency}, spread over ${cs.tables} tables of ${cs.table_rows.toLocaleString('en')} rows (~${fmt(cs.table_bytes / MB, 0)} MB each as Arrow), local backend`,
    '',
    'Each request picks one of the tables at random; every table was read once before the runs. Three servers side by side: a CACHE_BYTES that holds about 2.5 tables (fewer than served), one that holds every table on every worker, and the cache off.',
    '',
    '| server | req/s | × cache off | p50 ms | p99 ms | hit ratio | hits / misses / evictions | cached MB / budget MB | RSS before / peak / after MB | CPU µs/req main / shards / other | non-2xx | other load (cores) |',
    '|---|---:|---:|---:|---:|---:|---|---|---|---|---:|---:|',
  ];
  const off = cs.rows.find((x) => x.cache_bytes === 0);
  for (const x of cs.rows) {
    L.push(
      `| ${x.server} | ${fmt(x.rps, 0)} | ${fmt(ratio(x.rps, off?.rps))} | ${fmt(x.p50_ms)} | ${x.p99_lower_bound ? '≥ ' : ''}${fmt(x.p99_ms)} | ${fmt(x.cache?.hit_ratio, 3)} | ${x.cache ? `${x.cache.hits} / ${x.cache.misses} / ${x.cache.evictions}` : 'n/a'} | ${x.cache ? `${fmt(x.cache.bytes / MB, 0)} / ${fmt(x.cache.budget_bytes / MB, 0)}` : 'n/a'} | ${fmt(x.rss_before_mb, 0)} / ${fmt(x.rss_peak_mb, 0)} / ${fmt(x.rss_after_mb, 0)} | ${cpu(x)} | ${x.non2xx ? `${x.non2xx} ${codes(x.status_codes)}` : 0} | ${fmt(x.foreign_cpu_cores, 1)} |`,
    );
  }
  return [...L, ''];
}

function filteredFirstSection(r: Results): string[] {
  const rows = Object.entries(r.backends).flatMap(([name, b]) => (b!.filtered_first_pages ?? []).map((f) => ({ name, f })));
  if (!rows.length) return [];
  const L: string[] = [
    '### First page of a query never asked before (JSON, offset 0, 100 rows, one request at a time)',
    '',
    "Variants of each query (its `gt` value raised by 1, 2, …) so that nothing is cached; engine = the same variants in-process, each right before the servers get it: collect the whole result (its height is X-Total-Rows), encode its first 100 rows as JSON.",
    '',
    '| service | query | median ms | runs ms | engine | engine ms | × engine |',
    '|---|---|---:|---|---|---:|---:|',
  ];
  for (const { name, f } of rows) L.push(`| ${name} | ${f.query} | ${fmt(f.p50_ms)} | ${f.runs_ms.join(', ')} | ${f.engine?.analogue ?? 'n/a'} | ${fmt(f.engine?.ms)} | ${fmt(f.ratio_to_engine)} |`);
  return [...L, ''];
}

function filteredSection(r: Results): string[] {
  const rows = Object.entries(r.backends).flatMap(([backend, b]) => (b!.filtered_pages ?? []).map((c) => ({ backend, c })));
  if (!rows.length) return [];
  const L: string[] = ['## Filtered pages (JSON, 100 rows at random offsets of a filtered result)', ''];
  L.push(
    'Every request carries the query over the whole 3,000,000-row table and asks for 100 rows at a random offset below its match count; × plain = against the unfiltered JSON/100 page of the same service and concurrency in this run (the pages after the first: the load runs follow a warm-up that asked the query), × floor = against the HTTP floor\'s JSON/100 page, engine p50 = the same query + slice + JSON encode in-process, each page from scratch (memory and local with its cache: in-memory DataFrame; local-nocache: lazy scan of the Parquet file).',
    '',
  );
  L.push('| service | query | matches | conc | req/s | × plain | × floor | p50 ms | × plain p50 | p90 ms | p99 ms | × plain p99 | max ms | engine p50 ms | × engine p50 | non-2xx | errors | other load (cores) |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { backend, c } of rows) {
    L.push(
      `| ${backend} | ${c.query} | ${c.total_rows}${c.total_rows_match_engine === false ? ` (engine ${c.engine?.total_rows})` : ''} | ${c.concurrency} | ${fmt(c.rps, 0)} | ${fmt(c.ratio_to_plain_page.rps, 3)} | ${fmt(c.ratio_to_floor.rps, 3)} | ${fmt(c.p50_ms, 2)} | ${fmt(c.ratio_to_plain_page.p50_ms)} | ${fmt(c.p90_ms, 2)} | ${c.p99_lower_bound ? '≥ ' : ''}${fmt(c.p99_ms, 2)} | ${fmt(c.ratio_to_plain_page.p99_ms)} | ${fmt(c.max_ms, 1)} | ${fmt(c.engine?.p50_ms, 2)} | ${fmt(c.ratio_to_engine.p50_ms)} | ${c.non2xx ? `${c.non2xx} ${codes(c.status_codes)}` : 0} | ${c.errors} | ${fmt(c.foreign_cpu_cores, 1)} |`,
    );
  }
  const queries = [...new Map(rows.map(({ c }) => [c.query, c.query_string])).entries()];
  L.push('', `Queries: ${queries.map(([name, qs]) => `${name} = \`${qs}\``).join('; ')}. n/a under × plain or × floor: that concurrency has no unfiltered JSON/100 cell in this run.`, '');
  return [...L, ...filteredFirstSection(r)];
}

function exportsSection(r: Results): string[] {
  const rows = Object.entries(r.backends).flatMap(([backend, b]) => (b!.exports ?? []).map((x) => ({ backend, x })));
  if (!rows.length) return [];
  const L: string[] = ['## Exports (the whole 3,000,000-row table streamed from /data, one client)', ''];
  L.push(
    '`GET …/data?format=<f>` without paging, read to the end by one client: first byte and total time, MB/s = bytes received / total time, × engine = against pl.readParquet + the same writer to a buffer in-process (write alone in brackets); RSS peak = the server\'s RSS sampled every 50 ms above its settled RSS before the export, VmHWM growth = how much the export raised the process\'s high-water mark (0 if an earlier phase peaked higher); rows ok = 200 with 3,000,000 rows (CSV: 3,000,001 lines) and a byte count in line with the engine\'s.',
    '',
  );
  L.push('| backend | format | MB | first byte ms | total s | MB/s | engine MB/s | × engine | RSS peak above steady MB | VmHWM growth MB | rows, bytes ok | other load (cores) |');
  L.push('|---|---|---:|---:|---:|---:|---|---:|---:|---:|---|---:|');
  for (const { backend, x } of rows) {
    const ok = x.rows_ok && x.bytes_ok !== false ? 'yes' : `**no** (rows ${x.runs.map((y) => y.rows ?? '?').join('/')}${x.format === 'csv' ? `, lines ${x.runs.map((y) => y.lines ?? '?').join('/')}` : ''}, bytes × engine ${fmt(x.bytes_ratio_to_engine, 3)})`;
    L.push(
      `| ${backend} | ${x.format} | ${fmt(x.bytes / MB, 1)} | ${fmt(x.ttfb_ms, 0)} | ${fmt(x.total_ms / 1000, 2)} | ${fmt(x.mb_s, 1)} | ${fmt(x.engine?.mb_s, 1)} (${fmt(x.engine?.write_only_mb_s, 1)}) | ${fmt(x.ratio_to_engine, 3)} | ${fmt(x.peak_above_steady_mb, 0)} | ${fmt(x.hwm_growth_mb, 0)} | ${ok} | ${fmt(median(x.runs.map((y) => y.foreign_cpu_cores)), 1)} |`,
    );
  }
  L.push('');
  return L;
}

export function writeOutputs(r: Results, jsonPath: string): { markdown: string; paths: string[] } {
  const base = jsonPath.replace(/\.json$/i, '');
  const md = markdown(r);
  writeFileSync(jsonPath, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(`${base}.md`, md);
  writeFileSync(`${base}.svg`, chartSvg(r));
  return { markdown: md, paths: [jsonPath, `${base}.md`, `${base}.svg`] };
}
