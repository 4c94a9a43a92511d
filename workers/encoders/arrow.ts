import { written, type NativeFrame } from '../native-frame.js';
import { ownedCopy } from '../transfer.js';

/** Arrow IPC, stream (`application/vnd.apache.arrow.stream`) or file (`application/vnd.apache.arrow.file`) format. */
export function encodeArrow(frame: NativeFrame, format: 'stream' | 'file'): ArrayBuffer {
  return ownedCopy(...written((sink) => (format === 'stream' ? frame.writeIpcStream(sink, 'uncompressed') : frame.writeIpc(sink, 'uncompressed'))));
}
