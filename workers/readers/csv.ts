import { isUtf8 } from 'node:buffer';
import pl from 'nodejs-polars';
import { unreadable } from '../task-error.js';
import { csvLayout } from './csv-layout.js';
import { inferTypes } from './infer-types.js';
import { uniqueHeader } from './header-names.js';
import type { ParsedSheet } from './types.js';

/**
 * CSV (and other delimited text): UTF-8 with or without BOM (UTF-16 with BOM is converted), comma,
 * semicolon, tab or pipe detected, quoted fields with delimiters and newlines, types from the whole file.
 */
export function readCsv(raw: Uint8Array): ParsedSheet[] {
  const layout = csvLayout(withLineFeeds(asUtf8(raw)));
  let frame: pl.DataFrame;
  try {
    frame = pl.readCSV(Buffer.from(layout.body.buffer, layout.body.byteOffset, layout.body.byteLength), {
      sep: layout.delimiter,
      hasHeader: true,
      inferSchemaLength: 0, // everything as text; inferTypes decides from all values
      quoteChar: '"',
      rechunk: true,
    });
  } catch (err) {
    throw unreadable(`the CSV could not be parsed: ${firstLine(err)}`);
  }
  frame = frame.rename(Object.fromEntries(frame.columns.map((c, i) => [c, uniqueHeader(layout.header)[i]])));
  return [{ name: 'Sheet1', frame: inferTypes(frame) }];
}

/** Classic Mac files end lines with CR alone, which Polars does not split on. */
function withLineFeeds(bytes: Uint8Array): Uint8Array {
  if (bytes.includes(0x0a) || !bytes.includes(0x0d)) return bytes;
  return bytes.map((b) => (b === 0x0d ? 0x0a : b));
}

function asUtf8(raw: Uint8Array): Uint8Array {
  if (raw[0] === 0xef && raw[1] === 0xbb && raw[2] === 0xbf) raw = raw.subarray(3);
  else if (raw[0] === 0xff && raw[1] === 0xfe) raw = Buffer.from(new TextDecoder('utf-16le').decode(raw.subarray(2)));
  else if (raw[0] === 0xfe && raw[1] === 0xff) raw = Buffer.from(new TextDecoder('utf-16be').decode(raw.subarray(2)));
  if (isUtf8(raw)) return raw;
  const at = firstInvalidUtf8(raw);
  const line = raw.subarray(0, at).reduce((n, b) => (b === 0x0a ? n + 1 : n), 1);
  throw unreadable(
    `line ${line} is not valid UTF-8 (byte 0x${raw[at].toString(16).padStart(2, '0')} at offset ${at}); ` +
      'the file may be Latin-1 or Windows-1252 — save it as UTF-8 and upload again',
  );
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
