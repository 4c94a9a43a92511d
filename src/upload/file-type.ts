import { extname } from 'node:path';
import { ApiError } from '../errors.js';
import type { FileType } from '../../workers/protocol.js';
import { isBiffBof } from '../../workers/file-signatures.js';

const BY_EXTENSION: Record<string, FileType> = {
  '.csv': 'csv',
  '.tsv': 'csv',
  '.txt': 'csv',
  '.parquet': 'parquet',
  '.pq': 'parquet',
  '.xlsx': 'xlsx',
  '.xlsm': 'xlsm',
  '.xls': 'xls',
};

type Content = 'zip' | 'ole2' | 'biff' | 'parquet' | 'binary' | 'text';

const CONTENT_NAMES: Record<Content, string> = {
  zip: 'a ZIP archive (such as .xlsx)',
  ole2: 'an OLE2 compound file (a legacy .xls, or a password-protected workbook)',
  biff: 'a bare BIFF worksheet stream (a legacy .xls of Excel 2.x–5 or an exporter, without an OLE2 container)',
  parquet: 'a Parquet file',
  binary: 'binary data',
  text: 'text',
};

/**
 * Which content each file type must have. OLE2 content named .xlsx/.xlsm is let through: Excel saves a
 * password-protected workbook that way, and the reader tells it (422, remove the password) from a legacy
 * .xls under the wrong name (415).
 */
const EXPECTED: Record<FileType, Content[]> = {
  csv: ['text'],
  parquet: ['parquet'],
  xlsx: ['zip', 'ole2'],
  xlsm: ['zip', 'ole2'],
  // Excel 2.x–4 saved a worksheet as a bare BIFF stream, and some exporters still write BIFF2–8 that way.
  xls: ['ole2', 'biff'],
};

const SUPPORTED = 'CSV (.csv, .tsv, .txt), Excel (.xlsx, .xlsm, .xls) or Parquet (.parquet)';

/** The file type named by the extension; 415 before any byte is read if it is not one we read. */
export function typeFromName(fileName: string): FileType {
  const ext = extname(fileName).toLowerCase();
  const type = BY_EXTENSION[ext];
  if (!type) {
    throw new ApiError(415, 'unsupported_file_type', `"${fileName}": ${ext ? `${ext} files are` : 'a file without an extension is'} not supported; upload ${SUPPORTED}`);
  }
  return type;
}

/**
 * Checks the first bytes against the extension, so a `.csv` that is really a ZIP is never parsed as CSV.
 * Empty or very short files pass here and get the reader's own 422.
 */
export function checkContent(fileName: string, type: FileType, head: Uint8Array): void {
  if (head.length < 4) return;
  const content = sniff(head);
  if (!EXPECTED[type].includes(content)) {
    throw new ApiError(
      415,
      'unsupported_file_type',
      `"${fileName}" is named as ${type.toUpperCase()} but its content is ${CONTENT_NAMES[content]}; upload ${SUPPORTED} with the extension that matches its content`,
    );
  }
}

function sniff(b: Uint8Array): Content {
  if (b[0] === 0x50 && b[1] === 0x4b && (b[2] === 0x03 || b[2] === 0x05) && (b[3] === 0x04 || b[3] === 0x06)) return 'zip';
  if (b[0] === 0xd0 && b[1] === 0xcf && b[2] === 0x11 && b[3] === 0xe0) return 'ole2';
  if (isBiffBof(b)) return 'biff';
  if (b[0] === 0x50 && b[1] === 0x41 && b[2] === 0x52 && b[3] === 0x31) return 'parquet';
  // UTF-16 text has NUL bytes but starts with a byte-order mark.
  if ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff)) return 'text';
  return b.subarray(0, 4096).includes(0) ? 'binary' : 'text';
}

