import { rmSync, statSync } from 'node:fs';
import { wrapped, written, type NativeFrame } from '../native-frame.js';
import type { SheetArrow } from '../protocol.js';
import { ownedCopy } from '../transfer.js';

/** Arrow IPC, stream (`application/vnd.apache.arrow.stream`) or file (`application/vnd.apache.arrow.file`) format. */
export function encodeArrow(frame: NativeFrame, format: 'stream' | 'file'): ArrayBuffer {
  return ownedCopy(...written((sink) => (format === 'stream' ? frame.writeIpcStream(sink, 'uncompressed') : frame.writeIpc(sink, 'uncompressed'))));
}

/**
 * A frame on its way to another thread as an Arrow IPC file (SheetArrow): written to `path` (in shared memory,
 * src/storage/handoff-dir.ts) when given, else, or when that write fails (no room left), in a buffer to move.
 * A file cut short is removed.
 */
export function arrowForThread(frame: NativeFrame, path: string | undefined): SheetArrow {
  if (path) {
    try {
      wrapped(frame).writeIPC(path);
      return { kind: 'file', path, bytes: statSync(path).size };
    } catch {
      rmSync(path, { force: true });
    }
  }
  return { kind: 'buffer', ipc: encodeArrow(frame, 'file') };
}
