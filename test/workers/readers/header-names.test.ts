/**
 * Unit tests (no server) of header naming (workers/readers/header-names.ts), which every reader uses: a blank
 * name at 1-based position n becomes `column_n`, a repeated name gets `_2`, `_3`, … never colliding with a
 * name the header itself holds, and names are otherwise kept exactly (never trimmed).
 */
import t from 'tap';
import { uniqueHeader } from '../../../workers/readers/header-names.js';

t.test('names are kept exactly when they are unique', async (t) => {
  t.same(uniqueHeader(['id', 'Name', ' name', 'name ', 'NAME']), ['id', 'Name', ' name', 'name ', 'NAME'], 'case and spaces make names differ');
  t.same(uniqueHeader([]), []);
});

t.test('blank names become column_<position>', async (t) => {
  t.same(uniqueHeader(['', null, undefined, '  ', 'x']), ['column_1', 'column_2', 'column_3', 'column_4', 'x']);
  t.same(uniqueHeader(['a', '\t']), ['a', 'column_2'], 'whitespace only is blank');
});

t.test('repeats are numbered from _2, avoiding every name in the header', async (t) => {
  t.same(uniqueHeader(['a', 'a', 'a']), ['a', 'a_2', 'a_3']);
  t.same(uniqueHeader(['a', 'a', 'a_2']), ['a', 'a_3', 'a_2'], 'a later a_2 keeps its own name');
  t.same(uniqueHeader(['a_2', 'a', 'a']), ['a_2', 'a', 'a_3'], 'an earlier a_2 is skipped over');
  t.same(uniqueHeader(['a', 'b', 'a', 'b', 'a']), ['a', 'b', 'a_2', 'b_2', 'a_3']);
  t.same(uniqueHeader(['', 'column_1']), ['column_1', 'column_1_2'], 'a blank name can repeat a real one');
  t.same(uniqueHeader(['column_2', '']), ['column_2', 'column_2_2']);
  t.same(uniqueHeader(['x', 'x', 'x_2', 'x_2']), ['x', 'x_3', 'x_2', 'x_2_2']);
  const many = uniqueHeader(Array.from({ length: 12 }, () => 'v'));
  t.equal(new Set(many).size, 12, 'all distinct');
  t.equal(many[11], 'v_12');
});
