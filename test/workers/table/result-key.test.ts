/**
 * Unit tests (no server) of the result cache's keys (workers/table/result-cache.ts): equivalent table queries
 * share one key (filters are ANDed: their order and repeats do not matter, nor those of an `in` list), and
 * queries that can answer differently never do (sort keys and projection keep their order; values are
 * compared as written). A wrong merge here would serve one query's cached rows for another.
 */
import t from 'tap';
import type { Filter, TableQuery, TableRef } from '../../../workers/protocol.js';
import { isComputed, normalizeQuery, resultKey } from '../../../workers/table/result-cache.js';

const f = (column: string, op: Filter['op'], ...values: string[]): Filter => ({ column, op, values });
const q = (filters: Filter[], sort: TableQuery['sort'] = [], columns?: string[]): TableQuery => ({ filters, sort, columns });

t.test('the normalized text, exactly', async (t) => {
  t.equal(normalizeQuery(q([])), '[][[],null]');
  t.equal(
    normalizeQuery(q([f('b', 'in', 'y', 'x', 'y'), f('a', 'gte', '5')], [{ column: 's', descending: true }], ['a', 'b'])),
    '[["a","gte",["5"]],["b","in",["x","y"]]][[["s",true]],["a","b"]]',
  );
});

t.test('equivalent queries share a key', async (t) => {
  const same = (a: TableQuery, b: TableQuery, why: string) => t.equal(normalizeQuery(a), normalizeQuery(b), why);
  same(q([f('a', 'eq', '1'), f('b', 'eq', '2')]), q([f('b', 'eq', '2'), f('a', 'eq', '1')]), 'filter order');
  same(q([f('a', 'eq', '1'), f('a', 'eq', '1')]), q([f('a', 'eq', '1')]), 'a repeated filter');
  same(q([f('a', 'in', 'x', 'y', 'x')]), q([f('a', 'in', 'y', 'x')]), 'in-list order and repeats');
});

t.test('different queries never share a key', async (t) => {
  const differ = (a: TableQuery, b: TableQuery, why: string) => t.not(normalizeQuery(a), normalizeQuery(b), why);
  differ(q([f('a', 'eq', '1')]), q([f('a', 'eq', '01')]), 'values as written: 1 and 01');
  differ(q([f('a', 'eq', '1')]), q([f('a', 'eq', '1 ')]), 'a trailing space');
  differ(q([f('a', 'eq', 'x')]), q([f('a', 'ne', 'x')]), 'the operator');
  differ(q([f('a', 'eq', 'x')]), q([f('b', 'eq', 'x')]), 'the column');
  differ(q([f('a', 'in', 'x,y')]), q([f('a', 'in', 'x', 'y')]), 'one value holding a comma, or two values');
  differ(q([f('a,b', 'eq', 'c')]), q([f('a', 'eq', 'b,c')]), 'where the column name ends');
  differ(q([], [{ column: 'a', descending: false }, { column: 'b', descending: false }]), q([], [{ column: 'b', descending: false }, { column: 'a', descending: false }]), 'sort key order');
  differ(q([], [{ column: 'a', descending: false }]), q([], [{ column: 'a', descending: true }]), 'sort direction');
  differ(q([], [], ['a', 'b']), q([], [], ['b', 'a']), 'projection order');
  differ(q([]), q([], [], []), 'every column, or none named');
});

t.test('resultKey and isComputed', async (t) => {
  const table: TableRef = { kind: 'parquet', key: 'ds1/v2/0', path: '/data/x.parquet' };
  const query = q([f('a', 'eq', '1')]);
  t.equal(resultKey(table, query), `ds1/v2/0?${normalizeQuery(query)}`, 'prefixed by the sheet key, so a version\'s entries drop together');
  t.equal(isComputed(q([])), false);
  t.equal(isComputed(q([], [], ['a'])), false, 'projection alone is a slice of the sheet');
  t.equal(isComputed(query), true);
  t.equal(isComputed(q([], [{ column: 'a', descending: false }])), true);
});
