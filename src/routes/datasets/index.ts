import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ApiError, badRequest, notFound } from '../../errors.js';
import type { DocumentedSchema } from '../../plugins/openapi.js';
import { DatasetParams, ResponseHeaders, NoContent } from '../../schemas/common.js';
import { DatasetList, DatasetPatch, DatasetWithVersions, Dataset, ListQuery, TagCounts, UploadForm, UploadResult } from '../../schemas/datasets.js';
import { API_ERRORS, errorResponses } from '../../schemas/errors.js';
import { UploadHeaders } from '../../schemas/uploads.js';
import type { UploadHandle } from '../uploads/progress.js';
import { receiveUpload } from '../../upload/receive.js';
import { readOptions } from '../../upload/read-options.js';
import { CommitOutcomeUnknown } from '../../catalog/catalog.js';
import { findDataset, publicVersion, versionDetail } from '../lookup.js';
import { checkDescription, checkName, normalizeTags, parseTagText } from './fields.js';
import { uploadTarget } from './upload-form.js';

/** `/api/datasets`: upload, list, labels, one dataset, PATCH, DELETE. */
export default async function datasetRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, store } = app;

  // Form fields and multipart framing beyond the file itself.
  const FORM_OVERHEAD = 1024 * 1024;

  /** Uploads sent with X-Upload-Id, each ended (done or failed) when its request is answered or abandoned. */
  const tracked = new WeakMap<FastifyRequest, UploadHandle>();
  const endTracked = (req: FastifyRequest, ok: boolean) => tracked.get(req)?.end(ok);

  app.post('/api/datasets/upload', {
    schema: {
      tags: ['datasets'],
      operationId: 'uploadDataset', summary: 'Upload a file as a new dataset, or as a new version with dataset_id',
      description:
        'multipart/form-data. A new dataset: `file` and `name` (with `description`, `tags`); a new version: `file` and ' +
        '`dataset_id` (name, description and tags are then a 400: change them with PATCH). Reader fields: `delimiter`, ' +
        '`encoding`, `header_row` (or none), `skip_rows` (CSV), `sheets` (Excel), `column_types` (JSON {column: type}). ' +
        'An unknown field is a 400. The version in the answer has `reader`: what the reader decided. With an `X-Upload-Id` ' +
        'header, GET /api/uploads/{id} reports the upload\'s phase and bytes while it runs.',
      headers: UploadHeaders,
      multipartForm: UploadForm,
      response: {
        201: { ...UploadResult, description: 'stored: the dataset, the new version, its sheets' },
        ...errorResponses(400, 404, 408, 413, 415, 422, 507, ...API_ERRORS),
      },
    } satisfies DocumentedSchema,
    // A declared length already over the limit is refused before a byte of the body is read.
    onRequest: async (req) => {
      const declared = Number(req.headers['content-length']);
      if (declared > app.config.maxUploadBytes + FORM_OVERHEAD) {
        throw new ApiError(413, 'file_too_large', `the upload is ${declared} bytes; the limit is ${app.config.maxUploadBytes} bytes (MAX_UPLOAD_BYTES)`, { connection: 'close' });
      }
    },
    onResponse: (req, reply, done) => {
      endTracked(req, reply.statusCode < 400);
      done();
    },
    onRequestAbort: (req, done) => {
      endTracked(req, false);
      done();
    },
  }, async (req, reply) => {
    const uploadId = req.headers['x-upload-id'] as string | undefined;
    let progress: UploadHandle | undefined;
    if (uploadId !== undefined) {
      if (app.uploadProgress.running(uploadId)) {
        throw badRequest(`X-Upload-Id ${uploadId} names an upload still running; give each upload an id of its own (a random UUID)`);
      }
      const expected = Number(req.headers['content-length']);
      progress = app.uploadProgress.start(uploadId, req.apiKey?.name, req.raw.socket, Number.isSafeInteger(expected) ? expected : null);
      tracked.set(req, progress);
    }
    const upload = await receiveUpload(req, store);
    try {
      const target = uploadTarget(upload.fields);
      if ('datasetId' in target) await findDataset(catalog, target.datasetId);
      const options = readOptions(upload.fields, upload.fileType);
      progress?.enter('parsing');
      const { sheets, reader } = await upload.sink.ingest(upload.fileType, upload.fileName, options, req.log);
      progress?.enter('storing');
      const committed = await catalog.commitVersion(target, {
        storageKey: upload.sink.key,
        fileName: upload.fileName,
        fileType: upload.fileType,
        fileSize: upload.fileSize,
        sheets,
        reader,
      });
      if (!committed) throw notFound('dataset', `dataset ${'datasetId' in target ? target.datasetId : ''} was deleted during the upload`);
      return reply.code(201).send({
        dataset: committed.dataset,
        version: await versionDetail(catalog, { ...committed.version, storage_key: upload.sink.key }),
        sheets: sheets.map(({ name, row_count, column_count }) => ({ name, row_count, column_count })),
      });
    } catch (err) {
      // Files of a version whose commit may have happened are kept (see CommitOutcomeUnknown).
      if (err instanceof CommitOutcomeUnknown) req.log.warn({ storage_key: upload.sink.key }, 'catalog commit outcome unknown; files kept');
      else await upload.sink.discard();
      throw err;
    }
  });

  app.get('/api/datasets', {
    schema: {
      tags: ['datasets'],
      operationId: 'listDatasets', summary: 'List datasets (total in X-Total-Count)',
      querystring: ListQuery,
      response: { 200: { ...DatasetList, description: 'one page of datasets', headers: ResponseHeaders.totalCount }, ...errorResponses(400, ...API_ERRORS) },
    },
  }, async (req, reply) => {
    const q = req.query;
    const { items, total } = await catalog.listDatasets({
      limit: q.limit,
      offset: q.offset,
      name: q.name,
      tags: (q.tags ?? []).flatMap((t) => parseTagText(t)),
      sortBy: q.sort_by,
      sortOrder: q.sort_order,
    });
    return reply.header('X-Total-Count', String(total)).send(items);
  });

  app.get('/api/datasets/tags', {
    schema: {
      tags: ['datasets'],
      operationId: 'listDatasetLabels', summary: 'Labels with the number of datasets carrying each',
      response: { 200: TagCounts, ...errorResponses(...API_ERRORS) },
    },
  }, async () => catalog.datasetTagCounts());

  app.get('/api/datasets/:id', {
    schema: {
      tags: ['datasets'],
      operationId: 'getDataset', summary: 'A dataset with its versions',
      params: DatasetParams,
      response: { 200: DatasetWithVersions, ...errorResponses(400, 404, ...API_ERRORS) },
    },
  }, async (req) => {
    const dataset = await findDataset(catalog, req.params.id);
    return { ...dataset, versions: (await catalog.versions(dataset.id)).map(publicVersion) };
  });

  app.patch('/api/datasets/:id', {
    schema: {
      tags: ['datasets'],
      operationId: 'updateDataset', summary: 'Change name, description or tags',
      description: 'A JSON object with any of name, description (null clears it), tags (replaces the labels). Types are checked as sent: a wrong type or an unknown field is a 400 and nothing changes.',
      params: DatasetParams,
      body: DatasetPatch,
      response: { 200: Dataset, ...errorResponses(400, 404, 413, 415, ...API_ERRORS) },
    },
  }, async (req) => {
    const { name, description, tags } = req.body;
    const updated = await catalog.updateDataset(req.params.id, {
      name: name === undefined ? undefined : checkName(name),
      description: description === undefined || description === null ? description : checkDescription(description),
      tags: tags === undefined ? undefined : normalizeTags(tags),
    });
    if (!updated) throw notFound('dataset', `dataset ${req.params.id} does not exist`);
    return updated;
  });

  app.delete('/api/datasets/:id', {
    schema: {
      tags: ['datasets'],
      operationId: 'deleteDataset', summary: 'Delete a dataset, its versions and their data',
      params: DatasetParams,
      response: { 204: NoContent('deleted'), ...errorResponses(400, 404, ...API_ERRORS) },
    },
  }, async (req, reply) => {
    const keys = await catalog.deleteDataset(req.params.id);
    if (!keys) throw notFound('dataset', `dataset ${req.params.id} does not exist`);
    await store.drop(keys);
    return reply.code(204).send(null);
  });
}
