/**
 * The xlsx export: exceljs's streaming WorkbookWriter fed batch by batch, its zip output coalesced into
 * messages and sent with the export's credit-based flow control. Before any byte is sent, checkXlsxLimits
 * refuses a view that Excel cannot hold (rows, columns, characters in a cell) with a 4xx.
 */
import { once } from 'node:events';
import { Writable } from 'node:stream';
import type ExcelJS from 'exceljs';
import pl from 'nodejs-polars';
import { releaseMemory } from '../release-memory.js';
import { TaskError } from '../task-error.js';
import type { RowSource } from './export.js';
import { XLSX_MAX_CELL_CHARS, XLSX_MAX_COLUMNS, XLSX_MAX_ROWS, batchCells, jsonTexts, tooLong, xlsxColumns, type XlsxColumn } from './xlsx-cells.js';

/** Rows converted to cells at a time: bounds the worker's JavaScript objects (a cell is an object in exceljs). */
const BATCH_ROWS = 16_384;
/** Rows written between checks of the zip's backlog. */
const ROWS_PER_CHECK = 512;
/** Uncompressed sheet XML the zip may have waiting before the writer pauses. */
const MAX_BACKLOG = 4 << 20;
/** Zip output is sent in messages of about this size (the archiver writes many small chunks). */
const MESSAGE_BYTES = 256 << 10;

/**
 * Writes `rows` as a one-sheet workbook (header row = column names) and hands its bytes to `send`, which
 * resolves false once the client is gone (the export then stops). Back-pressure: `send` waits for the
 * main thread's credits, the zip waits for `send`, and the row loop waits for the zip (see zipBacklog).
 */
export async function writeXlsx(
  rows: RowSource,
  options: { sheetName: string; neutralizeFormulas: boolean },
  send: (bytes: Uint8Array) => Promise<boolean>,
): Promise<void> {
  let cancelled = false;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async () => {
    if (pendingBytes === 0 || cancelled) return;
    const bytes = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    if (!(await send(bytes))) cancelled = true;
  };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      // After a cancel the rest is dropped (not an error): the row loop sees `cancelled` and stops.
      if (cancelled) return done();
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes < MESSAGE_BYTES) return done();
      flush().then(() => done(), done);
    },
    final(done) {
      flush().then(() => done(), done);
    },
  });

  // Loaded on the first xlsx export, not with every data worker: exceljs adds ~27 MB of RSS to a worker.
  const { default: excel } = await import('exceljs');
  const workbook = new excel.stream.xlsx.WorkbookWriter({ stream: sink, useStyles: true, useSharedStrings: false });
  const sheet = workbook.addWorksheet(options.sheetName);
  let columns: XlsxColumn[] | undefined;
  const batches = Math.max(1, Math.ceil(rows.height / BATCH_ROWS));
  for (let b = 0; b < batches && !cancelled; b++) {
    const batch = rows.slice(b * BATCH_ROWS, Math.min(BATCH_ROWS, rows.height - b * BATCH_ROWS));
    if (!columns) {
      columns = xlsxColumns(batch.columns, batch.dtypes, options.neutralizeFormulas);
      sheet.addRow(batch.columns).commit();
    }
    const cells = batchCells(batch, columns, b * BATCH_ROWS + 2);
    for (let r = 0; r < batch.height && !cancelled; r++) {
      const row = sheet.addRow(cells.map((c) => c.cells[r]));
      for (let c = 0; c < cells.length; c++) {
        const format = cells[c].formats?.[r];
        if (format) row.getCell(c + 1).numFmt = format;
      }
      row.commit();
      if (r % ROWS_PER_CHECK === ROWS_PER_CHECK - 1) await zipBacklog(sheet);
    }
    releaseMemory();
  }
  if (cancelled) return;
  sheet.commit();
  await workbook.commit();
}

/**
 * Waits while the zip has more than MAX_BACKLOG bytes of sheet XML waiting. exceljs writes each committed
 * row into a buffer that archiver reads through a PassThrough (archiver wraps exceljs's StreamBuf in one,
 * `stream.pipes[0]`), without ever waiting for it: this is the only place that back-pressure can be applied.
 * If a future exceljs changes that layout, the writer still yields to the event loop here (so the zip
 * progresses), but memory is then bounded only by the export.
 */
