import type { FastifyReply } from 'fastify';
import type { StoredVersion } from '../../../catalog/types.js';
import { Bytes } from '../../../schemas/common.js';
import type { TableStore } from '../../../storage/store.js';
import { contentDisposition } from '../../content-disposition.js';
import { sendEncoded } from '../../send-encoded.js';

/** Media types of original files, by the uploaded file's type (anything else is application/octet-stream). */
const ORIGINAL_TYPES: Record<string, string> = {
  csv: 'text/csv',
  parquet: 'application/vnd.apache.parquet',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xlsm: 'application/vnd.ms-excel.sheet.macroEnabled.12',
  xls: 'application/vnd.ms-excel',
};

/** The OpenAPI `content` of an answer that is an original file: each media type it may have. */
export function originalContent(): Record<string, { schema: ReturnType<typeof Bytes> }> {
  return Object.fromEntries(
    [...new Set([...Object.values(ORIGINAL_TYPES), 'application/octet-stream'])].map((t) => [t, { schema: Bytes('the uploaded file') }]),
  );
}

/**
 * Sends a version's uploaded file byte for byte, as an attachment under its uploaded name, with its media type
 * and length. Used by `GET …/versions/{vid}/download` and by a download token minted with `format: "original"`.
 */
export function sendOriginal(reply: FastifyReply, store: TableStore, version: StoredVersion): FastifyReply {
  // First, so that a file missing on the server is an error answer without this file's headers.
  const body = store.download(version.storage_key);
  reply
    .header('Content-Type', ORIGINAL_TYPES[version.file_type] ?? 'application/octet-stream')
    .header('Content-Length', String(version.file_size))
    .header('Content-Disposition', contentDisposition(version.file_name));
  return sendEncoded(reply, body);
}
