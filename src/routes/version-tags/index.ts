import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.js';
import { findDataset, findVersion, findVersionByNumber, findVersionTag, tagNotFound, versionDetail } from '../lookup.js';
import { datasetParams, type DatasetParams } from '../schemas.js';
import {
  tagBody,
  tagParams,
  tagResponse,
  schemaErrors,
  versionNumberParams,
  type TagBody,
  type TagParams,
  type VersionNumberParams,
} from './schemas.js';

/**
 * Version tags: a name such as `production` that points at one version of a dataset, can be moved to another
 * of its versions, and is deleted with the version it points at. Not to be confused with a dataset's `tags`
 * (labels, `GET /api/datasets/tags`). Also resolves a version by tag or by version_number.
 */
export default async function versionTagRoutes(app: FastifyInstance) {
  const { catalog } = app;
  const schemaErrorFormatter = schemaErrors(Object.keys(tagBody.properties));

  app.post<{ Params: TagParams; Body: TagBody }>(
    '/api/datasets/:id/tags/:tag_name',
    {
      schema: {
        tags: ['versions'],
        summary: 'Create a version tag, or move it to another version (201 created, 200 moved)',
        description:
          'Points the tag at `version_id`, which must be a version of this dataset (404 version_not_found otherwise). ' +
          'A dataset has at most one tag of a name; sending an existing name moves it. `description` absent keeps ' +
          'the current one, null clears it.',
        params: tagParams,
        body: tagBody,
        response: { 200: tagResponse, 201: tagResponse },
      },
      schemaErrorFormatter,
    },
    async (req, reply) => {
      const { id, tag_name } = req.params;
      findDataset(catalog, id);
      // The catalog checks, in the same transaction as the write, that the version belongs to this dataset.
      const set = catalog.setVersionTag(id, tag_name, req.body.version_id, req.body.description);
      if (!set) throw notFound('version', `dataset ${id} has no version with id ${req.body.version_id}`);
      return reply.code(set.created ? 201 : 200).send(set.tag);
    },
  );

  app.get<{ Params: TagParams }>(
    '/api/datasets/:id/tags/:tag_name',
    {
      schema: { tags: ['versions'], summary: 'A version tag', params: tagParams, response: { 200: tagResponse } },
      schemaErrorFormatter,
    },
    async (req) => findVersionTag(catalog, req.params.id, req.params.tag_name),
  );

  app.delete<{ Params: TagParams }>(
    '/api/datasets/:id/tags/:tag_name',
    {
      schema: { tags: ['versions'], summary: 'Delete a version tag (the version stays)', params: tagParams },
      schemaErrorFormatter,
    },
    async (req, reply) => {
      const { id, tag_name } = req.params;
      findDataset(catalog, id);
      if (!catalog.deleteVersionTag(id, tag_name)) throw tagNotFound(id, tag_name);
      return reply.code(204).send();
    },
  );

  app.get<{ Params: DatasetParams }>(
    '/api/datasets/:id/tags',
    {
      schema: {
        tags: ['versions'],
        summary: "A dataset's version tags, by name",
        params: datasetParams,
        response: { 200: { type: 'array', items: tagResponse } },
      },
      schemaErrorFormatter,
    },
    async (req) => {
      findDataset(catalog, req.params.id);
      return catalog.versionTags(req.params.id);
    },
  );

  app.get<{ Params: TagParams }>(
    '/api/datasets/:id/versions/tag/:tag_name',
    {
      schema: { tags: ['versions'], summary: 'The version a tag points at (same shape as GET …/versions/{vid})', params: tagParams },
      schemaErrorFormatter,
    },
    async (req) => {
      const tag = findVersionTag(catalog, req.params.id, req.params.tag_name);
      return versionDetail(catalog, findVersion(catalog, req.params.id, tag.version_id));
    },
  );

  app.get<{ Params: VersionNumberParams }>(
    '/api/datasets/:id/versions/number/:n',
    {
      schema: { tags: ['versions'], summary: 'The version with this version_number (same shape as GET …/versions/{vid})', params: versionNumberParams },
      schemaErrorFormatter,
    },
    async (req) => versionDetail(catalog, findVersionByNumber(catalog, req.params.id, req.params.n)),
  );
}
