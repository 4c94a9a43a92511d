import pl from 'nodejs-polars';

/**
 * nodejs-polars' native frame, beneath its JavaScript wrapper. The wrapper builds an object of some two
 * hundred closures behind a Proxy that lists the columns on every property access, and its writers collect
 * their output through a stream.Writable; on a 100-row page that cost more than Polars' own work. So the
 * per-request path (slice, JSON, Arrow IPC) calls the native frame directly. nodejs-polars is pinned to an
 * exact version in package.json; the data-fidelity tests cover every path through here.
 */
export interface NativeFrame {
  readonly height: number;
  /** Bytes of the frame's buffers (shared buffers counted once per column that uses them). */
  estimatedSize(): number;
  slice(offset: number, length: number): NativeFrame;
  /** The same rows with each column in one chunk (a frame of one chunk is returned as it is). */
  rechunk(): NativeFrame;
  writeJson(sink: ByteSink, options: { format: 'json' | 'lines' }): void;
  writeIpcStream(sink: ByteSink, compression: 'uncompressed'): void;
  writeIpc(sink: ByteSink, compression: 'uncompressed'): void;
}

/** What the native writers write to: they call `write` with each piece, synchronously. */
interface ByteSink {
  write(chunk: Buffer): boolean;
}

export const nativeOf = (frame: pl.DataFrame): NativeFrame => (frame as unknown as { _df: NativeFrame })._df;

export const wrapped = (native: NativeFrame): pl.DataFrame => pl._DataFrame(native);

/** The pieces a native writer writes, in order. */
export function written(write: (sink: ByteSink) => void): Buffer[] {
  const chunks: Buffer[] = [];
  write({ write: (chunk) => chunks.push(chunk) > 0 });
  return chunks;
}

/** One Arrow view (String and Binary values): 16 bytes, holding the value itself when it is at most 12 bytes. */
const VIEW_BYTES = 16;

type NestedType = pl.DataType & { __inner?: NestedType; fields?: { dtype: NestedType }[] };

/** String and Binary leaves of a type, per value of it: 1 for String, a struct's sum over its fields, a list's inner (per element). */
function viewLeaves(dt: NestedType): number {
  const variant = String(dt.variant);
  if (variant === 'String' || variant === 'Utf8' || variant === 'Binary') return 1;
  if (dt.fields) return dt.fields.reduce((n, f) => n + viewLeaves(f.dtype), 0);
  return dt.__inner ? viewLeaves(dt.__inner) : 0;
}

/**
 * Bytes a frame's buffers hold, for the worker's byte budget. Polars' `estimatedSize` counts a String or Binary
 * column by its values' lengths only, not by its views (16 bytes a value): on 1,000,000 rows of the flights table
 * (two columns of 3-letter codes) it says 30 MB where the frame holds 56 MB (its RSS and its Arrow IPC size).
 * So each String or Binary value adds a view here. Values of 12 bytes or fewer sit inside their view, so they
 * count twice (at most 12 bytes a value over); a list of strings counts one view a row whatever its length
 * (under). `dtypes`: the frame's column types, in any order.
 */
export function heldBytes(native: NativeFrame, dtypes: pl.DataType[]): number {
  const views = dtypes.reduce((n, dt) => n + viewLeaves(dt as NestedType), 0);
  return native.estimatedSize() + VIEW_BYTES * views * native.height;
}
