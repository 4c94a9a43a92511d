import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { DatasetParams, SheetQuery } from '../../schemas/common.js';
import { findLatestVersion } from '../lookup.js';
import { sendStatistics, statisticsResponses } from './versions/statistics.js';

/** `GET /api/datasets/{id}/statistics`: the statistics of the latest version (as `…/versions/{vid}/statistics`). */
export default async function datasetStatisticsRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, store } = app;

  app.get('/api/datasets/:id/statistics', {
    schema: { tags: ['tables'], operationId: 'getLatestStatistics', summary: 'Per-column statistics of the latest version (cached)', params: DatasetParams, querystring: SheetQuery, response: statisticsResponses },
  }, async (req, reply) => sendStatistics({ catalog, store }, req, reply, await findLatestVersion(catalog, req.params.id), req.query.sheet, false));
}
