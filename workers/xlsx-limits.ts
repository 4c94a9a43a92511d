/**
 * The .xlsx zip-bomb budgets (enforced by readers/xlsx-budget.ts), in their own module because the server
 * reads them as settings (XLSX_MAX_BYTES, XLSX_MAX_CELLS) and must not load reader code.
 */

/** A workbook's budgets; `maxBytes` in bytes of uncompressed XML, `maxCells` in values held. */
export interface XlsxLimits {
  maxBytes: number;
  maxCells: number;
}

const MIB = 1024 ** 2;

/**
 * Defaults, from the parse worker's JavaScript heap (WORKER_HEAP_MB; at its default 2048: 1 GiB of XML and
 * 33,554,432 cells). The heap is the bound that matters, even on a 24 GiB machine: each parse worker is
 * stopped at WORKER_HEAP_MB whatever happens, and these budgets refuse a workbook with a message that says
 * why before it gets there.
 *  - cells: heap ÷ 64 bytes. Measured (Node 20, 20 million cells): a cell costs 22 heap bytes as a number and
 *    46 as a short string while its sheet is read and turned into a frame; 64 leaves room for the text.
 *    Polars' copy of the finished sheets (8–30 bytes a cell, outside the heap) stays under 1 GiB.
 *  - bytes: half the heap. Text held takes at most one character per XML byte (one heap byte each for
 *    Latin-1 text), so it fits beside the cells; 1 GiB of sheet XML is 25–45 million cells, about what the
 *    cell budget allows anyway, and parses in about 40 s (26 MiB/s measured), far inside PARSE_TIMEOUT_S.
 */
export function defaultXlsxLimits(workerHeapMb: number): XlsxLimits {
  return { maxBytes: Math.floor((workerHeapMb * MIB) / 2), maxCells: Math.floor((workerHeapMb * MIB) / 64) };
}
