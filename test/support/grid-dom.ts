/**
 * The grid's rendered rows `first … first+count-1` (0-based row indexes), each as its cells' texts in `columns`
 * order, or null while any of them is missing, still loading or blank. Runs in the page (passed as its source
 * text to Chromium by test/support/browser.ts and bench/page-browser.ts), so it must use nothing from outside.
 */
export function renderedGridRows({ first, count, columns }: { first: number; count: number; columns: string[] }): string[][] | null {
  const out: string[][] = [];
  for (let i = first; i < first + count; i++) {
    const row = document.querySelector(`.ag-grid-scrolling-container .ag-row[row-index="${i}"]`);
    if (!row || row.classList.contains('ag-row-loading')) return null;
    const cells = columns.map((c) => row.querySelector(`.ag-cell[col-id="${CSS.escape(c)}"]`)?.textContent ?? null);
    if (cells.some((c) => c === null) || cells.every((c) => c === '')) return null;
    out.push(cells as string[]);
  }
  return out;
}
