/**
 * Uploads end to end (POST until the first page of the new version is served) of the Parquet file and of the
 * ~127 MB CSV, with the server's RSS: growth for a loaded table against its Arrow size (memory backend),
 * and the peak during a CSV upload above the steady state before it. The first Parquet upload is kept as
 * the table every later scenario reads; every other upload is deleted once measured.
 * Each upload's baseline is the engine reading the same bytes in this process (engineRead) right before and
 * right after it, with the server idle: on this shared machine pl.readCSV's speed moves by 30% within minutes
 * (e.g. 264 MB/s at a run's start, 224 MB/s twelve minutes later), so a floor measured once at the run's start
 * is not a side-by-side baseline for uploads made later.
 */
import { readFileSync } from 'node:fs';
import { deleteDataset, shardBytes, uploadFile, type Uploaded } from '../client.js';
import type { Inputs } from '../data.js';
import { ForeignCpu, RssSampler, waitIdle, type ServerHandle } from '../servers.js';
import { engineRead } from './engine.js';
import { cpuByRole, cpuDeltaMs, ownCpuMs, type CpuByRole } from '../threads.js';
import { log, MB, median, medianOrNull, round, roundOrNull, sleep } from '../util.js';

export interface UploadRun {
  /** The engine reading the same bytes in the bench process (engineRead), with the server idle, right before and after this upload: wall and CPU ms. */
  engine_before_ms: number;
  engine_after_ms: number;
  engine_before_cpu_ms: number;
  engine_after_cpu_ms: number;
  upload_ms: number;
  readable_ms: number;
  mb_s: number;
  steady_rss_mb: number;
  peak_rss_mb: number;
  peak_above_steady_mb: number;
  foreign_cpu_cores: number;
  /** CPU ms of the bench's own upload client (this process) during the upload. */
  client_cpu_ms: number;
  /** CPU ms of the server's threads during the upload, by kind of thread. */
  server_cpu_ms: CpuByRole;
}

export interface UploadFigures {
  file_bytes: number;
  mb_s: number;
  /** The engine's MB/s from the median of the 2 × runs readings beside the uploads, and the uploads' MB/s against it. */
  engine_mb_s: number;
  ratio_to_engine: number;
  /** The engine's CPU ms per read, median of the same readings. */
  engine_cpu_ms: number;
  readable_ms: number;
  peak_above_steady_mb: number;
  peak_ratio_to_file: number;
  runs: UploadRun[];
}

export interface MemoryFigures {
  startup_rss_mb: number | null;
  /** Memory backend: after the Parquet table is loaded (1 s settle), and its Arrow bytes per /health. */
  loaded_rss_mb: number | null;
  rss_growth_mb: number | null;
  arrow_mb: number | null;
  rss_ratio_to_arrow: number | null;
  /** The same for the CSV upload (which also keeps the uploaded bytes in memory for /download). */
  csv_rss_growth_mb: number | null;
  csv_arrow_mb: number | null;
  csv_rss_ratio_to_arrow: number | null;
  csv_peak_above_steady_mb: number | null;
  csv_peak_ratio_to_file: number | null;
  hwm_mb: number | null;
}

export interface UploadResult {
  table: Uploaded;
  parquet: UploadFigures;
  csv: UploadFigures;
  memory: MemoryFigures;
}

async function settledRss(server: ServerHandle, settleMs = 1000): Promise<number> {
  await sleep(settleMs);
  return server.status()?.rss_mb ?? Number.NaN;
}

async function measuredUpload(server: ServerHandle, file: UploadedFile): Promise<{ up: Uploaded; run: UploadRun }> {
  const { path, kind } = file;
  const bytes = file.bytes.length;
  await waitIdle([server.pid]);
  const engineBefore = engineRead(kind, file.bytes);
  await waitIdle([server.pid]);
  const steady = await settledRss(server, 300);
  const sampler = new RssSampler(server.pid, 50).start();
  const foreign = new ForeignCpu().start();
  const serverCpu = cpuByRole(server.pid);
  const clientCpu = ownCpuMs();
  const up = await uploadFile(server.url, path, `bench ${path.split('/').pop()}`);
  const clientCpuMs = ownCpuMs() - clientCpu;
  const serverCpuMs = cpuDeltaMs(serverCpu, cpuByRole(server.pid));
  const foreignCores = foreign.stop();
  const peak = sampler.stop();
  await waitIdle([server.pid]);
  const engineAfter = engineRead(kind, file.bytes);
  return {
    up,
    run: {
      engine_before_ms: round(engineBefore.wall_ms, 1),
      engine_after_ms: round(engineAfter.wall_ms, 1),
      engine_before_cpu_ms: round(engineBefore.cpu_ms, 0),
      engine_after_cpu_ms: round(engineAfter.cpu_ms, 0),
      upload_ms: round(up.upload_ms, 1),
      readable_ms: round(up.readable_ms, 1),
      mb_s: round(bytes / MB / (up.readable_ms / 1000), 2),
      steady_rss_mb: round(steady, 1),
      peak_rss_mb: round(peak, 1),
      peak_above_steady_mb: round(peak - steady, 1),
      foreign_cpu_cores: round(foreignCores, 2),
      client_cpu_ms: round(clientCpuMs),
      server_cpu_ms: serverCpuMs,
    },
  };
}

