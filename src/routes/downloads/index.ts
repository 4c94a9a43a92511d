import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { DownloadView, Refusal } from '../../auth/download-tokens.js';
import { ApiError } from '../../errors.js';
import { ResponseHeaders } from '../../schemas/common.js';
import { FORMATS, dataContent } from '../../schemas/data.js';
import { DownloadParams, DownloadQuery } from '../../schemas/downloads.js';
import { errorResponses } from '../../schemas/errors.js';
import { findVersion } from '../lookup.js';
import { originalContent, sendOriginal } from '../datasets/versions/original.js';
import { sendRows } from '../datasets/versions/rows.js';

/** The refusal's detail: which of unknown, used or expired, and where to mint another. */
function refusal(reason: Refusal, view: DownloadView | undefined): string {
  const mint = view ? `POST /api/datasets/${view.datasetId}/versions/${view.versionId}/download-tokens` : 'POST …/versions/{vid}/download-tokens';
  if (reason === 'used') return `this download token was already used; each token downloads once: mint another with ${mint}`;
  if (reason === 'expired') return `this download token has expired (tokens live DOWNLOAD_TOKEN_TTL_S seconds); mint another with ${mint}`;
  return `no such download token: it was never issued here, expired a while ago, or the server restarted since; mint one with ${mint}`;
}

/**
 * `GET /api/downloads/{token}`: the export (or original file) a download token was minted for, once, with no Authorization header
 * (the token is the credential; the access plugin lets this route through). The token fixes the whole view, so
 * the route takes no query parameters. The answer is an attachment with a file name, whatever the format.
 */
export default async function downloadRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, store, downloadTokens } = app;

  app.get('/api/downloads/:token', {
    config: { ownCredential: true },
    // No HEAD: a link checker's HEAD would otherwise use up the token.
    exposeHeadRoute: false,
    schema: {
      tags: ['tables'],
      operationId: 'downloadExport', summary: 'The export a download token was minted for (once, no API key)',
      description:
        'Streams exactly the export named when the token was minted (POST …/download-tokens), as `…/data` would answer it, ' +
        'as an attachment (or the original file, as `…/versions/{vid}/download` would, for `format: "original"`). Single-use: a second use, an expired or an unknown token is a 404 `download_token_not_found` whose ' +
        'detail says which. Query parameters are refused: the token fixes the view.',
      params: DownloadParams,
      querystring: DownloadQuery,
      response: {
        200: {
          description: 'the export, X-Total-Rows counting the whole (filtered) result; or, for `format: "original"`, the uploaded file as `…/versions/{vid}/download` answers it',
          headers: {
            ...ResponseHeaders.totalRows,
            ...ResponseHeaders.contentDisposition('the upload’s name, -<sheet> when it has several, and the format’s extension; the uploaded name for the original file'),
          },
          content: { ...originalContent(), ...dataContent(FORMATS.filter((f) => f !== 'json')) },
        },
        ...errorResponses(400, 404, 410, 429, 500, 503),
      },
    },
  }, async (req, reply) => {
    const taken = await downloadTokens.take(req.params.token);
    if ('refused' in taken) throw new ApiError(404, 'download_token_not_found', refusal(taken.refused, taken.view));
    const { view } = taken;
    try {
      const version = await findVersion(catalog, view.datasetId, view.versionId);
      if (view.format === 'original') return await sendOriginal(reply.header('Cache-Control', 'no-store'), store, version);
      const sheet = (await catalog.sheets(version.id))[view.sheetIndex]!;
      return await sendRows(store, catalog, reply.header('Cache-Control', 'no-store'), {
        version,
        sheetIndex: view.sheetIndex,
        sheetName: sheet.name,
        format: view.format,
        query: view.query,
        offset: view.offset,
        size: view.size,
        neutralizeFormulas: view.neutralizeFormulas,
        int64AsString: false,
        attachment: true,
        fillCache: true,
      }, req.log);
    } catch (err) {
      // Nothing was sent (overloaded, a worker failed, …): the token may be tried again until it expires.
      if (!reply.raw.headersSent) await taken.give().catch(() => undefined);
      throw err;
    }
  });
}
