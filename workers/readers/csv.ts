import { isUtf8 } from 'node:buffer';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import iconv from 'iconv-lite';
import pl from 'nodejs-polars';
import { unreadable } from '../task-error.js';
import { BlankLines, csvLayout, type CsvLayout } from './csv-layout.js';
import { checkForcedNames, inferTypes } from './infer-types.js';
import { uniqueHeader } from './header-names.js';
import type { GrowingFile } from './growing-file.js';
import type { ColumnDecision, ParsedSheet, ReadOptions, ReaderReport } from './types.js';

/** What readCsv read, and what it decided (the CSV part of the version's reader report). */
export interface CsvRead {
  sheet: ParsedSheet;
  report: Omit<ReaderReport, 'format' | 'sheets'>;
  decisions: Map<string, Pick<ColumnDecision, 'decided_by' | 'text_because'>>;
}

/**
 * CSV (and other delimited text): UTF-8 with or without BOM (UTF-16 with BOM is converted, other encodings
 * when the client names one), comma, semicolon, tab or pipe detected (or Excel's `sep=` line, or the client's
 * delimiter), quoted fields with delimiters and newlines, types from the whole file (or the client's
 * `column_types`). `options.skipRows` lines are dropped first, then the lines above `options.headerRow`.
 * Errors: 422 TaskError naming the line (layout), the data row and column (forced types), or the byte (encoding).
 * Resolves once every record has been checked: nothing it returns comes from a file it refuses.
 */
export async function readCsv(raw: Uint8Array, options: ReadOptions = {}): Promise<CsvRead> {
  // A Buffer view, so every byte search below is Buffer's memchr: a plain Uint8Array's indexOf is an element
  // loop (~100 ms to find no quote in 127 MB, the memory backend's case, whose bytes arrive as a Uint8Array).
  raw = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const { text, encoding, encoding_from } = decode(raw, options.encoding);
  const skipped = (options.skipRows ?? 0) + Math.max(0, (options.headerRow ?? 1) - 1);
  const input = dropLines(withLineFeeds(text), skipped);
  const given = { delimiter: options.delimiter, firstLine: skipped + 1 };
  const fromBody = (layout: CsvLayout) => readLaidOut(layout, options, async (read) => pl.readCSV(asBuffer(layout.body), read));
  let read: Omit<CsvRead, 'report'> & { layout: CsvLayout };
  try {
    read = await fromBody(csvLayout(input, given));
  } catch (err) {
    if (!(err instanceof BlankLines)) throw err;
    read = await fromBody(csvLayout(input, { ...given, scanFirst: true }));
  }
  return { sheet: read.sheet, decisions: read.decisions, report: reportOf(read.layout, options, skipped, encoding, encoding_from) };
}

/**
 * readCsv of a file (an upload the local backend staged, or the memory backend received into SHARED_MEMORY_DIR),
 * with the same answers and errors. The common file — UTF-8 without BOM, lines ending in LF, no quote anywhere,
 * its header (if any) on the first line, no encoding other than UTF-8 or skip_rows asked — is read by Polars from
 * its path (mapped by the engine, never copied into this thread: reading 127 MB back into a fresh buffer cost
 * ~100 ms here, page faults mostly), while this thread checks its bytes (UTF-8, no quote) through one reused
 * 1 MiB buffer. Any other file, and any doubt on the way (a quote, a byte that is not UTF-8, Polars refusing the
 * text, a line that may be short), is read into memory and handed to readCsv, so whatever the client is told
 * comes from readCsv's rules.
 */
export async function readCsvFile(path: string, options: ReadOptions = {}): Promise<CsvRead> {
  try {
    return await readCsvMapped(path, options);
  } catch (err) {
    if (!(err instanceof ReadInFull)) throw err;
  }
  return readCsv(readFileSync(path), options);
}

/**
 * readCsvFile of an upload still arriving (read while receiving): the common file (as readCsvMapped's, its
 * delimiter detected from its first MiB) is read as text by Polars block by block as the bytes arrive — each
 * block ends at a line feed and is read with the header line before it, its bytes checked (UTF-8, no quote) —
 * so most of the text read is done by the time the last byte is; the types are then inferred over the whole
 * frame once the form's options are known. Any other file, any doubt on the way, or options the read did not
 * assume (an encoding, skip_rows, header_row, another delimiter): readCsvFile of the complete file, so the answer
 * and any error are readCsvFile's. Throws UploadAborted when the upload fails meanwhile.
 */
