import type pl from 'nodejs-polars';
import { ownedCopy } from '../transfer.js';

/** Arrow IPC, stream (`application/vnd.apache.arrow.stream`) or file (`application/vnd.apache.arrow.file`) format. */
export function encodeArrow(frame: pl.DataFrame, format: 'stream' | 'file'): ArrayBuffer {
  return ownedCopy(format === 'stream' ? frame.writeIPCStream() : frame.writeIPC());
}
