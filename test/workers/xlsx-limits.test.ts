/**
 * The .xlsx zip-bomb budgets (XLSX_MAX_BYTES, XLSX_MAX_CELLS), on both backends, against a server started
 * with small budgets so that each bomb is refused within seconds. Each bomb inflates to 6–11 GB from a few
 * MB; the server must refuse it with a 422 that names the budget it passed, and its process must not grow
 * by more than the budgets allow it to hold: that is measured, as the growth of the server process's peak
 * resident set (/proc/<pid>/status VmHWM, reset before each bomb through /proc/<pid>/clear_refs) over its
 * resident set just before.
 *
 * The bound is derived from the budgets, not from what was seen: the cells a parse worker may hold (64 heap
 * bytes each, see workers/xlsx-limits.ts), twice the XML byte budget (text held, at most 2 bytes per
 * character), twice the upload (the received file, and the worker's copy of it), and 64 MiB for what any
 * parse needs whatever the file (zlib and XML parser buffers, V8's young generation). It is a fraction of
 * what the bombs inflate to. Only the server's own process is measured, so other test files running
 * alongside cannot move it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import t from 'tap';
import { BACKENDS, getJson, startServer, upload, type Server } from '../support/server.js';
import { limitBombs, simpleWorkbook } from '../support/corpus/xlsx.js';

const MIB = 1024 ** 2;
const MAX_BYTES = 64 * MIB;
const MAX_CELLS = 1_000_000;
const FIXED_ALLOWANCE = 64 * MIB;

const status = (server: Server) => readFileSync(`/proc/${server.proc.pid}/status`, 'utf8');
const kib = (text: string, key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(text)![1]) * 1024;

/** Resets the server's peak resident set to its current one (Linux: "5" to clear_refs), if allowed. */
function resetPeak(server: Server): boolean {
  try {
    writeFileSync(`/proc/${server.proc.pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const bombs = limitBombs();
const cases = [
  {
    file: 'cells.xlsx',
    bytes: bombs.cells,
    inflates: bombs.inflatedBytes,
    detail: /more than 1000000 cells \(XLSX_MAX_CELLS.*sheet "Bomb", cell A1001 is past it/,
  },
  {
    file: 'empty-cells.xlsx',
    bytes: bombs.emptyCells,
    inflates: bombs.inflatedBytes,
    detail: new RegExp(`larger than ${MAX_BYTES} bytes of uncompressed XML \\(XLSX_MAX_BYTES\\): sheet "Bomb" \\(xl/worksheets/sheet1\\.xml\\) inflated past it`),
  },
  {
    file: 'shared-text.xlsx',
    bytes: bombs.sharedText,
    inflates: bombs.inflatedBytes,
    detail: new RegExp(`larger than ${MAX_BYTES} bytes of uncompressed XML \\(XLSX_MAX_BYTES\\): the shared strings table \\(xl/sharedStrings\\.xml\\) inflated past it`),
  },
  {
    file: 'honest-size.xlsx',
    bytes: bombs.honest,
    inflates: 3_302_420_168,
    detail: /\(XLSX_MAX_BYTES\): sheet "Bomb" \(xl\/worksheets\/sheet1\.xml\) declares 3302420168 bytes/,
  },
];

for (const backend of BACKENDS) {
  t.test(`${backend}: .xlsx bombs are refused within the XLSX_MAX_* budgets`, async (t) => {
    const server = await startServer(t, {
      backend,
      env: { XLSX_MAX_BYTES: String(MAX_BYTES), XLSX_MAX_CELLS: String(MAX_CELLS), WORKERS: '1' },
    });
    // A first workbook, so the parse worker and its libraries are loaded before anything is measured.
    const warm = await upload(server, simpleWorkbook(), 'warm.xlsx');
    t.equal(warm.status, 201, 'a small workbook is read under the small budgets');

    for (const c of cases) {
      const bound = 64 * MAX_CELLS + 2 * MAX_BYTES + 2 * c.bytes.length + FIXED_ALLOWANCE;
      const reset = resetPeak(server);
      const before = status(server);
      const res = await upload(server, c.bytes, c.file);
      const after = status(server);
      t.equal(res.status, 422, `${c.file} (${c.bytes.length} bytes, inflating to ${c.inflates}): 422 (${JSON.stringify(res.body).slice(0, 300)})`);
      t.equal(res.body.error_code, 'file_too_complex', `${c.file}: error_code`);
      t.match(res.body.detail, c.detail, `${c.file}: the detail names the budget and the part`);

      // Without a reset, the peak may predate this bomb: then it is measured from the peak before it.
      const base = reset ? kib(before, 'VmRSS') : kib(before, 'VmHWM');
      const growth = kib(after, 'VmHWM') - base;
      t.comment(`${backend} ${c.file}: peak resident set +${(growth / MIB).toFixed(0)} MiB (bound ${(bound / MIB).toFixed(0)} MiB, peak reset: ${reset})`);
      t.ok(growth < bound, `${c.file}: the server grew by ${(growth / MIB).toFixed(0)} MiB, less than the ${(bound / MIB).toFixed(0)} MiB its budgets allow`);
      t.ok(bound < c.inflates / 10, `${c.file}: that bound is under a tenth of what the bomb inflates to`);
    }

    const health = await getJson(server, '/health');
    t.equal(health.body.status, 'ok', 'the server is alive and well after the bombs');
    const list = await getJson(server, '/api/datasets');
    t.equal(list.headers.get('x-total-count'), '1', 'nothing of the bombs was stored');
  });
}
