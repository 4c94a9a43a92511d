/**
 * The baselines that bound a CSV upload's speed by CPU, measured in the same run as the uploads:
 * - the engine: `pl.readCSV` (dates parsed) in this process (engine.ts engineRead, as beside each upload) — wall and CPU (every thread of this process);
 * - the service's CSV reader (`readCsv`: layout and row-shape check, text read, whole-column type checks and
 *   casts) in this process, and its text read alone (`pl.readCSV`, every column as text);
 * - writing the reader's frame as Parquet the way the local backend stores it (writeParquetDurably);
 * - the transport: the bench's own upload client posting the same file to the HTTP floor, which receives it with
 *   the service's multipart parser and drops it — wall, the client's CPU and the floor server's CPU.
 * report.ts (csvUploadBound) turns these into the best ratio to `pl.readCSV` an upload could reach here.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { readCsv, TEXT_READ } from '../../workers/readers/csv.js';
import { writeParquetDurably } from '../../workers/parse-worker.js';
import { postFile } from '../client.js';
import type { Inputs } from '../data.js';
import { startFloor, waitIdle } from '../servers.js';
import { cpuByRole, cpuDeltaMs, ownCpuMs, totalCpu } from '../threads.js';
import { engineRead } from './engine.js';
import { log, MB, median, round } from '../util.js';

export interface TimedCpu {
  wall_ms: number;
  /** CPU ms of every thread of the process while it ran (Polars' pool included). */
  cpu_ms: number;
}

export interface CsvCpuBaselines {
  /** Cores of this machine: the bound divides CPU by this. */
  cores: number;
  engine: TimedCpu;
  text_read: TimedCpu;
  reader: TimedCpu;
  parquet_write: TimedCpu;
  transport: TimedCpu & { mb_s: number; client_cpu_ms: number; server_cpu_ms: number };
}

async function timedCpu(f: () => unknown): Promise<TimedCpu> {
  const cpu = ownCpuMs();
  const t = performance.now();
  await f();
  return { wall_ms: performance.now() - t, cpu_ms: ownCpuMs() - cpu };
}

const medianOf = (runs: TimedCpu[]): TimedCpu => ({ wall_ms: round(median(runs.map((r) => r.wall_ms))), cpu_ms: round(median(runs.map((r) => r.cpu_ms))) });

export async function csvCpuBaselines(inputs: Inputs, reps: number): Promise<CsvCpuBaselines> {
  log('CSV CPU baselines: engine, reader and text read in-process; upload to the HTTP floor');
  const bytes = readFileSync(inputs.csv.path);
  const engine: TimedCpu[] = [];
  const textRead: TimedCpu[] = [];
  const reader: TimedCpu[] = [];
  const parquet: TimedCpu[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'dataset-bench-transport-'));
  for (let r = 0; r < reps; r++) {
    engine.push(engineRead('csv', bytes));
    textRead.push(await timedCpu(() => pl.readCSV(bytes, TEXT_READ)));
    let sheet: Awaited<ReturnType<typeof readCsv>>['sheet'] | undefined;
    reader.push(await timedCpu(async () => (sheet = (await readCsv(bytes)).sheet)));
    const path = join(dir, `sheet-${r}.parquet`);
    parquet.push(await timedCpu(() => writeParquetDurably(sheet!, path)));
    rmSync(path);
  }

  writeFileSync(join(dir, 'variants.json'), '[]');
  const floor = await startFloor(join(dir, 'variants.json'));
  const transport: (TimedCpu & { client_cpu_ms: number; server_cpu_ms: number })[] = [];
  try {
    for (let r = 0; r < reps; r++) {
      await waitIdle([floor.pid]);
      const server = cpuByRole(floor.pid);
      const run = await timedCpu(async () => {
        const res = await postFile(`${floor.url}/api/datasets/upload`, inputs.csv.path, { name: 'transport' });
        const got = JSON.parse(res.text) as { bytes: number };
        if (got.bytes !== inputs.csv.bytes) throw new Error(`the floor received ${got.bytes} of ${inputs.csv.bytes} bytes`);
      });
      const used = cpuDeltaMs(server, cpuByRole(floor.pid));
      transport.push({ ...run, client_cpu_ms: run.cpu_ms, server_cpu_ms: totalCpu(used) });
    }
  } finally {
    await floor.stop();
  }
  const t = medianOf(transport);
  return {
    cores: availableParallelism(),
    engine: medianOf(engine),
    text_read: medianOf(textRead),
    reader: medianOf(reader),
    parquet_write: medianOf(parquet),
    transport: {
      ...t,
      mb_s: round(inputs.csv.bytes / MB / (t.wall_ms / 1000), 1),
      client_cpu_ms: round(median(transport.map((x) => x.client_cpu_ms))),
      server_cpu_ms: round(median(transport.map((x) => x.server_cpu_ms))),
    },
  };
}
