/**
 * GET /health back to back (concurrency 1) on a thread of its own, over one kept-alive node:http connection,
 * until told to stop; then posts its latency figures (ms) and exits. A thread of its own because the bench's
 * main thread runs autocannon's page traffic and the upload client during the mixed scenario: a poll on that
 * event loop also timed how long the bench took to notice each answer. Started by pollHealth (scenarios/event-loop.ts).
 *
 * workerData: { url } (the server's base URL). Messages: 'stop' in; { p50_ms, p99_ms, max_ms, requests, failures } out.
 */
import { createHistogram } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { getOverAgent, oneConnection } from './client.js';

const { url } = workerData as { url: string };
const agent = oneConnection();
const h = createHistogram({ lowest: 1, highest: 120_000_000, figures: 3 });
let failures = 0;
let stopped = false;
parentPort!.once('message', () => (stopped = true));

while (!stopped) {
  const t = process.hrtime.bigint();
  const answered = await getOverAgent(agent, `${url}/health`).then(() => true, () => false); // false: not a 200, or a socket error
  if (answered) h.record(Math.max(1, Math.round(Number(process.hrtime.bigint() - t) / 1000)));
  else failures++;
  // Lets the 'stop' message in between requests.
  await new Promise((r) => setImmediate(r));
}
agent.destroy();
const ms = (us: number) => Math.round(us) / 1000;
parentPort!.postMessage({ p50_ms: ms(h.percentile(50)), p99_ms: ms(h.percentile(99)), max_ms: ms(h.max), requests: h.count, failures });