export async function readCsvGrowing(file: GrowingFile): Promise<CsvRead> {
  let text: Awaited<ReturnType<typeof readTextWhileReceiving>> | undefined;
  try {
    text = await readTextWhileReceiving(file);
  } catch (err) {
    if (!(err instanceof ReadInFull)) throw err;
  }
  await file.until(Number.POSITIVE_INFINITY); // complete
  const options = await file.options();
  const layout = text && assumedLayout(text, options);
  if (layout) {
    try {
      const read = await readLaidOut(layout, options, async () => text!.frame);
      return mappedRead(read, options);
    } catch (err) {
      if (!(err instanceof ReadInFull)) throw err;
    }
  }
  return readCsvFile(file.path, options);
}

/** Bytes of a growing file read as one block (with the header line before them). */
const BLOCK_BYTES = 16 << 20;

/**
 * The text frame of a growing file's body, read block by block as it arrives, and the head its layout came from.
 * ReadInFull for a file readCsvMapped would not read (see quoteFreeLayout), a quote or a byte that is not UTF-8
 * in a block, or a block Polars refuses.
 */
async function readTextWhileReceiving(file: GrowingFile): Promise<{ head: Buffer; layout: CsvLayout; frame: pl.DataFrame }> {
  const first = await file.until(CHUNK_BYTES); // the file exists from then on
  const fd = openSync(file.path, 'r');
  try {
    const head = Buffer.allocUnsafeSlow(Math.min(first.size, CHUNK_BYTES));
    readSync(fd, head, 0, head.length, 0);
    const layout = quoteFreeLayout(head, undefined);
    const header = Buffer.from(head.subarray(0, head.indexOf(0x0a) + 1)); // quoteFreeLayout found a line feed
    const read = { ...TEXT_READ, sep: layout.delimiter, hasHeader: true };
    const frames: pl.DataFrame[] = [];
    let at = header.length; // the next block's first byte in the file
    let need = at + BLOCK_BYTES;
    // One buffer for every block (Polars copies what it reads): a fresh 16 MiB each time cost page faults and,
    // as external memory, extra collections of this thread's heap.
    let buffer = Buffer.allocUnsafeSlow(header.length + BLOCK_BYTES);
    header.copy(buffer);
    for (;;) {
      const { size, complete } = await file.until(need);
      const end = Math.min(size, need);
      if (end <= at) break; // complete
      if (buffer.length < header.length + end - at) {
        buffer = Buffer.allocUnsafeSlow(header.length + end - at);
        header.copy(buffer);
      }
      const block = buffer.subarray(0, header.length + end - at);
      readSync(fd, block, header.length, end - at, at);
      // A block ends at a line feed unless it is the file's last (which may have none).
      const cut = complete && end === size ? block.length : block.lastIndexOf(0x0a) + 1;
      if (cut <= header.length) {
        // A line longer than a block: the rest of the file is read as one block once complete (growing the block
        // and reading it again until a line feed appears would read a long line over and over).
        need = Number.POSITIVE_INFINITY;
        continue;
      }
      const body = block.subarray(header.length, cut);
      if (body.indexOf(0x22) >= 0 || !isUtf8(body)) throw new ReadInFull();
      try {
        frames.push(pl.readCSV(block.subarray(0, cut), read));
      } catch {
        throw new ReadInFull(); // readCsvFile says what is wrong
      }
      at += body.length;
      need = at + BLOCK_BYTES;
    }
    const frame = frames.length ? pl.concat(frames, { rechunk: false, how: 'vertical' }) : pl.readCSV(header, read);
    return { head, layout, frame };
  } finally {
    closeSync(fd);
  }
}

/**
 * The layout readCsvMapped would read the file by with the form's options, when the text read while receiving
 * assumed it (no delimiter named, or the one detected); undefined when the file must be read again.
 */
function assumedLayout(text: { head: Buffer; layout: CsvLayout }, options: ReadOptions): CsvLayout | undefined {
  if (!readsAsMapped(options)) return undefined;
  if (options.delimiter === undefined) return text.layout;
  try {
    const named = quoteFreeLayout(text.head, options.delimiter);
    return named.delimiter === text.layout.delimiter ? named : undefined;
  } catch (err) {
    if (err instanceof ReadInFull) return undefined;
    throw err;
  }
}

/** Whether `options` leave a file as readCsvMapped reads it: UTF-8, nothing skipped, the header on the first line. */
function readsAsMapped(options: ReadOptions): boolean {
  const utf8 = options.encoding === undefined || options.encoding === 'utf-8' || options.encoding === 'utf8';
  return utf8 && (options.skipRows ?? 0) === 0 && (options.headerRow ?? 1) === 1;
}

