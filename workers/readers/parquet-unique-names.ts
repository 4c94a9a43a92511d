import { ByteBuffer } from 'flatbuffers';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { Schema } from 'apache-arrow/fb/schema';
import { unreadable } from '../task-error.js';
import { footerOffsets, type Span } from './parquet-footer-offsets.js';
import type { FooterColumn } from './parquet-footer.js';

/** Placeholder characters: ASCII, so a placeholder of n characters is n bytes. */
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_';

/**
 * Polars and hyparquet key columns by name: of two top-level columns with one name they keep one. This gives
 * a copy of the file in which every repeat of a name (the 2nd, 3rd, … column holding it) carries a unique
 * placeholder of the same byte length, so the footer keeps its size and no offset in the file moves: the
 * schema element's name, the first `path_in_schema` entry of each of its column chunks (every row group),
 * and its field's name in the embedded Arrow schema (`ARROW:schema`, base64 of an IPC schema message).
 * `columns` come from footerColumns on the same file; `file` is called only when names repeat, and its bytes
 * are not modified (a copy is).
 * Returns undefined when the top-level names are already unique, else the copy and the column names it
 * holds, in file order. Throws a 422 when a repeated name cannot be replaced (empty names, a footer or
 * Arrow schema that does not hold the names where parquet-format and Arrow put them).
 */
export function withUniqueNames(file: () => Uint8Array, columns: readonly FooterColumn[]): { bytes: Buffer; names: string[] } | undefined {
  const names = columns.map((c) => c.name);
  const repeats = names.flatMap((n, i) => (names.indexOf(n) !== i ? [i] : []));
  if (repeats.length === 0) return undefined;
  const repeated = names[repeats[0]];
  const refuse = (why: string) =>
    unreadable(`two columns are named "${repeated}", and the file could not be read with both of them kept: ${why}; nothing was stored`);
  const taken = new Set(names);
  for (const i of repeats) {
    const stand = placeholder(Buffer.byteLength(names[i]), taken);
    if (stand === undefined) throw refuse(`no unused name of ${Buffer.byteLength(names[i])} byte(s) is left to stand in for "${names[i]}"`);
    taken.add(stand);
    names[i] = stand;
  }
  const bytes = Buffer.from(file()); // a copy: the source may be the stored upload
  let offsets;
  try {
    offsets = footerOffsets(bytes);
  } catch (err) {
    throw refuse(`its footer is damaged (${(err as Error).message})`);
  }
  const replace = (span: Span | undefined, from: string, to: string, where: string) => {
    if (!span || bytes.toString('utf8', span.offset, span.offset + span.length) !== from) throw refuse(`${where} does not hold "${from}"`);
    bytes.write(to, span.offset, 'utf8');
  };
  const arrow = offsets.keyValues.find((kv) => kv.key === 'ARROW:schema')?.value;
  const message = arrow && Buffer.from(bytes.toString('latin1', arrow.offset, arrow.offset + arrow.length), 'base64');
  for (const i of repeats) {
    const c = columns[i];
    replace(offsets.schemaNames[c.index], c.name, names[i], `schema element ${c.index}`);
    offsets.chunkPaths.forEach((chunks, g) => {
      for (let leaf = c.leaves[0]; leaf < c.leaves[1]; leaf++) replace(chunks[leaf], c.name, names[i], `row group ${g}, column chunk ${leaf}`);
    });
    if (message) renameArrowField(message, i, columns.length, c.name, names[i], refuse);
  }
  if (arrow && message) {
    const wasPadded = bytes.toString('latin1', arrow.offset, arrow.offset + arrow.length).endsWith('=');
    let text = message.toString('base64');
    if (!wasPadded) text = text.replace(/=+$/, '');
    if (text.length !== arrow.length) throw refuse('its embedded Arrow schema is not plain base64');
    bytes.write(text, arrow.offset, 'latin1');
  }
  return { bytes, names };
}

/** The first name of `length` ASCII characters not in `taken`, or undefined when all are taken. */
function placeholder(length: number, taken: ReadonlySet<string>): string | undefined {
  if (length === 0) return undefined;
  for (let n = 0; ; n++) {
    let name = '';
    let rest = n;
    for (let d = 0; d < length; d++) {
      name = ALPHABET[rest % ALPHABET.length] + name;
      rest = Math.floor(rest / ALPHABET.length);
    }
    if (rest > 0) return undefined;
    if (!taken.has(name)) return name;
  }
}

/**
 * Renames top-level field `index` of an Arrow IPC schema message (optional 0xFFFFFFFF continuation, int32
 * length, flatbuffer Message) in place, `from` to `to` (same byte length). A flatbuffer string is an int32
 * length followed by its bytes; Field.name is the table's first field (vtable slot 4).
 */
function renameArrowField(ipc: Buffer, index: number, count: number, from: string, to: string, refuse: (why: string) => Error): void {
  try {
    const start = ipc.length >= 8 && ipc.readInt32LE(0) === -1 ? 8 : 4;
    const body = ipc.subarray(start);
    const bb = new ByteBuffer(body);
    const message = Message.getRootAsMessage(bb);
    if (message.headerType() !== MessageHeader.Schema) throw new Error('not a schema message');
    const schema: Schema | null = message.header(new Schema());
    if (!schema || schema.fieldsLength() !== count) throw new Error(`${schema?.fieldsLength() ?? 0} fields for ${count} columns`);
    const field = schema.fields(index)!;
    const slot = bb.__offset(field.bb_pos, 4);
    if (!slot) throw new Error(`field ${index} has no name`);
    const at = field.bb_pos + slot;
    const string = at + bb.readInt32(at);
    const length = bb.readInt32(string);
    if (body.toString('utf8', string + 4, string + 4 + length) !== from) throw new Error(`field ${index} is not named "${from}"`);
    body.write(to, string + 4, 'utf8');
  } catch (err) {
    throw refuse(`its embedded Arrow schema does not match its columns (${(err as Error).message})`);
  }
}
