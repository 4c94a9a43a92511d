import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { PageResult } from '../../../../workers/protocol.js';
import { VersionParams } from '../../../schemas/common.js';
import { DownloadToken, DownloadTokenRequest } from '../../../schemas/downloads.js';
import { badRequest, isoTimestamp } from '../../../errors.js';
import { API_ERRORS, errorResponses } from '../../../schemas/errors.js';
import { findSheet, findVersion } from '../../lookup.js';
import { parseFilters } from './filters.js';
import { requestedWindow } from './paging.js';

/**
 * `POST …/versions/{vid}/download-tokens`: a short-lived, single-use token for one export (the view: format,
 * sheet, filters, sort, columns, window) or for the version's original file (`format: "original"`), so a
 * browser can fetch it as a plain link without an API key in its URL. Needs the read scope, as the export itself does. The view is checked now, as `…/data` checks it (columns,
 * operators, values by the worker reading one row), so its mistakes are a JSON 400 here and not a failed download.
 */
export default async function downloadTokenRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, store, downloadTokens } = app;

  app.post('/api/datasets/:id/versions/:vid/download-tokens', {
    config: { scope: 'read' },
    schema: {
      tags: ['tables'],
      operationId: 'createDownloadToken', summary: 'A single-use, short-lived link to one export of a view, or to the original file',
      description:
        'A JSON body naming the view as `…/data` takes it for an export: `format` (csv, ndjson, parquet, arrow-stream, ' +
        'arrow-file, xlsx), `sheet`, `filters` ({"filter[col]op": value}), `sort`, `columns`, `offset`/`limit`, `csv_safe`; ' +
        'or `{"format": "original"}` alone for the uploaded file as `…/versions/{vid}/download` answers it. ' +
        'The answer\'s `url` (`/api/downloads/{token}`) streams exactly that export once, without an Authorization header, ' +
        'until `expires_at` (DOWNLOAD_TOKEN_TTL_S, default 60 s). Needs the read scope. Tokens live in this process\'s memory.',
      params: VersionParams,
      body: DownloadTokenRequest,
      response: { 201: { ...DownloadToken, description: 'the token and where to use it' }, ...errorResponses(400, 404, 410, 413, 415, ...API_ERRORS) },
    },
  }, async (req, reply) => {
    const body = req.body;
    const version = await findVersion(catalog, req.params.id, req.params.vid);
    if (body.format === 'original') {
      const extra = Object.keys(body).filter((k) => k !== 'format');
      if (extra.length > 0) {
        throw badRequest(`format "original" is the uploaded file as it is: ${extra.join(', ')} cannot apply to it; leave ${extra.length === 1 ? 'it' : 'them'} out`);
      }
      return sendToken(reply, await downloadTokens.mint({ datasetId: version.dataset_id, versionId: version.id, format: 'original' }));
    }
    const { index, sheet } = await findSheet(catalog, version, body.sheet);
    const query = parseFilters({ ...body.filters, sort: body.sort, columns: body.columns }, sheet.columns);
    const { offset, size } = requestedWindow({ offset: body.offset, limit: body.limit }, body.format);
    // Filter values are converted by the worker: one row of the view checks them (and a filtered or sorted
    // result is then kept in its cache for the export).
    await store.run<PageResult>(
      version.storage_key,
      index,
      (table) => ({ op: 'page', table, query, offset: 0, size: 1, format: 'json', int64AsString: false, neutralizeFormulas: false, fillCache: true }),
      req.log,
    );
    const minted = await downloadTokens.mint({
      datasetId: version.dataset_id,
      versionId: version.id,
      sheetIndex: index,
      format: body.format,
      query,
      offset,
      size,
      neutralizeFormulas: body.csv_safe === true,
    });
    return sendToken(reply, minted);
  });
}

/** The 201 answer for a minted token: the token, the URL that uses it, and when it expires. */
function sendToken(reply: FastifyReply, { token, expiresAt }: { token: string; expiresAt: number }): FastifyReply {
  return reply.code(201).header('Cache-Control', 'no-store').send({ token, url: `/api/downloads/${token}`, expires_at: isoTimestamp(expiresAt) });
}
