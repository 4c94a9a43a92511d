import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { Ajv, type Options, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';

/**
 * How route schemas become functions: request validators (Ajv) and response serializers (fast-json-stringify).
 *
 * Validation uses two Ajv instances. Query strings, path parameters and headers arrive as text, so they are
 * coerced to the schema's types (`?limit=10` is the number 10; a repeated or single `?tags=` is an array), as
 * Fastify does by default. JSON bodies carry their own types: they are checked as sent, never coerced
 * (`{"name": 5}` is a 400 naming `body.name`, not the name "5"). Neither instance removes unknown properties:
 * schemas that forbid them (additionalProperties: false) answer 400 naming the property.
 *
 * Both compile a schema when a request first needs it, once per distinct schema: routes repeat the same
 * parameters and error bodies (~500 compilations of ~60 distinct schemas at start), and a process may never
 * serve most routes. Compiling them all at start cost the main thread ~70 ms of CPU (build and warm-up 290 ->
 * 220 ms, /proc per-thread CPU, median of 5), paid again by every server a test starts. The first request of
 * a route pays its few milliseconds.
 */
const COMMON: Options = { useDefaults: true, removeAdditional: false, allErrors: false, addUsedSchema: false };
const coercing = addFormats.default(new Ajv({ ...COMMON, coerceTypes: 'array' }));
const strict = addFormats.default(new Ajv({ ...COMMON, coerceTypes: false }));
/** What Fastify calls to validate: true, or false with `errors` set. */
type Validator = ((data: unknown) => boolean) & { errors?: ValidateFunction['errors'] };
const validators = new Map<string, Validator>();

export default fp(async function schemaCompilers(app: FastifyInstance) {
  app.setValidatorCompiler(({ schema, httpPart }) => {
    const ajv = httpPart === 'body' ? strict : coercing;
    return remembered(validators, [httpPart === 'body', schema], () => {
      let compiled: ValidateFunction | undefined;
      // Fastify reads a failed validation's `errors` from the function it was given.
      const validate: Validator = (data) => {
        compiled ??= ajv.compile(schema as FastifySchema & object);
        const valid = compiled(data) as boolean;
        validate.errors = compiled.errors;
        return valid;
      };
      return validate;
    });
  });
});

const fastifySerializers = SerializerSelector();
const serializers = new Map<string, (data: unknown) => string>();

/** Fastify's own serializer factory (schemaController.compilersFactory.buildSerializer), compiling lazily, once per schema. */
export const buildSerializer: typeof fastifySerializers = (externalSchemas, options) => {
  const compile = fastifySerializers(externalSchemas, options);
  return (route) =>
    remembered(serializers, [externalSchemas, options, route.schema], () => {
      let compiled: ((data: unknown) => string) | undefined;
      return (data: unknown) => (compiled ??= compile(route))(data);
    });
};

/** `make()`'s result for `key` (compared as JSON), made once. */
function remembered<F>(cache: Map<string, F>, key: unknown, make: () => F): F {
  const json = JSON.stringify(key);
  let f = cache.get(json);
  if (f === undefined) cache.set(json, (f = make()));
  return f;
}
