/**
 * The cache sweep: JSON pages at random offsets spread evenly over several tables, on three local-backend
 * servers side by side: CACHE_BYTES holding about 2.5 tables (fewer than it is asked to serve), CACHE_BYTES
 * holding every table on every worker, and CACHE_BYTES=0 (every page a scan of the Parquet file). Each
 * table is read once on each server before the measured runs. The tables are slices of the flights table
 * written under bench/.cache/ (generated, not checked in) and uploaded to every server.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { getBytes, uploadFile } from '../client.js';
import { startNamed, type ServerHandle } from '../servers.js';
import { CACHE_DIR, log, MB, PARQUET_PATH, round } from '../util.js';
import { dataPath, pagesScenario, serviceTarget, type CellFigures, type LoadSettings, type PageCell, type PageTarget } from './pages.js';

export interface CacheSweepRow extends CellFigures {
  server: string;
  /** CACHE_BYTES of this server (0 = off). */
  cache_bytes: number;
  /** Server RSS after the tables were uploaded and read once, before the runs (MB). */
  rss_before_mb: number | null;
  /** Highest RSS sampled during any run (MB). */
  rss_peak_mb: number | null;
  rss_after_mb: number | null;
}

export interface CacheSweepFigures {
  tables: number;
  table_rows: number;
  /** In-memory size of the largest table: its Arrow IPC size (what a decoded frame holds, near enough). */
  table_bytes: number;
  rows: CacheSweepRow[];
}

/** The sweep's tables: `count` slices of `rows` rows of the flights table at different offsets, cached on disk. */
function sweepTables(count: number, rows: number): { paths: string[]; bytes: number } {
  mkdirSync(CACHE_DIR, { recursive: true });
  let frame: pl.DataFrame | undefined;
  let bytes = 0;
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = join(CACHE_DIR, `sweep-${rows}-${i}.parquet`);
    frame ??= pl.readParquet(PARQUET_PATH);
    const offset = Math.floor(((frame.height - rows) * i) / Math.max(1, count - 1));
    const slice = frame.slice(offset, rows);
    bytes = Math.max(bytes, slice.writeIPC().length);
    if (!existsSync(path)) {
      const tmp = `${path}.${process.pid}.tmp`;
      slice.writeParquet(tmp);
      renameSync(tmp, path);
    }
    paths.push(path);
  }
  return { paths, bytes };
}

export async function cacheSweep(opts: { tables: number; tableRows: number; workers: number; cell: PageCell; load: LoadSettings }): Promise<CacheSweepFigures> {
  const { paths, bytes } = sweepTables(opts.tables, opts.tableRows);
  const small = Math.round(2.5 * bytes);
  const all = 2 * opts.tables * bytes;
  log(`cache sweep: ${opts.tables} tables of ${opts.tableRows} rows (~${round(bytes / MB, 0)} MB each as Arrow); CACHE_BYTES ${round(small / MB, 0)} MB, ${round(all / MB, 0)} MB, 0`);
  const configs = [
    { name: `local CACHE_BYTES=${round(small / MB, 0)}MB`, cache: small },
    { name: `local CACHE_BYTES=${round(all / MB, 0)}MB`, cache: all },
    { name: 'local CACHE_BYTES=0', cache: 0 },
  ];
  const servers: ServerHandle[] = [];
  try {
    const started = await Promise.allSettled(configs.map((c) => startNamed('local', { workers: opts.workers, env: { CACHE_BYTES: String(c.cache) } })));
    for (const r of started) if (r.status === 'fulfilled') servers.push(r.value);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    const targets: PageTarget[] = [];
    for (const [i, server] of servers.entries()) {
      server.name = configs[i].name;
      const tables = [];
      for (const path of paths) tables.push(await uploadFile(server.url, path, `bench cache sweep ${path.split('/').pop()}`));
      // The first read of every table (the measured runs are "after the first read").
      for (const t of tables) await getBytes(`${server.url}${dataPath(t)}?offset=${opts.tableRows >> 1}&limit=100`, 'application/json');
      targets.push({ ...serviceTarget(server, dataPath(tables[0])), dataPaths: tables.map(dataPath), totalRows: opts.tableRows });
    }
    const rssBefore = servers.map((s) => s.status()?.rss_mb ?? null);
    const result = await pagesScenario(targets, [opts.cell], opts.load);
    return {
      tables: opts.tables,
      table_rows: opts.tableRows,
      table_bytes: bytes,
      rows: servers.map((s, i) => {
        const cell = result[configs[i].name][0];
        const peaks = cell.runs.map((r) => r.rss_peak_mb ?? 0);
        return {
          ...cell,
          server: configs[i].name,
          cache_bytes: configs[i].cache,
          rss_before_mb: rssBefore[i] === null ? null : round(rssBefore[i]!, 1),
          rss_peak_mb: peaks.length ? round(Math.max(...peaks), 1) : null,
          rss_after_mb: s.status() ? round(s.status()!.rss_mb, 1) : null,
        };
      }),
    };
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
  }
}
