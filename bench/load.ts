/**
 * The load generator: autocannon, programmatically, with a request generator that asks each request for a
 * page at a random offset of the table. The same function, settings and offset sequence are used for the
 * service and for the HTTP floor. Latencies are recorded here with microsecond resolution (autocannon's
 * own histogram keeps whole milliseconds, too coarse for sub-millisecond pages).
 */
import autocannon from 'autocannon';
import { createHistogram } from 'node:perf_hooks';
import type { CacheFigures, ThreadCpuFigures } from './threads.js';
import { prng, round } from './util.js';

export type PageFormat = 'json' | 'arrow';

export const ARROW_STREAM = 'application/vnd.apache.arrow.stream';

export interface LoadSpec {
  url: string;
  /** e.g. /api/datasets/1/versions/1/data */
  dataPath: string;
  /** Pages spread over several tables: each request picks one of these at random (dataPath is then unused). */
  dataPaths?: string[];
  /** Query parameters put before offset and limit, e.g. `filter[origin]eq=ORD&sort=-delay` (filtered pages). */
  query?: string;
  /** Rows the offsets are drawn from: the table's, or the filtered result's. */
  totalRows: number;
  rows: number;
  format: PageFormat;
  concurrency: number;
  durationS: number;
  seed: number;
  /** Stops the run early (the figures cover the time it ran). */
  signal?: AbortSignal;
}

export interface LoadFigures {
  rps: number;
  p50_ms: number;
  p90_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  requests: number;
  /** Requests sent (answered or still in flight when the run stopped, which the server still works on). */
  sent: number;
  /**
   * p99 is at least 40% of the run's length: requests still in flight when the run stopped (one per
   * connection) are not in the latencies, and at such latencies they are a large share, so p99 is a lower bound.
   */
  p99_lower_bound: boolean;
  non2xx: number;
  /** Responses by status code, e.g. {"200": 812, "503": 4}. */
  status_codes: Record<string, number>;
  errors: number;
  timeouts: number;
  mb_per_s: number;
  duration_s: number;
  /** Cores used by other processes on the machine during the run (noise), set by the caller. */
  foreign_cpu_cores?: number;
  /** Seconds the server kept working after the run ended (requests whose clients were gone). */
  drain_s?: number;
  /** CPU per request by thread, from the run's start until the server was idle again (set by the caller). */
  threads?: ThreadCpuFigures | null;
  /** The data workers' cache over the same span (set by the caller; null without cache figures in /health). */
  cache?: CacheFigures | null;
  /** Server RSS at the start of the run and its peak during it, MB (set by the caller). */
  rss_start_mb?: number;
  rss_peak_mb?: number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadFigures> {
  const random = prng(spec.seed);
  const span = Math.max(1, spec.totalRows - spec.rows);
  const prefix = spec.query ? `${spec.query}&` : '';
  const hist = createHistogram({ lowest: 1, highest: 120_000_000, figures: 3 });
  let ok = 0;
  // Without a callback autocannon returns its tracker (an EventEmitter with stop()) made thenable.
  const instance = autocannon({
    url: spec.url,
    connections: spec.concurrency,
    duration: spec.durationS,
    pipelining: 1,
    timeout: 30,
    headers: spec.format === 'arrow' ? { accept: ARROW_STREAM } : { accept: 'application/json' },
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          const path = spec.dataPaths ? spec.dataPaths[Math.floor(random() * spec.dataPaths.length)] : spec.dataPath;
          req.path = `${path}?${prefix}offset=${Math.floor(random() * span)}&limit=${spec.rows}`;
          return req;
        },
      },
    ],
  }) as unknown as autocannon.Instance & PromiseLike<autocannon.Result>;
  // At run time autocannon emits (client, statusCode, bytes, responseTimeMs); its typings omit the client.
  (instance as unknown as NodeJS.EventEmitter).on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status >= 200 && status < 300) {
      ok++;
      hist.record(Math.max(1, Math.round(ms * 1000)));
    }
  });
  if (spec.signal) {
    if (spec.signal.aborted) instance.stop();
    else spec.signal.addEventListener('abort', () => instance.stop(), { once: true });
  }
  const result = await instance;
  const duration = result.duration || spec.durationS;
  const us = (p: number) => (ok ? round(hist.percentile(p) / 1000, 3) : Number.NaN);
  return {
    rps: round(ok / duration, 1),
    p50_ms: us(50),
    p90_ms: us(90),
    p99_ms: us(99),
    max_ms: ok ? round(hist.max / 1000, 3) : Number.NaN,
    mean_ms: ok ? round(hist.mean / 1000, 3) : Number.NaN,
    requests: result.requests.total,
    sent: (result.requests as { sent?: number }).sent ?? result.requests.total,
    p99_lower_bound: ok === 0 || hist.percentile(99) / 1000 >= 0.4 * duration * 1000,
    non2xx: result.non2xx,
    status_codes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([k, v]) => [k, v?.count ?? 0])),
    errors: result.errors,
    timeouts: result.timeouts,
    mb_per_s: round(result.throughput.total / duration / 1e6, 2),
    duration_s: round(duration, 2),
  };
}
