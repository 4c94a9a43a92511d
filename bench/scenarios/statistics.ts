/**
 * Statistics of the 3,000,000-row table: the first GET computes the basic statistics (then they are
 * cached), so repeated runs use POST …/statistics/refresh (basic) and …/refresh?detailed=true.
 */
import { timeStatistics, type Uploaded } from '../client.js';
import { ForeignCpu, waitIdle, type ServerHandle } from '../servers.js';
import { log, median, round } from '../util.js';

export interface StatisticsFigures {
  first_basic_ms: number;
  basic_ms: number;
  detailed_ms: number;
  runs: { basic_ms: number[]; detailed_ms: number[] };
  foreign_cpu_cores: number;
}

export async function statisticsScenario(server: ServerHandle, table: Uploaded, reps: number): Promise<StatisticsFigures> {
  log(`${server.label}: statistics x${reps}`);
  await waitIdle([server.pid]);
  const foreign = new ForeignCpu().start();
  const basic = [await timeStatistics(server.url, table, 'get')];
  for (let r = 1; r < reps; r++) basic.push(await timeStatistics(server.url, table, 'refresh'));
  const detailed: number[] = [];
  for (let r = 0; r < reps; r++) detailed.push(await timeStatistics(server.url, table, 'refresh-detailed'));
  return {
    first_basic_ms: round(basic[0], 1),
    basic_ms: round(median(basic), 1),
    detailed_ms: round(median(detailed), 1),
    runs: { basic_ms: basic.map((x) => round(x, 1)), detailed_ms: detailed.map((x) => round(x, 1)) },
    foreign_cpu_cores: round(foreign.stop(), 2),
  };
}