/** A file read as readCsvMapped reads it, with the report that says so. */
function mappedRead(read: Omit<CsvRead, 'report'> & { layout: CsvLayout }, options: ReadOptions): CsvRead {
  return { sheet: read.sheet, decisions: read.decisions, report: reportOf(read.layout, options, 0, 'utf-8', options.encoding ? 'form' : 'default') };
}

/** readCsvMapped could not vouch for the file: read it into memory (readCsv) instead. */
export class ReadInFull extends Error {}

/** Bytes read at a time by readCsvMapped's checks; also the head the layout is decided from (csvLayout reads 64 KiB). */
const CHUNK_BYTES = 1 << 20;

/** readCsvFile's common case alone (exported for its test): ReadInFull for any other file. */
export async function readCsvMapped(path: string, options: ReadOptions = {}): Promise<CsvRead> {
  if (!readsAsMapped(options)) throw new ReadInFull();
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.allocUnsafeSlow(CHUNK_BYTES);
    const head = chunk.subarray(0, readSync(fd, chunk, 0, CHUNK_BYTES, 0));
    const layout = quoteFreeLayout(head, options.delimiter);
    const read = await readLaidOut(layout, options, async (read) => {
      const text = pl.scanCSV(path, read).collect(); // on Polars' threads, while this one checks the bytes
      let plain = false;
      try {
        plain = plainUtf8(fd, chunk, head.length);
      } finally {
        await text.catch(() => undefined); // never left running, nor its failure unheard
      }
      const frame = await text;
      if (!plain) throw new ReadInFull();
      return frame;
    });
    return mappedRead(read, options);
  } finally {
    closeSync(fd);
  }
}

/**
 * The layout csvLayout gives a file that starts with `head` and has no quote (the caller checks the rest):
 * ReadInFull unless the head alone decides it — no BOM, no `sep=` line, a whole first line, no quote.
 * Its record check vouches only for a full last column (see PolarsRead); the delimiter count needs the bytes.
 */
function quoteFreeLayout(head: Buffer, delimiter: string | undefined): CsvLayout {
  const bom = (head[0] === 0xef && head[1] === 0xbb) || (head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff);
  if (bom || head.indexOf(0x22) >= 0 || head.indexOf(0x0a) < 0) throw new ReadInFull();
  let layout: CsvLayout;
  try {
    layout = csvLayout(head, { delimiter });
  } catch {
    throw new ReadInFull(); // readCsv says what is wrong
  }
  if (layout.delimiterFrom === 'sep_line') throw new ReadInFull();
  return {
    ...layout,
    body: new Uint8Array(0), // Polars reads the path; the head's buffer is reused for the checks
    checkRecords: (read) => {
      if (!read?.lastColumnFull) throw new ReadInFull();
    },
  };
}

/**
 * True when the file's bytes from `from` on (the head, already in `chunk`, included) are UTF-8 without a quote.
 * A character cut by the chunk's end is carried to the next read.
 */
function plainUtf8(fd: number, chunk: Buffer, from: number): boolean {
  let held = from; // bytes in chunk not yet checked
  let position = from;
  for (;;) {
    const bytes = chunk.subarray(0, held);
    if (bytes.indexOf(0x22) >= 0) return false;
    const whole = completeUtf8(bytes);
    if (!isUtf8(bytes.subarray(0, whole))) return false;
    held = bytes.length - whole;
    chunk.copyWithin(0, whole, bytes.length);
    const n = readSync(fd, chunk, held, CHUNK_BYTES - held, position);
    if (n === 0) return held === 0;
    position += n;
    held += n;
  }
}

/** Length of `bytes` without a UTF-8 sequence cut short at its end. */
function completeUtf8(bytes: Uint8Array): number {
  for (let i = bytes.length - 1; i >= Math.max(0, bytes.length - 3); i--) {
    const b = bytes[i];
    if (b < 0x80) return bytes.length;
    if (b >= 0xc0) return i + (b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2) <= bytes.length ? bytes.length : i;
  }
  return bytes.length; // a 4-byte sequence's tail, or no UTF-8 at all (isUtf8 says which)
}

