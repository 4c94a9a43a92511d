/**
 * Zip-bomb guard for .xlsx/.xlsm: what one workbook may cost, counted while it is read, never trusted from
 * the zip's headers. Two budgets bound what a workbook can make a parse worker hold:
 *  - bytes: the XML inflated from all its parts together (XLSX_MAX_BYTES). Sheet XML is streamed, not held,
 *    but every character of text a workbook holds (shared strings, inline strings) comes out of these bytes,
 *    and the time to parse them grows with them.
 *  - cells: the values held, i.e. cells with a value in every sheet plus the items of the shared strings
 *    table (XLSX_MAX_CELLS). Each costs heap whatever its XML size.
 * A workbook past either is refused (422 file_too_complex, naming the setting) at the byte or cell that
 * passes it, so a bomb inflating to 10 GiB costs no more than the budgets, however well it compresses.
 * A compression ratio is not a bound: real workbooks of long repeated strings deflate 100–1000×.
 * The budgets' defaults and why: ../xlsx-limits.ts.
 */
import { type TaskError, tooComplex } from '../task-error.js';
import type { XlsxLimits } from '../xlsx-limits.js';

/** The budgets of one workbook being read: call `inflated` for every chunk, `cell` for every value kept. */
export class InflateBudget {
  bytes = 0;
  cells = 0;

  constructor(readonly limits: XlsxLimits) {}

  /**
   * Before inflating a part: refuses at once if its declared size alone would pass the byte budget (cheap,
   * and an honest header is enough to stop a bomb). A smaller declared size proves nothing: see `inflated`.
   */
  declared(size: number, part: string): void {
    if (this.bytes + size > this.limits.maxBytes) throw this.tooManyBytes(part, `declares ${size} bytes`);
  }

  /** Counts a chunk of inflated XML of `part`; throws the moment the workbook passes XLSX_MAX_BYTES. */
  inflated(length: number, part: string): void {
    this.bytes += length;
    if (this.bytes > this.limits.maxBytes) throw this.tooManyBytes(part, `inflated past it`);
  }

  /** Counts one value held; `where` (sheet and cell, or the shared strings table) is built only on refusal. */
  cell(where: () => string): void {
    if (++this.cells > this.limits.maxCells) {
      throw tooComplex(
        `the workbook holds more than ${this.limits.maxCells} cells (XLSX_MAX_CELLS, counting the items of ` +
          `its shared strings table); ${where()} is past it, so it was not read: split the data over several ` +
          'files, or upload it as CSV or Parquet',
      );
    }
  }

  private tooManyBytes(part: string, how: string): TaskError {
    return tooComplex(
      `the workbook is larger than ${this.limits.maxBytes} bytes of uncompressed XML (XLSX_MAX_BYTES): ` +
        `${part} ${how}, so it was not read (a zip bomb, or a workbook too big for one upload); split the ` +
        'data over several files, or upload it as CSV or Parquet',
    );
  }
}
