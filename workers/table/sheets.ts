/**
 * The sheets a data worker answers for, behind one call, `openSheet`. A memory shard *holds* the frames placed on
 * it (`holdSheet`); a local shard *caches* the frames of the Parquet files it reads, in `workerCache` under the
 * sheet's key. Either way a request gets the sheet's lazy plan and schema, plus the decoded frame whenever this
 * worker has it, for the zero-copy paths.
 *
 * A local sheet in no cache is answered from a lazy scan (only the row groups the request needs); once that
 * answer is on its way, the whole file is read, a few row groups per event-loop turn, and cached if it fits
 * the budget and the cache admits it: with the cache full, only if it was asked for clearly more often lately
 * than what it would evict (ByteBudgetCache.makeRoom), room made before the rest is read. A sheet not admitted
 * is served from its lazy scan, as with the cache off.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import pl from 'nodejs-polars';
import { jsonLayout, type JsonLayout } from '../encoders/json.js';
import { heldBytes, nativeOf, type NativeFrame } from '../native-frame.js';
import type { TableRef } from '../protocol.js';
import { releaseMemory } from '../release-memory.js';
import { TaskError } from '../task-error.js';
import { workerCache } from './cache.js';
import { RecentKeys } from '../recent-keys.js';
import { dropScans, scanSheet } from './parquet-scan.js';

/**
 * Rows this worker holds decoded, with what every page of them would otherwise ask the frame again: a sheet's
 * frame, or a query's result (result-cache.ts). Pages of either are copied from blocks (json-blocks.ts,
 * arrow-blocks.ts).
 */
export interface DecodedRows {
  /** The frame without the binding's wrapper, for the per-request path (see native-frame.ts). */
  native: NativeFrame;
  json: JsonLayout;
  /** The frame's height, read once: each read of the native frame's is a call into the binding (about 1 µs). */
  rows: number;
}

/** A decoded sheet: its rows, the frame itself and its schema. */
export interface DecodedSheet extends DecodedRows {
  frame: pl.DataFrame;
  schema: Record<string, pl.DataType>;
}

/** A sheet ready to answer a request. */
export interface Sheet {
  /** The frame, when this worker holds it (memory) or has it cached (local); absent: read lazily from its file. */
  decoded?: DecodedSheet;
  /** Column names and types in frame order. */
  schema: Record<string, pl.DataType>;
  /** Rows in the sheet. */
  rows: number;
  /** The sheet as a lazy plan (made on demand: the zero-copy paths never need one). */
  lazy(): pl.LazyDataFrame;
}

/** Memory backend: the frames this shard holds, by sheet key `<storage key>/<sheet index>`. */
const held = new Map<string, DecodedSheet>();

/**
 * The sheet `table` names. Errors: 404 `version_not_found` for a version deleted since the request found it;
 * 410 `data_lost` for a memory sheet this shard does not hold (it restarted and lost its frames).
 * `fillCache`: whether a local sheet in no cache is read whole into it once this request is answered.
 */
export function openSheet(table: TableRef, fillCache = true): Sheet {
  lastOpenedAt = performance.now();
  if (dropped.has(versionOf(table.key))) throw new TaskError(404, 'version_not_found', 'the version was deleted while this request was being served');
  const decoded = held.get(table.key) ?? (table.kind === 'parquet' ? (workerCache.get(table.key) as DecodedSheet | undefined) : undefined);
  if (decoded) return { decoded, schema: decoded.schema, rows: decoded.rows, lazy: () => decoded.frame.lazy() };
  if (table.kind === 'memory') throw new TaskError(410, 'data_lost', 'this version was held by a memory shard that restarted; upload it again');
  if (fillCache) fillLater(table);
  const { lazy, schema, rows } = scanSheet(table);
  return { schema, rows, lazy: () => lazy };
}

/**
 * Opens the scans of stored sheets in the background (see OpenTask), one per event-loop turn so requests
 * interleave: the footer read and parsed, the schema, and one row collected (a scan's first read costs a few ms
 * more than the next ones). Sheets deleted meanwhile, missing or unreadable are skipped.
 */
export function openLater(tables: Extract<TableRef, { kind: 'parquet' }>[]): void {
  let next = 0;
  const step = () => {
    const table = tables[next++];
    if (!table) return;
    try {
      if (!dropped.has(versionOf(table.key))) scanSheet(table).lazy.slice(0, 1).collectSync();
    } catch {
      // Only a head start: the request for it answers the error as it would have anyway.
    }
    setImmediate(step);
  };
  setImmediate(step);
}