/** The CSV part of the reader report. */
function reportOf(layout: CsvLayout, options: ReadOptions, skipped: number, encoding: string, encoding_from: CsvRead['report']['encoding_from']): CsvRead['report'] {
  return {
    delimiter: layout.delimiter,
    delimiter_from: layout.delimiterFrom,
    encoding,
    encoding_from,
    quote_escape: layout.quoteEscape,
    header_row: options.headerRow !== null ? skipped + 1 + (layout.delimiterFrom === 'sep_line' ? 1 : 0) : null,
    skip_rows: options.skipRows ?? 0,
  };
}

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * How Polars reads a CSV's body: every column as text (inferTypes decides from all values); empty fields,
 * quoted (`""`) or not, as null (CSV writers differ in how they write a missing value); a line with more
 * fields than the header refused, not cut (the record check relies on it, see PolarsRead). No rechunk: it
 * copies every column once more (~0.1 s for 127 MB); the typed columns come from one select over the chunks,
 * and the Parquet and Arrow writers take chunked columns as they are. (The bench times this read alone.)
 */
export const TEXT_READ: { inferSchemaLength: number; quoteChar: string; nullValues: string[]; truncateRaggedLines: boolean } = {
  inferSchemaLength: 0,
  quoteChar: '"',
  nullValues: [''],
  truncateRaggedLines: false,
};

/**
 * The sheet of a laid-out file: its body read as text by Polars (`readText`, given TEXT_READ with the layout's
 * delimiter and header), then typed (see readCsv).
 */
async function readLaidOut(
  layout: CsvLayout,
  options: ReadOptions,
  readText: (read: typeof TEXT_READ & { sep: string; hasHeader: boolean }) => Promise<pl.DataFrame>,
): Promise<Omit<CsvRead, 'report'> & { layout: CsvLayout }> {
  const hasHeader = options.headerRow !== null;
  let frame: pl.DataFrame;
  try {
    frame = await readText({ ...TEXT_READ, sep: layout.delimiter, hasHeader });
  } catch (err) {
    layout.checkRecords?.(); // a ragged line is the better message
    throw unreadable(`the CSV could not be parsed: ${firstLine(err)}`);
  }
  // once: per column it is quadratic in a wide header
  const names = uniqueHeader(hasHeader ? layout.header : layout.header.map(() => null));
  frame = frame.rename(Object.fromEntries(frame.columns.map((c, i) => [c, names[i]])));
  try {
    checkForcedNames(options.columnTypes, names, 'the file does not have');
  } catch (err) {
    layout.checkRecords?.(); // a file refused is refused for its layout first, as when the check came first
    throw err;
  }
  // The records' shape is checked while Polars types the columns (when csvLayout left it to do).
  const read = { lines: frame.height + (hasHeader ? 1 : 0), lastColumnFull: frame.width > 0 && frame.getColumn(frame.columns[frame.width - 1]).nullCount() === 0 };
  const typed = await inferTypes(frame, options.columnTypes, layout.checkRecords && (() => layout.checkRecords!(read)));
  return { layout, sheet: { name: 'Sheet1', frame: typed.frame }, decisions: typed.decisions };
}

/**
 * Text as UTF-8: in the client's encoding when given (decoded by iconv-lite: Node's own TextDecoder reads
 * windows-1252 as Latin-1, turning € into U+0080), else by BOM, else UTF-8 (checked). A byte the named
 * encoding does not define is a 422 naming its line, never a U+FFFD in the data.
 */
function decode(raw: Uint8Array, label: string | undefined): { text: Uint8Array; encoding: string; encoding_from: 'form' | 'bom' | 'default' } {
  if (label === undefined) {
    const bom = raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf ? 'utf-8' : raw[0] === 0xff && raw[1] === 0xfe ? 'utf-16le' : raw[0] === 0xfe && raw[1] === 0xff ? 'utf-16be' : undefined;
    return { text: asUtf8(raw), encoding: bom ?? 'utf-8', encoding_from: bom ? 'bom' : 'default' };
  }
  const encoding = label.toLowerCase();
  if (encoding === 'utf-8' || encoding === 'utf8') return { text: asUtf8(raw), encoding: 'utf-8', encoding_from: 'form' };
  if (encoding === 'utf-16le' || encoding === 'utf-16be') {
    const hasBom = encoding === 'utf-16le' ? raw[0] === 0xff && raw[1] === 0xfe : raw[0] === 0xfe && raw[1] === 0xff;
    return { text: fromUtf16(hasBom ? raw : Buffer.concat([Buffer.alloc(2), raw]), encoding), encoding, encoding_from: 'form' };
  }
  const text = iconv.decode(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength), encoding, { stripBOM: true });
  const bad = text.indexOf('\uFFFD');
  if (bad >= 0) {
    const line = text.slice(0, bad).split('\n').length;
    throw unreadable(`line ${line} has a byte that is not a character in ${encoding} (the encoding the form named); check the encoding field`);
  }
  return { text: Buffer.from(text), encoding, encoding_from: 'form' };
}

