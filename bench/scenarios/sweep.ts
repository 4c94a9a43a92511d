/**
 * Worker-count sweep (default CACHE_BYTES): for each WORKERS value, a memory and a local server with the Parquet table loaded,
 * JSON pages of 100 rows at one concurrency, interleaved and repeated like the page scenario. The value the
 * main run used is taken from it rather than measured again.
 */
import { uploadFile } from '../client.js';
import type { Inputs } from '../data.js';
import { startService, type Backend, type ServerHandle } from '../servers.js';
import { log } from '../util.js';
import { dataPath, pagesScenario, serviceTarget, type CellFigures, type LoadSettings, type PageCell } from './pages.js';

export interface SweepRow extends CellFigures {
  backend: Backend;
  workers: number;
}

export async function sweepScenario(opts: {
  backends: Backend[];
  workers: number[];
  cell: PageCell;
  load: LoadSettings;
  inputs: Inputs;
  nodeArgs: (backend: Backend, workers: number) => string[];
}): Promise<SweepRow[]> {
  const rows: SweepRow[] = [];
  for (const workers of opts.workers) {
    const servers: ServerHandle[] = [];
    try {
      const targets = [];
      const started = await Promise.allSettled(opts.backends.map((backend) => startService({ backend, workers, nodeArgs: opts.nodeArgs(backend, workers) })));
      for (const r of started) if (r.status === 'fulfilled') servers.push(r.value);
      for (const r of started) if (r.status === 'rejected') throw r.reason;
      for (const server of servers) {
        const table = await uploadFile(server.url, opts.inputs.parquet.path, 'bench sweep table');
        targets.push(serviceTarget(server, dataPath(table)));
      }
      log(`sweep WORKERS=${workers}`);
      const result = await pagesScenario(targets, [opts.cell], opts.load);
      for (const backend of opts.backends) rows.push({ ...result[backend][0], backend, workers });
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  }
  return rows;
}
