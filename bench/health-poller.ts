/**
 * GET /health back to back (concurrency 1) on a thread of its own, over one kept-alive node:http connection,
 * until told to stop; then posts its latency figures (ms) and exits. A thread of its own because the bench's
 * main thread runs autocannon's page traffic and the upload client during the mixed scenario: a poll on that
 * event loop also timed how long the bench took to notice each answer. Started by pollHealth (scenarios/event-loop.ts).
 *
 * workerData: { url } (the server's base URL). Messages: 'stop' in; { p50_ms, p99_ms, max_ms, requests, failures } out.
 */
import { Agent, request } from 'node:http';
import { createHistogram } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

const { url } = workerData as { url: string };
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const h = createHistogram({ lowest: 1, highest: 120_000_000, figures: 3 });
let failures = 0;
let stopped = false;
parentPort!.once('message', () => (stopped = true));

/** One GET /health: resolves with its status (0 for a socket error) once the body is read. */
const once = () =>
  new Promise<number>((resolve) => {
    const req = request(`${url}/health`, { agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', () => resolve(0));
    });
    req.once('error', () => resolve(0));
    req.end();
  });

while (!stopped) {
  const t = process.hrtime.bigint();
  const status = await once();
  if (status === 200) h.record(Math.max(1, Math.round(Number(process.hrtime.bigint() - t) / 1000)));
  else failures++;
  // Lets the 'stop' message in between requests.
  await new Promise((r) => setImmediate(r));
}
agent.destroy();
const ms = (us: number) => Math.round(us) / 1000;
parentPort!.postMessage({ p50_ms: ms(h.percentile(50)), p99_ms: ms(h.percentile(99)), max_ms: ms(h.max), requests: h.count, failures });
