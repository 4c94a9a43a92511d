/**
 * Results: every figure in one JSON document, a Markdown summary with the targets (PASS/MISS) and an SVG
 * chart. Ratios are always `service / baseline` of the same figure: for req/s and MB/s below 1 is slower
 * than the baseline, for latencies and times above 1 is slower.
 */
import { writeFileSync } from 'node:fs';
import type { Inputs } from './data.js';
import type { MachineInfo } from './machine.js';
import type { ProfileSummary } from './profile.js';
import type { EngineFloor } from './scenarios/engine.js';
import type { EventLoopFigures } from './scenarios/event-loop.js';
import type { ExportEngineFigures, ExportFigures } from './scenarios/exports.js';
import type { FilteredEngineFigures, FilteredFigures } from './scenarios/filtered.js';
import { cellKey, type CellFigures } from './scenarios/pages.js';
import type { StatisticsFigures } from './scenarios/statistics.js';
import type { SweepRow } from './scenarios/sweep.js';
import type { UploadFigures, UploadResult } from './scenarios/uploads.js';
import type { Backend } from './servers.js';
import type { Settings } from './settings.js';
import { chartSvg } from './svg.js';
import { MB, median, ratio, round } from './util.js';

export interface PageRow extends CellFigures {
  floor: Pick<CellFigures, 'rps' | 'p50_ms' | 'p90_ms' | 'p99_ms' | 'max_ms'> | null;
  ratio_to_floor: { rps: number | null; p50_ms: number | null; p99_ms: number | null };
}

/** A filtered-page cell with its baselines: the unfiltered page, the HTTP floor and the engine floor. */
export interface FilteredRow extends FilteredFigures {
  /** Unfiltered JSON pages of 100 rows, same backend and concurrency, this run (null if not measured). */
  plain_page: Pick<CellFigures, 'rps' | 'p50_ms' | 'p90_ms' | 'p99_ms' | 'max_ms'> | null;
  ratio_to_plain_page: { rps: number | null; p50_ms: number | null; p99_ms: number | null };
  /** The HTTP floor's JSON/100 page at this concurrency (null if not measured). */
  floor: Pick<CellFigures, 'rps' | 'p50_ms' | 'p90_ms' | 'p99_ms' | 'max_ms'> | null;
  ratio_to_floor: { rps: number | null; p50_ms: number | null; p99_ms: number | null };
  /** The same query + slice + JSON encode in-process: memory ↔ in-memory DataFrame, local ↔ lazy scan of the Parquet file. */
  engine: { analogue: 'in-memory DataFrame' | 'lazy scan of the Parquet file'; p50_ms: number; total_rows: number } | null;
  ratio_to_engine: { p50_ms: number | null };
  /** The server's match count equals the engine's. */
  total_rows_match_engine: boolean | null;
}

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
  backend: Backend | 'both';
  description: string;
  measured: string;
  pass: boolean | null;
  note?: string;
}

export interface Results {
  schema: 'dataset-service-bench/1';
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
  };
  backends: Partial<Record<Backend, BackendResults>>;
  sweep: SweepRow[];
  targets: Target[];
  profiles: { dir: string; summaries: ProfileSummary[] }[];
  notes: string[];
}

