import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import access from './plugins/access.js';
import errorHandler from './plugins/error-handler.js';
import loadShedding from './plugins/load-shedding.js';
import metrics from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import requestLog, { logsEveryRequest } from './plugins/request-log.js';
import schemaCompilers, { buildSerializer } from './plugins/schema-compilers.js';
import storage from './plugins/storage.js';
import ui from './plugins/ui.js';
import accessRoutes from './routes/access/index.js';
import datasetRoutes from './routes/datasets/index.js';
import schemaCompareRoutes from './routes/datasets/schema-compare.js';
import datasetStatisticsRoutes from './routes/datasets/statistics.js';
import versionTagRoutes from './routes/datasets/version-tags.js';
import dataRoutes from './routes/datasets/versions/data.js';
import downloadTokenRoutes from './routes/datasets/versions/download-tokens.js';
import facetRoutes from './routes/datasets/versions/facets.js';
import versionRoutes from './routes/datasets/versions/index.js';
import schemaRoutes from './routes/datasets/versions/schema.js';
import sqlRoutes from './routes/datasets/versions/sql.js';
import statisticsRoutes from './routes/datasets/versions/statistics.js';
import downloadRoutes from './routes/downloads/index.js';
import healthRoutes from './routes/health/index.js';
import uploadRoutes from './routes/uploads/index.js';
import { ErrorBody } from './schemas/errors.js';

/** The HTTP side only: routing, validation, streaming uploads in and encoded bytes out. */
export async function buildApp(config: Config): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: config.logLevel },
    // Every request is logged only at debug/trace; otherwise failed and slow ones (see plugins/request-log.ts).
    logController: new LogController({ disableRequestLogging: !logsEveryRequest(config.logLevel) }),
    requestIdHeader: 'x-request-id',
    // Metadata bodies (PATCH) are small; uploads are streamed by @fastify/multipart under their own limit.
    bodyLimit: 1024 * 1024,
    // A client that trickles a request (slowloris) is cut off: headers within 30 s, the whole request
    // (an upload included) within REQUEST_TIMEOUT_S.
    requestTimeout: config.requestTimeoutMs,
    schemaController: { compilersFactory: { buildSerializer } },
  });
  // Referenced by every route's error responses (and a component of the OpenAPI document).
  app.addSchema(ErrorBody);
  await app.register(schemaCompilers);
  await app.register(errorHandler, { maxUploadBytes: config.maxUploadBytes });
  await app.register(requestLog, { everyRequest: logsEveryRequest(config.logLevel) });
  await app.register(multipart, {
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 },
  });
  await app.register(openapi);
  await app.register(storage, { config });
  await app.register(access, { keys: config.apiKeys, ratePerMinute: config.ratePerMinute, downloadTokenTtlMs: config.downloadTokenTtlMs });
  await app.register(loadShedding, { maxEventLoopDelayMs: config.shedEventLoopDelayMs });
  await app.register(metrics);
  // Route modules live in folders named by their URL (routes/datasets/versions/… is /api/datasets/{id}/versions/…).
  for (const routes of [
    accessRoutes,
    uploadRoutes,
    datasetRoutes,
    datasetStatisticsRoutes,
    schemaCompareRoutes,
    versionTagRoutes,
    versionRoutes,
    dataRoutes,
    downloadTokenRoutes,
    downloadRoutes,
    facetRoutes,
    schemaRoutes,
    statisticsRoutes,
    sqlRoutes,
    healthRoutes,
    ui, // the web page at / (public/) and its vendored ES modules
  ]) {
    await app.register(routes);
  }
  return app;
}
