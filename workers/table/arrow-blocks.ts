/**
 * Rows of a decoded sheet, or of a query's cached result, kept already written as Arrow IPC, in blocks of
 * BLOCK_ROWS rows, in the worker's cache (workers/table/cache.ts, under `<storage key>/<sheet index>#arrow:<block>`,
 * and `…?<query>#arrow:<block>` for a result), so a plain Arrow stream page, or a page after the first of a
 * filtered or sorted view, is cut out of at most two blocks instead of written by Polars for each request.
 * Measured on the 3M-row flights table, Polars' IPC stream writer cost ~77 µs of the calling thread plus ~80 µs
 * on its thread pool per 100-row page, however few the rows; the JSON blocks (json-blocks.ts) showed the way.
 *
 * A block is the record batch Polars writes for its rows (its body, and each field's node and buffer regions in
 * it); the sheet's schema message is kept as Polars wrote it. A page is that schema message, one record batch
 * assembled here — per field, the rows' validity bits (shifted; no buffer when the rows have no null, as Polars
 * writes it), values (a byte range, or shifted bits for booleans), or offsets rebased over the value bytes — with
 * its header encoded by apache-arrow, then the end-of-stream marker. Only for sheets whose every field is flat
 * (integers, floats, booleans, dates, times, timestamps, durations, 128-bit decimals, UTF-8 and binary with 32- or
 * 64-bit offsets, null), and that fit in half the worker's cache (CACHE_BYTES=0: none); others — dictionaries
 * (categoricals), lists, structs… — take Polars' writer per request. Blocks count against the cache's byte
 * budget like any entry and go with the version (dropVersion), so a new version or a delete never serves them.
 */
import { Message, Type } from 'apache-arrow';
import { BufferRegion, FieldNode, RecordBatch } from 'apache-arrow/ipc/metadata/message';
import { written, type NativeFrame } from '../native-frame.js';
import { BLOCK_ROWS } from './json-blocks.js';
import type { DecodedRows } from './sheets.js';
import { workerCache } from './cache.js';

/** What a block costs besides its body (key, objects, region arrays). */
const ENTRY_BYTES = 512;
const CONTINUATION = 0xffffffff;
/** The end-of-stream marker: a continuation and a metadata length of 0. */
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** How a field's buffers hold its rows (the flat Arrow layouts; see fieldKind). */
const enum Kind {
  /** Null type: no buffers, every row null. */
  Null,
  /** Validity bitmap, then `width` bytes per value. */
  Fixed,
  /** Validity bitmap, then one bit per value. */
  Bits,
  /** Validity bitmap, int32 offsets, value bytes. */
  Offsets32,
  /** Validity bitmap, int64 offsets, value bytes. */
  Offsets64,
}

interface FieldLayout {
  kind: Kind;
  /** Bytes per value (Fixed only). */
  width: number;
  /** Index of the field's first buffer in a record batch's buffer list. */
  firstBuffer: number;
}

/** A sheet's Arrow layout: the schema message as Polars writes it, and how each field's rows are laid out. */
export interface ArrowLayout {
  /** Polars' schema message, verbatim: continuation, metadata length, flatbuffer, padding. */
  schema: Uint8Array;
  fields: FieldLayout[];
}

/** One block's record batch as Polars wrote it. */
export interface ArrowBlock {
  rows: number;
  /** The batch body, in a buffer of its own (so its 8-byte-aligned regions can be read as typed arrays). */
  body: Uint8Array;
  /** Null count of each field over the block's rows. */
  nullCounts: Float64Array;
  /** Each buffer's region in body: offset at 2i, length at 2i+1. */
  regions: Float64Array;
}

/** A message of an IPC stream: its whole bytes (prefix, metadata, padding; no body), decoded header and body. */
interface IpcMessage {
  bytes: Uint8Array;
  message: Message;
  body: Uint8Array;
}

