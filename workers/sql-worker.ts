/**
 * SQL-pool entry (`POST …/query`): read-only SQL over one version's sheets. It holds no stored data (the
 * memory backend sends snapshots), so a query that runs past SQL_TIMEOUT_S can be stopped by terminating
 * this worker.
 * The server has already refused anything but a single SELECT over these tables.
 */
import pl from 'nodejs-polars';
import { encodeArrow } from './encoders/arrow.js';
import { encodeJsonPage, jsonLayout } from './encoders/json.js';
import type { SheetArrow, SqlTable, SqlTask, TaskFailure } from './protocol.js';
import { TaskError } from './task-error.js';
import { withTransfer } from './transfer.js';
import { nativeOf } from './native-frame.js';
import { runInBackground } from './thread-priority.js';

runInBackground();

export default function runSql(task: SqlTask): { body: ArrayBuffer; total_rows: number } | TaskFailure {
  try {
    const ctx = pl.SQLContext(Object.fromEntries(tablesOf(task.tables)));
    let plan: pl.LazyDataFrame;
    try {
      plan = ctx.execute(task.sql);
      // nodejs-polars 0.24 returns a planning error (unknown column, bad syntax) inside the frame, not thrown.
      const inner = (plan as unknown as { _ldf: unknown })._ldf;
      if (inner instanceof Error) throw inner;
    } catch (err) {
      throw new TaskError(400, 'invalid_query', `the query failed: ${String((err as Error).message).split('\n')[0]}`);
    }
    let result: pl.DataFrame;
    try {
      result = plan.limit(task.maxRows + 1).collectSync();
    } catch (err) {
      throw new TaskError(400, 'invalid_query', `the query failed: ${String((err as Error).message).split('\n')[0]}`);
    }
    if (result.height > task.maxRows) {
      throw new TaskError(400, 'result_too_large', `the result has more than ${task.maxRows} rows (SQL_MAX_ROWS); add LIMIT or a WHERE clause`);
    }
    const total = result.height;
    const size = task.size ?? Math.max(total, 1);
    const page = result.slice(task.offset, size);
    const body =
      task.format === 'json'
        ? encodeJsonPage(
            nativeOf(page),
            { total_rows: total, page: Math.floor(task.offset / size) + 1, page_size: size, total_pages: Math.ceil(total / size) },
            task.int64AsString,
            jsonLayout(page.columns, page.dtypes),
          )
        : encodeArrow(nativeOf(page), task.format === 'arrow-stream' ? 'stream' : 'file');
    return withTransfer({ body, total_rows: total }, [body]);
  } catch (err) {
    if (err instanceof TaskError) return { error: { status: err.status, code: err.code, detail: err.message } };
    throw err;
  }
}

/** Each sheet under its name, and the first also as `data` (unless a sheet already has that name). */
function tablesOf(tables: SqlTable[]): [string, pl.LazyDataFrame][] {
  const frames: [string, pl.LazyDataFrame][] = tables.map((t) => [
    t.name,
    t.source.kind === 'parquet' ? pl.scanParquet(t.source.path) : arrowFrame(t.source.arrow),
  ]);
  if (frames.length && !frames.some(([name]) => name === 'data')) frames.push(['data', frames[0][1]]);
  return frames;
}

/** A snapshot sent by a memory shard: its file in shared memory scanned (only what the query reads), or its buffer read. */
function arrowFrame(arrow: SheetArrow): pl.LazyDataFrame {
  return arrow.kind === 'file' ? pl.scanIPC(arrow.path) : pl.readIPC(Buffer.from(arrow.ipc)).lazy();
}
