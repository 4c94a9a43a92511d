import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { ResponseHeaders, VersionParams } from '../../../schemas/common.js';
import { DataQuery, dataContent } from '../../../schemas/data.js';
import { API_ERRORS, errorResponses } from '../../../schemas/errors.js';
import { findSheet, findVersion } from '../../lookup.js';
import { parseFilters } from './filters.js';
import { chooseFormat, requestedWindow } from './paging.js';
import { sendRows } from './rows.js';
import { isWarmUp } from '../../../warm-up.js';

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
    const version = await findVersion(catalog, req.params.id, req.params.vid);
    const { index, sheet } = await findSheet(catalog, version, req.query.sheet);
    const format = chooseFormat(req.query.format, req.headers.accept);
    const query = parseFilters(req.query as Record<string, unknown>, sheet.columns);
    const { offset, size } = requestedWindow(req.query, format);
    return sendRows(store, catalog, reply, {
      version,
      sheetIndex: index,
      sheetName: sheet.name,
      format,
      query,
      offset,
      size,
      neutralizeFormulas: req.query.csv_safe === true,
      int64AsString: req.query.int64 === 'string',
      attachment: false,
      fillCache: !isWarmUp(req),
    }, req.log);
  });
}
