/**
 * Preloaded into every server the bench starts (`node --import …/el-probe.js`); not part of the service.
 *  - Main-thread event-loop delay with the same instrument and resolution the service gives prom-client for
 *    `nodejs_eventloop_lag_*` (perf_hooks.monitorEventLoopDelay, 1 ms), read and reset over the IPC
 *    channel. It is the fallback when the server has no `/metrics`, and a cross-check when it has.
 *    Like prom-client's, its figures include the 1 ms sampling interval: an idle loop reads ~1 ms.
 *  - When the bench goes away (even by SIGKILL) the IPC channel closes and the server is sent SIGTERM,
 *    so no server outlives the bench.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

const RESOLUTION_MS = 1;
const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
histogram.enable();

interface ReadMessage {
  type: 'el-read';
  id: number;
  reset: boolean;
}

if (process.send) {
  process.on('message', (m: ReadMessage) => {
    if (m?.type !== 'el-read') return;
    const ms = (ns: number) => ns / 1e6;
    process.send!({
      type: 'el',
      id: m.id,
      p50_ms: ms(histogram.percentile(50)),
      p99_ms: ms(histogram.percentile(99)),
      max_ms: ms(histogram.max),
      mean_ms: ms(histogram.mean),
      samples: histogram.count,
      resolution_ms: RESOLUTION_MS,
    });
    if (m.reset) histogram.reset();
  });
  process.on('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  process.channel?.unref();
}