/** A file to upload, its kind for the engine's reader, and its bytes (read once, for the engine's readings). */
interface UploadedFile {
  path: string;
  kind: 'csv' | 'parquet';
  bytes: Buffer;
}

function figures(bytes: number, runs: UploadRun[]): UploadFigures {
  const peakAbove = median(runs.map((r) => r.peak_above_steady_mb));
  const mbS = median(runs.map((r) => r.mb_s));
  const engineMbS = bytes / MB / (median(runs.flatMap((r) => [r.engine_before_ms, r.engine_after_ms])) / 1000);
  return {
    file_bytes: bytes,
    mb_s: round(mbS, 2),
    engine_mb_s: round(engineMbS, 1),
    ratio_to_engine: round(mbS / engineMbS, 3),
    engine_cpu_ms: round(median(runs.flatMap((r) => [r.engine_before_cpu_ms, r.engine_after_cpu_ms])), 0),
    readable_ms: round(median(runs.map((r) => r.readable_ms)), 1),
    peak_above_steady_mb: round(peakAbove, 1),
    peak_ratio_to_file: round(peakAbove / (bytes / MB), 2),
    runs,
  };
}

export async function uploadScenario(server: ServerHandle, inputs: Inputs, reps: number): Promise<UploadResult> {
  const memoryBackend = server.backend === 'memory';
  const startup = await settledRss(server);

  const parquetFile: UploadedFile = { path: inputs.parquet.path, kind: 'parquet', bytes: readFileSync(inputs.parquet.path) };
  log(`${server.label}: Parquet upload x${reps}`);
  const parquetRuns: UploadRun[] = [];
  let table: Uploaded | undefined;
  let loadedRss: number | null = null;
  let arrowMb: number | null = null;
  for (let r = 0; r < reps; r++) {
    const { up, run } = await measuredUpload(server, parquetFile);
    parquetRuns.push(run);
    if (r === 0) {
      table = up;
      loadedRss = await settledRss(server);
      const bytes = memoryBackend ? await shardBytes(server.url) : null;
      arrowMb = bytes === null ? null : bytes / MB;
    } else {
      await deleteDataset(server.url, up.dataset_id);
    }
  }

  const csvFile: UploadedFile = { path: inputs.csv.path, kind: 'csv', bytes: readFileSync(inputs.csv.path) };
  log(`${server.label}: CSV upload x${reps} (${round(inputs.csv.bytes / MB, 1)} MB)`);
  const csvRuns: UploadRun[] = [];
  const csvGrowth: number[] = [];
  const csvArrow: number[] = [];
  for (let r = 0; r < reps; r++) {
    const before = memoryBackend ? await shardBytes(server.url) : null;
    const { up, run } = await measuredUpload(server, csvFile);
    csvRuns.push(run);
    if (memoryBackend) {
      const after = await settledRss(server);
      csvGrowth.push(after - run.steady_rss_mb);
      const bytes = await shardBytes(server.url);
      if (bytes !== null && before !== null) csvArrow.push((bytes - before) / MB);
    }
    await deleteDataset(server.url, up.dataset_id);
  }

  const parquet = figures(inputs.parquet.bytes, parquetRuns);
  const csv = figures(inputs.csv.bytes, csvRuns);
  const growth = loadedRss === null ? null : loadedRss - startup;
  const csvGrowthMb = medianOrNull(csvGrowth);
  const csvArrowMb = medianOrNull(csvArrow);
  return {
    table: table!,
    parquet,
    csv,
    memory: {
      startup_rss_mb: roundOrNull(startup, 1),
      loaded_rss_mb: roundOrNull(loadedRss, 1),
      rss_growth_mb: roundOrNull(growth, 1),
      arrow_mb: roundOrNull(arrowMb, 1),
      rss_ratio_to_arrow: growth !== null && arrowMb ? round(growth / arrowMb, 2) : null,
      csv_rss_growth_mb: roundOrNull(csvGrowthMb, 1),
      csv_arrow_mb: roundOrNull(csvArrowMb, 1),
      csv_rss_ratio_to_arrow: csvGrowthMb !== null && csvArrowMb ? round(csvGrowthMb / csvArrowMb, 2) : null,
      csv_peak_above_steady_mb: csv.peak_above_steady_mb,
      csv_peak_ratio_to_file: csv.peak_ratio_to_file,
      hwm_mb: roundOrNull(server.status()?.hwm_mb, 1),
    },
  };
}
