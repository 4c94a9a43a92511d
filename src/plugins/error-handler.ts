import type { FastifyError, FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError, errorBody, isStorageFull, storageFull, type ErrorCode } from '../errors.js';
import { TAG_NAME_RULE } from '../schemas/version-tags.js';

/** Fastify and plugin errors that clients cause, in the contract's words. */
const KNOWN: Record<string, { status: number; code: ErrorCode; detail?: (e: FastifyError, maxUpload: number) => string }> = {
  FST_REQ_FILE_TOO_LARGE: {
    status: 413,
    code: 'file_too_large',
    detail: (_e, max) => `the file is larger than the upload limit of ${max} bytes (MAX_UPLOAD_BYTES)`,
  },
  FST_FILES_LIMIT: { status: 400, code: 'invalid_request', detail: () => 'send exactly one file per upload' },
  FST_PARTS_LIMIT: { status: 400, code: 'invalid_request', detail: () => 'too many parts in the multipart form' },
  FST_FIELDS_LIMIT: { status: 400, code: 'invalid_request', detail: () => 'too many fields in the multipart form' },
  FST_PROTO_VIOLATION: { status: 400, code: 'invalid_request', detail: () => 'a form field name is not allowed' },
  FST_INVALID_MULTIPART_CONTENT_TYPE: {
    status: 400,
    code: 'invalid_request',
    detail: () => 'the upload must be sent as multipart/form-data with the file in a field named "file"',
  },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_request', detail: (e) => `the body is not valid JSON: ${e.message}` },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_request', detail: () => 'the JSON body is empty' },
};

/** Every error leaves as `{detail, error_code, timestamp}`; only a bug is a 500, and it is logged. */
export default fp(async function errorHandler(app: FastifyInstance, opts: { maxUploadBytes: number }) {
  app.setErrorHandler((thrown: FastifyError, req, reply) => {
    // A handler may have set the headers of the body it meant to send (an export's `text/csv`, its row count)
    // before failing; the error body is JSON, and without this Fastify refuses to send an object as CSV.
    reply.removeHeader('x-total-rows');
    reply.type('application/json; charset=utf-8');
    let err: FastifyError | ApiError = thrown;
    if (isStorageFull(thrown)) {
      req.log.warn({ err: thrown.message }, 'storage full');
      err = storageFull(`answering ${req.method} ${req.routeOptions.url ?? req.url.split('?')[0]}`);
    }
    if (err instanceof ApiError) {
      // A 500 is a bug wherever it was found (e.g. an exception inside a worker's task): logged like one.
      if (err.statusCode === 500) req.log.error({ err: err.message }, 'internal error');
      return reply.code(err.statusCode).headers(err.headers).send(errorBody(err.code, err.message));
    }
    if (err.validation) {
      const where = (err.validationContext ?? 'request') as Where;
      const schema = (req.routeOptions.schema as Record<string, SchemaPart | undefined> | undefined)?.[where];
      return reply.code(400).send(errorBody('invalid_request', describeViolations(where, err.validation, schema)));
    }
    const known = err.code ? KNOWN[err.code] : undefined;
    if (known) {
      return reply.code(known.status).send(errorBody(known.code, known.detail?.(err, opts.maxUploadBytes) ?? err.message));
    }
    if (err.statusCode && err.statusCode < 500) {
      return reply.code(err.statusCode).send(errorBody('invalid_request', err.message));
    }
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send(errorBody('internal_error', 'an internal error occurred; it has been logged'));
  });
  app.setNotFoundHandler((req, reply) => {
    reply.code(404).send(errorBody('route_not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
  });
});

type Where = 'body' | 'querystring' | 'params' | 'headers';

interface SchemaPart {
  properties?: Record<string, unknown>;
  patternProperties?: Record<string, unknown>;
}

interface Violation {
  keyword: string;
  instancePath: string;
  message?: string;
  params: Record<string, unknown>;
}

/**
 * Schema violations in words a client can act on: which field or parameter (`body.tags must be array`,
 * `querystring.limit must be <= 100`), and what is allowed instead (an unknown field is named with the
 * allowed ones; a bad version tag name gets the naming rule rather than the regular expression).
 */
export function describeViolations(where: Where, violations: Violation[], schema: SchemaPart | undefined): string {
  if (where === 'params' && violations.some((v) => v.instancePath === '/tag_name')) return TAG_NAME_RULE;
  return violations.map((v) => describeViolation(where, v, schema)).join('; ');
}

function describeViolation(where: Where, v: Violation, schema: SchemaPart | undefined): string {
  const path = `${where}${v.instancePath.replaceAll('/', '.')}`;
  if (v.keyword === 'additionalProperties') {
    const allowed = Object.keys(schema?.properties ?? {});
    if (Object.keys(schema?.patternProperties ?? {}).some((p) => p.startsWith('^filter'))) allowed.push('filter[column]op');
    const list = allowed.length ? `; allowed: ${allowed.join(', ')}` : '';
    const name = JSON.stringify(v.params.additionalProperty);
    if (where === 'querystring') return `unknown query parameter ${name}${list}`;
    if (where === 'body') return `${path} has an unknown field ${name}${list}`;
    return `${path} has an unknown property ${name}${list}`;
  }
  if (where === 'body' && v.instancePath === '' && v.keyword === 'type') {
    return `the body must be a JSON object (Content-Type: application/json) with ${Object.keys(schema?.properties ?? {}).join(', ')}`;
  }
  if (v.keyword === 'enum' && Array.isArray(v.params.allowedValues)) return `${path} must be one of: ${v.params.allowedValues.join(', ')}`;
  return `${path} ${v.message}`;
}
