/** Names an export carries: its file's, and an xlsx export's worksheet's. */
import type { DataFormat } from '../../../../workers/protocol.js';

/** Excel's limit on a worksheet name, in characters. */
const SHEET_NAME_MAX = 31;

/**
 * `name` as a valid Excel worksheet name: each of `[ ] : * ? / \` and each control character becomes `_`,
 * a leading or trailing `'` becomes `_`, the result is cut to at most 31 UTF-16 units (as Excel counts; never
 * half of a surrogate pair), an empty name becomes `Sheet1`, and `History` (reserved by Excel, any case) gets
 * a trailing `_`. A name already valid is returned unchanged.
 */
export function excelSheetName(name: string): string {
  let safe = '';
  for (const ch of name.replace(/[[\]:*?/\\\u0000-\u001f\u007f]/g, '_').replace(/^'|'$/g, '_')) {
    if (safe.length + ch.length > SHEET_NAME_MAX) break;
    safe += ch;
  }
  // Cutting may have brought an apostrophe to the end.
  safe = safe.replace(/'$/, '_');
  if (safe === '') return 'Sheet1';
  return safe.toLowerCase() === 'history' ? `${safe}_` : safe;
}

/** The file extension of each export format. */
const EXTENSIONS: Record<DataFormat, string> = {
  json: 'json',
  csv: 'csv',
  ndjson: 'ndjson',
  parquet: 'parquet',
  'arrow-stream': 'arrows',
  'arrow-file': 'arrow',
  xlsx: 'xlsx',
};

/**
 * The download name of an export: the uploaded file's name without its extension, then `-<sheet>` when the
 * version has more than one sheet (path separators in it as `_`), then the format's extension
 * (`weather.csv` → `weather.xlsx`; sheet `Q1` of `book.xlsx` as CSV → `book-Q1.csv`; Arrow: `.arrow` for the
 * file format, `.arrows` for the stream).
 */
export function exportFileName(uploadedName: string, sheetName: string, sheetCount: number, format: DataFormat): string {
  const stem = uploadedName.replace(/\.[^.]*$/, '') || 'export';
  return `${stem}${sheetCount > 1 ? `-${sheetName.replace(/[\\/]/g, '_')}` : ''}.${EXTENSIONS[format]}`;
}

/** The download name of an xlsx export (`exportFileName` for xlsx). */
export const xlsxFileName = (uploadedName: string, sheetName: string, sheetCount: number) => exportFileName(uploadedName, sheetName, sheetCount, 'xlsx');