export interface BackendResults {
  pages: PageRow[];
  /** JSON pages of 100 rows at random offsets of a filtered/sorted/projected result. */
  filtered_pages: FilteredRow[];
  /** The whole table streamed as CSV, Parquet, Arrow stream. */
  exports: ExportRow[];
  upload: {
    csv: UploadFigures & { floor_mb_s: number; ratio_to_floor: number | null };
    parquet: UploadFigures & { floor_mb_s: number; ratio_to_floor: number | null };
  };
  statistics: StatisticsFigures & {
    floor: { basic_ms: number; detailed_ms: number };
    ratio_to_floor: { basic_ms: number | null; detailed_ms: number | null };
  };
  event_loop: EventLoopFigures | null;
  event_loop_delay_p99_ms: number | null;
  memory: UploadResult['memory'];
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
  floorPages: CellFigures[];
  pages: Record<string, CellFigures[]>;
  uploads: Map<Backend, UploadResult>;
  statistics: Map<Backend, StatisticsFigures>;
  eventLoop: Map<Backend, EventLoopFigures>;
  filteredPages: Record<string, FilteredFigures[]>;
  filteredEngine: FilteredEngineFigures[];
  exports: Record<string, ExportFigures[]>;
  exportEngine: ExportEngineFigures[];
  sweep: SweepRow[];
  rssTimeline: Map<Backend, RssPoint[]>;
  profiles: { dir: string; summaries: ProfileSummary[] }[];
  durationS: number;
}): Results {
  const floorByKey = new Map(a.floorPages.map((c) => [cellKey(c), c]));
  const backends: Results['backends'] = {};
  for (const backend of a.settings.backends) {
    const up = a.uploads.get(backend)!;
    const st = a.statistics.get(backend)!;
    const el = a.eventLoop.get(backend) ?? null;
    backends[backend] = {
      pages: (a.pages[backend] ?? []).map((c) => {
        const f = floorByKey.get(cellKey(c));
        return {
          ...c,
          floor: f ? { rps: f.rps, p50_ms: f.p50_ms, p90_ms: f.p90_ms, p99_ms: f.p99_ms, max_ms: f.max_ms } : null,
          ratio_to_floor: { rps: ratio(c.rps, f?.rps), p50_ms: ratio(c.p50_ms, f?.p50_ms), p99_ms: ratio(c.p99_ms, f?.p99_ms) },
        };
      }),
      filtered_pages: (a.filteredPages[backend] ?? []).map((c): FilteredRow => {
        const plain = (a.pages[backend] ?? []).find((p) => p.rows === 100 && p.format === 'json' && p.concurrency === c.concurrency);
        const f = floorByKey.get(cellKey({ rows: 100, format: 'json', concurrency: c.concurrency }));
        const e = a.filteredEngine.find((x) => x.query === c.query);
        const engine = e
          ? backend === 'memory'
            ? { analogue: 'in-memory DataFrame' as const, p50_ms: e.in_memory_p50_ms, total_rows: e.total_rows }
            : { analogue: 'lazy scan of the Parquet file' as const, p50_ms: e.lazy_scan_p50_ms, total_rows: e.total_rows }
          : null;
        const pick = (x: CellFigures | undefined) => (x ? { rps: x.rps, p50_ms: x.p50_ms, p90_ms: x.p90_ms, p99_ms: x.p99_ms, max_ms: x.max_ms } : null);
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
      exports: (a.exports[backend] ?? []).map((x): ExportRow => {
        const e = a.exportEngine.find((y) => y.format === x.format);
        return {
          ...x,
          engine: e ? { bytes: e.bytes, read_ms: e.read_ms, write_ms: e.write_ms, mb_s: e.mb_s, write_only_mb_s: e.write_only_mb_s } : null,
          ratio_to_engine: ratio(x.mb_s, e?.mb_s),
        };
      }),
      upload: {
        csv: { ...up.csv, floor_mb_s: a.engine.csv_read_mb_s, ratio_to_floor: ratio(up.csv.mb_s, a.engine.csv_read_mb_s) },
        parquet: { ...up.parquet, floor_mb_s: a.engine.parquet_read_mb_s, ratio_to_floor: ratio(up.parquet.mb_s, a.engine.parquet_read_mb_s) },
      },
      statistics: {
        ...st,
        floor: { basic_ms: a.engine.statistics_basic_ms, detailed_ms: a.engine.statistics_detailed_ms },
        ratio_to_floor: { basic_ms: ratio(st.basic_ms, a.engine.statistics_basic_ms), detailed_ms: ratio(st.detailed_ms, a.engine.statistics_detailed_ms) },
      },
      event_loop: el,
      event_loop_delay_p99_ms: el?.event_loop_delay_p99_ms ?? null,
      memory: up.memory,
      rss_ratio_to_arrow: up.memory.rss_ratio_to_arrow,
      rss_timeline: a.rssTimeline.get(backend) ?? [],
      sweep: a.sweep.filter((r) => r.backend === backend),
    };
  }
  const { json_path: _ignored, ...settings } = a.settings;
  const results: Results = {
    schema: 'dataset-service-bench/1',
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
    },
    backends,
    sweep: a.sweep,
    targets: [],
    profiles: a.profiles,
    notes: [
      'Load generator: autocannon in the bench process, on the same 2-core machine as the server; latencies recorded per response with microsecond resolution. Before each run every server is idle (a server still answering requests of a finished run is waited for); the run\'s drain_s is how long its server kept working after the run ended.',
      '"other load (cores)" is CPU used during the measurement by processes that are neither the bench nor its servers (from /proc/stat): on a shared machine, figures with a high value are unreliable.',
      '"≥" before a p99: it was at least 40% of the run length, so the requests still in flight when the run stopped (not in the latencies) weigh much and the p99 is a lower bound.',
      'ratio_to_floor = service / baseline of the same figure (req/s, MB/s: <1 is slower; ms: >1 is slower).',
      'Event-loop delay figures (prom-client and the probe alike) include the 10 ms sampling interval of monitorEventLoopDelay: an idle loop reads about 10 ms.',
      'RSS is the whole server process (main thread and every worker thread): /proc/<pid>/status VmRSS, sampled every 50 ms during uploads.',
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
  results.targets = targets(results, a.settings);
  return results;
}

function pageCell(r: Results, backend: Backend, rows: number, format: string, concurrency: number): PageRow | undefined {
  return r.backends[backend]?.pages.find((c) => c.rows === rows && c.format === format && c.concurrency === concurrency);
}

const fmt = (x: number | null | undefined, d = 2) => (typeof x === 'number' && Number.isFinite(x) ? String(round(x, d)) : 'n/a');

function targets(r: Results, s: Settings): Target[] {
  const out: Target[] = [];
  for (const format of ['json', 'arrow'] as const) {
    const c = pageCell(r, 'memory', 100, format, 64);
    const rpsRatio = c?.ratio_to_floor.rps ?? null;
    const p99Ratio = c?.ratio_to_floor.p99_ms ?? null;
    out.push({
      id: `page-${format}-100-c64`,
      backend: 'memory',
      description: `${format.toUpperCase()} page of 100 rows, concurrency 64: req/s >= 40% of the HTTP floor and p99 <= 4x the floor's`,
      measured: c
        ? `${fmt(c.rps, 0)} req/s = ${fmt(rpsRatio === null ? null : rpsRatio * 100, 1)}% of ${fmt(c.floor?.rps, 0)}; p99 ${fmt(c.p99_ms)} ms = ${fmt(p99Ratio)}x of ${fmt(c.floor?.p99_ms)} ms${c.non2xx ? `; ${c.non2xx} non-2xx` : ''}`
        : 'not measured',
      pass: rpsRatio === null || p99Ratio === null ? null : rpsRatio >= 0.4 && p99Ratio <= 4 && c!.non2xx === 0 && c!.errors === 0,
    });
  }
  for (const format of ['json', 'arrow'] as const) {
    const m = pageCell(r, 'memory', 100, format, 1);
    const l = pageCell(r, 'local', 100, format, 1);
    const q = ratio(m?.p50_ms, l?.p50_ms);
    out.push({
      id: `memory-vs-local-${format}-100-c1`,
      backend: 'both',
      description: `${format.toUpperCase()} page of 100 rows, concurrency 1: memory p50 <= 0.5x local p50`,
      measured: `memory ${fmt(m?.p50_ms, 3)} ms, local ${fmt(l?.p50_ms, 3)} ms = ${fmt(q)}x`,
      pass: q === null ? null : q <= 0.5,
    });
  }
  for (const [backend, bar] of [['memory', 0.6], ['local', 0.3]] as const) {
    const u = r.backends[backend]?.upload.csv;
    out.push({
      id: `csv-upload-${backend}`,
      backend,
      description: `CSV upload (${fmt(r.inputs.csv_bytes / MB, 0)} MB) to ${backend}: MB/s >= ${bar * 100}% of the engine floor (pl.readCSV)`,
      measured: u ? `${fmt(u.mb_s)} MB/s = ${fmt((u.ratio_to_floor ?? NaN) * 100, 1)}% of ${fmt(u.floor_mb_s)} MB/s` : 'not measured',
      pass: u?.ratio_to_floor == null ? null : u.ratio_to_floor >= bar,
    });
  }
  for (const backend of s.backends) {
    const el = r.backends[backend]?.event_loop;
    if (!el) continue;
    const v = el.event_loop_delay_p99_ms;
    const probe = el.probe?.p99_ms;
    out.push({
      id: `event-loop-${backend}`,
      backend,
      description: 'main-thread event-loop delay p99 <= 20 ms during a large upload + detailed statistics + page traffic',
      measured: v !== null ? `p99 ${fmt(v)} ms (/metrics); probe ${fmt(probe)} ms` : `/metrics absent; probe p99 ${fmt(probe)} ms`,
      pass: v !== null ? v <= 20 : null,
      note: v === null && probe != null ? `no /metrics: not judged; the bench's probe would ${probe <= 20 ? 'PASS' : 'MISS'}` : undefined,
    });
  }
  const mem = r.backends.memory?.memory;
  if (mem) {
    out.push({
      id: 'memory-rss-vs-arrow',
      backend: 'memory',
      description: 'memory backend RSS growth for a loaded table <= 1.5x its Arrow size',
      measured: `+${fmt(mem.rss_growth_mb, 0)} MB for ${fmt(mem.arrow_mb, 0)} MB of Arrow = ${fmt(mem.rss_ratio_to_arrow)}x (Parquet upload); CSV upload +${fmt(mem.csv_rss_growth_mb, 0)} MB = ${fmt(mem.csv_rss_ratio_to_arrow)}x`,
      pass: mem.rss_ratio_to_arrow === null ? null : mem.rss_ratio_to_arrow <= 1.5,
    });
  }
  for (const backend of s.backends) {
    const u = r.backends[backend]?.upload.csv;
    if (!u) continue;
    out.push({
      id: `csv-upload-peak-rss-${backend}`,
      backend,
      description: 'peak RSS during a CSV upload <= 3x the file size above the steady state',
      measured: `+${fmt(u.peak_above_steady_mb, 0)} MB for a ${fmt(u.file_bytes / MB, 0)} MB file = ${fmt(u.peak_ratio_to_file)}x`,
      pass: u.peak_ratio_to_file <= 3,
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
  for (const t of r.targets) L.push(`| ${t.description}${t.backend === 'both' ? '' : ` (${t.backend})`} | ${t.measured}${t.note ? ` — ${t.note}` : ''} | **${verdict(t.pass)}** |`);
  L.push('');

  L.push('## Pages (random offsets of the 3,000,000-row table)', '');
  L.push('| backend | format | rows | conc | req/s | × floor | p50 ms | p90 ms | p99 ms | × floor p99 | max ms | floor req/s | floor p99 ms | non-2xx | errors | other load (cores) |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [backend, b] of Object.entries(r.backends)) {
    for (const c of b!.pages) {
      L.push(
        `| ${backend} | ${c.format} | ${c.rows} | ${c.concurrency} | ${fmt(c.rps, 0)} | ${fmt(c.ratio_to_floor.rps)} | ${fmt(c.p50_ms, 2)} | ${fmt(c.p90_ms, 2)} | ${c.p99_lower_bound ? '≥ ' : ''}${fmt(c.p99_ms, 2)} | ${fmt(c.ratio_to_floor.p99_ms)} | ${fmt(c.max_ms, 1)} | ${fmt(c.floor?.rps, 0)} | ${fmt(c.floor?.p99_ms, 2)} | ${c.non2xx ? `${c.non2xx} ${codes(c.status_codes)}` : 0} | ${c.errors} | ${fmt(c.foreign_cpu_cores, 1)} |`,
      );
    }
  }
  const e = r.baselines.engine_floor;
  L.push('', `Engine floor, one thread, slice + encode per page (p50): ${e.pages.map((p) => `${p.format}/${p.rows} ${p.p50_ms} ms`).join(', ')}; Polars' JSON writer alone (no datetime select): ${Object.entries(e.json_writer_only_p50_ms).map(([k, v]) => `${k} rows ${v} ms`).join(', ')}.`, '');
  L.push(`nodejs-polars JavaScript layer, per call on a 100-row slice (median): ${Object.entries(e.polars_js_layer_ms).map(([k, v]) => `\`${k}\` ${v} ms`).join(', ')}.`, '');

  L.push(...filteredSection(r), ...exportsSection(r));

  L.push('## Uploads (POST until the first page is served)', '');
  L.push('| backend | file | MB | MB/s | engine floor MB/s | × floor | s | peak RSS above steady MB | × file size | other load (cores) |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const [backend, b] of Object.entries(r.backends)) {
    for (const kind of ['csv', 'parquet'] as const) {
      const u = b!.upload[kind];
      L.push(`| ${backend} | ${kind} | ${fmt(u.file_bytes / MB, 1)} | ${fmt(u.mb_s)} | ${fmt(u.floor_mb_s)} | ${fmt(u.ratio_to_floor, 3)} | ${fmt(u.readable_ms / 1000)} | ${fmt(u.peak_above_steady_mb, 0)} | ${fmt(u.peak_ratio_to_file)} | ${fmt(median(u.runs.map((x) => x.foreign_cpu_cores)), 1)} |`);
    }
  }
  L.push('', '## Statistics (3,000,000 rows, 5 columns)', '');
  L.push('| backend | first GET ms | basic ms | × floor | detailed ms | × floor | floor basic / detailed ms | other load (cores) |', '|---|---:|---:|---:|---:|---:|---|---:|');
  for (const [backend, b] of Object.entries(r.backends)) {
    const s = b!.statistics;
    L.push(`| ${backend} | ${fmt(s.first_basic_ms, 0)} | ${fmt(s.basic_ms, 0)} | ${fmt(s.ratio_to_floor.basic_ms)} | ${fmt(s.detailed_ms, 0)} | ${fmt(s.ratio_to_floor.detailed_ms)} | ${fmt(s.floor.basic_ms, 0)} / ${fmt(s.floor.detailed_ms, 0)} | ${fmt(s.foreign_cpu_cores, 1)} |`);
  }
  L.push('', '## Event loop (main thread) during CSV upload + detailed statistics + JSON page traffic', '');
  L.push('| backend | source | p50 ms | p99 ms | max ms | probe p50 / p99 / max ms | window s | upload s | detailed stats s | traffic req/s | traffic p99 ms | non-2xx | other load (cores) |', '|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [backend, b] of Object.entries(r.backends)) {
    const el = b!.event_loop;
    if (!el) continue;
    L.push(
      `| ${backend} | ${el.source ?? 'none'} | ${fmt(el.event_loop_delay_p50_ms)} | ${fmt(el.event_loop_delay_p99_ms)} | ${fmt(el.event_loop_delay_max_ms)} | ${el.probe ? `${fmt(el.probe.p50_ms)} / ${fmt(el.probe.p99_ms)} / ${fmt(el.probe.max_ms)}` : 'n/a'} | ${fmt(el.window_s, 1)} | ${fmt(el.upload_ms / 1000, 1)} | ${fmt(el.statistics_detailed_ms / 1000, 1)} | ${fmt(el.traffic.rps, 0)} | ${fmt(el.traffic.p99_ms)} | ${el.traffic.non2xx} | ${fmt(el.foreign_cpu_cores, 1)} |`,
    );
    if (el.note) L.push('', `Note (${backend}): ${el.note}`);
  }
  L.push('', '## Memory (RSS of the server process)', '');
  L.push('| backend | startup MB | with table MB | growth MB | Arrow MB | growth × Arrow | CSV: growth MB / Arrow MB / × | CSV peak above steady MB | VmHWM MB |', '|---|---:|---:|---:|---:|---:|---|---:|---:|');
  for (const [backend, b] of Object.entries(r.backends)) {
    const mm = b!.memory;
    L.push(
      `| ${backend} | ${fmt(mm.startup_rss_mb, 0)} | ${fmt(mm.loaded_rss_mb, 0)} | ${fmt(mm.rss_growth_mb, 0)} | ${fmt(mm.arrow_mb, 0)} | ${fmt(mm.rss_ratio_to_arrow)} | ${fmt(mm.csv_rss_growth_mb, 0)} / ${fmt(mm.csv_arrow_mb, 0)} / ${fmt(mm.csv_rss_ratio_to_arrow)} | ${fmt(mm.csv_peak_above_steady_mb, 0)} | ${fmt(mm.hwm_mb, 0)} |`,
    );
  }
  L.push('', 'RSS of the main servers after each phase (MB; VmHWM in brackets):', '');
  for (const [backend, b] of Object.entries(r.backends)) {
    L.push(`- ${backend}: ${b!.rss_timeline.map((p) => `${p.phase} ${fmt(p.rss_mb, 0)} (${fmt(p.hwm_mb, 0)})`).join(' → ')}`);
  }
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

function filteredSection(r: Results): string[] {
  const rows = Object.entries(r.backends).flatMap(([backend, b]) => (b!.filtered_pages ?? []).map((c) => ({ backend, c })));
  if (!rows.length) return [];
  const L: string[] = ['## Filtered pages (JSON, 100 rows at random offsets of a filtered result)', ''];
  L.push(
    'Every request carries the query over the whole 3,000,000-row table and asks for 100 rows at a random offset below its match count; × plain = against the unfiltered JSON/100 page of the same backend and concurrency in this run, × floor = against the HTTP floor\'s JSON/100 page, engine p50 = the same query + slice + JSON encode in-process (memory: in-memory DataFrame; local: lazy scan of the Parquet file).',
    '',
  );
  L.push('| backend | query | matches | conc | req/s | × plain | × floor | p50 ms | × plain p50 | p90 ms | p99 ms | × plain p99 | max ms | engine p50 ms | × engine p50 | non-2xx | errors | other load (cores) |');
  L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const { backend, c } of rows) {
    L.push(
      `| ${backend} | ${c.query} | ${c.total_rows}${c.total_rows_match_engine === false ? ` (engine ${c.engine?.total_rows})` : ''} | ${c.concurrency} | ${fmt(c.rps, 0)} | ${fmt(c.ratio_to_plain_page.rps, 3)} | ${fmt(c.ratio_to_floor.rps, 3)} | ${fmt(c.p50_ms, 2)} | ${fmt(c.ratio_to_plain_page.p50_ms)} | ${fmt(c.p90_ms, 2)} | ${c.p99_lower_bound ? '≥ ' : ''}${fmt(c.p99_ms, 2)} | ${fmt(c.ratio_to_plain_page.p99_ms)} | ${fmt(c.max_ms, 1)} | ${fmt(c.engine?.p50_ms, 2)} | ${fmt(c.ratio_to_engine.p50_ms)} | ${c.non2xx ? `${c.non2xx} ${codes(c.status_codes)}` : 0} | ${c.errors} | ${fmt(c.foreign_cpu_cores, 1)} |`,
    );
  }
  const queries = [...new Map(rows.map(({ c }) => [c.query, c.query_string])).entries()];
  L.push('', `Queries: ${queries.map(([name, qs]) => `${name} = \`${qs}\``).join('; ')}. n/a under × plain or × floor: that concurrency has no unfiltered JSON/100 cell in this run.`, '');
  return L;
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
