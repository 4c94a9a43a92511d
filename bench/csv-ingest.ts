/**
 * CSV ingest against the engine, side by side in one run: `pl.readCSV` (Polars' own inference) on the ~127 MB
 * flights CSV, then the service's CSV reader in-process (readCsv: layout check, text read, type inference),
 * each alternated `REPS` times; then, unless `IN_PROCESS_ONLY=1`, the same file uploaded end to end (POST until
 * the first page is served) to a real server per backend, each upload beside a `pl.readCSV` of the same bytes,
 * with the server's peak RSS above its RSS before the upload. Prints JSON with medians and ratios
 * (reader MB/s ÷ pl.readCSV MB/s); the targets are ≥ 0.35× (memory) and ≥ 0.25× (local) end to end.
 * `BASELINE=<repo>` (another build, made with `npm run build`) uploads to that build's server too, alternating
 * with this build's, and reports it beside (`<backend>_baseline`); `BACKENDS=local` limits the backends.
 *   npm run build && npm run build:bench && node dist/bench/csv-ingest.js
 */
import { readFileSync } from 'node:fs';
import pl from 'nodejs-polars';
import { readCsv } from '../workers/readers/csv.js';
import { deleteDataset, uploadFile } from './client.js';
import { prepareInputs } from './data.js';
import { installCleanup, RssSampler, startService, stopAll, waitIdle, type Backend } from './servers.js';
import { comparedBuilds, inTurn, log, MB, median, round, sleep } from './util.js';

const REPS = Number(process.env.REPS ?? 3);

async function timed(f: () => unknown): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function main(): Promise<void> {
  installCleanup();
  const { csv } = prepareInputs();
  const bytes = readFileSync(csv.path);
  const engine: number[] = [];
  const reader: number[] = [];
  for (let r = 0; r < REPS; r++) {
    engine.push(await timed(() => pl.readCSV(bytes)));
    reader.push(await timed(() => readCsv(bytes)));
  }
  const out: Record<string, unknown> = {
    file_mb: round(csv.bytes / MB, 1),
    in_process: { engine_ms: round(median(engine)), reader_ms: round(median(reader)), ratio: round(median(engine) / median(reader), 3), runs: { engine, reader } },
  };
  log(JSON.stringify(out.in_process));
  if (process.env.IN_PROCESS_ONLY !== '1') {
    for (const backend of (process.env.BACKENDS ?? 'memory,local').split(',') as Backend[]) {
      const servers = [];
      for (const { main } of comparedBuilds(process.env.BASELINE)) servers.push({ suffix: main ? '_baseline' : '', server: await startService({ backend, workers: 2, main }), runs: [] as { engine_ms: number; readable_ms: number; ratio: number; peak_above_mb: number }[] });
      for (let r = 0; r < REPS; r++) {
        for (const { server, runs } of inTurn(servers, r)) {
          const engineMs = await timed(() => pl.readCSV(bytes));
          await waitIdle(servers.map((s) => s.server.pid));
          await sleep(300);
          const sampler = new RssSampler(server.pid, 20).start();
          const before = sampler.peak_mb;
          const up = await uploadFile(server.url, csv.path, 'ingest');
          const peak = sampler.stop();
          runs.push({ engine_ms: round(engineMs), readable_ms: round(up.readable_ms), ratio: round(engineMs / up.readable_ms, 3), peak_above_mb: round(peak - before, 1) });
          await deleteDataset(server.url, up.dataset_id);
        }
      }
      await stopAll();
      for (const { suffix, runs } of servers) {
        out[backend + suffix] = {
          ratio: median(runs.map((r) => r.ratio)),
          readable_ms: median(runs.map((r) => r.readable_ms)),
          peak_above_mb: median(runs.map((r) => r.peak_above_mb)),
          peak_ratio_to_file: round(median(runs.map((r) => r.peak_above_mb)) / (csv.bytes / MB), 2),
          runs,
        };
        log(`${backend + suffix}: ${JSON.stringify(out[backend + suffix])}`);
      }
    }
  }
  console.log(JSON.stringify(out, null, 2));
}

await main();