async function zipBacklog(sheet: ExcelJS.Worksheet): Promise<void> {
  const passThrough = (sheet as unknown as { stream?: { pipes?: Writable[] } }).stream?.pipes?.[0];
  if (passThrough && typeof passThrough.writableLength === 'number') {
    if (passThrough.writableLength > MAX_BACKLOG) await once(passThrough, 'drain');
  } else {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/**
 * Refuses, with a 400 that says which limit and where, an export Excel cannot hold: more than 1,048,576 rows
 * with the header, more than 16,384 columns, or a cell over 32,767 characters (UTF-16 code units, as Excel
 * counts them). `view` is the exported rows as a lazy plan (filters, sort, projection and window applied),
 * `height` their number. The text check is one aggregate per text column (its longest value and where);
 * columns with a value over half the limit in characters are measured again in UTF-16 units. Nested columns
 * are rendered as JSON and measured.
 */
export function checkXlsxLimits(view: pl.LazyDataFrame, height: number, names: string[], dtypes: pl.DataType[], neutralizeFormulas: boolean): void {
  if (names.length > XLSX_MAX_COLUMNS) {
    throw new TaskError(
      400,
      'invalid_request',
      `the export has ${names.length.toLocaleString('en-US')} columns; an Excel sheet holds at most ${XLSX_MAX_COLUMNS.toLocaleString('en-US')}: choose fewer with columns=, or export as CSV, NDJSON or Parquet`,
    );
  }
  if (height + 1 > XLSX_MAX_ROWS) {
    throw new TaskError(
      400,
      'invalid_request',
      `the export has ${height.toLocaleString('en-US')} rows, ${(height + 1).toLocaleString('en-US')} with the header; an Excel sheet holds at most ` +
        `${XLSX_MAX_ROWS.toLocaleString('en-US')} rows including the header: filter it, ask for a window (offset and limit), or export as CSV, NDJSON or Parquet`,
    );
  }
  if (height === 0) return;
  const columns = xlsxColumns(names, dtypes, neutralizeFormulas);
  const text = columns.map((c, i) => ({ c, i })).filter(({ c }) => c.kind === 'text');
  if (text.length) {
    const chars = (c: XlsxColumn) => c.expr!.str.lengths().cast(pl.Int64);
    const found = view.select(...text.flatMap(({ c, i }) => [chars(c).max().alias(`max${i}`), chars(c).argMax().alias(`at${i}`)])).collectSync();
    for (const { c, i } of text) {
      let longest = Number(found.getColumn(`max${i}`).get(0) ?? 0);
      let at = Number(found.getColumn(`at${i}`).get(0) ?? 0);
      if (longest > XLSX_MAX_CELL_CHARS / 2 && longest <= XLSX_MAX_CELL_CHARS) {
        // Characters outside the BMP count twice in Excel (UTF-16); measured only for this column.
        const units = pl.when(chars(c).gt(XLSX_MAX_CELL_CHARS / 2)).then(chars(c).add(c.expr!.str.replaceAll('[^\\x{10000}-\\x{10FFFF}]', '').str.lengths().cast(pl.Int64))).otherwise(chars(c));
        const exact = view.select(units.max().alias('max'), units.argMax().alias('at')).collectSync();
        longest = Number(exact.getColumn('max').get(0));
        at = Number(exact.getColumn('at').get(0));
      }
      if (longest > XLSX_MAX_CELL_CHARS) throw tooLong(longest, i, c.name, at + 2);
    }
  }
  const nested = columns.map((c, i) => ({ c, i })).filter(({ c }) => c.kind === 'json');
  if (nested.length) {
    const frame = view.select(...nested.map(({ c }) => pl.col(c.name))).collectSync();
    for (const { c, i } of nested) {
      const texts = jsonTexts(frame, c.name);
      const r = texts.findIndex((t) => t !== null && t.length > XLSX_MAX_CELL_CHARS);
      if (r >= 0) throw tooLong(texts[r]!.length, i, c.name, r + 2);
    }
  }
}
