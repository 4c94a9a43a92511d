/** Command line and the two run sizes: the full run and `--quick`. */
import { isAbsolute, join, resolve } from 'node:path';
import type { PageFormat } from './load.js';
import type { ExportFormat } from './scenarios/exports.js';
import type { FilteredQuery } from './scenarios/filtered.js';
import type { PageCell } from './scenarios/pages.js';
import type { Backend, ServiceName } from './servers.js';
import { BENCH_DIR } from './util.js';

export interface Settings {
  mode: 'quick' | 'full';
  /** Repetitions of every measured figure; the reported figure is the median. */
  reps: number;
  page_duration_s: number;
  warmup_s: number;
  cells: PageCell[];
  /** WORKERS for the main servers; the sweep reuses its figures for this value. */
  main_workers: number;
  sweep_workers: number[];
  sweep_cell: PageCell;
  event_loop_backends: Backend[];
  event_loop_concurrency: number;
  engine_page_ops: number;
  /** Most seconds the page scenario may take before it skips further repetitions (see pages.ts). */
  page_budget_s: number;
  /** Filtered pages: the queries (JSON pages of 100 rows at random offsets of their results) and concurrencies. */
  filtered_queries: FilteredQuery[];
  filtered_concurrency: number[];
  filtered_duration_s: number;
  filtered_engine_ops: number;
  filtered_budget_s: number;
  /** Whole-table exports, one client at a time, `reps` times each. */
  export_formats: ExportFormat[];
  /** Services measured side by side: memory, local (default CACHE_BYTES) and local with CACHE_BYTES=0. */
  services: ServiceName[];
  /** The backends that get every scenario (uploads, statistics, exports, event loop): memory and local. */
  backends: Backend[];
  /** Page cells local-nocache runs (it is slow; the seed's comparison needs c=1). */
  nocache_cells: PageCell[];
  /** Restarts of the local server, each followed by one timed page (the cold first page). */
  cold_restarts: number;
  /** First pages of never-asked variants of each filtered query, per server. */
  filtered_first_pages: number;
  /** The cache sweep: pages spread over this many tables of this many rows. */
  cache_sweep_tables: number;
  cache_sweep_rows: number;
  cache_sweep_cell: PageCell;
  cpu_prof: boolean;
  /** Run this scenario alone (its own servers), not the whole bench; null: everything. */
  only: OnlyScenario | null;
  json_path: string;
}

/** Scenarios `--only` runs alone: those that start their own servers. */
export const ONLY_SCENARIOS = ['cache-sweep'] as const;
export type OnlyScenario = (typeof ONLY_SCENARIOS)[number];

const USAGE = `usage: npm run bench -- [--quick] [--json PATH] [--cpu-prof] [--reps N] [--duration S]
  --quick       one repetition, 1.5 s per load run, fewer cells (a few minutes)
  --json PATH   where to write the results (default bench/results/latest.json; .md and .svg beside it)
  --cpu-prof    run every service server with --cpu-prof; profiles and their summaries go beside the JSON
  --reps N      repetitions per figure (default 3, quick 1)
  --duration S  seconds per page-load run (default 2, quick 1.5; filtered pages 3, quick 1)
  --only NAME   run one scenario alone: cache-sweep (JSON default bench/results/NAME.json, Markdown to stdout)`;

/** Flights from the most frequent origin delayed over 30 min, worst first, three columns (26,430 rows). */
export const LATE_FROM_ORD: FilteredQuery = {
  name: 'ORD late, by delay',
  filters: [
    { column: 'origin', op: 'eq', value: 'ORD' },
    { column: 'delay', op: 'gt', value: 30 },
  ],
  columns: ['date', 'delay', 'origin'],
  sort: ['-delay'],
};

/** A plain filter: every flight delayed over an hour, all columns, table order (about 152,000 rows). */
export const DELAYED_OVER_HOUR: FilteredQuery = {
  name: 'delay > 60',
  filters: [{ column: 'delay', op: 'gt', value: 60 }],
};

export function parseArgs(argv: string[]): Settings {
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--help' || a === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    }
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}\n${USAGE}`);
    const [name, inline] = a.slice(2).split('=', 2);
    if (['json', 'reps', 'duration', 'only'].includes(name)) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new Error(`--${name} needs a value\n${USAGE}`);
      flags.set(name, v);
    } else if (['quick', 'cpu-prof'].includes(name)) {
      flags.set(name, true);
    } else {
      throw new Error(`unknown option --${name}\n${USAGE}`);
    }
  }
  const quick = flags.has('quick');
  const num = (name: string, fallback: number) => {
    const v = flags.get(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const onlyFlag = flags.get('only');
  if (onlyFlag !== undefined && !ONLY_SCENARIOS.includes(onlyFlag as OnlyScenario)) throw new Error(`--only takes one of ${ONLY_SCENARIOS.join(', ')}\n${USAGE}`);
  const only = (onlyFlag as OnlyScenario | undefined) ?? null;
  const jsonFlag = flags.get('json');
  const jsonPath =
    typeof jsonFlag === 'string' ? (isAbsolute(jsonFlag) ? jsonFlag : resolve(process.env.INIT_CWD ?? process.cwd(), jsonFlag)) : join(BENCH_DIR, `results/${only ?? 'latest'}.json`);

  const grid = (rows: number[], formats: PageFormat[], conc: number[]): PageCell[] =>
    rows.flatMap((r) => formats.flatMap((format) => conc.map((concurrency) => ({ rows: r, format, concurrency }))));

  return {
    mode: quick ? 'quick' : 'full',
    reps: Math.round(num('reps', quick ? 1 : 3)),
    page_duration_s: num('duration', quick ? 1.5 : 2),
    warmup_s: quick ? 0.3 : 0.5,
    cells: quick ? grid([100], ['json', 'arrow'], [1, 16, 64]) : grid([100, 1000], ['json', 'arrow'], [1, 16, 64, 256]),
    main_workers: 2,
    sweep_workers: quick ? [1, 2] : [1, 2, 4, 8],
    sweep_cell: { rows: 100, format: 'json', concurrency: 64 },
    event_loop_backends: ['memory', 'local'],
    event_loop_concurrency: 8, // the mixed scenario: pages at c=8
    engine_page_ops: quick ? 30 : 200,
    page_budget_s: quick ? 120 : 720,
    filtered_queries: quick ? [LATE_FROM_ORD] : [LATE_FROM_ORD, DELAYED_OVER_HOUR],
    filtered_concurrency: [1, 16],
    filtered_duration_s: flags.has('duration') ? num('duration', 2) : quick ? 1 : 3,
    filtered_engine_ops: quick ? 5 : 20,
    filtered_budget_s: quick ? 40 : 300,
    export_formats: quick ? ['csv'] : ['csv', 'parquet', 'arrow-stream'],
    services: ['memory', 'local', 'local-nocache'],
    backends: ['memory', 'local'],
    nocache_cells: grid([100], ['json', 'arrow'], [1, 64]),
    // One cold page varies by several ms on this host: 12 restarts of one build against itself differed by 3.4 ms
    // in their medians (bench/cold-page.ts), so the full run's median against its 10 ms bar takes 15 (~25 s more).
    cold_restarts: quick ? 3 : 15,
    filtered_first_pages: quick ? 3 : 5,
    cache_sweep_tables: 6,
    cache_sweep_rows: 1_000_000,
    cache_sweep_cell: { rows: 100, format: 'json', concurrency: 64 },
    cpu_prof: flags.has('cpu-prof'),
    only,
    json_path: jsonPath,
  };
}
