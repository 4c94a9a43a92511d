/**
 * Data-pool entry: pages and statistics of stored sheets. Local backend: any worker scans the Parquet
 * file lazily, reading only what the task needs. Memory backend: each worker is one shard and `frames`
 * holds the sheets placed on it; the server routes every task for a sheet to its shard.
 */
import pl from 'nodejs-polars';
import { encodeArrow } from './encoders/arrow.js';
import { encodeJsonPage } from './encoders/json.js';
import type { DataTask, LoadResult, PageResult, PageTask, StatisticsResult, TableRef, TaskFailure } from './protocol.js';
import { computeStatistics } from './table/statistics.js';
import { TaskError } from './task-error.js';
import { shardFault } from './test-faults.js';
import { withTransfer } from './transfer.js';

const frames = new Map<string, pl.DataFrame>();

export default function run(task: DataTask): PageResult | StatisticsResult | LoadResult | TaskFailure | { dropped: number } {
  try {
    switch (task.op) {
      case 'page':
        return page(task);
      case 'statistics': {
        const { lazy, schema } = open(task.table);
        shardFault(Object.keys(schema)[0]);
        return { columns: computeStatistics(lazy, schema, task.detailed) };
      }
      case 'load': {
        frames.set(task.key, pl.readIPC(Buffer.from(task.ipc)));
        return { bytes: task.ipc.byteLength };
      }
      case 'drop':
        return { dropped: task.keys.filter((k) => frames.delete(k)).length };
    }
  } catch (err) {
    if (err instanceof TaskError) return { error: { status: err.status, code: err.code, detail: err.message } };
    throw err;
  }
}

function page(task: PageTask): PageResult {
  const frame =
    task.table.kind === 'memory'
      ? held(task.table.key).slice(task.offset, task.limit)
      : pl.scanParquet(task.table.path).slice(task.offset, task.limit).collectSync();
  const body =
    task.format === 'json'
      ? encodeJsonPage(frame, task.envelope, task.int64AsString)
      : encodeArrow(frame, task.format === 'arrow-stream' ? 'stream' : 'file');
  return withTransfer({ body }, [body]);
}

function open(table: TableRef): { lazy: pl.LazyDataFrame; schema: Record<string, pl.DataType> } {
  if (table.kind === 'memory') {
    const frame = held(table.key);
    return { lazy: frame.lazy(), schema: frame.schema };
  }
  return { lazy: pl.scanParquet(table.path), schema: pl.readParquet(table.path, { numRows: 0 }).schema };
}

function held(key: string): pl.DataFrame {
  const frame = frames.get(key);
  // Only reachable if the shard was restarted and lost its data (the memory backend's documented limit).
  if (!frame) throw new TaskError(410, 'data_lost', 'this version was held by a memory shard that restarted; upload it again');
  return frame;
}
