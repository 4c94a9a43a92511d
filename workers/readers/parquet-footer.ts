import { readFileSync, openSync, readSync, fstatSync, closeSync } from 'node:fs';
import { parquetMetadata, parquetRead, type FileMetaData, type SchemaElement } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';
import { tableFromIPC, type Field } from 'apache-arrow';
import pl from 'nodejs-polars';
import { unreadable } from '../task-error.js';
import type { Source } from './types.js';

/** A top-level column as the file's footer describes it. */
export interface FooterColumn {
  name: string;
  element: SchemaElement;
  /** Whether it is a group (list, struct, map). */
  nested: boolean;
  /** Every schema element below it (a group's fields and their fields, depth-first); none for a flat column. */
  descendants: SchemaElement[];
  /** Its field in the Arrow schema the writer embedded (`ARROW:schema`), if any. */
  arrow?: Field;
  /** Its position in the footer's flattened schema (`FileMetaData.schema`, the root at 0). */
  index: number;
  /** Its leaf columns' positions among the file's leaves (= the row groups' column chunks): `[first, end)`. */
  leaves: [number, number];
}

/** Bytes of the footer's tail: enough for hyparquet to parse the metadata (offsets in it are not needed). */
function footerBytes(source: Source): ArrayBuffer {
  if (source.kind === 'bytes') return source.bytes.buffer.slice(source.bytes.byteOffset, source.bytes.byteOffset + source.bytes.byteLength) as ArrayBuffer;
  const fd = openSync(source.path, 'r');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(8, size));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    const length = tail.length === 8 ? tail.readUInt32LE(0) + 8 : 0;
    const bytes = Buffer.alloc(Math.min(size, length));
    readSync(fd, bytes, 0, bytes.length, size - bytes.length);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length) as ArrayBuffer;
  } finally {
    closeSync(fd);
  }
}

/**
 * The top-level columns of a Parquet file, from its footer (hyparquet's thrift reader) and the Arrow schema
 * Arrow-based writers embed (decoded with apache-arrow). Throws a 422 when the footer cannot be read.
 */
export function footerColumns(source: Source): { metadata: FileMetaData; columns: FooterColumn[] } {
  let metadata: FileMetaData;
  try {
    metadata = parquetMetadata(footerBytes(source));
  } catch (err) {
    const message = (err as Error).message;
    // Name the usual case plainly: a file cut short (or not Parquet) lacks the closing magic bytes.
    const why = /footer != PAR1/.test(message) ? 'a Parquet file must end with PAR1, and this one does not' : message;
    throw unreadable(`not a readable Parquet file (damaged, truncated, or not Parquet): ${why}`);
  }
  const arrowFields = arrowSchemaFields(metadata);
  const columns: FooterColumn[] = [];
  const schema = metadata.schema;
  // schema[0] is the root; its children follow depth-first, each group followed by its descendants.
  let at = 1;
  let leaf = 0;
  const skip = (i: number): number => {
    let next = i + 1;
    if (!schema[i].num_children) leaf++;
    for (let c = 0; c < (schema[i].num_children ?? 0); c++) next = skip(next);
    return next;
  };
  while (at < schema.length) {
    const element = schema[at];
    const firstLeaf = leaf;
    const next = skip(at);
    columns.push({
      name: element.name, element, nested: next > at + 1, descendants: schema.slice(at + 1, next), arrow: arrowFields?.[columns.length], index: at, leaves: [firstLeaf, leaf],
    });
    at = next;
  }
  return { metadata, columns };
}

/** The fields of the embedded Arrow schema (an IPC schema message), in column order; undefined if none or unreadable. */
function arrowSchemaFields(metadata: FileMetaData): Field[] | undefined {
  const value = metadata.key_value_metadata?.find((kv) => kv.key === 'ARROW:schema')?.value;
  if (!value) return undefined;
  try {
    const message = Buffer.from(value, 'base64');
    // A schema message plus an end-of-stream marker is an empty IPC stream.
    return tableFromIPC(Buffer.concat([message, Buffer.from([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])])).schema.fields;
  } catch {
    return undefined;
  }
}

/** The Parquet type of a column, in words for error messages: `INT96`, `DECIMAL(50, 2)`, `FLOAT16`. */
export function parquetTypeName(element: SchemaElement): string {
  const logical = element.logical_type;
  if (logical?.type === 'DECIMAL') return `DECIMAL(${logical.precision}, ${logical.scale})`;
  if (element.converted_type === 'DECIMAL') return `DECIMAL(${element.precision}, ${element.scale})`;
  if (logical) return logical.type;
  return element.converted_type ?? element.type ?? 'group';
}

/**
 * One flat column read by hyparquet, as raw values: timestamps as bigint counts of their unit, INT96 as
 * bigint nanoseconds since the epoch (hyparquet joins its nanoseconds of day and Julian day exactly).
 */
export async function readColumnRaw(source: Source, name: string): Promise<unknown[]> {
  const bytes = source.kind === 'bytes' ? source.bytes : readFileSync(source.path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const values: unknown[] = [];
  const raw = (v: bigint) => v;
  await parquetRead({
    file,
    columns: [name],
    compressors,
    parsers: { timestampFromMilliseconds: raw, timestampFromMicroseconds: raw, timestampFromNanoseconds: raw },
    onComplete: (rows: unknown[][]) => {
      for (const row of rows) values.push(row[0]);
    },
  });
  return values;
}

/** A Polars Int64 series of exact integers (this binding's BigInt input is not exact, so they go as text). */
export function int64Series(name: string, values: (bigint | null)[]): pl.Series {
  return pl.Series(name, values.map((v) => (v === null || v === undefined ? null : v.toString())), pl.Utf8).cast(pl.Int64, true);
}
