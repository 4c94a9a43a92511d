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
