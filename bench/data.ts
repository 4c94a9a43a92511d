/**
 * Inputs: the 3,000,000-row Parquet file from vega-datasets, and a ~127 MB CSV of the same table written
 * by nodejs-polars, cached under bench/.cache/ (git-ignored) and rebuilt when the Parquet file changes.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pl from 'nodejs-polars';
import { CACHE_DIR, log, PARQUET_PATH } from './util.js';

export const TABLE_ROWS = 3_000_000;

export interface Inputs {
  parquet: { path: string; bytes: number };
  csv: { path: string; bytes: number };
}

export function prepareInputs(): Inputs {
  if (!existsSync(PARQUET_PATH)) throw new Error(`${PARQUET_PATH} is missing: run npm ci (vega-datasets is a devDependency)`);
  mkdirSync(CACHE_DIR, { recursive: true });
  const csvPath = join(CACHE_DIR, 'flights-3m.csv');
  const stampPath = `${csvPath}.json`;
  const source = statSync(PARQUET_PATH);
  const stamp = JSON.stringify({ source_bytes: source.size, source_mtime_ms: Math.floor(source.mtimeMs) });
  const fresh = existsSync(csvPath) && existsSync(stampPath) && readFileSync(stampPath, 'utf8') === stamp;
  if (!fresh) {
    log(`writing ${csvPath} from ${PARQUET_PATH} (once; cached)`);
    const frame = pl.readParquet(PARQUET_PATH);
    if (frame.height !== TABLE_ROWS) throw new Error(`expected ${TABLE_ROWS} rows in the Parquet file, found ${frame.height}`);
    const tmp = `${csvPath}.${process.pid}.tmp`;
    frame.writeCSV(tmp);
    renameSync(tmp, csvPath);
    writeFileSync(stampPath, stamp);
  }
  return {
    parquet: { path: PARQUET_PATH, bytes: source.size },
    csv: { path: csvPath, bytes: statSync(csvPath).size },
  };
}
