import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { StoredVersion } from '../../catalog/types.js';
import { isoNow } from '../../errors.js';
import { ONE_MESSAGE_ROWS, type DataFormat, type ExportFormat, type FacetsResult, type PageResult, type StatisticsResult } from '../../../workers/protocol.js';
import { findLatestVersion, findSheet, findVersion } from '../lookup.js';
import { datasetParams, sheetQuery, versionParams, type DatasetParams, type VersionParams } from '../schemas.js';
import { startExport } from './export.js';
import { FORMATS, chooseFormat, contentType, pagingProperties, requestedWindow, type PagingQuery } from './paging.js';
import { filterPatternProperties, parseTableQuery, queryProperties } from './query.js';
import { excelSheetName, xlsxFileName } from './xlsx-names.js';
import { contentDisposition } from '../content-disposition.js';

interface DataQuery extends PagingQuery {
  sheet?: string;
  int64?: 'number' | 'string';
  columns?: string;
  sort?: string;
  format?: DataFormat;
  csv_safe?: boolean;
}

export default async function tableRoutes(app: FastifyInstance) {
  const { catalog, store } = app;

  app.get<{ Params: VersionParams; Querystring: DataQuery }>(
    '/api/datasets/:id/versions/:vid/data',
    {
      schema: {
        tags: ['tables'],
        summary: 'Rows of a sheet, filtered, sorted and projected: JSON pages, or a streamed export (Arrow, CSV, NDJSON, Parquet, xlsx)',
        params: versionParams,
        querystring: {
          type: 'object',
          properties: {
            ...sheetQuery,
            ...pagingProperties,
            ...queryProperties,
            int64: { type: 'string', enum: ['number', 'string'], description: 'how JSON writes 64-bit integers' },
            format: { type: 'string', enum: FORMATS, description: `instead of Accept: ${FORMATS.join(', ')}` },
            csv_safe: { type: 'boolean', default: false, description: 'CSV and xlsx: prefix text cells starting with = + - @ with \' (formula injection)' },
          },
          patternProperties: filterPatternProperties,
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const version = findVersion(catalog, req.params.id, req.params.vid);
      const { index, sheet } = findSheet(catalog, version, req.query.sheet);
      const format = chooseFormat(req.query.format, req.headers.accept);
      const query = parseTableQuery(req.query as Record<string, unknown>, sheet.columns);
      const { offset, size } = requestedWindow(req.query, format);
      const neutralizeFormulas = req.query.csv_safe === true;
      // Whole exports and big windows stream in batches (never JSON, whose pages are capped); pages and small
      // export windows come back in one message, without a channel's set-up per request. xlsx always streams:
      // its writer is asynchronous.
      if (size === null || size > ONE_MESSAGE_ROWS || format === 'xlsx') {
        const sheetName = format === 'xlsx' ? excelSheetName(sheet.name) : undefined;
        const exported = await startExport(
          store,
          { key: version.storage_key, sheetIndex: index, query, offset, size, format: format as ExportFormat, neutralizeFormulas, sheetName },
          reply.raw,
          req.log,
        );
        if (format === 'xlsx') {
          reply.header('Content-Disposition', contentDisposition(xlsxFileName(version.file_name, sheetName!, catalog.sheets(version.id).length)));
        }
        return reply.header('Content-Type', contentType(format)).header('X-Total-Rows', String(exported.totalRows)).send(exported.body);
      }
      const result = await store.run<PageResult>(
        version.storage_key,
        index,
        (table) => ({ op: 'page', table, query, offset, size, format, int64AsString: req.query.int64 === 'string', neutralizeFormulas }),
        req.log,
      );
      return reply
        .header('Content-Type', contentType(format))
        .header('X-Total-Rows', String(result.total_rows))
        .send(Buffer.from(result.body));
    },
  );

  app.get<{ Params: VersionParams; Querystring: { sheet?: string; columns: string; limit: number } }>(
    '/api/datasets/:id/versions/:vid/facets',
    {
      schema: {
        tags: ['tables'],
        summary: 'Most frequent values and distinct counts of columns, over the filtered rows',
        params: versionParams,
        querystring: {
          type: 'object',
          required: ['columns'],
          properties: {
            ...sheetQuery,
            columns: { type: 'string', description: 'comma-separated columns to count' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 10 },
          },
          patternProperties: filterPatternProperties,
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const version = findVersion(catalog, req.params.id, req.params.vid);
      const { index, sheet } = findSheet(catalog, version, req.query.sheet);
      const { filters, columns } = parseTableQuery(req.query as Record<string, unknown>, sheet.columns);
      const result = await store.run<FacetsResult>(
        version.storage_key,
        index,
        (table) => ({ op: 'facets', table, query: { filters, sort: [] }, columns: columns!, limit: req.query.limit }),
        req.log,
      );
      const head = JSON.stringify({ version_id: version.id, sheet: sheet.name }).slice(0, -1);
      return reply.header('Content-Type', 'application/json; charset=utf-8').send(`${head},${result.body.slice(1)}`);
    },
  );

  app.get<{ Params: VersionParams; Querystring: { sheet?: string } }>(
    '/api/datasets/:id/versions/:vid/schema',
    { schema: { tags: ['tables'], params: versionParams, querystring: { type: 'object', properties: sheetQuery, additionalProperties: false } } },
    async (req) => {
      const version = findVersion(catalog, req.params.id, req.params.vid);
      const { sheet } = findSheet(catalog, version, req.query.sheet);
      return { version_id: version.id, sheet: sheet.name, columns: sheet.columns };
    },
  );

  const statisticsQuery = { type: 'object', properties: sheetQuery, additionalProperties: false } as const;

  app.get<{ Params: VersionParams; Querystring: { sheet?: string } }>(
    '/api/datasets/:id/versions/:vid/statistics',
    { schema: { tags: ['tables'], params: versionParams, querystring: statisticsQuery } },
    async (req, reply) => sendStatistics(req, reply, findVersion(catalog, req.params.id, req.params.vid), req.query.sheet, false),
  );

  app.get<{ Params: DatasetParams; Querystring: { sheet?: string } }>(
    '/api/datasets/:id/statistics',
    { schema: { tags: ['tables'], params: datasetParams, querystring: statisticsQuery } },
    async (req, reply) => sendStatistics(req, reply, findLatestVersion(catalog, req.params.id), req.query.sheet, false),
  );

  app.post<{ Params: VersionParams; Querystring: { sheet?: string; detailed?: boolean } }>(
    '/api/datasets/:id/versions/:vid/statistics/refresh',
    {
      schema: {
        tags: ['tables'],
        params: versionParams,
        querystring: { type: 'object', properties: { ...sheetQuery, detailed: { type: 'boolean', default: false } }, additionalProperties: false },
      },
    },
    async (req, reply) =>
      sendStatistics(req, reply, findVersion(catalog, req.params.id, req.params.vid), req.query.sheet, true, req.query.detailed),
  );

  /**
   * Statistics are computed in a worker once per version and sheet and cached in the catalog; a refresh
   * recomputes them (with `detailed`, adding quantiles, histograms and top values) and replaces the cache.
   */
  async function sendStatistics(
    req: FastifyRequest,
    reply: FastifyReply,
    version: StoredVersion,
    sheetName: string | undefined,
    refresh: boolean,
    detailed = false,
  ) {
    const { index, sheet } = findSheet(catalog, version, sheetName);
    let body = refresh ? undefined : catalog.cachedStatistics(version.id, sheet.name);
    if (body === undefined) {
      const result = await store.run<StatisticsResult>(version.storage_key, index, (table) => ({ op: 'statistics', table, detailed }), req.log);
      const head = {
        dataset_id: version.dataset_id,
        version_id: version.id,
        sheet: sheet.name,
        total_rows: sheet.row_count,
        total_columns: sheet.column_count,
        file_size: version.file_size,
        detailed,
      };
      body = `${JSON.stringify(head).slice(0, -1)},"columns":${result.columns},"computed_at":"${isoNow()}"}`;
      catalog.cacheStatistics(version.id, sheet.name, body);
    }
    return reply.header('Content-Type', 'application/json; charset=utf-8').send(body);
  }
}
