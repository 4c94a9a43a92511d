/** JSON schemas of the version-tag routes. */
import type { FastifySchemaValidationError } from 'fastify';
import type { SchemaErrorDataVar, SchemaErrorFormatter } from 'fastify/types/schema.js';
import { badRequest } from '../../errors.js';
import { MAX_DESCRIPTION } from '../datasets/fields.js';

/**
 * 1–64 ASCII letters, digits, `.`, `_`, `-`; case-sensitive. `.` and `..` alone are refused too: clients
 * resolve them as path segments (`…/tags/..` becomes `…/datasets/1/`), so such a tag could not be addressed.
 */
export const TAG_NAME_PATTERN = '^(?!\\.\\.?$)[A-Za-z0-9._-]{1,64}$';
export const TAG_NAME_RULE =
  "a tag name is 1 to 64 characters of letters (A-Z, a-z), digits, '.', '_' and '-' (case-sensitive; '.' and '..' alone are not allowed)";

const tagName = { type: 'string', pattern: TAG_NAME_PATTERN, description: TAG_NAME_RULE } as const;
const id = { type: 'integer', minimum: 1 } as const;

export const tagParams = {
  type: 'object',
  required: ['id', 'tag_name'],
  properties: { id: { ...id, description: 'dataset id' }, tag_name: tagName },
} as const;

export const versionNumberParams = {
  type: 'object',
  required: ['id', 'n'],
  properties: { id: { ...id, description: 'dataset id' }, n: { ...id, description: 'version_number within the dataset' } },
} as const;

export const tagBody = {
  type: 'object',
  required: ['version_id'],
  properties: {
    version_id: { ...id, description: 'id of a version of this dataset' },
    description: {
      type: ['string', 'null'],
      maxLength: MAX_DESCRIPTION,
      description: 'absent: keep the current description (none for a new tag); null: clear it',
    },
  },
  additionalProperties: false,
} as const;

export const tagResponse = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    dataset_id: { type: 'integer' },
    version_id: { type: 'integer' },
    version_number: { type: 'integer' },
    description: { type: ['string', 'null'] },
    created_at: { type: 'string', },
    updated_at: { type: 'string', },
  },
} as const;

export interface TagParams {
  id: number;
  tag_name: string;
}
export interface VersionNumberParams {
  id: number;
  n: number;
}
export interface TagBody {
  version_id: number;
  description?: string | null;
}

/**
 * Route-level `schemaErrorFormatter` for the version-tag and schema-compare routes, so a 400 names what to fix:
 * a bad tag name gets the naming rule (Ajv would only quote the regular expression), an unknown body field is
 * named with the allowed ones (Ajv says only "must NOT have additional properties"), a missing or non-object
 * body says a JSON object is expected. Other errors read like the error handler's: `body.version_id must be integer`.
 */
export function schemaErrors(bodyFields: readonly string[] = []): SchemaErrorFormatter {
  return (errors, dataVar) => {
    if (dataVar === 'params' && errors.some((e) => e.instancePath === '/tag_name')) return badRequest(TAG_NAME_RULE);
    return badRequest(errors.map((e) => describe(e, dataVar, bodyFields)).join('; '));
  };
}

function describe(e: FastifySchemaValidationError, dataVar: SchemaErrorDataVar, bodyFields: readonly string[]): string {
  const where = dataVar + e.instancePath.replaceAll('/', '.');
  if (e.keyword === 'additionalProperties') {
    const allowed = dataVar === 'body' && bodyFields.length ? `; allowed: ${bodyFields.join(', ')}` : '';
    return `${where} has an unknown field "${String(e.params.additionalProperty)}"${allowed}`;
  }
  if (dataVar === 'body' && e.instancePath === '' && e.keyword === 'type') {
    return `the body must be a JSON object (Content-Type: application/json) with ${bodyFields.join(', ')}`;
  }
  return `${where} ${e.message}`;
}
