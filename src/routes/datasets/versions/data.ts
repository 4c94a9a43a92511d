import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ONE_MESSAGE_ROWS, type ExportFormat, type PageResult } from '../../../../workers/protocol.js';
import { ResponseHeaders, VersionParams } from '../../../schemas/common.js';
import { DataQuery, dataContent } from '../../../schemas/data.js';
import { API_ERRORS, errorResponses } from '../../../schemas/errors.js';
import { contentDisposition } from '../../content-disposition.js';
import { findSheet, findVersion } from '../../lookup.js';
import { sendEncoded } from '../../send-encoded.js';
import { startExport } from './export.js';
import { parseFilters } from './filters.js';
import { chooseFormat, contentType, requestedWindow } from './paging.js';
import { excelSheetName, xlsxFileName } from './xlsx-names.js';

/** `GET …/versions/{vid}/data`: rows of a sheet as JSON pages, or streamed exports in the other formats. */
export default async function dataRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, store } = app;

  app.get('/api/datasets/:id/versions/:vid/data', {
    schema: {
      tags: ['tables'],
      operationId: 'getData', summary: 'Rows of a sheet, filtered, sorted and projected: JSON pages, or a streamed export (Arrow, CSV, NDJSON, Parquet, xlsx)',
      description:
        'The format comes from `?format=` or else the first media type of Accept this route produces; JSON otherwise. ' +
        'JSON pages hold at most 1000 rows; the other formats have no cap and, without paging parameters, stream every row. ' +
        'Filters: filter[column]op=value.',
      params: VersionParams,
      querystring: DataQuery,
      response: {
        200: {
          description: 'the rows; X-Total-Rows counts the whole (filtered) result; xlsx comes as an attachment (Content-Disposition)',
          headers: { ...ResponseHeaders.totalRows, ...ResponseHeaders.contentDisposition('xlsx only: the upload’s name with .xlsx') },
          content: dataContent(),
        },
        ...errorResponses(400, 404, 410, ...API_ERRORS),
      },
    },
  }, async (req, reply) => {
    const version = findVersion(catalog, req.params.id, req.params.vid);
    const { index, sheet } = findSheet(catalog, version, req.query.sheet);
    const format = chooseFormat(req.query.format, req.headers.accept);
    const query = parseFilters(req.query as Record<string, unknown>, sheet.columns);
    const { offset, size } = requestedWindow(req.query, format);
    const neutralizeFormulas = req.query.csv_safe === true;
    // Whole exports and big windows stream in batches (never JSON, whose pages are capped); pages and small
    // export windows come back in one message, without a channel's set-up per request. xlsx always streams:
    // its writer is asynchronous.
    if (size === null || size > ONE_MESSAGE_ROWS || format === 'xlsx') {
      const sheetName = format === 'xlsx' ? excelSheetName(sheet.name) : undefined;
      const exported = await startExport(
        store,
        { key: version.storage_key, sheetIndex: index, query, offset, size, format: format as ExportFormat, neutralizeFormulas, sheetName },
        reply.raw,
        req.log,
      );
      if (format === 'xlsx') {
        reply.header('Content-Disposition', contentDisposition(xlsxFileName(version.file_name, sheetName!, catalog.sheets(version.id).length)));
      }
      return sendEncoded(reply.header('Content-Type', contentType(format)).header('X-Total-Rows', String(exported.totalRows)), exported.body);
    }
    const result = await store.run<PageResult>(
      version.storage_key,
      index,
      (table) => ({ op: 'page', table, query, offset, size, format, int64AsString: req.query.int64 === 'string', neutralizeFormulas }),
      req.log,
    );
    // The page the worker encoded, sent as bytes: Fastify serializes neither a Buffer nor a stream.
    return sendEncoded(reply.header('Content-Type', contentType(format)).header('X-Total-Rows', String(result.total_rows)), Buffer.from(result.body));
  });
}
