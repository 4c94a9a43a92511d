/**
 * Stored Parquet sheets as lazy scans, opened once per data worker. Opening a file means reading and parsing
 * its footer; a LazyFrame keeps what it parsed, so the slices and plans built on it later do not read the
 * footer again (a 100-row page at a random offset of the 3M-row flights table: 0.6–0.7 ms of CPU on a kept
 * scan against 1.7–1.9 ms on a new one; Polars' row count of a scan reads the footer again, 1.7–2.4 ms). Stored files never
 * change (a new version is a new path), so what is kept stays true; it goes with the least recently used,
 * or with its version (`dropVersion`).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import pl from 'nodejs-polars';
import type { TableRef } from '../protocol.js';
import { ByteBudgetCache } from '../byte-budget-cache.js';
import { footerRowCount, footerRowGroupRows } from '../readers/parquet-footer-offsets.js';

export type Schema = Record<string, pl.DataType>;

/** A stored sheet, ready to be planned on. */
export interface ScannedSheet {
  /** The whole sheet; build plans on it (slice, filter, select) rather than on a new scan. */
  lazy: pl.LazyDataFrame;
  /** Column name → dtype, in file order. */
  schema: Schema;
  /** Column names in file order (a schema record puts integer-like names such as "2024" first). */
  columns: string[];
  /** Rows in the sheet. */
  rows: number;
  /** Rows of each row group, in file order (they sum to `rows`). */
  rowGroups: number[];
}

/**
 * Bytes this worker may keep as open scans. Measured: a kept scan of the flights file (38 KB footer, 92 row
 * groups of 5 columns) grows RSS by ~735 KiB, about 20× its footer; see `scanCost`. Separate from CACHE_BYTES,
 * which is for decoded rows: a scan is what serves a page when no rows are cached (CACHE_BYTES=0 included).
 */
const SCAN_BUDGET_BYTES = 64 << 20;

const scans = new ByteBudgetCache<ScannedSheet>(SCAN_BUDGET_BYTES);

/**
 * The sheet stored at `table.path`, opened on this worker's first request for it (its footer read once:
 * schema, row count) and kept for the next ones. Throws what Polars throws for a missing or unreadable file
 * (the local store answers a deleted version's 404 from that).
 */
export function scanSheet(table: Extract<TableRef, { kind: 'parquet' }>): ScannedSheet {
  const kept = scans.get(table.key);
  if (kept) return kept;
  // The row count from the footer in JavaScript: Polars' count of a scan reads the footer again each time
  // (1.7 ms of CPU on the flights file, against ~0.2 ms here).
  const footer = readFooter(table.path);
  const lazy = pl.scanParquet(table.path);
  // An empty slice of the scan gives the dtypes as Polars reads them, and fills the scan's metadata.
  const empty = lazy.slice(0, 0).collectSync();
  const columns = empty.columns;
  const dtypes = empty.dtypes;
  const sheet: ScannedSheet = { lazy, columns, schema: Object.fromEntries(columns.map((name, i) => [name, dtypes[i]])), rows: footerRowCount(footer), rowGroups: footerRowGroupRows(footer) };
  scans.set(table.key, sheet, scanCost(footer.length));
  return sheet;
}

/** Forgets the scans of a version (keys `<storageKey>/<sheet index>`); returns how many went. */
export function dropScans(storageKey: string): number {
  return scans.dropVersion(storageKey);
}

/** What keeping a scan costs, estimated from its footer's length in bytes (see SCAN_BUDGET_BYTES). */
const scanCost = (footerBytes: number) => 64 * 1024 + 20 * footerBytes;

/** A Parquet file's footer: the thrift bytes before its last 8 (footer length, `PAR1`). */
function readFooter(path: string): Uint8Array {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(8);
    if (size < 12 || readSync(fd, tail, 0, 8, size - 8) !== 8) throw new RangeError(`${path} is too short for a Parquet file`);
    const length = tail.readUInt32LE(0);
    if (length > size - 12) throw new RangeError(`${path}: the footer length is larger than the file`);
    const footer = Buffer.alloc(length);
    readSync(fd, footer, 0, length, size - 8 - length);
    return footer;
  } finally {
    closeSync(fd);
  }
}