/** `bytes` from its (n+1)th line on; a 422 when the file has no line after the n skipped ones. */
function dropLines(bytes: Uint8Array, n: number): Uint8Array {
  let at = 0;
  for (let i = 0; i < n; i++) {
    const lf = bytes.indexOf(0x0a, at);
    if (lf < 0) throw unreadable(`skip_rows and header_row skip ${n} lines, but the file has only ${i + (at < bytes.length ? 1 : 0)}`);
    at = lf + 1;
  }
  return bytes.subarray(at);
}

/**
 * Classic Mac files end lines with CR alone, which Polars does not split on. Only a CR outside quotes ends
 * a line; one inside a quoted field is part of the value and is kept. Quote rules as in csv-layout.ts (a quote
 * opens a field only at its start — after any candidate delimiter, the delimiter is not known yet).
 */
function withLineFeeds(bytes: Uint8Array): Uint8Array {
  if (bytes.includes(0x0a) || !bytes.includes(0x0d)) return bytes;
  const out = Buffer.from(bytes); // a copy, as a Buffer (see readCsv)
  let quoted = false;
  let atFieldStart = true;
  for (let i = 0; i < out.length; i++) {
    const b = out[i];
    if (quoted) {
      if (b === 0x22) {
        if (out[i + 1] === 0x22) i++;
        else quoted = false;
      }
      continue;
    }
    if (b === 0x22 && atFieldStart) quoted = true;
    else if (b === 0x0d) out[i] = 0x0a;
    atFieldStart = b === 0x0d || b === 0x2c || b === 0x3b || b === 0x09 || b === 0x7c;
  }
  return out;
}

function asUtf8(raw: Uint8Array): Uint8Array {
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) raw = raw.subarray(3);
  else if (raw[0] === 0xff && raw[1] === 0xfe) raw = fromUtf16(raw, 'utf-16le');
  else if (raw[0] === 0xfe && raw[1] === 0xff) raw = fromUtf16(raw, 'utf-16be');
  if (isUtf8(raw)) return raw;
  const at = firstInvalidUtf8(raw);
  const line = raw.subarray(0, at).reduce((n, b) => (b === 0x0a ? n + 1 : n), 1);
  throw unreadable(
    `line ${line} is not valid UTF-8 (byte 0x${raw[at].toString(16).padStart(2, '0')} at offset ${at}); ` +
      'the file may be Latin-1 or Windows-1252 — name its encoding in the upload form (encoding=windows-1252), or save it as UTF-8',
  );
}

/** UTF-16 after its BOM, strictly: a lone surrogate or an odd byte would otherwise become U+FFFD silently. */
function fromUtf16(raw: Uint8Array, encoding: 'utf-16le' | 'utf-16be'): Uint8Array {
  try {
    return Buffer.from(new TextDecoder(encoding, { fatal: true }).decode(raw.subarray(2)));
  } catch {
    // Error path only: find the first bad code unit, and its line.
    const unit = (i: number) => (encoding === 'utf-16le' ? raw[i] | (raw[i + 1] << 8) : (raw[i] << 8) | raw[i + 1]);
    let line = 1;
    let at = 2;
    for (; at + 1 < raw.length; at += 2) {
      const u = unit(at);
      if (u === 0x0a) line++;
      else if (u >= 0xd800 && u < 0xdc00 && at + 3 < raw.length && (unit(at + 2) & 0xfc00) === 0xdc00) at += 2;
      else if (u >= 0xd800 && u < 0xe000) break;
    }
    throw unreadable(
      `line ${line} is not valid ${encoding.toUpperCase()} (${at + 1 < raw.length ? 'an unpaired surrogate' : 'an odd trailing byte'} at ` +
        `byte offset ${at}); save the file again as UTF-8 or UTF-16 and upload again`,
    );
  }
}

/** Offset of the first byte that cannot start or continue a UTF-8 sequence (error path only). */
function firstInvalidUtf8(b: Uint8Array): number {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    const more = c < 0x80 ? 0 : c >= 0xc2 && c < 0xe0 ? 1 : c >= 0xe0 && c < 0xf0 ? 2 : c >= 0xf0 && c < 0xf5 ? 3 : -1;
    if (more < 0) return i;
    for (let k = 1; k <= more; k++) if ((b[i + k] & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  return b.length - 1;
}

export function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0];
}
