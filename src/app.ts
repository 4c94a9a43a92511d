import multipart from '@fastify/multipart';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import access from './plugins/access.js';
import errorHandler from './plugins/error-handler.js';
import loadShedding from './plugins/load-shedding.js';
import metrics from './plugins/metrics.js';
import openapi from './plugins/openapi.js';
import requestLog, { logsEveryRequest } from './plugins/request-log.js';
import storage from './plugins/storage.js';
import datasetRoutes from './routes/datasets/index.js';
import healthRoutes from './routes/health/index.js';
import queryRoutes from './routes/query/index.js';
import schemaCompareRoutes from './routes/schema-compare/index.js';
import tableRoutes from './routes/tables/index.js';
import versionTagRoutes from './routes/version-tags/index.js';
import versionRoutes from './routes/versions/index.js';

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
    // Unknown fields and parameters are a 400 that names them, not silently dropped.
    ajv: { customOptions: { removeAdditional: false } },
  });
  await app.register(errorHandler, { maxUploadBytes: config.maxUploadBytes });
  await app.register(requestLog, { everyRequest: logsEveryRequest(config.logLevel) });
  await app.register(multipart, {
    limits: { fileSize: config.maxUploadBytes, files: 1, fields: 10, fieldSize: 64 * 1024, parts: 12 },
  });
  await app.register(openapi);
  await app.register(storage, { config });
  await app.register(access, { keys: config.apiKeys, ratePerMinute: config.ratePerMinute });
  await app.register(loadShedding, { maxEventLoopDelayMs: config.shedEventLoopDelayMs });
  await app.register(metrics);
  await app.register(datasetRoutes);
  await app.register(versionRoutes);
  await app.register(versionTagRoutes);
  await app.register(schemaCompareRoutes);
  await app.register(tableRoutes);
  await app.register(queryRoutes);
  await app.register(healthRoutes);
  return app;
}
