import { badRequest } from '../../errors.js';
import { READ_FIELDS } from '../../upload/read-options.js';

export const MAX_NAME = 255;
export const MAX_DESCRIPTION = 10_000;
export const MAX_TAGS = 50;

/** Tags from a JSON array or a comma-separated list: trimmed, non-empty, without repeats. */
export function parseTags(raw: unknown, field = 'tags'): string[] {
  let list: unknown;
  if (Array.isArray(raw)) list = raw;
  else if (typeof raw === 'string' && raw.trim().startsWith('[')) {
    try {
      list = JSON.parse(raw);
    } catch {
      throw badRequest(`${field} is not a valid JSON array; send ["a","b"] or a comma-separated list a,b`);
    }
  } else if (typeof raw === 'string') list = raw.split(',');
  else throw badRequest(`${field} must be a list of strings`);
  if (!Array.isArray(list) || list.some((t) => typeof t !== 'string')) throw badRequest(`${field} must be a list of strings`);
  const tags = [...new Set((list as string[]).map((t) => t.trim()).filter(Boolean))];
  if (tags.length > MAX_TAGS) throw badRequest(`${field} has ${tags.length} tags; at most ${MAX_TAGS} are allowed`);
  const long = tags.find((t) => t.length > 100);
  if (long) throw badRequest(`tag "${long.slice(0, 20)}…" is longer than 100 characters`);
  return tags;
}

export function checkName(name: string): string {
  const trimmed = name.trim();
  if (!trimmed) throw badRequest('name must not be empty');
  if (trimmed.length > MAX_NAME) throw badRequest(`name is ${trimmed.length} characters long; at most ${MAX_NAME} are allowed`);
  return trimmed;
}

export function checkDescription(description: string): string {
  if (description.length > MAX_DESCRIPTION) {
    throw badRequest(`description is ${description.length} characters long; at most ${MAX_DESCRIPTION} are allowed`);
  }
  return description;
}

export interface UploadTarget {
  datasetId?: number;
  name?: string;
  description: string | null;
  tags: string[];
}

/**
 * The upload form's text fields: `name` (required for a new dataset), `description`, `tags`, `dataset_id`
 * (the reader's fields, READ_FIELDS, are checked by readOptions).
 */
export function uploadTarget(fields: Record<string, string>): UploadTarget {
  const known = new Set(['name', 'description', 'tags', 'dataset_id', ...Object.keys(READ_FIELDS)]);
  const unknown = Object.keys(fields).filter((k) => !known.has(k));
  if (unknown.length) throw badRequest(`unknown form field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}; allowed: file, ${[...known].join(', ')}`);
  let datasetId: number | undefined;
  if (fields.dataset_id !== undefined && fields.dataset_id.trim() !== '') {
    if (!/^\s*[1-9]\d{0,15}\s*$/.test(fields.dataset_id)) throw badRequest(`dataset_id must be a positive integer, not "${fields.dataset_id}"`);
    datasetId = Number(fields.dataset_id);
  }
  if (datasetId === undefined && fields.name === undefined) {
    throw badRequest('name is required for a new dataset (or give dataset_id to add a version to an existing one)');
  }
  return {
    datasetId,
    name: fields.name === undefined ? undefined : checkName(fields.name),
    description: fields.description === undefined ? null : checkDescription(fields.description),
    tags: fields.tags === undefined ? [] : parseTags(fields.tags),
  };
}
