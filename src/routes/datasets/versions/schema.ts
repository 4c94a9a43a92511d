import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { SheetQuery, VersionParams } from '../../../schemas/common.js';
import { API_ERRORS, errorResponses } from '../../../schemas/errors.js';
import { SheetSchema } from '../../../schemas/schema-compare.js';
import { findSheet, findVersion } from '../../lookup.js';

/** `GET …/versions/{vid}/schema`: a sheet's columns, from the catalog. */
export default async function schemaRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog } = app;

  app.get('/api/datasets/:id/versions/:vid/schema', {
    schema: {
      tags: ['tables'],
      operationId: 'getSchema', summary: "A sheet's columns: portable type, exact dtype, nullable",
      params: VersionParams,
      querystring: SheetQuery,
      response: { 200: SheetSchema, ...errorResponses(400, 404, ...API_ERRORS) },
    },
  }, async (req) => {
    const version = await findVersion(catalog, req.params.id, req.params.vid);
    const { sheet } = await findSheet(catalog, version, req.query.sheet);
    return { version_id: version.id, sheet: sheet.name, columns: sheet.columns };
  });
}
