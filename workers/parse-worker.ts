/**
 * Parse-pool entry: turns an uploaded file into sheets. It holds no stored data, so a parser that fails
 * on hostile bytes loses nothing; the result is Parquet files (local backend) or Arrow IPC for a shard
 * (memory backend).
 */
import { join } from 'node:path';
import { arrowForThread } from './encoders/arrow.js';
import { buffersOf, type GrowingSource, type ParseResult, type ParseTask, type SheetArrow, type SheetInfo, type TaskFailure } from './protocol.js';
import { readCsv, readCsvFile, readCsvGrowing } from './readers/csv.js';
import { GrowingFile } from './readers/growing-file.js';
import type { ColumnDecision, ParsedSheet, ReaderReport } from './readers/types.js';
import { checkForcedNames, forceTypes } from './readers/infer-types.js';
import { describeSheet } from './table/describe.js';
import { knownFailure } from './task-error.js';
import { parserFault } from './test-faults.js';
import { withTransfer } from './transfer.js';
import { nativeOf } from './native-frame.js';
import { releaseMemory, releaseMemoryNow } from './release-memory.js';
import { runInBackground } from './thread-priority.js';
import { sinkParquet, writesStatistics } from './parquet-write.js';

export default async function parse(task: ParseTask): Promise<ParseResult | TaskFailure> {
  parserFault(task.fileName);
  runInBackground(); // this thread, and the engine's threads (shared: a shard may have started some since)
  try {
    const { sheets, reader, arrow } = await parseAndStore(task);
    // The parsed frames are unreachable now; free them before the next upload arrives, not after it.
    releaseMemory();
    if (!arrow) return { sheets, reader };
    const sourceBytes = task.source.kind === 'bytes' ? (task.source.bytes.buffer as ArrayBuffer) : undefined;
    const buffers = buffersOf(...arrow);
    return withTransfer({ sheets, reader, arrow, sourceBytes }, sourceBytes ? [...buffers, sourceBytes] : buffers);
  } catch (err) {
    releaseMemory();
    // A parser's exception is the file's problem (the pool makes it a 422); a full disk is not.
    const known = knownFailure(err, "storing this upload's tables");
    if (known) return known;
    throw err;
  }
}

/** The sheets' descriptions, with the sheets written as Parquet files (local) or encoded as Arrow IPC (memory). */
async function parseAndStore(task: ParseTask): Promise<{ sheets: SheetInfo[]; reader: ReaderReport; arrow?: SheetArrow[] }> {
  const { sheets, decided, why } = await readSheets(task);
  // What the reader built on the way (a CSV's all-text frame, the file read from disk) is unreachable now but
  // still allocated: free it before the Parquet writer or the Arrow encoding allocates as much again.
  await releaseMemoryNow();
  const infos = sheets.map((s) => describeSheet(s.name, s.frame));
  // The report's per-column types are the catalog's, described once.
  const reader: ReaderReport = {
    ...decided,
    sheets: infos.map((info) => ({ name: info.name, columns: info.columns.map(({ name, type, dtype }) => ({ name, type, dtype, ...why(name) })) })),
  };
  if (task.output.kind === 'parquet') {
    const dir = task.output.dir;
    sheets.forEach((s, i) => writeParquetDurably(s, join(dir, `sheet-${i}.parquet`)));
    return { sheets: infos, reader };
  }
  const dir = task.output.dir;
  return { sheets: infos, reader, arrow: sheets.map((s, i) => arrowForThread(nativeOf(s.frame), dir && join(dir, `sheet-${i}.arrow`))) };
}

/**
 * The file's sheets as the client asked them read (task.options), what the reader decided for the whole file,
 * and why each column has its type.
 */
async function readSheets(task: ParseTask): Promise<{
  sheets: ParsedSheet[];
  decided: Omit<ReaderReport, 'sheets'>;
  why: (column: string) => Pick<ColumnDecision, 'decided_by' | 'text_because'>;
}> {
  const { options } = task;
  if (task.fileType === 'csv') {
    const csv =
      task.source.kind === 'growing'
        ? await readGrowing(task.source)
        : task.source.kind === 'path'
          ? await readCsvFile(task.source.path, options)
          : await readCsv(task.source.bytes, options);
    return { sheets: [csv.sheet], decided: { format: 'csv', ...csv.report }, why: (name) => csv.decisions.get(name)! };
  }
  const source = task.source;
  if (source.kind === 'growing') throw new Error('only a CSV is read while it arrives');
  // Each reader is loaded with its first file: hyparquet, apache-arrow and SheetJS together add ~50 MB of RSS
  // to a parse worker, which a server that only ever reads CSV would otherwise carry from start-up.
  const read =
    task.fileType === 'parquet'
      ? await (await import('./readers/parquet.js')).readParquet(source)
      : task.fileType === 'xls'
        ? (await import('./readers/xls.js')).readXls(source, options.sheets)
        : await (await import('./readers/xlsx.js')).readXlsx(source, options.sheets);
  const forced = options.columnTypes ?? {};
  const everyName = new Set(read.flatMap((s) => s.frame.columns));
  const scope = options.sheets ? `no sheet read has (only ${options.sheets.map((n) => JSON.stringify(n)).join(', ')}, as sheets asks)` : 'no sheet of the file has';
  checkForcedNames(forced, [...everyName], scope);
  const sheets = read.map((s) => ({ name: s.name, frame: forceTypes(s.frame, forced) }));
  const from = task.fileType === 'parquet' ? 'file' : 'inferred';
  return { sheets, decided: { format: task.fileType }, why: (name) => ({ decided_by: forced[name] ? 'column_types' : from }) };
}

/** readCsvGrowing of a file still being received; its port is closed however the read ends. */
async function readGrowing(source: GrowingSource) {
  const file = new GrowingFile(source.path, source.port);
  try {
    return await readCsvGrowing(file);
  } finally {
    file.close();
  }
}

/**
 * Written and fsynced (`syncOnClose: 'all'`) before the server makes the version visible. Row groups of
 * 32,767 rows, the most this binding accepts (an i16), measured against 16,384, 8,192 and 4,096 on the 3M-row
 * flights table: a page read costs little decoding and mostly Polars' work per footer, which grows with the
 * row groups (opening a sheet: 1.3× the CPU at 16,384, 3× at 8,192, 6× at 4,096; a page on a kept scan
 * 0.9×–1.0× at 16,384), and exports cost the same at every size. Data pages of 8 KiB instead of the default
 * saved ≤ 6% of a page's CPU for an 8% larger file: not taken. Column statistics let filtered scans skip row groups
 * (left out of a table with a very long text value: parquet-write.ts).
 * LZ4 (Parquet's LZ4_RAW) rather than zstd, measured on the same table in one process: a page of a kept scan
 * 0.70–0.88 ms against 0.93–1.10, the whole file read 54–70 ms against 73–82 (the cache fill), a filtered scan
 * 22–24 against 30–31, the write 25% less CPU (330 against 430 ms: the CSV upload); the file 20% larger (16.4
 * against 13.7 MB). These files are the service's own: exports write their own Parquet.
 */
export function writeParquetDurably(sheet: ParsedSheet, path: string): void {
  sinkParquet(sheet.frame, path, { compression: 'lz4', statistics: writesStatistics(sheet.frame), rowGroupSize: 32_767, syncOnClose: 'all' });
}