/** The messages of Polars' IPC stream `bytes`, up to its end-of-stream marker. */
function ipcMessages(bytes: Uint8Array): IpcMessage[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const messages: IpcMessage[] = [];
  for (let at = 0; at + 8 <= bytes.byteLength; ) {
    const prefix = view.getUint32(at, true) === CONTINUATION ? 8 : 4;
    const length = view.getInt32(at + prefix - 4, true);
    if (length === 0) break;
    const message = Message.decode(bytes.subarray(at + prefix, at + prefix + length));
    const end = at + prefix + length;
    messages.push({ bytes: bytes.subarray(at, end), message, body: bytes.subarray(end, end + message.bodyLength) });
    at = end + message.bodyLength;
  }
  return messages;
}

const ipcStream = (rows: NativeFrame): Uint8Array => Buffer.concat(written((sink) => rows.writeIpcStream(sink, 'uncompressed')));

/** How a field of Arrow type `typeId` … lays out its rows, or undefined for anything but the flat layouts. */
function fieldKind(type: { typeId: Type; bitWidth?: number; unit?: number; precision?: number }): Pick<FieldLayout, 'kind' | 'width'> | undefined {
  switch (type.typeId) {
    case Type.Null:
      return { kind: Kind.Null, width: 0 };
    case Type.Bool:
      return { kind: Kind.Bits, width: 0 };
    case Type.Int:
    case Type.Time:
      return { kind: Kind.Fixed, width: type.bitWidth! / 8 };
    case Type.Float:
      return { kind: Kind.Fixed, width: [2, 4, 8][type.precision!] };
    case Type.Date:
      return { kind: Kind.Fixed, width: type.unit === 0 ? 4 : 8 }; // DateUnit.DAY: int32 days; MILLISECOND: int64
    case Type.Timestamp:
    case Type.Duration:
      return { kind: Kind.Fixed, width: 8 };
    case Type.Decimal:
      return type.bitWidth === 128 ? { kind: Kind.Fixed, width: 16 } : undefined;
    case Type.Utf8:
    case Type.Binary:
      return { kind: Kind.Offsets32, width: 0 };
    case Type.LargeUtf8:
    case Type.LargeBinary:
      return { kind: Kind.Offsets64, width: 0 };
    default:
      return undefined;
  }
}

const buffersOf = (kind: Kind) => (kind === Kind.Null ? 0 : kind === Kind.Offsets32 || kind === Kind.Offsets64 ? 3 : 2);

/**
 * The Arrow layout of `frame`'s columns (from Polars' stream of none of its rows), or undefined when a field is
 * not flat (dictionary, list, struct, view types…) or there is none: such pages take Polars' writer.
 */
export const arrowLayoutOf = (frame: NativeFrame): ArrowLayout | undefined => layoutOfStream(ipcStream(frame.slice(0, 0)));

/** The Arrow layout of the IPC stream `bytes`' schema message (see arrowLayoutOf). */
export function layoutOfStream(bytes: Uint8Array): ArrowLayout | undefined {
  const [schemaMessage] = ipcMessages(bytes);
  if (!schemaMessage?.message.isSchema()) return undefined;
  const fields: FieldLayout[] = [];
  let firstBuffer = 0;
  for (const field of schemaMessage.message.header().fields) {
    const kind = field.type.children?.length ? undefined : fieldKind(field.type);
    if (!kind) return undefined;
    fields.push({ ...kind, firstBuffer });
    firstBuffer += buffersOf(kind.kind);
  }
  return fields.length === 0 ? undefined : { schema: schemaMessage.bytes.slice(), fields };
}

/**
 * `rows` (at least one row) written by Polars as one record batch of `layout`, or undefined when Polars writes
 * them as several even in one chunk (it splits batches of some megabytes: rows of long values).
 */
export function writeArrowBlock(rows: NativeFrame, layout: ArrowLayout): ArrowBlock | undefined {
  const stream = ipcStream(rows);
  // A slice across chunks may be written as a batch per chunk: one chunk, one batch.
  return blockOfStream(stream, layout) ?? blockOfStream(ipcStream(rows.rechunk()), layout);
}

/**
 * The record batch of the IPC stream `bytes`, as a block of `layout`; undefined if the stream holds more than
 * one. Throws if it holds none, or one not of the layout (a supported sheet never gives one).
 */
