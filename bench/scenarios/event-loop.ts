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
import { log, round, sleep } from '../util.js';
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
