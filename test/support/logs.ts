import type { Server } from './server.js';

/**
 * Waits until the server has logged the end of every request it logged the start of, so no connection is
 * busy when it is sent SIGTERM (a keep-alive connection busy at that moment used to hold the exit for 72 s).
 */
export async function requestsSettled(server: Server): Promise<void> {
  for (;;) {
    const open = new Set<string>();
    for (const line of server.logs) {
      const m = /"reqId":"([^"]+)".*"msg":"(incoming request|request completed|request errored)"/.exec(line);
      if (m) m[2] === 'incoming request' ? open.add(m[1]) : open.delete(m[1]);
    }
    if (open.size === 0) return;
    await new Promise((r) => setTimeout(r, 5));
  }
}
