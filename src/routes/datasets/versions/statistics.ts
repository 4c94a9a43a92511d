import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { StatisticsResult } from '../../../../workers/protocol.js';
import type { Catalog } from '../../../catalog/catalog.js';
import type { StoredVersion } from '../../../catalog/types.js';
import { isoNow } from '../../../errors.js';
import type { TableStore } from '../../../storage/store.js';
import { SheetQuery, VersionParams } from '../../../schemas/common.js';
import { API_ERRORS, errorResponses } from '../../../schemas/errors.js';
import { Statistics, StatisticsRefreshQuery } from '../../../schemas/statistics.js';
import { findSheet, findVersion } from '../../lookup.js';
import { sendEncoded } from '../../send-encoded.js';

/** Statistics responses: the JSON shape, and the errors (a sheet held by a lost memory shard is 410). */
export const statisticsResponses = { 200: Statistics, ...errorResponses(400, 404, 410, ...API_ERRORS) };

/** `…/versions/{vid}/statistics` and its refresh. */
export default async function statisticsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, store } = app;

  app.get('/api/datasets/:id/versions/:vid/statistics', {
    schema: { tags: ['tables'], operationId: 'getStatistics', summary: 'Per-column statistics of a sheet (cached)', params: VersionParams, querystring: SheetQuery, response: statisticsResponses },
  }, async (req, reply) => sendStatistics({ catalog, store }, req, reply, await findVersion(catalog, req.params.id, req.params.vid), req.query.sheet, false));

  app.post('/api/datasets/:id/versions/:vid/statistics/refresh', {
    schema: {
      tags: ['tables'],
      operationId: 'refreshStatistics', summary: 'Recompute the statistics (detailed=true adds quantiles, histograms and top values) and cache them',
      params: VersionParams,
      querystring: StatisticsRefreshQuery,
      response: statisticsResponses,
    },
  }, async (req, reply) =>
    sendStatistics({ catalog, store }, req, reply, await findVersion(catalog, req.params.id, req.params.vid), req.query.sheet, true, req.query.detailed));
}

/**
 * Statistics are computed in a worker once per version and sheet and cached in the catalog as JSON text
 * (sent as it is: Fastify does not serialize a string typed as JSON); a refresh recomputes them (with
 * `detailed`, adding quantiles, histograms and top values) and replaces the cache.
 */
export async function sendStatistics(
  { catalog, store }: { catalog: Catalog; store: TableStore },
  req: FastifyRequest,
  reply: FastifyReply,
  version: StoredVersion,
  sheetName: string | undefined,
  refresh: boolean,
  detailed = false,
) {
  const { index, sheet } = await findSheet(catalog, version, sheetName);
  let body = refresh ? undefined : await catalog.cachedStatistics(version.id, sheet.name);
  if (body === undefined) {
    const result = await store.run<StatisticsResult>(version.storage_key, index, (table) => ({ op: 'statistics', table, detailed }), req.log);
    const head = {
      dataset_id: version.dataset_id,
      version_id: version.id,
      sheet: sheet.name,
      total_rows: sheet.row_count,
      total_columns: sheet.column_count,
      file_size: version.file_size,
      detailed,
    };
    body = `${JSON.stringify(head).slice(0, -1)},"columns":${result.columns},"computed_at":"${isoNow()}"}`;
    await catalog.cacheStatistics(version.id, sheet.name, body);
  }
  return sendEncoded(reply.header('Content-Type', 'application/json; charset=utf-8'), body);
}
