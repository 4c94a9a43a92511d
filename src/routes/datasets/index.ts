import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, notFound } from '../../errors.js';
import { receiveUpload } from '../../upload/receive.js';
import { readOptions } from '../../upload/read-options.js';
import { findDataset, publicVersion, versionDetail } from '../lookup.js';
import { datasetParams, type DatasetParams } from '../schemas.js';
import { checkDescription, checkName, parseTags, uploadTarget } from './fields.js';

const SORT_KEYS = ['name', 'created_at', 'updated_at', 'file_size', 'current_version'] as const;

interface ListQuery {
  limit: number;
  offset: number;
  name?: string;
  tags?: string[];
  sort_by: (typeof SORT_KEYS)[number];
  sort_order: 'asc' | 'desc';
}

export default async function datasetRoutes(app: FastifyInstance) {
  const { catalog, store } = app;

  // Form fields and multipart framing beyond the file itself.
  const FORM_OVERHEAD = 1024 * 1024;

  app.post('/api/datasets/upload', {
    schema: {
      tags: ['datasets'],
      summary: 'Upload a file as a new dataset, or as a new version with dataset_id',
      description:
        'multipart/form-data: `file` (required; .csv .tsv .txt .parquet .xlsx .xlsm .xls), `name` (required for a new dataset), ' +
        '`description`, `tags` (JSON array or comma-separated), `dataset_id`; reader fields: `delimiter`, `encoding`, `header_row` ' +
        '(or none), `skip_rows` (CSV), `sheets` (Excel), `column_types` (JSON {column: type}). ' +
        '201 → {dataset, version (with `reader`: what the reader decided), sheets}. ' +
        '413 past MAX_UPLOAD_BYTES, 415 for a type we do not read, 422 for a file that cannot be read faithfully.',
      consumes: ['multipart/form-data'],
    },
    // A declared length already over the limit is refused before a byte of the body is read.
    onRequest: async (req) => {
      const declared = Number(req.headers['content-length']);
      if (declared > app.config.maxUploadBytes + FORM_OVERHEAD) {
        throw new ApiError(413, 'file_too_large', `the upload is ${declared} bytes; the limit is ${app.config.maxUploadBytes} bytes (MAX_UPLOAD_BYTES)`, { connection: 'close' });
      }
    },
  }, async (req: FastifyRequest, reply) => {
    const upload = await receiveUpload(req, store);
    try {
      const target = uploadTarget(upload.fields);
      if (target.datasetId !== undefined) findDataset(catalog, target.datasetId);
      const options = readOptions(upload.fields, upload.fileType);
      const { sheets, reader } = await upload.sink.ingest(upload.fileType, upload.fileName, options, req.log);
      const committed = catalog.commitVersion(
        target.datasetId !== undefined
          ? { datasetId: target.datasetId }
          : { name: target.name!, description: target.description, tags: target.tags },
        { storageKey: upload.sink.key, fileName: upload.fileName, fileType: upload.fileType, fileSize: upload.fileSize, sheets, reader },
      );
      if (!committed) throw notFound('dataset', `dataset ${target.datasetId} was deleted during the upload`);
      return reply.code(201).send({
        dataset: committed.dataset,
        version: versionDetail(catalog, { ...committed.version, storage_key: upload.sink.key }),
        sheets: sheets.map(({ name, row_count, column_count }) => ({ name, row_count, column_count })),
      });
    } catch (err) {
      await upload.sink.discard();
      throw err;
    }
  });

  app.get<{ Querystring: ListQuery }>(
    '/api/datasets',
    {
      schema: {
        tags: ['datasets'],
        summary: 'List datasets (total in X-Total-Count)',
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            offset: { type: 'integer', minimum: 0, default: 0 },
            name: { type: 'string' },
            tags: { type: 'array', items: { type: 'string' } },
            sort_by: { type: 'string', enum: SORT_KEYS, default: 'created_at' },
            sort_order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
          },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const q = req.query;
      const { items, total } = catalog.listDatasets({
        limit: q.limit,
        offset: q.offset,
        name: q.name,
        tags: (q.tags ?? []).flatMap((t) => parseTags(t)),
        sortBy: q.sort_by,
        sortOrder: q.sort_order,
      });
      return reply.header('X-Total-Count', String(total)).send(items);
    },
  );

  app.get('/api/datasets/tags', { schema: { tags: ['datasets'], summary: 'Tags with the number of datasets carrying each' } }, async () =>
    catalog.tagCounts(),
  );

  app.get<{ Params: DatasetParams }>('/api/datasets/:id', { schema: { tags: ['datasets'], summary: 'A dataset with its versions', params: datasetParams } }, async (req) => {
    const dataset = findDataset(catalog, req.params.id);
    return { ...dataset, versions: catalog.versions(dataset.id).map(publicVersion) };
  });

  app.patch<{ Params: DatasetParams; Body: { name?: string; description?: string | null; tags?: unknown } }>(
    '/api/datasets/:id',
    {
      schema: {
        tags: ['datasets'],
        summary: 'Change name, description or tags',
        params: datasetParams,
        body: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            description: { type: ['string', 'null'] },
            tags: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }] },
          },
          additionalProperties: false,
        },
      },
    },
    async (req) => {
      const body = req.body ?? {};
      const updated = catalog.updateDataset(req.params.id, {
        name: body.name === undefined ? undefined : checkName(body.name),
        description: body.description === undefined || body.description === null ? body.description : checkDescription(body.description),
        tags: body.tags === undefined ? undefined : parseTags(body.tags),
      });
      if (!updated) throw notFound('dataset', `dataset ${req.params.id} does not exist`);
      return updated;
    },
  );

  app.delete<{ Params: DatasetParams }>('/api/datasets/:id', { schema: { tags: ['datasets'], summary: 'Delete a dataset, its versions and their data', params: datasetParams } }, async (req, reply) => {
    const keys = catalog.deleteDataset(req.params.id);
    if (!keys) throw notFound('dataset', `dataset ${req.params.id} does not exist`);
    await store.drop(keys);
    return reply.code(204).send();
  });
}
