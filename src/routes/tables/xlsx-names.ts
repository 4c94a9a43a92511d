/** Names an xlsx export carries: its worksheet's and its file's. */

/** Excel's limit on a worksheet name, in characters. */
const SHEET_NAME_MAX = 31;

/**
 * `name` as a valid Excel worksheet name: each of `[ ] : * ? / \` and each control character becomes `_`,
 * a leading or trailing `'` becomes `_`, the result is cut to its first 31 characters (code points, never
 * half a surrogate pair), an empty name becomes `Sheet1`, and `History` (reserved by Excel, any case) gets a
 * trailing `_`. A name already valid is returned unchanged.
 */
export function excelSheetName(name: string): string {
  let safe = name.replace(/[[\]:*?/\\\u0000-\u001f\u007f]/g, '_').replace(/^'|'$/g, '_');
  safe = [...safe].slice(0, SHEET_NAME_MAX).join('');
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
