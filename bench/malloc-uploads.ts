/**
 * Uploads of the ~127 MB flights CSV under glibc malloc settings, side by side in one run: one server per
 * (backend, MALLOC_MMAP_THRESHOLD_) started together, the uploads alternated among them `REPS` times (POST until
 * the first page is served, as csv-ingest.ts), each with the server's peak RSS above its RSS before and its RSS
 * once the dataset is deleted. Prints JSON with medians and each setting's ratio to the first (unset).
 *   npm run build && npm run build:bench && REPS=5 THRESHOLDS=,131072,4194304 node dist/bench/malloc-uploads.js
 * THRESHOLDS: comma-separated values; an empty one leaves MALLOC_MMAP_THRESHOLD_ unset (glibc's dynamic threshold).
 */
import { deleteDataset, uploadFile } from './client.js';
import { prepareInputs } from './data.js';
import { installCleanup, RssSampler, startService, stopAll, waitIdle, type Backend, type ServerHandle } from './servers.js';
import { log, median, round, sleep } from './util.js';

const REPS = Number(process.env.REPS ?? 5);
const THRESHOLDS = (process.env.THRESHOLDS ?? ',131072,4194304').split(',');
const BACKENDS: Backend[] = ['memory', 'local'];

async function main(): Promise<void> {
  installCleanup();
  const { csv } = prepareInputs();
  const configs = BACKENDS.flatMap((backend) => THRESHOLDS.map((threshold) => ({ backend, threshold, name: `${backend} MMAP_THRESHOLD=${threshold || 'unset'}` })));
  const servers: ServerHandle[] = await Promise.all(
    configs.map((c) => startService({ backend: c.backend, name: c.name, workers: 2, env: { MALLOC_MMAP_THRESHOLD_: c.threshold } })),
  );
  const runs = new Map<string, { readable_ms: number; peak_above_mb: number; rss_after_delete_mb: number }[]>(configs.map((c) => [c.name, []]));
  for (let r = 0; r < REPS; r++) {
    // A different order each repetition, so no setting always follows the same one.
    const order = configs.map((_, i) => (i + r) % configs.length);
    for (const i of order) {
      const server = servers[i];
      await waitIdle(servers.map((s) => s.pid));
      await sleep(300);
      const sampler = new RssSampler(server.pid, 20).start();
      const before = sampler.peak_mb;
      const up = await uploadFile(server.url, csv.path, 'ingest');
      const peak = sampler.stop();
      await deleteDataset(server.url, up.dataset_id);
      await sleep(500);
      const after = server.status()?.rss_mb ?? NaN;
      runs.get(configs[i].name)!.push({ readable_ms: round(up.readable_ms), peak_above_mb: round(peak - before, 1), rss_after_delete_mb: round(after, 1) });
      log(`${configs[i].name}: ${round(up.readable_ms)} ms, peak +${round(peak - before, 1)} MB, ${round(after, 1)} MB after delete`);
    }
  }
  await stopAll();
  const out: Record<string, unknown> = {};
  for (const backend of BACKENDS) {
    const base = median(runs.get(configs.find((c) => c.backend === backend)!.name)!.map((x) => x.readable_ms));
    for (const c of configs.filter((x) => x.backend === backend)) {
      const rs = runs.get(c.name)!;
      const ms = median(rs.map((x) => x.readable_ms));
      out[c.name] = {
        readable_ms: ms,
        time_vs_first: round(ms / base, 3),
        peak_above_mb: median(rs.map((x) => x.peak_above_mb)),
        rss_after_delete_mb: median(rs.map((x) => x.rss_after_delete_mb)),
        runs: rs,
      };
    }
  }
  console.log(JSON.stringify(out, null, 2));
}

await main();
