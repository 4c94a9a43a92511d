import pl from 'nodejs-polars';
import { unreadable } from '../task-error.js';
import { firstLine } from './csv.js';
import type { ParsedSheet, Source } from './types.js';

/** Parquet: every type Polars reads, kept as it is (dates, zoned datetimes, decimals, nested types). */
export function readParquet(source: Source): ParsedSheet[] {
  try {
    const frame =
      source.kind === 'path'
        ? pl.scanParquet(source.path).collectSync() // not readParquet: it takes a path without ".parquet" (staging/<key>/source) for inline bytes
        : pl.readParquet(Buffer.from(source.bytes.buffer, source.bytes.byteOffset, source.bytes.byteLength));
    return [{ name: 'Sheet1', frame }];
  } catch (err) {
    // Damaged files surface as decoder errors, even caught panics (`Result::unwrap()`…): name what it means first.
    throw unreadable(`not a readable Parquet file (damaged, truncated, or not Parquet): ${firstLine(err)}`);
  }
}
