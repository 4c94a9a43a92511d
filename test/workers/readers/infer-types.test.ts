/**
 * The integer rule's whole-column check leans on what Polars' string-to-Int64 cast reads: pinned here (a
 * Polars upgrade that reads more would fail this test before it could alter a value), and the rule checked
 * end to end through readCsv against the pattern the rule documents, applied here in JavaScript.
 */
import pl from 'nodejs-polars';
import t from 'tap';
import { readCsv } from '../../../workers/readers/csv.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const inInt64 = (v: string) => INT64_MIN <= BigInt(v) && BigInt(v) <= INT64_MAX;

/** Every string of up to `length` characters from `alphabet`. */
function strings(alphabet: string[], length: number): string[] {
  let out = [''];
  const all = [''];
  for (let n = 0; n < length; n++) {
    out = out.flatMap((s) => alphabet.map((a) => s + a));
    all.push(...out);
  }
  return all;
}

const EDGES = ['9223372036854775807', '9223372036854775808', '-9223372036854775808', '-9223372036854775809', '٣', '１', '1_000', '0x10', '1e3', '\t5', '5\n'];

t.test("Polars' cast to Int64 reads [+-]?[0-9]+ within Int64, and nothing else", async (t) => {
  const values = [...strings(['0', '1', '9', '+', '-', ' ', '.', 'e'], 4), ...EDGES];
  const cast = pl.DataFrame([pl.Series('v', values)]).select(pl.col('v').cast(pl.Int64, false).isNotNull().alias('read')).getColumn('read').toArray();
  const wrong = values.filter((v, i) => cast[i] !== (/^[+-]?[0-9]+$/.test(v) && inInt64(v)));
  t.same(wrong, [], `${values.length} strings`);
});

t.test('a late value decides: integer exactly when every value has the pattern -?(0|[1-9][0-9]*) within Int64', async (t) => {
  const late = ['+5', '007', '-0', '-07', '00', '+0', '-00', ' 5', '5 ', '-', '+', '--5', '5-', '0', '12', '-12', ...EDGES];
  for (const value of late) {
    // 2,500 integers first: past the sample that picks the candidate, so only the whole-column check sees it.
    const csv = 'a,b\n' + Array.from({ length: 2500 }, (_, i) => `${i * 7},x`).join('\n') + `\n${value.includes('\n') ? JSON.stringify(value) : value},y\n`;
    const { sheet } = await readCsv(Buffer.from(csv));
    const column = sheet.frame.getColumn('a');
    const integer = /^-?(0|[1-9][0-9]*)$/.test(value) && inInt64(value);
    t.equal(String(column.dtype) === String(pl.Int64), integer, `${JSON.stringify(value)}: ${integer ? '' : 'not '}an integer column (${column.dtype})`);
    const last = sheet.frame.select(pl.col('a').cast(pl.Utf8)).getColumn('a').get(2500);
    if (integer) t.equal(last, BigInt(value).toString(), `${JSON.stringify(value)} is ${BigInt(value)}`);
    else if (String(column.dtype) === String(pl.Utf8)) t.equal(last, value, `${JSON.stringify(value)} kept as written`);
  }
});
