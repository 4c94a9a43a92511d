/**
 * A cold first page: the service is restarted on its data directory (so no worker holds or caches
 * anything of the table), then one JSON page of 100 rows at a random offset of the 3,000,000-row table is
 * timed, and a second page at another offset right after it (warm, for comparison). Repeated `times`
 * times; the figures are medians. The connection is opened with a /health request before the timed page,
 * so the time is the page's alone, and kept alive by a node:http agent (client.ts getOverAgent: fetch in
 * this idle client cost milliseconds of its own). The OS page cache is warm (the file was just written or
 * read): this is the service's own cold path, not the disk's.
 */
import type { Agent } from 'node:http';
import { getOverAgent, oneConnection, type Uploaded } from '../client.js';
import { TABLE_ROWS } from '../data.js';
import { waitIdle, type ServerHandle } from '../servers.js';
import { elapsedMs, log, median, prng, round } from '../util.js';
import { dataPath } from './pages.js';

export interface ColdFigures {
  /** Median ms of the first page after a restart. */
  first_page_ms: number;
  /** Median ms of the next page (another offset) on the same server. */
  second_page_ms: number;
  runs: { first_page_ms: number; second_page_ms: number; restart_ms: number }[];
}

/**
 * Restarts `server` `times` times and times its first pages. Returns the figures and the running server
 * (a new handle: a restart changes the process and port).
 */
export async function coldFirstPage(server: ServerHandle, table: Uploaded, times: number): Promise<{ server: ServerHandle; figures: ColdFigures }> {
  log(`${server.label}: cold first page x${times} (restart, then one page)`);
  const random = prng(9090);
  const page = async (s: ServerHandle, agent: Agent) => {
    const offset = Math.floor(random() * (TABLE_ROWS - 100));
    const t = process.hrtime.bigint();
    await getOverAgent(agent, `${s.url}${dataPath(table)}?offset=${offset}&limit=100`, 'application/json');
    return elapsedMs(t);
  };
  const runs: ColdFigures['runs'] = [];
  let current = server;
  for (let i = 0; i < times; i++) {
    const t = process.hrtime.bigint();
    current = await current.restart!();
    const restartMs = elapsedMs(t);
    await waitIdle([current.pid], 10_000);
    const agent = oneConnection();
    await getOverAgent(agent, `${current.url}/health`);
    const first = await page(current, agent);
    const second = await page(current, agent);
    agent.destroy();
    runs.push({ first_page_ms: round(first, 2), second_page_ms: round(second, 2), restart_ms: round(restartMs, 0) });
    log(`cold first page ${i + 1}/${times}: ${round(first, 2)} ms, then ${round(second, 2)} ms`);
  }
  return {
    server: current,
    figures: {
      first_page_ms: round(median(runs.map((r) => r.first_page_ms)), 2),
      second_page_ms: round(median(runs.map((r) => r.second_page_ms)), 2),
      runs,
    },
  };
}
