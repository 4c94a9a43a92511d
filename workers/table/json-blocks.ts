/**
 * Rows of a decoded sheet, or of a query's cached result, kept already written as JSON, in blocks of BLOCK_ROWS
 * rows, in the worker's cache (workers/table/cache.ts, under `<storage key>/<sheet index>#json:<block>`, and
 * `<storage key>/<sheet index>?<query>#json:<block>` for a result), so a plain JSON page, or a page after the
 * first of a filtered or sorted view, is copied out of at most two blocks instead of written by Polars for each
 * request.
 * Profiled at c=64 on the 3M-row flights table, Polars' JSON writer was ~46% of the shard's CPU per 100-row page;
 * its per-call cost is mostly fixed, so one block written once costs about what a few pages did.
 *
 * A block is Polars' own `lines` output for its rows (one row a line, the same text per row as its `json`
 * output: a raw line break never occurs inside a JSON value), naive datetimes fixed as encodeJsonPage fixes
 * them, with where each row ends. Only for layouts Polars writes as they are (jsonLayout's writtenAsIs), and
 * for sheets whose blocks fit in half the worker's cache (CACHE_BYTES=0: none); other pages take the writer per
 * request. Blocks count against the cache's byte budget like any entry and go with the version (dropVersion),
 * so a new version or a delete never serves them.
 */
import type { PageEnvelope } from '../protocol.js';
import { fixNaiveDatetimes, jsonPageTail, JSON_PAGE_HEAD } from '../encoders/json.js';
import { written } from '../native-frame.js';
import type { DecodedRows } from './sheets.js';
import { workerCache } from './cache.js';

/** Rows per block: a page (at most 1,000 rows) spans at most two; measured cost per block ~1 ms on flights. */
export const BLOCK_ROWS = 4096;

/** What a block costs besides its bytes and row ends (key, objects). */
const ENTRY_BYTES = 256;
const LF = 0x0a;
const COMMA = 0x2c;

interface JsonBlock {
  /** The block's rows as JSON, each followed by a line feed. */
  bytes: Buffer;
  /** ends[i]: the offset of row i's line feed in bytes (row i starts at 0, or after row i−1's line feed). */
  ends: Uint32Array;
}

/**
 * The whole JSON page body for rows `offset … offset+count−1` of `sheet` (count ≥ 0, within it: a decoded sheet
 * or a query's cached result, whose blocks are kept under `rowsKey`, a key that starts with the version's
 * storage key), as encodeJsonPage would write it, or undefined when the layout needs the per-request writer
 * (int64AsString with 64-bit integer columns, nested columns…).
 */
export function blockJsonPage(rowsKey: string, sheet: DecodedRows, offset: number, count: number, envelope: PageEnvelope, int64AsString: boolean): ArrayBuffer | undefined {
  const layout = sheet.json;
  // A block holds the rows as written for numbers; with no 64-bit integer column (writtenAsIs[1]) that is
  // also what int64AsString writes. A frame without columns has no rows to write in lines.
  if (!layout.writtenAsIs[int64AsString ? 1 : 0] || layout.columns.length === 0 || workerCache.budgetBytes === 0 || unblocked.has(sheet)) return undefined;
  // Each piece: a block and the byte range of the page's rows in it.
  const pieces: { block: JsonBlock; first: number; last: number; from: number; to: number }[] = [];
  let rowsBytes = 0;
  for (let row = offset; row < offset + count; ) {
    const index = Math.floor(row / BLOCK_ROWS);
    const block = jsonBlock(rowsKey, sheet, index);
    const first = row - index * BLOCK_ROWS;
    const last = Math.min(offset + count, (index + 1) * BLOCK_ROWS) - 1 - index * BLOCK_ROWS;
    const from = first === 0 ? 0 : block.ends[first - 1] + 1;
    const to = block.ends[last]; // the last row's line feed, left out
    pieces.push({ block, first, last, from, to });
    rowsBytes += to - from;
    row = index * BLOCK_ROWS + last + 1;
  }
  const tail = jsonPageTail(layout, envelope);
  const separators = Math.max(0, pieces.length - 1);
  const body = new Uint8Array(new ArrayBuffer(JSON_PAGE_HEAD.length + 2 + rowsBytes + separators + tail.length));
  body.set(JSON_PAGE_HEAD, 0);
  let at = JSON_PAGE_HEAD.length;
  body[at++] = 0x5b; // [
  pieces.forEach((p, i) => {
    if (i > 0) body[at++] = COMMA;
    body.set(p.block.bytes.subarray(p.from, p.to), at);
    // The line feeds between the piece's rows become the array's commas.
    for (let r = p.first; r < p.last; r++) body[at + p.block.ends[r] - p.from] = COMMA;
    at += p.to - p.from;
  });
  body[at++] = 0x5d; // ]
  body.set(tail, at);
  return body.buffer;
}

/**
 * Sheets whose blocks would take more than half this worker's cache: kept, they would push one another (and
 * the query results) out, and every page would write a whole block; these take the per-request writer.
 */
const unblocked = new WeakSet<DecodedRows>();

/** Block `index` of the sheet, from the cache or written now and kept (see unblocked). */
function jsonBlock(rowsKey: string, sheet: DecodedRows, index: number): JsonBlock {
  const key = `${rowsKey}#json:${index}`;
  const cached = workerCache.get(key) as JsonBlock | undefined;
  if (cached) return cached;
  const rows = sheet.native.slice(index * BLOCK_ROWS, Math.min(BLOCK_ROWS, sheet.rows - index * BLOCK_ROWS));
  const bytes = Buffer.concat(written((sink) => rows.writeJson(sink, { format: 'lines' })));
  fixNaiveDatetimes(bytes, false, sheet.json);
  const ends = new Uint32Array(rows.height);
  for (let i = 0, at = -1; i < ends.length; i++) ends[i] = at = bytes.indexOf(LF, at + 1);
  const block = { bytes, ends };
  const perRow = (bytes.byteLength + ends.byteLength) / Math.max(1, rows.height);
  if (perRow * sheet.rows > workerCache.budgetBytes / 2) unblocked.add(sheet);
  else workerCache.set(key, block, bytes.byteLength + ends.byteLength + ENTRY_BYTES);
  return block;
}
