import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { DatasetParams } from '../../schemas/common.js';
import { API_ERRORS, errorResponses } from '../../schemas/errors.js';
import { CompareBody, Comparison } from '../../schemas/schema-compare.js';
import { findSheet, findVersion } from '../lookup.js';
import { compareColumns } from './compare-columns.js';

/** `POST /api/datasets/{id}/schema/compare`: the schemas of two versions, from the catalog (no worker). */
export default async function schemaCompareRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog } = app;

  app.post('/api/datasets/:id/schema/compare', {
    schema: {
      tags: ['versions'],
      operationId: 'compareSchemas', summary: 'Compare the schemas of two versions of a dataset',
      description:
        'Columns are matched by name, from version_id_1 to version_id_2: added, removed, type_changed (portable type or ' +
        'exact dtype differs, e.g. Int32 → Int64), nullability_changed. A change of column order alone is not a change. ' +
        'Compares the first sheet of each version, or the sheet named `sheet` in both.',
      params: DatasetParams,
      body: CompareBody,
      response: { 200: Comparison, ...errorResponses(400, 404, 413, 415, ...API_ERRORS) },
    },
  }, async (req) => {
    const { id } = req.params;
    const { version_id_1, version_id_2, sheet } = req.body;
    const s1 = (await findSheet(catalog, await findVersion(catalog, id, version_id_1), sheet)).sheet;
    const s2 = (await findSheet(catalog, await findVersion(catalog, id, version_id_2), sheet)).sheet;
    const changes = compareColumns(s1.columns, s2.columns);
    return { dataset_id: id, version_id_1, version_id_2, sheet_1: s1.name, sheet_2: s2.name, identical: changes.length === 0, changes };
  });
}
