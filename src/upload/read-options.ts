import iconv from 'iconv-lite';
import { badRequest } from '../errors.js';
import { FORCIBLE_TYPES, type FileType, type ForcibleType, type ReadOptions } from '../../workers/protocol.js';

/** Upload form fields that steer the reader, and the formats each applies to. */
export const READ_FIELDS: Record<string, readonly FileType[]> = {
  delimiter: ['csv'],
  encoding: ['csv'],
  header_row: ['csv'],
  skip_rows: ['csv'],
  sheets: ['xlsx', 'xlsm', 'xls'],
  column_types: ['csv', 'parquet', 'xlsx', 'xlsm', 'xls'],
};

/** Delimiters by name, for clients that cannot send a tab in a form field. */
const DELIMITER_NAMES: Record<string, string> = { comma: ',', semicolon: ';', tab: '\t', '\\t': '\t', pipe: '|', space: ' ' };
const MAX_SKIP_ROWS = 1_000_000;

/**
 * The reader options of an upload form (see READ_FIELDS), checked before any parsing: a field that does not
 * apply to the file's format, or a value out of its range, is a 400 that names the field and what is allowed.
 *   delimiter     one character, or comma | semicolon | tab | pipe | space (not a quote or a line break)
 *   encoding      an encoding iconv-lite knows: utf-8, utf-16le, utf-16be, windows-1252, latin1, iso-8859-15, shift_jis …
 *   header_row    1-based line (after skip_rows) holding the header, or `none` (columns named column_1, …)
 *   skip_rows     lines to skip at the top of the file, 0 to 1,000,000
 *   sheets        worksheets to read: a JSON array of names, or one name
 *   column_types  JSON object {column: type}, type one of FORCIBLE_TYPES
 */
export function readOptions(fields: Record<string, string>, fileType: FileType): ReadOptions {
  const options: ReadOptions = {};
  for (const [field, formats] of Object.entries(READ_FIELDS)) {
    const raw = fields[field];
    if (raw === undefined) continue;
    if (!formats.includes(fileType)) throw badRequest(`${field} applies to ${formats.join(', ')} files, not to this ${fileType} file`);
    switch (field) {
      case 'delimiter': {
        const d = DELIMITER_NAMES[raw.toLowerCase()] ?? raw;
        if ([...d].length !== 1 || /["\r\n]/.test(d)) {
          throw badRequest(`delimiter must be one character (not a quote or line break) or one of ${Object.keys(DELIMITER_NAMES).join(', ')}; got ${JSON.stringify(raw)}`);
        }
        options.delimiter = d;
        break;
      }
      case 'encoding':
        // iconv-lite decodes them in the worker; this only checks the name.
        if (!iconv.encodingExists(raw.trim())) {
          throw badRequest(`encoding ${JSON.stringify(raw)} is not an encoding we know; use e.g. utf-8, utf-16le, windows-1252, latin1, iso-8859-15, shift_jis`);
        }
        options.encoding = raw.trim().toLowerCase();
        break;
      case 'header_row':
        options.headerRow = raw.trim().toLowerCase() === 'none' ? null : integer(field, raw, 1, MAX_SKIP_ROWS + 1, 'or none');
        break;
      case 'skip_rows':
        options.skipRows = integer(field, raw, 0, MAX_SKIP_ROWS);
        break;
      case 'sheets':
        options.sheets = sheetNames(raw);
        break;
      case 'column_types':
        options.columnTypes = columnTypes(raw);
        break;
    }
  }
  return options;
}

function integer(field: string, raw: string, min: number, max: number, alternative = ''): number {
  if (!/^\s*\d{1,9}\s*$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw badRequest(`${field} must be an integer from ${min} to ${max}${alternative ? ` ${alternative}` : ''}; got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

function sheetNames(raw: string): string[] {
  let names: unknown = [raw];
  if (raw.trim().startsWith('[')) {
    try {
      names = JSON.parse(raw);
    } catch {
      throw badRequest('sheets is not a valid JSON array; send ["Sheet1","Sales"] or one sheet name');
    }
  }
  if (!Array.isArray(names) || names.length === 0 || names.some((n) => typeof n !== 'string')) {
    throw badRequest('sheets must be a non-empty JSON array of sheet names, or one sheet name');
  }
  return [...new Set(names as string[])];
}

function columnTypes(raw: string): Record<string, ForcibleType> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badRequest('column_types is not valid JSON; send an object such as {"zip": "string", "amount": "decimal"}');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw badRequest('column_types must be a JSON object {column: type}');
  }
  for (const [name, type] of Object.entries(parsed)) {
    if (!FORCIBLE_TYPES.includes(type as ForcibleType)) {
      throw badRequest(`column_types: ${JSON.stringify(name)} asks for ${JSON.stringify(type)}; types: ${FORCIBLE_TYPES.join(', ')}`);
    }
  }
  return parsed as Record<string, ForcibleType>;
}