/** Memory backend: this shard takes ownership of a sheet's frame. */
export function holdSheet(key: string, frame: pl.DataFrame): void {
  held.set(key, decode(frame));
}

/**
 * Version `storageKey` was deleted: drops every frame this worker holds or caches of it (keys `<storageKey>/…`,
 * query results included), and remembers it, so that later requests answer 404 and a cache fill still running
 * keeps nothing. Returns how many entries went.
 */
export function dropVersion(storageKey: string): number {
  dropped.add(storageKey);
  const prefix = `${storageKey}/`;
  let count = 0;
  for (const key of [...held.keys()]) if (key.startsWith(prefix) && held.delete(key)) count++;
  for (const key of [...sizes.keys()]) if (key.startsWith(prefix)) sizes.delete(key);
  count += workerCache.dropVersion(storageKey) + dropScans(storageKey);
  if (count > 0) releaseMemory();
  return count;
}

/** `<storage key>` of a sheet key `<storage key>/<sheet index>` (storage keys hold no `/`). */
const versionOf = (key: string) => key.slice(0, key.indexOf('/'));

/** Versions deleted while this worker ran (storage keys are never reused). */
const dropped = new RecentKeys();

/** Sheets being read whole for the cache, so each is read once however many requests miss it meanwhile. */
const filling = new Set<string>();
/** Sheets whose frame is larger than this worker's whole budget: never read whole again. */
const tooLarge = new Set<string>();
/** Evicting at least this many bytes is worth a collection now (a few ms), so their memory really goes. */
const RELEASE_AFTER_BYTES = 16 * 1024 * 1024;
/**
 * Rows a fill reads per event-loop turn (whole row groups, at least one). Measured on the flights file (row
 * groups of ~32.6k rows, 5 columns): a 65,536-row slice of the kept scan collects in ~4 ms, so a page arriving
 * during a fill waits at most that long, where one collect of the whole file took ~130 ms of both cores.
 */
const FILL_CHUNK_ROWS = 65_536;
/**
 * A fill reads its next chunk once no request has come for FILL_IDLE_MS, or FILL_MAX_WAIT_MS after its last
 * chunk whatever the load (so it ends under steady load too, taking about a tenth of the worker's time then).
 * Its chunks run on Polars' threads, on every core: started right after a cold page, they slowed that page's
 * response on the main thread and the pages that followed (measured: next pages 5.3 ms median with the fill
 * running at once, 2.3 ms with no fill at all, 3.2 ms with this wait).
 */
const FILL_IDLE_MS = 10;
const FILL_MAX_WAIT_MS = 50;
/** performance.now() when a request last opened a sheet here (cached or not): how a fill tells the worker is idle. */
let lastOpenedAt = 0;

type ParquetRef = Extract<TableRef, { kind: 'parquet' }>;

/**
 * Reads the Parquet sheet whole into the cache, after the current task has answered (setImmediate: the worker's
 * event loop turns between tasks, see pools.ts), a few row groups at a time, each once the worker is idle (see
 * FILL_IDLE_MS), so a request arriving meanwhile waits for one chunk at most, not for the whole file. At most one fill per sheet; none with the
 * cache off or for a sheet known not to fit.
 */
function fillLater(table: ParquetRef): void {
  const { key } = table;
  if (workerCache.budgetBytes === 0 || filling.has(key) || tooLarge.has(key)) return;
  filling.add(key);
  setImmediate(() => {
    fill(table)
      .catch(() => undefined) // a file removed meanwhile, or unreadable: the lazy path answers for it
      .finally(() => filling.delete(key));
  });
}

async function fill(table: ParquetRef): Promise<void> {
  const { key } = table;
  if (dropped.has(versionOf(key))) return;
  // A sheet read before: admitted (room made) or not before anything is read.
  const known = sizes.get(key);
  if (known !== undefined && !admit(key, known)) return;
  const room = { reserved: known ?? 0 };
  try {
    await readWhole(table, room);
  } finally {
    workerCache.release(room.reserved);
  }
}

/**
 * fill's reading. `room.reserved`: the bytes the cache reserved for the sheet (0: none yet, its size unknown),
 * kept up to date here (0 once the sheet is cached) so that fill gives back what is left, also on a throw.
 */
