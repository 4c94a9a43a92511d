/**
 * Unit tests (no server) of schema comparison (src/routes/datasets/compare-columns.ts): columns matched by name,
 * position ignored, type (portable or exact dtype) and nullability changes reported separately, in the
 * documented order (the columns of `before` in their order, then the added ones in theirs).
 */
import t from 'tap';
import type { ColumnInfo } from '../../../src/catalog/types.js';
import { compareColumns } from '../../../src/routes/datasets/compare-columns.js';

const c = (name: string, type: string, dtype: string, nullable = false): ColumnInfo => ({ name, type, dtype, nullable });

t.test('identical and reordered schemas have no changes', async (t) => {
  const cols = [c('id', 'integer', 'Int64'), c('name', 'string', 'String', true)];
  t.same(compareColumns(cols, cols), []);
  t.same(compareColumns(cols, [...cols].reverse()), [], 'reordering alone is no change');
  t.same(compareColumns([], []), []);
});

t.test('each kind of change, in order', async (t) => {
  const before = [c('id', 'integer', 'Int32'), c('gone', 'string', 'String', true), c('when', 'date', 'Date'), c('score', 'float', 'Float64')];
  const after = [c('new', 'boolean', 'Boolean', true), c('when', 'datetime', 'Datetime(us)', true), c('id', 'integer', 'Int64'), c('score', 'float', 'Float64'), c('z', 'string', 'String')];
  t.same(compareColumns(before, after), [
    { column: 'id', change_type: 'type_changed', from_type: 'integer', to_type: 'integer', from_dtype: 'Int32', to_dtype: 'Int64' },
    { column: 'gone', change_type: 'removed', type: 'string', dtype: 'String', nullable: true },
    { column: 'when', change_type: 'type_changed', from_type: 'date', to_type: 'datetime', from_dtype: 'Date', to_dtype: 'Datetime(us)' },
    { column: 'when', change_type: 'nullability_changed', from_nullable: false, to_nullable: true },
    { column: 'new', change_type: 'added', type: 'boolean', dtype: 'Boolean', nullable: true },
    { column: 'z', change_type: 'added', type: 'string', dtype: 'String', nullable: false },
  ]);
});

t.test('names are matched exactly, and the comparison is directional', async (t) => {
  const a = [c('Name', 'string', 'String')];
  const b = [c('name', 'string', 'String')];
  t.same(compareColumns(a, b), [
    { column: 'Name', change_type: 'removed', type: 'string', dtype: 'String', nullable: false },
    { column: 'name', change_type: 'added', type: 'string', dtype: 'String', nullable: false },
  ], 'a case change is a removal and an addition');
  t.same(compareColumns([c('x', 'integer', 'Int64', true)], [c('x', 'integer', 'Int64', false)]), [
    { column: 'x', change_type: 'nullability_changed', from_nullable: true, to_nullable: false },
  ]);
  t.same(compareColumns([c('x', 'integer', 'Int64')], []), [{ column: 'x', change_type: 'removed', type: 'integer', dtype: 'Int64', nullable: false }]);
  t.same(compareColumns([], [c('x', 'integer', 'Int64')]), [{ column: 'x', change_type: 'added', type: 'integer', dtype: 'Int64', nullable: false }]);
});
