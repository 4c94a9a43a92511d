import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';

/**
 * A route's multipart form, documented as its request body (`schema.multipartForm`). It cannot be the route's
 * `body` schema: @fastify/multipart streams the parts to the handler, so there is no parsed body to validate;
 * the handler checks the fields (routes/datasets/upload-form.ts).
 */
export interface DocumentedSchema extends FastifySchema {
  multipartForm?: object;
}

/** `GET /api/datasets/{id} 200` for a route's method, URL (`:id` or `{id}`) and status. */
function exampleKey(method: string | string[], url: string, status: string): string {
  return `${String(method).toUpperCase()} ${url.replace(/:([A-Za-z0-9_]+)/g, '{$1}')} ${status}`;
}

/**
 * A query string schema as a client sees it: a parameter with a default need not be sent. The route's own
 * schema lists it as required, so that Ajv fills the default in and the handler's type has no `undefined`.
 */
function optionalDefaults(querystring: unknown): unknown {
  const q = querystring as { properties?: Record<string, { default?: unknown }>; required?: string[] } | undefined;
  if (!q?.properties || !q.required) return querystring;
  const required = q.required.filter((name) => q.properties![name]?.default === undefined);
  return { ...q, required };
}

/**
 * The OpenAPI 3.1 document, generated from the route schemas (src/schemas/), at /docs/json with a browsable UI
 * at /docs. Shared schemas (added with app.addSchema, e.g. ErrorBody) become components named by their $id.
 */
export default fp(async function openapi(app: FastifyInstance) {
  // @fastify/swagger 9.9 converts OpenAPI 3.0's `nullable` inside example values too, turning an example
  // column `{type: 'float', nullable: true}` into `{type: ['float', 'null']}`: each answer's first example is
  // kept here as written and put back into the finished document (transformObject).
  const examples = new Map<string, unknown>();
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Dataset service',
        version: '1',
        description:
          'Versioned CSV, Excel and Parquet datasets served from worker threads. Contract: shared/spec/api.md. ' +
          'Errors are `{detail, error_code, timestamp}` (ErrorBody).',
      },
      tags: [
        { name: 'datasets', description: 'Upload, list, update and delete datasets' },
        { name: 'versions', description: 'Versions of a dataset, their files and version tags' },
        { name: 'tables', description: 'Rows, schema, statistics and SQL over a version' },
        { name: 'service', description: 'Health and metrics' },
      ],
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`),
    },
    transform: ({ schema, url, route }) => {
      if (!schema) return { schema, url };
      for (const [status, answer] of Object.entries((schema.response ?? {}) as Record<string, { examples?: unknown[] }>)) {
        if (answer.examples?.length) examples.set(exampleKey(route.method, url, status), structuredClone(answer.examples[0]));
      }
      const { multipartForm, ...rest } = schema as DocumentedSchema;
      const documented: FastifySchema = { ...rest, querystring: optionalDefaults(rest.querystring) };
      if (multipartForm) Object.assign(documented, { body: multipartForm, consumes: ['multipart/form-data'] });
      return { schema: documented, url };
    },
    transformObject: (document) => {
      if (!('openapiObject' in document)) return document.swaggerObject;
      const { openapiObject } = document;
      for (const [path, operations] of Object.entries(openapiObject.paths ?? {})) {
        for (const [method, operation] of Object.entries((operations ?? {}) as Record<string, { responses?: Record<string, { content?: Record<string, { example?: unknown }> }> }>)) {
          for (const [status, answer] of Object.entries(operation.responses ?? {})) {
            const example = examples.get(exampleKey(method, path, status));
            const json = answer.content?.['application/json'];
            if (example !== undefined && json?.example !== undefined) json.example = example;
          }
        }
      }
      return openapiObject;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
});