async function readWhole(table: ParquetRef, room: { reserved: number }): Promise<void> {
  const { key, path } = table;
  const { lazy, rowGroups, rows: sheetRows, schema } = scanSheet(table);
  const dtypes = Object.values(schema);
  // Chunks are slices of the kept scan along row-group bounds (a slice across a bound decodes both groups),
  // put together without a copy: a page sliced across two chunks costs what one in a single chunk does.
  const chunks: pl.DataFrame[] = [];
  let bytes = 0;
  let offset = 0;
  const abandon = () => {
    chunks.length = 0;
    releaseMemory(); // what was read is garbage now: free it before the next request
  };
  for (const rows of chunkRows(rowGroups)) {
    await idleTurn();
    if (dropped.has(versionOf(key))) return;
    const chunk = lazy.slice(offset, rows).collectSync();
    offset += rows;
    bytes += heldBytes(nativeOf(chunk), dtypes);
    chunks.push(chunk);
    if (bytes > workerCache.budgetBytes) return markTooLarge(key);
    if (room.reserved === 0) {
      // Read for the first time: its size estimated from the first chunk (at most the budget: only what is
      // read can say the sheet does not fit), admitted (or not) on that.
      const estimate = Math.min(workerCache.budgetBytes, Math.ceil((bytes * sheetRows) / offset));
      rememberSize(key, estimate);
      if (!admit(key, estimate)) return abandon();
      room.reserved = estimate;
    } else if (bytes > room.reserved) {
      // Larger than estimated: more room, on the same terms.
      if (!admit(key, bytes - room.reserved)) {
        rememberSize(key, Math.min(workerCache.budgetBytes, Math.ceil((bytes * sheetRows) / offset)));
        return abandon();
      }
      room.reserved = bytes;
    }
  }
  const frame = chunks.length === 0 ? lazy.slice(0, 0).collectSync() : pl.concat(chunks, { how: 'vertical', rechunk: false });
  // Deleted while it was read: keeping it would bring the version back.
  if (dropped.has(versionOf(key)) || !existsSync(path)) return;
  const sheet = decode(frame);
  const size = heldBytes(sheet.native, dtypes);
  rememberSize(key, size);
  workerCache.release(room.reserved);
  room.reserved = 0;
  if (!workerCache.set(key, sheet, size)) markTooLarge(key);
}

/**
 * workerCache.makeRoom(key, bytes) (the cache's admission), collecting at once when what it evicted is worth
 * it (see RELEASE_AFTER_BYTES).
 */
function admit(key: string, bytes: number): boolean {
  const before = workerCache.stats().bytes;
  if (!workerCache.makeRoom(key, bytes)) return false;
  if (before - workerCache.stats().bytes >= RELEASE_AFTER_BYTES) releaseMemory();
  return true;
}

/** Bytes each sheet read whole held (or was estimated to), so the next fill is admitted or not before reading. */
const sizes = new Map<string, number>();

function rememberSize(key: string, bytes: number): void {
  if (!sizes.has(key) && sizes.size >= 10_000) sizes.clear();
  sizes.set(key, bytes);
}

function markTooLarge(key: string): void {
  sizes.delete(key);
  if (tooLarge.size >= 10_000) tooLarge.clear();
  tooLarge.add(key);
  releaseMemory(); // what was read is garbage now: free it before the next request
}

/** Row counts of the chunks a fill reads: consecutive whole row groups, up to FILL_CHUNK_ROWS each (or one group). */
function* chunkRows(rowGroups: number[]): Generator<number> {
  let rows = 0;
  for (const group of rowGroups) {
    if (rows > 0 && rows + group > FILL_CHUNK_ROWS) {
      yield rows;
      rows = 0;
    }
    rows += group;
  }
  if (rows > 0) yield rows;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Lets waiting requests run, then waits while requests keep coming (see FILL_IDLE_MS). */
async function idleTurn(): Promise<void> {
  const since = performance.now();
  await nextTurn();
  while (performance.now() - lastOpenedAt < FILL_IDLE_MS && performance.now() - since < FILL_MAX_WAIT_MS) await sleep(1);
}

function decode(frame: pl.DataFrame): DecodedSheet {
  const native = nativeOf(frame);
  return { frame, native, schema: schemaOf(frame), json: jsonLayout(frame.columns, frame.dtypes), rows: native.height };
}

/** From columns and dtypes: the binding's `.schema` builds a Series per column, about 5 ms a call. */
function schemaOf(frame: pl.DataFrame): Record<string, pl.DataType> {
  const dtypes = frame.dtypes;
  return Object.fromEntries(frame.columns.map((name, i) => [name, dtypes[i]]));
}
