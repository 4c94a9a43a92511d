/**
 * Unit tests (no server) of the CSV layout check (workers/readers/csv-layout.ts), the pass before Polars reads
 * a CSV: delimiter (form, Excel's `sep=` line, detection), header, blank lines left out, backslash-escaped
 * quotes rewritten, and the 422s (`unreadable_file`) for what Polars would read wrongly, each naming the
 * line. Details are asserted exactly.
 */
import t, { type Test } from 'tap';
import { BlankLines, MAX_COLUMNS, csvLayout } from '../../../workers/readers/csv-layout.js';
import { thrown } from '../../support/thrown.js';

const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');

function unreadable(t: Test, run: () => unknown): string {
  const err = thrown(run);
  t.equal(err.status, 422);
  t.equal(err.code, 'unreadable_file');
  return err.message;
}

t.test('delimiter: detected, from sep=, or from the form', async (t) => {
  const comma = csvLayout(bytes('a,b\n1,2\n'));
  t.same([comma.delimiter, comma.delimiterFrom, comma.quoteEscape, comma.header], [',', 'detected', 'doubled', ['a', 'b']]);
  t.equal(csvLayout(bytes('a;b;c\n1;2;3\n')).delimiter, ';');
  t.equal(csvLayout(bytes('a\tb\n1\t2\n')).delimiter, '\t');
  t.equal(csvLayout(bytes('a|b\n1|2\n')).delimiter, '|');
  t.equal(csvLayout(bytes('a;b;c,d\n1;2;3,4\n')).delimiter, ';', 'the delimiter that makes more fields');
  t.equal(csvLayout(bytes('a,b;c\n1,2;3\n')).delimiter, ',', 'a tie goes to the comma');
  t.equal(csvLayout(bytes('"x;y",b\n"1;2",3\n')).delimiter, ',', 'delimiters inside quotes do not count');
  t.equal(csvLayout(bytes('only\n1\n2\n')).delimiter, ',', 'one column: comma');

  const sep = csvLayout(bytes('sep=;\na;b\n1;2\n'));
  t.same([sep.delimiter, sep.delimiterFrom, sep.header], [';', 'sep_line', ['a', 'b']]);
  t.equal(text(sep.body), 'a;b\n1;2\n', 'the sep= line is not data');

  const form = csvLayout(bytes('sep=;\na,b;c\n'), { delimiter: ',' });
  t.same([form.delimiter, form.delimiterFrom, form.header], [',', 'form', ['a', 'b;c']], 'the form wins over sep=');
});

t.test('header: quotes, CRLF, names as written', async (t) => {
  t.same(csvLayout(bytes('a,b\r\n1,2\r\n')).header, ['a', 'b'], 'the CR belongs to the line break');
  t.same(csvLayout(bytes('"x ""q""", b ,"c,d"\n1,2,3\n')).header, ['x "q"', ' b ', 'c,d']);
  t.same(csvLayout(bytes('a,b')).header, ['a', 'b'], 'a header without a line break');
});

t.test('blank lines are left out of the body', async (t) => {
  const scanned = csvLayout(bytes('a,b\n1,2\n\n\r\n3,4\n'), { scanFirst: true });
  t.equal(text(scanned.body), 'a,b\n1,2\n3,4\n');
  t.equal(scanned.checkRecords, undefined, 'checked already');
  const quoted = csvLayout(bytes('a,b\n"1",2\n\n3,"x\n\ny"\n'));
  t.equal(text(quoted.body), 'a,b\n"1",2\n3,"x\n\ny"\n', 'a blank line inside a quoted field is data');

  const lazy = csvLayout(bytes('a,b\n1,2\n\n3,4\n'));
  t.equal(text(lazy.body), 'a,b\n1,2\n\n3,4\n', 'without a quote the body is the input itself');
  t.type(thrown(() => lazy.checkRecords!()), BlankLines, 'and its check asks for a second pass');
  const clean = csvLayout(bytes('a,b\n1,2\n'));
  t.doesNotThrow(() => clean.checkRecords!(), 'a file without blank lines passes its check');
});

t.test('a backslash-escaped file is read as its writer meant', async (t) => {
  const layout = csvLayout(bytes('a,b\n"He said \\"hi\\"",2\n"back\\\\slash",3\n'));
  t.equal(layout.quoteEscape, 'backslash');
  t.equal(text(layout.body), 'a,b\n"He said ""hi""",2\n"back\\slash",3\n');
  t.equal(csvLayout(bytes('a\n"C:\\dir"\n')).quoteEscape, 'doubled', 'a backslash before a closing quote that ends its field is just a backslash');
});

t.test('422s name the line', async (t) => {
  t.equal(unreadable(t, () => csvLayout(bytes(''))), 'the file is empty: a CSV needs at least a header line');
  t.equal(unreadable(t, () => csvLayout(bytes('\n1\n'))), 'the header line (line 1) is empty');
  t.equal(unreadable(t, () => csvLayout(bytes(',,\n1,2,3\n'))), 'the header line (line 1) is empty');
  const ragged = 'line 3 has 3 fields but the header has 2 (comma-delimited); quote values that contain the delimiter';
  t.equal(unreadable(t, () => csvLayout(bytes('a,b\n1,2\n1,2,3\n'), { scanFirst: true })), ragged);
  t.equal(unreadable(t, () => csvLayout(bytes('a,b\n1,2\n1,2,3\n')).checkRecords!()), ragged, 'the same from the deferred check');
  t.equal(
    unreadable(t, () => csvLayout(bytes('a;b\n1\n'), { firstLine: 5, scanFirst: true })),
    'line 6 has 1 field but the header has 2 (semicolon-delimited); quote values that contain the delimiter',
    'lines skipped before still count',
  );
  t.equal(
    unreadable(t, () => csvLayout(bytes('a,b\n"x\ny",1\n4,5,6\n'))),
    'line 4 has 3 fields but the header has 2 (comma-delimited); quote values that contain the delimiter',
    'a record after a two-line field',
  );
  t.equal(unreadable(t, () => csvLayout(bytes('a,b\n1,2\n"open,2\n'))), 'a quoted field that starts on line 3 is never closed');
  t.equal(
    unreadable(t, () => csvLayout(bytes('a,b\n"x"y,2\n'))),
    'line 2: a quoted field\'s closing quote is followed by "y" instead of the comma or the end of the line; write a quote inside a quoted field as two quotes ("")',
  );
  t.equal(
    unreadable(t, () => csvLayout(bytes(`${','.repeat(MAX_COLUMNS)}\n`))),
    `line 1 (the header) has more than ${MAX_COLUMNS} comma-separated fields; at most ${MAX_COLUMNS} columns are supported (as in Excel) — check the delimiter, or split the file`,
  );
  t.doesNotThrow(() => csvLayout(bytes(`${'c,'.repeat(MAX_COLUMNS - 1)}c\n`)), `${MAX_COLUMNS} columns are fine`);
});