export function blockOfStream(bytes: Uint8Array, layout: ArrowLayout): ArrowBlock | undefined {
  const batches = ipcMessages(bytes).filter((m) => m.message.isRecordBatch());
  if (batches.length > 1) return undefined;
  const [batch] = batches;
  const header = batch?.message.isRecordBatch() ? batch.message.header() : undefined;
  const last = layout.fields[layout.fields.length - 1];
  if (!header || header.compression || header.nodes.length !== layout.fields.length || header.buffers.length !== last.firstBuffer + buffersOf(last.kind)) {
    throw new Error("an IPC stream whose record batch is not of the sheet's layout");
  }
  const body = new Uint8Array(batch.body.byteLength);
  body.set(batch.body);
  const regions = new Float64Array(header.buffers.length * 2);
  header.buffers.forEach((b, i) => {
    regions[2 * i] = b.offset;
    regions[2 * i + 1] = b.length;
  });
  return { rows: header.length, body, nullCounts: Float64Array.from(header.nodes, (n) => n.nullCount), regions };
}

/** The rows `first … first+rows−1` of a block. */
interface Piece {
  block: ArrowBlock;
  first: number;
  rows: number;
}

/**
 * The Arrow IPC stream of rows `offset … offset+count−1` (count ≥ 0, within the sheet): the layout's schema
 * message, one record batch, end of stream. `blockAt(i)` gives block i (rows i·BLOCK_ROWS …), or undefined
 * when the sheet cannot be served from blocks after all (then so does this).
 */
export function pageFromBlocks(layout: ArrowLayout, blockAt: (index: number) => ArrowBlock | undefined, offset: number, count: number): ArrayBuffer | undefined {
  const pieces: Piece[] = [];
  for (let row = offset; row < offset + count; ) {
    const index = Math.floor(row / BLOCK_ROWS);
    const block = blockAt(index);
    if (!block) return undefined;
    const first = row - index * BLOCK_ROWS;
    const rows = Math.min(offset + count, (index + 1) * BLOCK_ROWS) - row;
    pieces.push({ block, first, rows });
    row += rows;
  }
  return assemble(layout, pieces, count);
}

/**
 * An Arrow stream page of `sheet` (a decoded sheet or a query's cached result, whose blocks are kept under
 * `rowsKey`, a key that starts with the version's storage key) from blocks: the page's bytes, or undefined when
 * the page takes Polars' writer (see the module's docstring; also windows of more than BLOCK_ROWS rows).
 * `offset`, `count` as for pageFromBlocks.
 */
export function blockArrowPage(rowsKey: string, sheet: DecodedRows, offset: number, count: number): ArrayBuffer | undefined {
  // Larger windows are exports (up to ONE_MESSAGE_ROWS rows), where Polars' per-call cost is small beside the
  // rows', and whose blocks would crowd the cache for one download.
  if (count > BLOCK_ROWS || workerCache.budgetBytes === 0 || unblocked.has(sheet)) return undefined;
  let layout = layouts.get(sheet);
  if (layout === undefined) layouts.set(sheet, (layout = arrowLayoutOf(sheet.native) ?? null));
  if (!layout) return undefined;
  const known = layout;
  return pageFromBlocks(known, (index) => arrowBlock(rowsKey, sheet, known, index), offset, count);
}

/** Each sheet's layout once worked out; null: not flat, Polars' writer per request. */
const layouts = new WeakMap<DecodedRows, ArrowLayout | null>();

/** Sheets whose blocks would take more than half this worker's cache (see json-blocks' unblocked). */
const unblocked = new WeakSet<DecodedRows>();

/**
 * Block `index` of the sheet, from the cache or written now and kept (see unblocked); undefined, and the sheet
 * unblocked, when Polars writes the block as several batches, or the block takes 4 GiB or more (its 64-bit
 * offsets are read as their low words; never in practice: half a cache is less).
 */
