/**
 * Main-thread event-loop delay, and /health latency at concurrency 1, while a large upload (the CSV) and a
 * detailed statistics job run during page traffic. The window opens with a scrape of /metrics (prom-client resets its event-loop histogram on every
 * scrape) and closes with another, so the second scrape's nodejs_eventloop_lag_* are this window's. A server
 * without /metrics gets null figures and a note; the bench's own probe (the same instrument, preloaded into
 * the server by the bench) is reported beside them either way.
 */
import { deleteDataset, promValue, scrapeMetrics, timeStatistics, uploadFile, type Uploaded } from '../client.js';
import { TABLE_ROWS, type Inputs } from '../data.js';
import { runLoad, type LoadFigures } from '../load.js';
import { ForeignCpu, waitIdle, type EventLoopReading, type ServerHandle } from '../servers.js';
import { Worker } from 'node:worker_threads';
import { log, median, medianOrNull, round, sleep } from '../util.js';
import { dataPath } from './pages.js';

export interface EventLoopFigures {
  source: '/metrics' | null;
  event_loop_delay_p50_ms: number | null;
  event_loop_delay_p99_ms: number | null;
  event_loop_delay_max_ms: number | null;
  note?: string;
  probe: EventLoopReading | null;
  /** GET /health, one request at a time through the window: latency percentiles (ms) and count. */
  health: { p50_ms: number; p99_ms: number; max_ms: number; requests: number; failures: number };
  window_s: number;
  foreign_cpu_cores: number;
  upload_ms: number;
  statistics_detailed_ms: number;
  /** The page traffic during the window. */
  traffic: { rows: number; format: 'json'; concurrency: number } & Pick<LoadFigures, 'rps' | 'p50_ms' | 'p99_ms' | 'max_ms' | 'non2xx' | 'status_codes' | 'errors'>;
  /** Set by medianFigures: each run's p99s, in run order. */
  runs?: { probe_p99_ms: number | null; metrics_p99_ms: number | null; health_p99_ms: number }[];
}

/**
 * Several runs of the scenario as one: the median of each figure (counts of failures, non-2xx answers and
 * errors summed), with each run's p99s under `runs`. The full bench runs it `reps` times per backend, as it
 * takes every other figure: one run's p99 moves by several ms from run to run on this machine.
 */
export function medianFigures(all: EventLoopFigures[]): EventLoopFigures {
  const [first] = all;
  const mid = (pick: (f: EventLoopFigures) => number | null | undefined) => medianOrNull(all.map(pick));
  const num = (pick: (f: EventLoopFigures) => number) => round(median(all.map(pick)), 2);
  const sum = (pick: (f: EventLoopFigures) => number) => all.reduce((n, f) => n + pick(f), 0);
  const probes = all.map((f) => f.probe).filter((p): p is EventLoopReading => p !== null);
  const codes: Record<string, number> = {};
  for (const f of all) for (const [code, n] of Object.entries(f.traffic.status_codes)) codes[code] = (codes[code] ?? 0) + n;
  return {
    source: first.source,
    event_loop_delay_p50_ms: mid((f) => f.event_loop_delay_p50_ms),
    event_loop_delay_p99_ms: mid((f) => f.event_loop_delay_p99_ms),
    event_loop_delay_max_ms: mid((f) => f.event_loop_delay_max_ms),
    ...(first.note !== undefined && { note: first.note }),
    probe:
      probes.length === all.length
        ? {
            p50_ms: round(median(probes.map((p) => p.p50_ms)), 2),
            p99_ms: round(median(probes.map((p) => p.p99_ms)), 2),
            max_ms: round(median(probes.map((p) => p.max_ms)), 2),
            mean_ms: round(median(probes.map((p) => p.mean_ms)), 2),
            samples: Math.round(median(probes.map((p) => p.samples))),
            resolution_ms: first.probe!.resolution_ms,
          }
        : null,
    health: {
      p50_ms: num((f) => f.health.p50_ms),
      p99_ms: num((f) => f.health.p99_ms),
      max_ms: num((f) => f.health.max_ms),
      requests: Math.round(median(all.map((f) => f.health.requests))),
      failures: sum((f) => f.health.failures),
    },
    window_s: round(median(all.map((f) => f.window_s)), 1),
    foreign_cpu_cores: num((f) => f.foreign_cpu_cores),
    upload_ms: round(median(all.map((f) => f.upload_ms)), 1),
    statistics_detailed_ms: round(median(all.map((f) => f.statistics_detailed_ms)), 1),
    traffic: {
      ...first.traffic,
      rps: num((f) => f.traffic.rps),
      p50_ms: num((f) => f.traffic.p50_ms),
      p99_ms: num((f) => f.traffic.p99_ms),
      max_ms: num((f) => f.traffic.max_ms),
      non2xx: sum((f) => f.traffic.non2xx),
      status_codes: codes,
      errors: sum((f) => f.traffic.errors),
    },
    runs: all.map((f) => ({ probe_p99_ms: f.probe?.p99_ms ?? null, metrics_p99_ms: f.event_loop_delay_p99_ms, health_p99_ms: f.health.p99_ms })),
  };
}

