import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** The OpenAPI document, generated from the route schemas, at /docs/json with a browsable UI at /docs. */
export default fp(async function openapi(app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Dataset service',
        version: '1',
        description:
          'Versioned CSV, Excel and Parquet datasets served from worker threads. Contract: shared/spec/api.md. ' +
          'Errors are `{detail, error_code, timestamp}`.',
      },
      tags: [
        { name: 'datasets', description: 'Upload, list, update and delete datasets' },
        { name: 'versions', description: 'Versions of a dataset and their files' },
        { name: 'tables', description: 'Rows, schema and statistics of a version' },
        { name: 'service', description: 'Health and metrics' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
});