function arrowBlock(rowsKey: string, sheet: DecodedRows, layout: ArrowLayout, index: number): ArrowBlock | undefined {
  const key = `${rowsKey}#arrow:${index}`;
  const cached = workerCache.get(key) as ArrowBlock | undefined;
  if (cached) return cached;
  const block = writeArrowBlock(sheet.native.slice(index * BLOCK_ROWS, Math.min(BLOCK_ROWS, sheet.rows - index * BLOCK_ROWS)), layout);
  if (!block || block.body.byteLength >= 2 ** 32) {
    unblocked.add(sheet);
    return undefined;
  }
  const bytes = block.body.byteLength + block.regions.byteLength + block.nullCounts.byteLength + ENTRY_BYTES;
  if ((bytes / block.rows) * sheet.rows > workerCache.budgetBytes / 2) unblocked.add(sheet);
  else workerCache.set(key, block, bytes);
  return block;
}

/** Bytes `n` takes padded to the 8-byte boundary the IPC format wants for buffers and messages. */
const padded = (n: number) => (n + 7) & ~7;

/** The number of 1 bits among `count` bits of `bits` from bit `from` (bit i: byte i>>3, bit i&7). */
function onesIn(bits: Uint8Array, from: number, count: number): number {
  let ones = 0;
  let i = from;
  const end = from + count;
  for (; i < end && i & 7; i++) ones += (bits[i >> 3] >> (i & 7)) & 1;
  for (; i + 8 <= end; i += 8) ones += POPCOUNT[bits[i >> 3]];
  for (; i < end; i++) ones += (bits[i >> 3] >> (i & 7)) & 1;
  return ones;
}

const POPCOUNT = Uint8Array.from({ length: 256 }, (_, b) => (b.toString(2).match(/1/g) ?? []).length);

/** ORs `count` bits of `src` from bit `from` into `dst` from bit `at` (dst's bits there are 0). */
function copyBits(src: Uint8Array, from: number, dst: Uint8Array, at: number, count: number): void {
  let i = 0;
  for (; i < count && (at + i) & 7; i++) dst[(at + i) >> 3] |= ((src[(from + i) >> 3] >> ((from + i) & 7)) & 1) << ((at + i) & 7);
  const shift = (from + i) & 7;
  let s = (from + i) >> 3;
  let d = (at + i) >> 3;
  if (shift === 0) {
    const bytes = (count - i) >> 3;
    dst.set(src.subarray(s, s + bytes), d);
    i += bytes * 8;
  } else {
    for (; count - i >= 8; i += 8, s++, d++) dst[d] = ((src[s] >> shift) | (src[s + 1] << (8 - shift))) & 0xff;
  }
  for (; i < count; i++) dst[(at + i) >> 3] |= ((src[(from + i) >> 3] >> ((from + i) & 7)) & 1) << ((at + i) & 7);
}

/** Sets `count` bits of `dst` from bit `at`. */
function setBits(dst: Uint8Array, at: number, count: number): void {
  for (let i = at; i < at + count; i++) dst[i >> 3] |= 1 << (i & 7);
}

/** The bytes of buffer `index` of a block's body. */
const regionOf = (block: ArrowBlock, index: number) => block.body.subarray(block.regions[2 * index], block.regions[2 * index] + block.regions[2 * index + 1]);

/**
 * A block's offsets buffer `index` as 32-bit words: offset of row r at r (int32 offsets) or 2r (int64 offsets,
 * their low word: a block's values are < 4 GiB, see arrowBlock). Its regions start 8-byte aligned in body.
 */
function offsetsOf(block: ArrowBlock, index: number): Uint32Array {
  return new Uint32Array(block.body.buffer, block.body.byteOffset + block.regions[2 * index], block.regions[2 * index + 1] / 4);
}

/** Null count of a field over a piece's rows. */
function nullsIn(piece: Piece, field: FieldLayout, fieldIndex: number): number {
  const { block, first, rows } = piece;
  const blockNulls = block.nullCounts[fieldIndex];
  if (blockNulls === 0 || field.kind === Kind.Null) return field.kind === Kind.Null ? rows : 0;
  if (blockNulls === block.rows) return rows;
  return rows - onesIn(regionOf(block, field.firstBuffer), first, rows);
}

