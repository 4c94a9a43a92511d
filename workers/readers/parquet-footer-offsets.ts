/**
 * Where the names sit in a Parquet footer: byte offsets hyparquet's thrift reader does not give. A walker of
 * Thrift's compact protocol (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md)
 * over `FileMetaData` (parquet-format's parquet.thrift), recording only the strings a rename touches and
 * skipping every other field by its wire type.
 */

/** A string in the file: `length` bytes from `offset` (absolute, from the file's first byte). */
export interface Span {
  offset: number;
  length: number;
}

export interface FooterOffsets {
  /** `FileMetaData.schema[i].name`, in schema order (the root at 0); undefined where an element has none. */
  schemaNames: (Span | undefined)[];
  /** Per row group, per column chunk: the first entry of `ColumnMetaData.path_in_schema`. */
  chunkPaths: (Span | undefined)[][];
  /** `FileMetaData.key_value_metadata`: each key (decoded) and its value's bytes. */
  keyValues: { key: string; value?: Span }[];
}

// Compact-protocol wire types.
const STOP = 0, TRUE = 1, FALSE = 2, BYTE = 3, I16 = 4, I32 = 5, I64 = 6, DOUBLE = 7, BINARY = 8, LIST = 9, SET = 10, MAP = 11, STRUCT = 12;
/** Deeper nesting than parquet.thrift has (a few levels) is a damaged footer, not a reason to overflow the stack. */
const MAX_DEPTH = 64;

class Cursor {
  constructor(readonly bytes: Uint8Array, public pos: number, readonly end: number) {}
  byte(): number {
    if (this.pos >= this.end) throw new RangeError('the footer ends inside a value');
    return this.bytes[this.pos++];
  }
  advance(n: number): void {
    if (n < 0 || this.pos + n > this.end) throw new RangeError('the footer ends inside a value');
    this.pos += n;
  }
  /** An unsigned varint (lengths and sizes: well under 2^53). */
  uvarint(): number {
    let value = 0;
    for (let scale = 1; ; scale *= 128) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (!(b & 0x80)) return value;
      if (scale > 2 ** 56) throw new RangeError('a varint longer than 64 bits');
    }
  }
  zigzag(): number {
    const n = this.uvarint();
    return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
  }
  span(): Span {
    const length = this.uvarint();
    const offset = this.pos;
    this.advance(length);
    return { offset, length };
  }
  /** A list or set header: element count and element type. */
  listHeader(): { size: number; type: number } {
    const h = this.byte();
    const short = h >> 4;
    return { size: short === 15 ? this.uvarint() : short, type: h & 0x0f };
  }
}

/** Reads a struct's fields; `handle` consumes a field it wants (returns true), every other is skipped. */
function walkStruct(c: Cursor, depth: number, handle?: (id: number, type: number) => boolean): void {
  if (depth > MAX_DEPTH) throw new RangeError('structs nested too deep');
  let last = 0;
  for (;;) {
    const h = c.byte();
    const type = h & 0x0f;
    if (type === STOP) return;
    const delta = h >> 4;
    const id = delta ? last + delta : c.zigzag();
    last = id;
    if (!handle?.(id, type)) skipValue(c, type, depth, false);
  }
}

/** Skips one value of a wire type; inside a list or map a boolean takes a byte of its own. */
function skipValue(c: Cursor, type: number, depth: number, element: boolean): void {
  switch (type) {
    case TRUE:
    case FALSE:
      if (element) c.advance(1);
      return;
    case BYTE:
      c.advance(1);
      return;
    case I16:
    case I32:
    case I64:
      c.uvarint();
      return;
    case DOUBLE:
      c.advance(8);
      return;
    case BINARY:
      c.advance(c.uvarint());
      return;
    case LIST:
    case SET: {
      const { size, type: of } = c.listHeader();
      for (let i = 0; i < size; i++) skipValue(c, of, depth + 1, true);
      return;
    }
    case MAP: {
      const size = c.uvarint();
      if (size === 0) return;
      const kinds = c.byte();
      for (let i = 0; i < size; i++) {
        skipValue(c, kinds >> 4, depth + 1, true);
        skipValue(c, kinds & 0x0f, depth + 1, true);
      }
      return;
    }
    case STRUCT:
      walkStruct(c, depth + 1);
      return;
    default:
      throw new RangeError(`unknown thrift type ${type}`);
  }
}

