import type { FastifyInstance } from 'fastify';
import { notFound } from '../../errors.js';
import { contentDisposition } from '../content-disposition.js';
import { findDataset, findLatestVersion, findVersion, publicVersion, versionDetail } from '../lookup.js';
import { datasetParams, versionParams, type DatasetParams, type VersionParams } from '../schemas.js';

const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv',
  parquet: 'application/vnd.apache.parquet',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  xlsm: 'application/vnd.ms-excel.sheet.macroEnabled.12',
  xls: 'application/vnd.ms-excel',
};

export default async function versionRoutes(app: FastifyInstance) {
  const { catalog, store } = app;

  app.get<{ Params: DatasetParams }>('/api/datasets/:id/versions', { schema: { tags: ['versions'], params: datasetParams } }, async (req) => {
    findDataset(catalog, req.params.id);
    return catalog.versions(req.params.id).map(publicVersion);
  });

  app.get<{ Params: DatasetParams }>('/api/datasets/:id/versions/latest', { schema: { tags: ['versions'], params: datasetParams } }, async (req) =>
    versionDetail(catalog, findLatestVersion(catalog, req.params.id)),
  );

  app.get<{ Params: VersionParams }>('/api/datasets/:id/versions/:vid', { schema: { tags: ['versions'], params: versionParams } }, async (req) =>
    versionDetail(catalog, findVersion(catalog, req.params.id, req.params.vid)),
  );

  app.delete<{ Params: VersionParams }>('/api/datasets/:id/versions/:vid', { schema: { tags: ['versions'], params: versionParams } }, async (req, reply) => {
    findDataset(catalog, req.params.id);
    const key = catalog.deleteVersion(req.params.id, req.params.vid);
    if (key === undefined) throw notFound('version', `dataset ${req.params.id} has no version with id ${req.params.vid}`);
    await store.drop([key]);
    return reply.code(204).send();
  });

  app.get<{ Params: VersionParams }>('/api/datasets/:id/versions/:vid/download', { schema: { tags: ['versions'], params: versionParams } }, async (req, reply) => {
    const version = findVersion(catalog, req.params.id, req.params.vid);
    return reply
      .header('Content-Type', CONTENT_TYPES[version.file_type] ?? 'application/octet-stream')
      .header('Content-Length', String(version.file_size))
      .header('Content-Disposition', contentDisposition(version.file_name))
      .send(store.download(version.storage_key));
  });

  app.get<{ Params: VersionParams }>('/api/datasets/:id/versions/:vid/sheets', { schema: { tags: ['versions'], params: versionParams } }, async (req) =>
    catalog.sheets(findVersion(catalog, req.params.id, req.params.vid).id),
  );
}
