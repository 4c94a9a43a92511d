import type { FastifyBaseLogger, FastifyReply } from 'fastify';
import type { Catalog } from '../../../catalog/catalog.js';
import type { StoredVersion } from '../../../catalog/types.js';
import type { TableStore } from '../../../storage/store.js';
import { ONE_MESSAGE_ROWS, type DataFormat, type ExportFormat, type PageResult, type TableQuery } from '../../../../workers/protocol.js';
import { contentDisposition } from '../../content-disposition.js';
import { sendEncoded } from '../../send-encoded.js';
import { startExport } from './export.js';
import { contentType } from './paging.js';
import { excelSheetName, exportFileName } from './xlsx-names.js';

/** Rows to answer with: a version's sheet, the query over it, the window and the format. */
export interface RowsRequest {
  version: StoredVersion;
  sheetIndex: number;
  sheetName: string;
  format: DataFormat;
  query: TableQuery;
  offset: number;
  /** null: every row from `offset` (exports only). */
  size: number | null;
  neutralizeFormulas: boolean;
  int64AsString: boolean;
  /** Send every format as an attachment with a file name (xlsx always is). */
  attachment: boolean;
  /** Pages: see PageTask.fillCache (false only for the start-up warm-up). */
  fillCache: boolean;
}

/**
 * Answers with the rows as the worker encodes them, with `Content-Type` and `X-Total-Rows`: JSON pages and
 * small export windows in one message, whole exports and big windows streamed in batches (the one path of
 * `…/data` and of `/api/downloads/{token}`). A bad filter value is still a clean 4xx: the stream starts only
 * once the worker knows the row count.
 */
export async function sendRows(store: TableStore, catalog: Catalog, reply: FastifyReply, r: RowsRequest, log: FastifyBaseLogger) {
  const { version, format } = r;
  const asAttachment = format === 'xlsx' || r.attachment;
  // The file name carries the sheet's name when the version has more than one.
  const sheetCount = asAttachment ? (await catalog.sheets(version.id)).length : 0;
  // Set once the rows are known: an error answer must not come as an attachment.
  const disposition = () => {
    if (!asAttachment) return reply;
    const sheetPart = format === 'xlsx' ? excelSheetName(r.sheetName) : r.sheetName;
    return reply.header('Content-Disposition', contentDisposition(exportFileName(version.file_name, sheetPart, sheetCount, format)));
  };
  // Whole exports and big windows stream in batches (never JSON, whose pages are capped); pages and small
  // export windows come back in one message, without a channel's set-up per request. xlsx always streams:
  // its writer is asynchronous.
  if (r.size === null || r.size > ONE_MESSAGE_ROWS || format === 'xlsx') {
    const exported = await startExport(
      store,
      {
        key: version.storage_key,
        sheetIndex: r.sheetIndex,
        query: r.query,
        offset: r.offset,
        size: r.size,
        format: format as ExportFormat,
        neutralizeFormulas: r.neutralizeFormulas,
        sheetName: format === 'xlsx' ? excelSheetName(r.sheetName) : undefined,
      },
      reply.raw,
      log,
    );
    return sendEncoded(disposition().header('Content-Type', contentType(format)).header('X-Total-Rows', String(exported.totalRows)), exported.body);
  }
  const size = r.size;
  const result = await store.run<PageResult>(
    version.storage_key,
    r.sheetIndex,
    (table) => ({ op: 'page', table, query: r.query, offset: r.offset, size, format, int64AsString: r.int64AsString, neutralizeFormulas: r.neutralizeFormulas, fillCache: r.fillCache }),
    log,
  );
  // The page the worker encoded, sent as bytes: Fastify serializes neither a Buffer nor a stream.
  return sendEncoded(disposition().header('Content-Type', contentType(format)).header('X-Total-Rows', String(result.total_rows)), Buffer.from(result.body));
}
