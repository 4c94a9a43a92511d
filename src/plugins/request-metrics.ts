/**
 * `http_requests_total` and `http_request_duration_seconds` per method, route template and status, counted
 * with a map lookup and a few additions per request. prom-client's own Counter and Histogram hash their label
 * object on every call (twice per request here); these two metrics are built from the same figures only
 * when /metrics is scraped, in prom-client's exposition shapes (`get()`), so the text is the same as before.
 */

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120];

interface Series {
  labels: { method: string; route: string; status: string };
  count: number;
  /** Seconds. */
  sum: number;
  /** Requests per bucket (not cumulative); the last slot is past the largest bound. */
  buckets: Float64Array;
}

type Value = { labels: Record<string, string | number>; value: number; metricName?: string };

/** What prom-client's Registry needs of a metric: a name, a help text, a type and `get()`. */
export interface ExposedMetric {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  aggregator: 'sum';
  get(): { name: string; help: string; type: string; values: Value[]; aggregator: 'sum' };
}

export class RequestMetrics {
  private readonly series = new Map<string, Series>();

  /** One answered request: `seconds` from its arrival to its response. */
  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let s = this.series.get(key);
    if (!s) {
      s = { labels: { method, route, status: String(status) }, count: 0, sum: 0, buckets: new Float64Array(BUCKETS.length + 1) };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    let b = 0;
    while (b < BUCKETS.length && seconds > BUCKETS[b]) b++;
    s.buckets[b]++;
  }

  /** The two metrics, to register with prom-client's Registry (`registerMetric`). */
  exposed(): ExposedMetric[] {
    const counter = metric('http_requests_total', 'HTTP requests answered', 'counter', () =>
      [...this.series.values()].map((s) => ({ labels: s.labels, value: s.count })),
    );
    const histogram = metric('http_request_duration_seconds', 'Time from request to response', 'histogram', () =>
      [...this.series.values()].flatMap((s) => {
        let cumulative = 0;
        const name = 'http_request_duration_seconds';
        const values: Value[] = BUCKETS.map((le, i) => ({ labels: { ...s.labels, le }, value: (cumulative += s.buckets[i]), metricName: `${name}_bucket` }));
        values.push(
          { labels: { ...s.labels, le: '+Inf' }, value: s.count, metricName: `${name}_bucket` },
          { labels: s.labels, value: s.sum, metricName: `${name}_sum` },
          { labels: s.labels, value: s.count, metricName: `${name}_count` },
        );
        return values;
      }),
    );
    return [counter, histogram];
  }
}

function metric(name: string, help: string, type: 'counter' | 'histogram', values: () => Value[]): ExposedMetric {
  return { name, help, type, aggregator: 'sum', get: () => ({ name, help, type, values: values(), aggregator: 'sum' }) };
}
