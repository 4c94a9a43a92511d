import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import type { SheetInfo } from '../../../catalog/types.js';
import { notFound } from '../../../errors.js';
import { DatasetParams, ResponseHeaders, NoContent, VersionParams } from '../../../schemas/common.js';
import { API_ERRORS, errorResponses } from '../../../schemas/errors.js';
import { TagParams } from '../../../schemas/version-tags.js';
import { NumberParams, SheetList, VersionDetail, VersionList } from '../../../schemas/versions.js';
import { originalContent, sendOriginal } from './original.js';
import { findDataset, findLatestVersion, findVersion, findVersionByNumber, findVersionTag, publicVersion, versionDetail } from '../../lookup.js';

/** One version (its own routes and the lookups by tag and by number answer the same shape). */
const oneVersion = { 200: { ...VersionDetail, description: 'the version, with `reader`' }, ...errorResponses(400, 404, ...API_ERRORS) };

/**
 * `/api/datasets/{id}/versions…`: list, latest, one (by id, by version tag, by version_number), delete,
 * download, sheets. Rows, schema, statistics, facets and SQL are in the modules beside this one.
 */
export default async function versionRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, store } = app;

  app.get('/api/datasets/:id/versions', {
    schema: { tags: ['versions'], operationId: 'listVersions', summary: 'Versions of a dataset, newest first', params: DatasetParams, response: { 200: VersionList, ...errorResponses(400, 404, ...API_ERRORS) } },
  }, async (req) => {
    await findDataset(catalog, req.params.id);
    return (await catalog.versions(req.params.id)).map(publicVersion);
  });

  app.get('/api/datasets/:id/versions/latest', {
    schema: { tags: ['versions'], operationId: 'getLatestVersion', summary: 'The newest version', params: DatasetParams, response: oneVersion },
  }, async (req) => versionDetail(catalog, await findLatestVersion(catalog, req.params.id)));

  app.get('/api/datasets/:id/versions/tag/:tag_name', {
    schema: { tags: ['versions'], operationId: 'getVersionByTag', summary: 'The version a version tag points at', params: TagParams, response: oneVersion },
  }, async (req) => {
    const tag = await findVersionTag(catalog, req.params.id, req.params.tag_name);
    return versionDetail(catalog, await findVersion(catalog, req.params.id, tag.version_id));
  });

  app.get('/api/datasets/:id/versions/number/:n', {
    schema: { tags: ['versions'], operationId: 'getVersionByNumber', summary: 'The version with this version_number', params: NumberParams, response: oneVersion },
  }, async (req) => versionDetail(catalog, await findVersionByNumber(catalog, req.params.id, req.params.n)));

  app.get('/api/datasets/:id/versions/:vid', {
    schema: { tags: ['versions'], operationId: 'getVersion', summary: 'A version with its sheets', params: VersionParams, response: oneVersion },
  }, async (req) => versionDetail(catalog, await findVersion(catalog, req.params.id, req.params.vid)));

  app.delete('/api/datasets/:id/versions/:vid', {
    schema: {
      tags: ['versions'],
      operationId: 'deleteVersion', summary: 'Delete a version and its data (its version tags go with it)',
      params: VersionParams,
      response: { 204: NoContent('deleted'), ...errorResponses(400, 404, ...API_ERRORS) },
    },
  }, async (req, reply) => {
    await findDataset(catalog, req.params.id);
    const key = await catalog.deleteVersion(req.params.id, req.params.vid);
    if (key === undefined) throw notFound('version', `dataset ${req.params.id} has no version with id ${req.params.vid}`);
    await store.drop([key]);
    return reply.code(204).send(null);
  });

  app.get('/api/datasets/:id/versions/:vid/download', {
    schema: {
      tags: ['versions'],
      operationId: 'downloadVersion', summary: 'The uploaded file, byte for byte',
      params: VersionParams,
      response: {
        200: {
          description: 'the original file; its media type by its type (text/csv, Parquet, Excel), else application/octet-stream',
          headers: { ...ResponseHeaders.contentDisposition('the uploaded file name') },
          content: originalContent(),
        },
        ...errorResponses(400, 404, 410, ...API_ERRORS),
      },
    },
  }, async (req, reply) => sendOriginal(reply, store, await findVersion(catalog, req.params.id, req.params.vid)));

  app.get('/api/datasets/:id/versions/:vid/sheets', {
    schema: { tags: ['versions'], operationId: 'listSheets', summary: 'Sheets of a version with their columns', params: VersionParams, response: { 200: SheetList, ...errorResponses(400, 404, ...API_ERRORS) } },
  }, async (req) => (await catalog.sheets((await findVersion(catalog, req.params.id, req.params.vid)).id)) as SheetInfo[]);
}
