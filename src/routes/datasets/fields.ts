import { badRequest } from '../../errors.js';
import { MAX_DESCRIPTION, MAX_NAME, MAX_TAG_LENGTH, MAX_TAGS } from '../../schemas/datasets.js';

/** A dataset's fields as stored, from PATCH's JSON body or the upload form: the rules both apply. */

/** The name trimmed; 400 when nothing is left or it is longer than MAX_NAME. */
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

/** Labels trimmed, empty ones and repeats dropped; 400 past MAX_TAGS labels or MAX_TAG_LENGTH characters. */
export function normalizeTags(list: string[], field = 'tags'): string[] {
  const tags = [...new Set(list.map((t) => t.trim()).filter(Boolean))];
  if (tags.length > MAX_TAGS) throw badRequest(`${field} has ${tags.length} tags; at most ${MAX_TAGS} are allowed`);
  const long = tags.find((t) => t.length > MAX_TAG_LENGTH);
  if (long) throw badRequest(`tag "${long.slice(0, 20)}…" is longer than ${MAX_TAG_LENGTH} characters`);
  return tags;
}

/**
 * Labels written as text (a form field, a query parameter): a JSON array of strings (`["a","b"]`) or a
 * comma-separated list (`a,b`). Text starting with `[` or `{` must be such an array: otherwise a 400 naming `field`.
 */
export function parseTagText(raw: string, field = 'tags'): string[] {
  // Text that starts like JSON is read as JSON (so `{"a":1}` is refused, not stored as the label `{"a":1}`).
  if (!/^\s*[[{]/.test(raw)) return normalizeTags(raw.split(','), field);
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    throw badRequest(`${field} is not a valid JSON array; send ["a","b"] or a comma-separated list a,b`);
  }
  if (!Array.isArray(list) || list.some((t) => typeof t !== 'string')) {
    throw badRequest(`${field} must be a JSON array of strings (["a","b"]) or a comma-separated list (a,b)`);
  }
  return normalizeTags(list, field);
}