export async function eventLoopScenario(server: ServerHandle, table: Uploaded, inputs: Inputs, concurrency: number): Promise<EventLoopFigures> {
  log(`${server.label}: event loop during CSV upload + detailed statistics + JSON page traffic (c=${concurrency})`);
  await waitIdle([server.pid]);
  const before = await scrapeMetrics(server.url);
  const foreign = new ForeignCpu().start();
  await server.probeEventLoop(true);
  const started = process.hrtime.bigint();
  const stop = new AbortController();
  const traffic = runLoad({
    url: server.url,
    dataPath: dataPath(table),
    totalRows: TABLE_ROWS,
    rows: 100,
    format: 'json',
    concurrency,
    durationS: 900,
    seed: 77,
    signal: stop.signal,
  });
  const healthLoop = pollHealth(server.url, stop.signal);
  await sleep(500);
  let uploaded: Uploaded | undefined;
  let statsMs = Number.NaN;
  try {
    [uploaded, statsMs] = await Promise.all([
      uploadFile(server.url, inputs.csv.path, 'bench event-loop upload'),
      sleep(250).then(() => timeStatistics(server.url, table, 'refresh-detailed')),
    ]);
  } finally {
    stop.abort();
  }
  const after = await scrapeMetrics(server.url);
  const probe = await server.probeEventLoop(true);
  const load = await traffic;
  const healthFigures = await healthLoop;
  const foreignCores = foreign.stop();
  const windowS = Number(process.hrtime.bigint() - started) / 1e9;
  if (uploaded) await deleteDataset(server.url, uploaded.dataset_id);

  const seconds = (name: string) => (after === null ? null : promValue(after, name));
  const ms = (s: number | null) => (s === null ? null : round(s * 1000, 2));
  const figures: EventLoopFigures = {
    source: after === null ? null : '/metrics',
    event_loop_delay_p50_ms: ms(seconds('nodejs_eventloop_lag_p50_seconds')),
    event_loop_delay_p99_ms: ms(seconds('nodejs_eventloop_lag_p99_seconds')),
    event_loop_delay_max_ms: ms(seconds('nodejs_eventloop_lag_max_seconds')),
    probe: probe && {
      ...probe,
      p50_ms: round(probe.p50_ms, 2),
      p99_ms: round(probe.p99_ms, 2),
      max_ms: round(probe.max_ms, 2),
      mean_ms: round(probe.mean_ms, 2),
    },
    health: healthFigures,
    window_s: round(windowS, 1),
    foreign_cpu_cores: round(foreignCores, 2),
    upload_ms: round(uploaded?.readable_ms ?? Number.NaN, 1),
    statistics_detailed_ms: round(statsMs, 1),
    traffic: {
      rows: 100,
      format: 'json',
      concurrency,
      rps: load.rps,
      p50_ms: load.p50_ms,
      p99_ms: load.p99_ms,
      max_ms: load.max_ms,
      non2xx: load.non2xx,
      status_codes: load.status_codes,
      errors: load.errors,
    },
  };
  if (after === null) {
    figures.note = `GET /metrics is ${before === null ? 'not available' : 'no longer available'} on this server: event_loop_delay_* are null; "probe" is the bench's own monitorEventLoopDelay (1 ms resolution, as the service's prom-client)`;
  } else if (figures.event_loop_delay_p99_ms === null) {
    figures.note = '/metrics has no nodejs_eventloop_lag_p99_seconds';
  }
  return figures;
}

/**
 * GET /health back to back (concurrency 1) until `signal` aborts, from a thread of its own (health-poller.ts);
 * latencies in µs resolution.
 */
function pollHealth(url: string, signal: AbortSignal): Promise<EventLoopFigures['health']> {
  const poller = new Worker(new URL('../health-poller.js', import.meta.url), { workerData: { url } });
  return new Promise((resolve, reject) => {
    poller.once('message', (figures: EventLoopFigures['health']) => resolve(figures));
    poller.once('error', reject);
    poller.once('exit', (code) => reject(new Error(`the /health poller exited (${code}) before reporting`)));
    signal.addEventListener('abort', () => poller.postMessage('stop'), { once: true });
  });
}
