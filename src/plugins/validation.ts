import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Request validation with two Ajv instances. Query strings, path parameters and headers arrive as text, so
 * they are coerced to the schema's types (`?limit=10` is the number 10; a repeated or single `?tags=` is an
 * array), as Fastify does by default. JSON bodies carry their own types: they are checked as sent, never
 * coerced (`{"name": 5}` is a 400 naming `body.name`, not the name "5"). Neither instance removes unknown
 * properties: schemas that forbid them (additionalProperties: false) answer 400 naming the property.
 */
const COMMON: Options = { useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false };
const coercing = addFormats.default(new Ajv({ ...COMMON, coerceTypes: 'array' }));
const strict = addFormats.default(new Ajv({ ...COMMON, coerceTypes: false }));

export default fp(async function validation(app: FastifyInstance) {
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema as FastifySchema & object));
});
