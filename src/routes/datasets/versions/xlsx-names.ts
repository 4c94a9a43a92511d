/** Names an xlsx export carries: its worksheet's and its file's. */

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

/**
 * The download name of an xlsx export: the uploaded file's name without its extension, then `-<sheet>` when
 * the version has more than one sheet, then `.xlsx` (`weather.csv` → `weather.xlsx`; sheet `Q1` of
 * `book.xlsx` → `book-Q1.xlsx`).
 */
export function xlsxFileName(uploadedName: string, sheetName: string, sheetCount: number): string {
  const stem = uploadedName.replace(/\.[^.]*$/, '') || 'export';
  return `${stem}${sheetCount > 1 ? `-${sheetName}` : ''}.xlsx`;
}
