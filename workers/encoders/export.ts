import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import pl from 'nodejs-polars';
import { EXPORT_CREDITS, ONE_MESSAGE_ROWS, type ExportFormat } from '../protocol.js';
import { encodeArrow } from './arrow.js';
import { csvReady, jsonReady } from './json.js';
import { ownedCopy } from '../transfer.js';
import { nativeOf, wrapped, type NativeFrame } from '../native-frame.js';
import { releaseMemory } from '../release-memory.js';
import { neutralizedText } from './neutralize.js';
import { writeXlsx } from './xlsx.js';
import { sinkParquet, writesStatistics } from '../parquet-write.js';
import { isText } from '../table/describe.js';

/** Rows encoded per message: big enough to amortise the call, small enough to bound both threads' memory. */
const BATCH_ROWS = ONE_MESSAGE_ROWS;
/** Whole-file formats (Parquet, Arrow file) are sent in slices of this size. */
const SLICE_BYTES = 1 << 20;
/** Batches between collections of the worker's heap during an export (see streamExport): every one, since a
 * collection of this small heap costs a few ms against a 65,536-row batch's encoding. */
const GC_EVERY_BATCHES = 1;

export interface ExportOptions {
  /** CSV and xlsx: prefix text that begins with = + - @ with ' so spreadsheets do not run it as a formula. */
  neutralizeFormulas: boolean;
  /** xlsx only: the worksheet's name. */
  sheetName?: string;
}

/** Rows to export: how many, and any window of them as a frame, taken only when it is to be sent. */
export interface RowSource {
  height: number;
  slice(offset: number, length: number): pl.DataFrame;
}

export const frameRows = (frame: pl.DataFrame): RowSource => ({ height: frame.height, slice: (offset, length) => frame.slice(offset, length) });

/**
 * Streams `rows` to the main thread through `port` in the requested format: `{chunk}` messages, then
 * `{end: true}`. Row formats (CSV, NDJSON, Arrow stream) are taken and encoded batch by batch, so the first
 * bytes leave at once; Parquet and the Arrow file format need their footer, so they are encoded whole here
 * and sent in slices; xlsx is written by exceljs's streaming writer (see xlsx.ts). Either way the main thread
 * never holds more than EXPORT_CREDITS messages. `ready` is called once the first piece is encoded (xlsx: once
 * its limits were checked, before this), so a column the format cannot hold throws before anything was promised.
 */
export async function streamExport(rows: RowSource, format: ExportFormat, port: MessagePort, options: ExportOptions, ready: () => void): Promise<void> {
  let credits = EXPORT_CREDITS;
  let wake: (() => void) | undefined;
  let cancelled = false;
  port.on('message', (m: 'more' | 'cancel') => {
    if (m === 'cancel') cancelled = true;
    else credits++;
    wake?.();
  });
  const send = async (bytes: Uint8Array) => {
    while (credits === 0 && !cancelled) await new Promise<void>((r) => (wake = r));
    if (cancelled) return false;
    credits--;
    const chunk = ownedCopy(bytes);
    port.postMessage({ chunk }, [chunk]);
    return true;
  };

  try {
    if (format === 'xlsx') {
      ready();
      await writeXlsx(rows, { sheetName: options.sheetName ?? 'Sheet1', neutralizeFormulas: options.neutralizeFormulas }, send);
      if (cancelled) return;
    } else if (format === 'parquet' || format === 'arrow-file') {
      const whole = new Uint8Array(encodeWhole(nativeOf(rows.slice(0, rows.height)), format, options));
      ready();
      for (let at = 0; at < whole.length; at += SLICE_BYTES) if (!(await send(whole.subarray(at, at + SLICE_BYTES)))) return;
    } else {
      const batches = Math.max(1, Math.ceil(rows.height / BATCH_ROWS));
      const encoded = (b: number) => {
        const batch = rows.slice(b * BATCH_ROWS, Math.min(BATCH_ROWS, rows.height - b * BATCH_ROWS));
        return encodeBatch(format === 'csv' && options.neutralizeFormulas ? neutralize(batch) : batch, format, b === 0, b === batches - 1);
      };
      const first = encoded(0);
      ready();
      for (let b = 0; b < batches; b++) {
        if (!(await send(b === 0 ? first : encoded(b)))) return;
        // Each batch leaves a frame and its encoding behind, freed only when V8 collects, which the
        // small JavaScript heap alone would not make it do before the export ends.
        if (b % GC_EVERY_BATCHES === GC_EVERY_BATCHES - 1) releaseMemory();
      }
    }
    port.postMessage({ end: true });
  } finally {
    port.close();
  }
}

/**
 * `frame` in one piece, in an ArrayBuffer of its own (ready to transfer): a small export window, or a
 * whole-file format (Parquet, Arrow file). Arrow's encoder already returns such a buffer; the others are copied.
 */
export function encodeWhole(frame: NativeFrame, format: ExportFormat, options: ExportOptions): ArrayBuffer {
  switch (format) {
    case 'arrow-stream':
    case 'arrow-file':
      return encodeArrow(frame, format === 'arrow-stream' ? 'stream' : 'file');
    case 'parquet':
      return parquetFile(wrapped(frame));
    case 'xlsx':
      throw new Error('xlsx is written by writeXlsx (asynchronous), never in one piece');
    default:
      return ownedCopy(encodeBatch(format === 'csv' && options.neutralizeFormulas ? neutralize(wrapped(frame)) : wrapped(frame), format, true, true));
  }
}

/**
 * The whole frame as a zstd Parquet file, with column statistics unless a value is too long to repeat in them
 * (parquet-write.ts). The binding writes a buffer only with statistics, so a table without them is written
 * through a temporary file.
 */
function parquetFile(frame: pl.DataFrame): ArrayBuffer {
  if (writesStatistics(frame)) return ownedCopy(frame.writeParquet({ compression: 'zstd' }));
  const dir = mkdtempSync(join(tmpdir(), 'dataset-service-export-'));
  try {
    const path = join(dir, 'export.parquet');
    sinkParquet(frame, path, { compression: 'zstd', statistics: false, syncOnClose: 'none' });
    return ownedCopy(readFileSync(path));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function encodeBatch(batch: pl.DataFrame, format: ExportFormat, first: boolean, last: boolean): Uint8Array {
  switch (format) {
    case 'csv':
      return csvReady(batch).writeCSV({ includeHeader: first, datetimeFormat: '%Y-%m-%dT%H:%M:%S%.f' });
    case 'ndjson':
      return batch.height === 0 ? new Uint8Array(0) : jsonReady(batch).writeJSON({ format: 'lines' });
    default:
      return arrowStreamPart(batch, first, last);
  }
}

/**
 * One Arrow IPC stream made of per-batch streams: Polars writes each batch as schema + record batch + end
 * marker, so every batch after the first drops its schema message, and every batch but the last its
 * 8-byte end-of-stream marker.
 */
function arrowStreamPart(batch: pl.DataFrame, first: boolean, last: boolean): Uint8Array {
  let bytes = new Uint8Array(encodeArrow(nativeOf(batch), 'stream'));
  if (!first) {
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const metadataLength = view.getInt32(4, true); // after the 0xFFFFFFFF continuation marker
    bytes = bytes.subarray(8 + metadataLength);
  }
  return last ? bytes : bytes.subarray(0, bytes.length - 8);
}

function neutralize(frame: pl.DataFrame): pl.DataFrame {
  return frame.select(
    ...frame.columns.map((name, i) => {
      if (!isText(frame.dtypes[i])) return pl.col(name);
      return neutralizedText(pl.col(name)).alias(name);
    }),
  );
}
