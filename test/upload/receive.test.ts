/**
 * Unit tests (no server) of the stored file name (safeFileName in src/upload/receive.ts): control characters
 * and bidirectional overrides become `_`, surrounding spaces go, a name over 255 characters is shortened
 * keeping its extension, and a missing or blank name is `upload`.
 */
import t from 'tap';
import { safeFileName } from '../../src/upload/receive.js';

t.test('ordinary names are kept', async (t) => {
  t.equal(safeFileName('report.csv'), 'report.csv');
  t.equal(safeFileName('Données été 2024.xlsx'), 'Données été 2024.xlsx', 'non-ASCII letters are not touched');
  t.equal(safeFileName('  padded.csv  '), 'padded.csv', 'surrounding spaces go');
});

t.test('missing or blank: upload', async (t) => {
  t.equal(safeFileName(undefined), 'upload');
  t.equal(safeFileName(''), 'upload');
  t.equal(safeFileName('   '), 'upload');
});

t.test('control characters and bidi overrides become _', async (t) => {
  t.equal(safeFileName('a\u0000b\u001bc\r\n.csv'), 'a_b_c__.csv', 'C0 controls');
  t.equal(safeFileName('x\u007fy\u0085z.csv'), 'x_y_z.csv', 'DEL and C1 controls');
  t.equal(safeFileName('invoice\u202Efdp.exe'), 'invoice_fdp.exe', 'RIGHT-TO-LEFT OVERRIDE');
  t.equal(safeFileName('\u2066a\u2069.csv'), '_a_.csv', 'isolates');
  t.equal(safeFileName('\u0000'), '_', 'a control character alone is not blank');
});

t.test('long names are shortened to 255, keeping the extension', async (t) => {
  const long = safeFileName(`${'x'.repeat(300)}.csv`);
  t.equal(long.length, 255);
  t.equal(long, `${'x'.repeat(251)}.csv`);
  t.equal(safeFileName('y'.repeat(300)), 'y'.repeat(255), 'no extension');
  const oddExt = `${'a'.repeat(250)}.${'b'.repeat(20)}`;
  t.equal(safeFileName(oddExt), oddExt.slice(0, 255), 'an "extension" over 10 characters is not kept whole');
  t.equal(safeFileName('z'.repeat(255)), 'z'.repeat(255), '255 is not shortened');
});
