import { badRequest } from '../../errors.js';
import { READ_FIELDS } from '../../upload/read-options.js';
import { checkDescription, checkName, parseTagText } from './fields.js';

/** What an upload adds to: a new dataset with its fields, or a new version of `datasetId`. */
export type UploadTarget = { datasetId: number } | { name: string; description: string | null; tags: string[] };

const TARGET_FIELDS = ['name', 'description', 'tags', 'dataset_id'];
const KNOWN_FIELDS = new Set([...TARGET_FIELDS, ...Object.keys(READ_FIELDS)]);
/** Fields of the dataset itself: a new version does not change them (PATCH does). */
const DATASET_FIELDS = ['name', 'description', 'tags'];

/**
 * The upload form's text fields (the reader's fields, READ_FIELDS, are checked by readOptions):
 *   dataset_id   a positive integer: add a version to that dataset; then name, description and tags are a 400
 *                that points to PATCH /api/datasets/{id} (they would otherwise be silently ignored)
 *   name         required for a new dataset, trimmed, not empty
 *   description  optional
 *   tags         a JSON array of strings or a comma-separated list
 * Any other field is a 400 that names it and lists the allowed ones. Checked before the file is read.
 */
export function uploadTarget(fields: Record<string, string>): UploadTarget {
  const unknown = Object.keys(fields).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length) {
    throw badRequest(`unknown form field${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}; allowed: file, ${[...KNOWN_FIELDS].join(', ')}`);
  }
  // An empty dataset_id (an HTML form's blank input) is no dataset_id.
  if (fields.dataset_id !== undefined && fields.dataset_id.trim() !== '') {
    if (!/^\s*[1-9]\d{0,15}\s*$/.test(fields.dataset_id)) throw badRequest(`dataset_id must be a positive integer, not "${fields.dataset_id}"`);
    const datasetId = Number(fields.dataset_id);
    const extra = DATASET_FIELDS.filter((f) => fields[f] !== undefined);
    if (extra.length) {
      throw badRequest(
        `${extra.join(', ')} cannot be sent with dataset_id: a new version does not change the dataset; ` +
          `change ${extra.length > 1 ? 'them' : 'it'} with PATCH /api/datasets/${datasetId}`,
      );
    }
    return { datasetId };
  }
  if (fields.name === undefined) {
    throw badRequest('name is required for a new dataset (or give dataset_id to add a version to an existing one)');
  }
  return {
    name: checkName(fields.name),
    description: fields.description === undefined ? null : checkDescription(fields.description),
    tags: fields.tags === undefined ? [] : parseTagText(fields.tags),
  };
}
