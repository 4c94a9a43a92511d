import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../../../errors.js';
import { ResponseHeaders, VersionParams } from '../../../schemas/common.js';
import { dataContent } from '../../../schemas/data.js';
import { API_ERRORS, errorResponses } from '../../../schemas/errors.js';
import { SqlBody } from '../../../schemas/sql.js';
import { findVersion } from '../../lookup.js';
import { sendEncoded } from '../../send-encoded.js';
import { chooseFormat, contentType, requestedWindow } from './paging.js';

/**
 * The SQL guard, loaded with the first query: its parser (node-sql-parser) costs ~220 ms of CPU to load, which
 * every start of the service paid before any query came.
 */
let guard: Promise<typeof import('./sql-guard.js')> | undefined;
const sqlGuard = () => (guard ??= import('./sql-guard.js'));

/** `POST …/versions/{vid}/query`: read-only SQL over a version's sheets, in the SQL worker pool. */
export default async function sqlRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();
  const { catalog, store, config } = app;

  app.post('/api/datasets/:id/versions/:vid/query', {
    schema: {
      tags: ['tables'],
      operationId: 'querySql', summary: 'Read-only SQL over the version\'s sheets (each a table by its name; the first also as "data")',
      description:
        'One SELECT; no other statements, no table functions or file-reading functions, only this version\'s tables. ' +
        'Answered like /data: a JSON page (page/page_size or offset/limit in the body) or Arrow by Accept. ' +
        'Limits: SQL_MAX_ROWS rows, SQL_TIMEOUT_S seconds.',
      params: VersionParams,
      body: SqlBody,
      response: {
        200: { description: 'the result page (JSON) or the result as Arrow', headers: ResponseHeaders.totalRows, content: dataContent(['json', 'arrow-stream', 'arrow-file']) },
        ...errorResponses(400, 404, 410, 413, 415, ...API_ERRORS),
      },
    },
  }, async (req, reply) => {
    const version = await findVersion(catalog, req.params.id, req.params.vid);
    const sheets = (await catalog.sheets(version.id)).map((s) => s.name);
    (await sqlGuard()).checkSql(req.body.sql, sheets.includes('data') ? sheets : [...sheets, 'data']);
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
    // Bytes the worker encoded: sent as they are (Fastify does not serialize a Buffer).
    return sendEncoded(reply.header('Content-Type', contentType(format)).header('X-Total-Rows', String(answer.total_rows)), answer.body);
  });
}
