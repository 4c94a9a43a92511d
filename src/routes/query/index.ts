import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../errors.js';
import { findVersion } from '../lookup.js';
import { versionParams, type VersionParams } from '../schemas.js';
import { chooseFormat, contentType, requestedWindow } from '../tables/paging.js';
import { checkSql } from './sql-guard.js';

interface QueryBody {
  sql: string;
  page?: number;
  page_size?: number;
  offset?: number;
  limit?: number;
  int64?: 'number' | 'string';
}

export default async function queryRoutes(app: FastifyInstance) {
  const { catalog, store, config } = app;

  app.post<{ Params: VersionParams; Body: QueryBody }>(
    '/api/datasets/:id/versions/:vid/query',
    {
      schema: {
        tags: ['tables'],
        summary: 'Read-only SQL over the version\'s sheets (each a table by its name; the first also as "data")',
        description:
          'One SELECT; no other statements, no table functions or file-reading functions, only this version\'s tables. ' +
          'Answered like /data: a JSON page (page/page_size or offset/limit in the body) or Arrow by Accept. ' +
          'Limits: SQL_MAX_ROWS rows, SQL_TIMEOUT_S seconds.',
        params: versionParams,
        body: {
          type: 'object',
          required: ['sql'],
          properties: {
            sql: { type: 'string', maxLength: 100_000 },
            page: { type: 'integer', minimum: 1 },
            page_size: { type: 'integer', minimum: 1 },
            offset: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1 },
            int64: { type: 'string', enum: ['number', 'string'] },
          },
          additionalProperties: false,
        },
      },
    },
    async (req, reply) => {
      const version = findVersion(catalog, req.params.id, req.params.vid);
      const sheets = catalog.sheets(version.id).map((s) => s.name);
      checkSql(req.body.sql, sheets.includes('data') ? sheets : [...sheets, 'data']);
      const format = chooseFormat(undefined, req.headers.accept);
      if (format !== 'json' && format !== 'arrow-stream' && format !== 'arrow-file') {
        throw badRequest('query results come as JSON or Arrow (Accept: application/vnd.apache.arrow.stream or .file)');
      }
      const { offset, size } = requestedWindow(req.body, format);
      const request = { sql: req.body.sql, maxRows: config.sqlMaxRows, offset, size, format, int64AsString: req.body.int64 === 'string' };
      // The same question over the same (immutable) version has the same answer: computed once, then sent as kept.
      let answer = store.sqlAnswers.get(version.storage_key, request);
      if (!answer) {
        const result = await store.sql<{ body: ArrayBuffer; total_rows: number }>(version.storage_key, sheets, (tables) => ({ op: 'sql', tables, ...request }), req.log);
        answer = { body: Buffer.from(result.body), total_rows: result.total_rows };
        store.sqlAnswers.set(version.storage_key, request, answer);
      }
      return reply.header('Content-Type', contentType(format)).header('X-Total-Rows', String(answer.total_rows)).send(answer.body);
    },
  );
}
