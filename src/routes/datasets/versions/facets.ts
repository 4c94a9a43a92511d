import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { FacetsResult } from '../../../../workers/protocol.js';
import { VersionParams } from '../../../schemas/common.js';
import { API_ERRORS, errorResponses } from '../../../schemas/errors.js';
import { Facets, FacetsQuery } from '../../../schemas/facets.js';
import { findSheet, findVersion } from '../../lookup.js';
import { sendEncoded } from '../../send-encoded.js';
import { parseFilters } from './filters.js';

/** `GET …/versions/{vid}/facets`: most frequent values and distinct counts of columns, over the filtered rows. */
export default async function facetRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, store } = app;

  app.get('/api/datasets/:id/versions/:vid/facets', {
    schema: {
      tags: ['tables'],
      operationId: 'getFacets', summary: 'Most frequent values and distinct counts of columns, over the filtered rows',
      params: VersionParams,
      querystring: FacetsQuery,
      response: { 200: Facets, ...errorResponses(400, 404, 410, ...API_ERRORS) },
    },
  }, async (req, reply) => {
    const version = await findVersion(catalog, req.params.id, req.params.vid);
    const { index, sheet } = await findSheet(catalog, version, req.query.sheet);
    const { filters, columns } = parseFilters(req.query as Record<string, unknown>, sheet.columns);
    const result = await store.run<FacetsResult>(
      version.storage_key,
      index,
      (table) => ({ op: 'facets', table, query: { filters, sort: [] }, columns: columns!, limit: req.query.limit }),
      req.log,
    );
    // JSON text the worker wrote (values keep every digit), sent as it is: Fastify does not serialize a string
    // already typed as JSON.
    const head = JSON.stringify({ version_id: version.id, sheet: sheet.name }).slice(0, -1);
    return sendEncoded(reply.header('Content-Type', 'application/json; charset=utf-8'), `${head},${result.body.slice(1)}`);
  });
}
