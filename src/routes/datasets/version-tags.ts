import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.js';
import { DatasetParams, NoContent } from '../../schemas/common.js';
import { API_ERRORS, errorResponses } from '../../schemas/errors.js';
import { TagBody, TagParams, VersionTag, VersionTagList } from '../../schemas/version-tags.js';
import { findDataset, findVersionTag, tagNotFound } from '../lookup.js';

/**
 * Version tags (`/api/datasets/{id}/tags…`): a name such as `production` that points at one version of a
 * dataset, can be moved to another of its versions, and is deleted with the version it points at. Not to be
 * confused with a dataset's `tags` (labels, `GET /api/datasets/tags`). The version a tag points at is answered
 * by `GET …/versions/tag/{tag_name}` (versions/index.ts).
 */
export default async function versionTagRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog } = app;

  app.post('/api/datasets/:id/tags/:tag_name', {
    schema: {
      tags: ['versions'],
      operationId: 'setVersionTag', summary: 'Create a version tag, or move it to another version (201 created, 200 moved)',
      description:
        'Points the tag at `version_id`, which must be a version of this dataset (404 version_not_found otherwise). ' +
        'A dataset has at most one tag of a name; sending an existing name moves it. `description` absent keeps ' +
        'the current one, null clears it.',
      params: TagParams,
      body: TagBody,
      response: {
        200: { ...VersionTag, description: 'moved' },
        201: { ...VersionTag, description: 'created' },
        ...errorResponses(400, 404, 413, 415, ...API_ERRORS),
      },
    },
  }, async (req, reply) => {
    const { id, tag_name } = req.params;
    await findDataset(catalog, id);
    // The catalog checks, in the same transaction as the write, that the version belongs to this dataset.
    const set = await catalog.setVersionTag(id, tag_name, req.body.version_id, req.body.description);
    if (!set) throw notFound('version', `dataset ${id} has no version with id ${req.body.version_id}`);
    return reply.code(set.created ? 201 : 200).send(set.tag);
  });

  app.get('/api/datasets/:id/tags/:tag_name', {
    schema: { tags: ['versions'], operationId: 'getVersionTag', summary: 'A version tag', params: TagParams, response: { 200: VersionTag, ...errorResponses(400, 404, ...API_ERRORS) } },
  }, async (req) => findVersionTag(catalog, req.params.id, req.params.tag_name));

  app.delete('/api/datasets/:id/tags/:tag_name', {
    schema: {
      tags: ['versions'],
      operationId: 'deleteVersionTag', summary: 'Delete a version tag (the version stays)',
      params: TagParams,
      response: { 204: NoContent('deleted'), ...errorResponses(400, 404, ...API_ERRORS) },
    },
  }, async (req, reply) => {
    const { id, tag_name } = req.params;
    await findDataset(catalog, id);
    if (!await catalog.deleteVersionTag(id, tag_name)) throw tagNotFound(id, tag_name);
    return reply.code(204).send(null);
  });

  app.get('/api/datasets/:id/tags', {
    schema: {
      tags: ['versions'],
      operationId: 'listVersionTags', summary: "A dataset's version tags, by name",
      params: DatasetParams,
      response: { 200: VersionTagList, ...errorResponses(400, 404, ...API_ERRORS) },
    },
  }, async (req) => {
    await findDataset(catalog, req.params.id);
    return catalog.versionTags(req.params.id);
  });
}