/** One record batch of the pieces' rows, between the layout's schema message and the end-of-stream marker. */
function assemble(layout: ArrowLayout, pieces: Piece[], count: number): ArrayBuffer {
  // Pass 1: each buffer's length, so the header (which gives their regions) comes before the body.
  const nodes: FieldNode[] = [];
  const lengths: number[] = [];
  const nullCounts: number[] = [];
  for (const [f, field] of layout.fields.entries()) {
    const nulls = pieces.reduce((n, p) => n + nullsIn(p, field, f), 0);
    nullCounts.push(nulls);
    nodes.push(new FieldNode(count, nulls));
    if (field.kind === Kind.Null) continue;
    lengths.push(nulls === 0 ? 0 : Math.ceil(count / 8));
    if (field.kind === Kind.Fixed) lengths.push(count * field.width);
    else if (field.kind === Kind.Bits) lengths.push(Math.ceil(count / 8));
    else {
      const wide = field.kind === Kind.Offsets64;
      const step = wide ? 2 : 1;
      const values = pieces.reduce((n, p) => {
        const offsets = offsetsOf(p.block, field.firstBuffer + 1);
        return n + offsets[(p.first + p.rows) * step] - offsets[p.first * step];
      }, 0);
      lengths.push((count + 1) * (wide ? 8 : 4), values);
    }
  }
  const regions: BufferRegion[] = [];
  let bodyLength = 0;
  for (const length of lengths) {
    regions.push(new BufferRegion(bodyLength, length));
    bodyLength += padded(length);
  }
  const header = Message.encode(Message.from(new RecordBatch(count, nodes, regions, null), bodyLength));
  const metadataLength = padded(header.byteLength);

  const out = new Uint8Array(new ArrayBuffer(layout.schema.byteLength + 8 + metadataLength + bodyLength + EOS.byteLength));
  out.set(layout.schema, 0);
  let at = layout.schema.byteLength;
  const view = new DataView(out.buffer);
  view.setUint32(at, CONTINUATION, true);
  view.setInt32(at + 4, metadataLength, true);
  out.set(header, at + 8);
  const body = at + 8 + metadataLength;
  out.set(EOS, body + bodyLength);

  // Pass 2: the buffers' bytes.
  let buffer = 0;
  for (const [f, field] of layout.fields.entries()) {
    if (field.kind === Kind.Null) continue;
    const validity = body + regions[buffer].offset;
    if (nullCounts[f] > 0) {
      const bits = out.subarray(validity, validity + regions[buffer].length);
      let row = 0;
      for (const p of pieces) {
        if (p.block.nullCounts[f] === 0) setBits(bits, row, p.rows);
        else if (p.block.nullCounts[f] !== p.block.rows) copyBits(regionOf(p.block, field.firstBuffer), p.first, bits, row, p.rows);
        row += p.rows;
      }
    }
    const values = body + regions[buffer + 1].offset;
    if (field.kind === Kind.Fixed) {
      let to = values;
      for (const p of pieces) {
        const bytes = regionOf(p.block, field.firstBuffer + 1).subarray(p.first * field.width, (p.first + p.rows) * field.width);
        out.set(bytes, to);
        to += bytes.byteLength;
      }
    } else if (field.kind === Kind.Bits) {
      const bits = out.subarray(values, values + regions[buffer + 1].length);
      let row = 0;
      for (const p of pieces) {
        copyBits(regionOf(p.block, field.firstBuffer + 1), p.first, bits, row, p.rows);
        row += p.rows;
      }
    } else {
      const step = field.kind === Kind.Offsets64 ? 2 : 1;
      const data = body + regions[buffer + 2].offset;
      let to = values; // where the next offset goes
      let base = 0; // value bytes of the pieces before
      pieces.forEach((p, i) => {
        const offsets = offsetsOf(p.block, field.firstBuffer + 1);
        const start = offsets[p.first * step];
        // Each piece's first offset is the previous piece's last: written once.
        for (let r = p.first + (i === 0 ? 0 : 1); r <= p.first + p.rows; r++, to += 4 * step) view.setUint32(to, base + offsets[r * step] - start, true);
        const end = offsets[(p.first + p.rows) * step];
        out.set(regionOf(p.block, field.firstBuffer + 2).subarray(start, end), data + base);
        base += end - start;
      });
    }
    buffer += buffersOf(field.kind);
  }
  return out.buffer;
}
