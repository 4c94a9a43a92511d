import type { FastifyInstance } from 'fastify';
import { findSheet, findVersion } from '../lookup.js';
import { datasetParams, type DatasetParams } from '../schemas.js';
import { schemaErrors } from '../version-tags/schemas.js';
import { compareColumns } from './compare.js';
import { compareBody, compareResponse, type CompareBody } from './schemas.js';

/** Compares the schemas of two versions of a dataset from the catalog; no worker is involved. */
export default async function schemaCompareRoutes(app: FastifyInstance) {
  const { catalog } = app;

  app.post<{ Params: DatasetParams; Body: CompareBody }>(
    '/api/datasets/:id/schema/compare',
    {
      schema: {
        tags: ['versions'],
        summary: 'Compare the schemas of two versions of a dataset',
        description:
          'Columns are matched by name, from version_id_1 to version_id_2: added, removed, type_changed (portable type or ' +
          'exact dtype differs, e.g. Int32 → Int64), nullability_changed. A change of column order alone is not a change. ' +
          'Compares the first sheet of each version, or the sheet named `sheet` in both.',
        params: datasetParams,
        body: compareBody,
        response: { 200: compareResponse },
      },
      schemaErrorFormatter: schemaErrors(Object.keys(compareBody.properties)),
    },
    async (req) => {
      const { id } = req.params;
      const { version_id_1, version_id_2, sheet } = req.body;
      const v1 = findVersion(catalog, id, version_id_1);
      const v2 = findVersion(catalog, id, version_id_2);
      const s1 = findSheet(catalog, v1, sheet).sheet;
      const s2 = findSheet(catalog, v2, sheet).sheet;
      const changes = compareColumns(s1.columns, s2.columns);
      return {
        dataset_id: id,
        version_id_1,
        version_id_2,
        sheet_1: s1.name,
        sheet_2: s2.name,
        identical: changes.length === 0,
        changes,
      };
    },
  );
}