/** Reads a list of structs, calling `each` for every element (an element of another type is skipped). */
function eachStruct(c: Cursor, depth: number, each: (i: number) => void): void {
  const { size, type } = c.listHeader();
  for (let i = 0; i < size; i++) {
    if (type === STRUCT) each(i);
    else skipValue(c, type, depth + 1, true);
  }
}

/**
 * The offsets of the names in a Parquet file's footer (the file's last 8 bytes: footer length, `PAR1`).
 * Field ids from parquet.thrift: FileMetaData.schema (2) → SchemaElement.name (4); row_groups (4) →
 * RowGroup.columns (1) → ColumnChunk.meta_data (3) → ColumnMetaData.path_in_schema (3);
 * key_value_metadata (5) → KeyValue.key (1), value (2). Throws a RangeError when the footer is damaged.
 */
export function footerOffsets(file: Uint8Array): FooterOffsets {
  if (file.length < 12) throw new RangeError('too short for a Parquet file');
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const length = view.getUint32(file.length - 8, true);
  const start = file.length - 8 - length;
  if (start < 4) throw new RangeError('the footer length is larger than the file');
  const c = new Cursor(file, start, file.length - 8);
  const out: FooterOffsets = { schemaNames: [], chunkPaths: [], keyValues: [] };
  walkStruct(c, 0, (id, type) => {
    if (id === 2 && type === LIST) {
      eachStruct(c, 1, () => {
        let name: Span | undefined;
        walkStruct(c, 2, (f, t) => f === 4 && t === BINARY && ((name = c.span()), true));
        out.schemaNames.push(name);
      });
      return true;
    }
    if (id === 4 && type === LIST) {
      eachStruct(c, 1, () => {
        const paths: (Span | undefined)[] = [];
        walkStruct(c, 2, (f, t) => {
          if (f !== 1 || t !== LIST) return false;
          eachStruct(c, 3, () => {
            let path: Span | undefined;
            walkStruct(c, 4, (g, u) => {
              if (g !== 3 || u !== STRUCT) return false;
              walkStruct(c, 5, (h, v) => {
                if (h !== 3 || v !== LIST) return false;
                const { size, type: of } = c.listHeader();
                for (let i = 0; i < size; i++) {
                  if (i === 0 && of === BINARY) path = c.span();
                  else skipValue(c, of, 6, true);
                }
                return true;
              });
              return true;
            });
            paths.push(path);
          });
          return true;
        });
        out.chunkPaths.push(paths);
      });
      return true;
    }
    if (id === 5 && type === LIST) {
      eachStruct(c, 1, () => {
        let key = '';
        let value: Span | undefined;
        walkStruct(c, 2, (f, t) => {
          if (t !== BINARY || (f !== 1 && f !== 2)) return false;
          const s = c.span();
          if (f === 1) key = Buffer.from(file.buffer, file.byteOffset + s.offset, s.length).toString('utf8');
          else value = s;
          return true;
        });
        out.keyValues.push({ key, value });
      });
      return true;
    }
    return false;
  });
  return out;
}

/**
 * `FileMetaData.num_rows` (field 3) of a footer: `footer` is the thrift bytes alone (the file's last
 * 8 + length bytes without those 8). Throws a RangeError when the footer is damaged or has no row count.
 */
export function footerRowCount(footer: Uint8Array): number {
  const c = new Cursor(footer, 0, footer.length);
  let rows: number | undefined;
  walkStruct(c, 0, (id, type) => id === 3 && type === I64 && ((rows = c.zigzag()), true));
  if (rows === undefined || rows < 0) throw new RangeError('the footer has no row count');
  return rows;
}

/**
 * Rows of each row group (`FileMetaData.row_groups[i].num_rows`), in file order, from the thrift bytes of a
 * footer as `footerRowCount` takes them. Throws a RangeError when the footer is damaged.
 */
export function footerRowGroupRows(footer: Uint8Array): number[] {
  const c = new Cursor(footer, 0, footer.length);
  const rows: number[] = [];
  walkStruct(c, 0, (id, type) => {
    if (id !== 4 || type !== LIST) return false;
    eachStruct(c, 1, () => {
      let n = 0;
      walkStruct(c, 2, (f, t) => f === 3 && t === I64 && ((n = c.zigzag()), true));
      rows.push(n);
    });
    return true;
  });
  return rows;
}
