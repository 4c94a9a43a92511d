/** Reading the service's Prometheus text (/metrics) in tests. */
import type { Server } from './server.js';

/** The /metrics text of a running server; fails the caller (throws) unless it answers 200. */
export async function scrapeMetrics(server: Server): Promise<string> {
  const res = await fetch(`${server.url}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/**
 * The value of the first sample of `name` whose labels include every one of `labels` (none: any sample of
 * `name`), or undefined when there is none.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (want.every((l) => line.includes(l))) return Number(line.split(' ').at(-1));
  }
  return undefined;
}
