/**
 * Unit tests (no server) of the table query parser (src/routes/datasets/versions/filters.ts): `filter[col]op=value`,
 * `sort` and `columns` from a query string, checked against a sheet's columns, and the comma-list splitter
 * that `columns`, `sort` and `in` share. Every refusal is a 400 `invalid_request` whose detail names the
 * parameter; the details are asserted exactly.
 */
import t from 'tap';
import type { ColumnInfo } from '../../../../src/catalog/types.js';
import { nameList, parseFilters } from '../../../../src/routes/datasets/versions/filters.js';
import { thrown } from '../../../support/thrown.js';

const col = (name: string): ColumnInfo => ({ name, type: 'string', dtype: 'String', nullable: true });
const COLUMNS = ['a', 'b', 'b,c', 'x]y', 'price'].map(col);
const OPS = 'eq, ne, lt, lte, gt, gte, in, contains, startswith, is_null, not_null';

t.test('reads filters, sort and projection', async (t) => {
  t.same(parseFilters({}, COLUMNS), { filters: [], sort: [], columns: undefined }, 'nothing asked: every row and column');
  t.same(
    parseFilters({ 'filter[a]eq': '1', 'filter[b]in': 'x,"y,z",', sort: '-a,"b,c"', columns: 'price,"b,c"' }, COLUMNS),
    {
      filters: [
        { column: 'a', op: 'eq', values: ['1'] },
        { column: 'b', op: 'in', values: ['x', 'y,z'] },
      ],
      sort: [
        { column: 'a', descending: true },
        { column: 'b,c', descending: false },
      ],
      columns: ['price', 'b,c'],
    },
  );
  t.same(
    parseFilters({ 'filter[a]gt': ['1', '5'] }, COLUMNS).filters,
    [
      { column: 'a', op: 'gt', values: ['1'] },
      { column: 'a', op: 'gt', values: ['5'] },
    ],
    'a repeated filter is one condition per value (ANDed)',
  );
  t.same(parseFilters({ 'filter[x]y]startswith': 'q' }, COLUMNS).filters, [{ column: 'x]y', op: 'startswith', values: ['q'] }], 'a column name may hold "]"');
  t.same(parseFilters({ 'filter[a]eq': ' 1 ' }, COLUMNS).filters[0].values, [' 1 '], 'a value is kept as written, spaces included');
  t.same(parseFilters({ 'filter[a]is_null': '' }, COLUMNS).filters, [{ column: 'a', op: 'is_null', values: [''] }]);
  t.same(parseFilters({ limit: '10', page: '2' }, COLUMNS).filters, [], 'other parameters are not filters');
});

t.test('refusals name the parameter and what to write instead', async (t) => {
  const refusal = (raw: Record<string, unknown>) => {
    const err = thrown(() => parseFilters(raw, COLUMNS));
    t.equal(err.statusCode, 400);
    t.equal(err.code, 'invalid_request');
    return err.message;
  };
  t.equal(refusal({ 'filter[a]EQ': '1' }), `filter[a]EQ: unknown filter operator "EQ"; use one of ${OPS}`, 'operators are lower case');
  t.equal(refusal({ 'filter[a]': '1' }), `filter[a]: the filter has no operator; write filter[a]eq=… or use one of ${OPS}`);
  t.equal(refusal({ 'filter[a': '1' }), `filter[a: a filter is written filter[column]op=value, op one of ${OPS}`);
  t.equal(
    refusal({ 'filter[nope]eq': '1' }),
    'filter[nope]eq: the sheet has no column "nope"; its columns: "a", "b", "b,c", "x]y", "price"',
  );
  t.equal(
    refusal({ sort: ' price' }),
    'sort: the sheet has no column " price" (did you mean "price"? names are used exactly as written, spaces included); its columns: "a", "b", "b,c", "x]y", "price"',
    'names are never trimmed, and the near miss is pointed out',
  );
  t.equal(refusal({ columns: 'a,b,c' }).split(';')[0], 'columns: the sheet has no column "c"', 'an unquoted comma splits "b,c"');
  t.equal(refusal({ columns: '' }), 'columns is empty; name at least one column or leave it out');
  t.equal(refusal({ columns: ',,' }), 'columns is empty; name at least one column or leave it out');
  t.equal(refusal({ sort: '"a' }), 'sort: a quoted name is never closed (write a quote inside a name as "")');
  t.equal(refusal({ 'filter[b]in': 'x,"y"z' }), 'filter[b]in: a quoted name must be followed by a comma or the end, at character 6');
});

t.test('nameList splits like a CSV record, never trimming', async (t) => {
  t.same(nameList('a,b', 'w'), ['a', 'b']);
  t.same(nameList(' a, b ', 'w'), [' a', ' b '], 'spaces are part of names');
  t.same(nameList('a,,b,', 'w'), ['a', 'b'], 'empty items are left out');
  t.same(nameList('', 'w'), []);
  t.same(nameList('"a""b",c', 'w'), ['a"b', 'c'], '"" is one quote inside a quoted name');
  t.same(nameList('"",x', 'w'), ['', 'x'], 'a quoted empty name is kept (a column may be named "")');
  t.same(nameList('"x,y"', 'w'), ['x,y']);
  t.same(nameList('-a', 'w'), ['-a'], 'unsigned lists keep a leading "-"');
  t.same(nameList('-a,--b,"-c",-"d,e"', 'w', true), [
    { name: 'a', descending: true },
    { name: '-b', descending: true },
    { name: '-c', descending: false },
    { name: 'd,e', descending: true },
  ]);
  const err = thrown(() => nameList('a,"b', 'columns'));
  t.equal(err.message, 'columns: a quoted name is never closed (write a quote inside a name as "")');
  t.equal(err.statusCode, 400);
});
