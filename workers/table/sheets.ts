/**
 * The sheets a data worker answers for, behind one call, `openSheet`. A memory shard *holds* the frames placed on
 * it (`holdSheet`); a local shard reads Parquet files lazily. Either way a request gets the sheet's lazy plan and
 * schema, plus the decoded frame whenever this worker has it, for the zero-copy paths.
 */
import pl from 'nodejs-polars';
import { jsonLayout, type JsonLayout } from '../encoders/json.js';
import { nativeOf, type NativeFrame } from '../native-frame.js';
import type { TableRef } from '../protocol.js';
import { releaseMemory } from '../release-memory.js';
import { TaskError } from '../task-error.js';

/** A decoded sheet, with what every request for it would otherwise ask the frame again. */
export interface DecodedSheet {
  frame: pl.DataFrame;
  /** The same frame without the binding's wrapper, for the per-request path (see native-frame.ts). */
  native: NativeFrame;
  schema: Record<string, pl.DataType>;
  json: JsonLayout;
}

/** A sheet ready to answer a request. */
export interface Sheet {
  /** The frame, when this worker holds it (memory); absent: read lazily from its file. */
  decoded?: DecodedSheet;
  /** Column names and types in frame order. */
  schema: Record<string, pl.DataType>;
  /** The sheet as a lazy plan (made on demand: the zero-copy paths never need one). */
  lazy(): pl.LazyDataFrame;
}

/** Memory backend: the frames this shard holds, by sheet key `<storage key>/<sheet index>`. */
const held = new Map<string, DecodedSheet>();

/**
 * The sheet `table` names. Errors: 410 `data_lost` for a memory sheet this shard does not hold (it restarted
 * and lost its frames).
 */
export function openSheet(table: TableRef): Sheet {
  const decoded = held.get(table.key);
  if (decoded) return { decoded, schema: decoded.schema, lazy: () => decoded.frame.lazy() };
  if (table.kind === 'memory') throw new TaskError(410, 'data_lost', 'this version was held by a memory shard that restarted; upload it again');
  return scanSheet(table.path);
}

/** Memory backend: this shard takes ownership of a sheet's frame. */
export function holdSheet(key: string, frame: pl.DataFrame): void {
  held.set(key, decode(frame));
}

/** Drops everything this worker holds of version `storageKey` (keys `<storageKey>/…`); returns how many sheets went. */
export function dropVersion(storageKey: string): number {
  const prefix = `${storageKey}/`;
  let dropped = 0;
  for (const key of [...held.keys()]) if (key.startsWith(prefix) && held.delete(key)) dropped++;
  if (dropped > 0) releaseMemory();
  return dropped;
}

/** Stored Parquet files never change, so their schemas are read once per worker. */
const parquetSchemas = new Map<string, Record<string, pl.DataType>>();

/** A stored Parquet sheet as a lazy scan, which reads only the row groups a plan needs. */
function scanSheet(path: string): Sheet {
  let schema = parquetSchemas.get(path);
  if (!schema) {
    schema = schemaOf(pl.readParquet(path, { numRows: 0 }));
    if (parquetSchemas.size >= 1000) parquetSchemas.clear();
    parquetSchemas.set(path, schema);
  }
  return { schema, lazy: () => pl.scanParquet(path) };
}

function decode(frame: pl.DataFrame): DecodedSheet {
  return { frame, native: nativeOf(frame), schema: schemaOf(frame), json: jsonLayout(frame.columns, frame.dtypes) };
}

/** From columns and dtypes: the binding's `.schema` builds a Series per column, about 5 ms a call. */
function schemaOf(frame: pl.DataFrame): Record<string, pl.DataType> {
  const dtypes = frame.dtypes;
  return Object.fromEntries(frame.columns.map((name, i) => [name, dtypes[i]]));
}
