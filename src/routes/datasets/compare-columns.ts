import type { ColumnInfo } from '../../catalog/types.js';
import type { SchemaChange } from '../../schemas/schema-compare.js';

/**
 * What changed from the columns `before` to the columns `after`, matched by name (names are unique within a
 * sheet). Position is ignored: reordering alone is no change. A column whose portable `type` or exact `dtype`
 * differs (Int32 → Int64 included) is `type_changed`; one whose `nullable` differs is `nullability_changed`;
 * a column with both gets both entries. Order: the columns of `before` in their order (removed, type_changed,
 * nullability_changed), then the columns only in `after`, in their order (added).
 */
export function compareColumns(before: ColumnInfo[], after: ColumnInfo[]): SchemaChange[] {
  const afterByName = new Map(after.map((c) => [c.name, c]));
  const beforeNames = new Set(before.map((c) => c.name));
  const changes: SchemaChange[] = [];
  for (const b of before) {
    const a = afterByName.get(b.name);
    if (!a) {
      changes.push({ column: b.name, change_type: 'removed', type: b.type, dtype: b.dtype, nullable: b.nullable });
      continue;
    }
    if (a.type !== b.type || a.dtype !== b.dtype) {
      changes.push({ column: b.name, change_type: 'type_changed', from_type: b.type, to_type: a.type, from_dtype: b.dtype, to_dtype: a.dtype });
    }
    if (a.nullable !== b.nullable) {
      changes.push({ column: b.name, change_type: 'nullability_changed', from_nullable: b.nullable, to_nullable: a.nullable });
    }
  }
  for (const a of after) {
    if (!beforeNames.has(a.name)) {
      changes.push({ column: a.name, change_type: 'added', type: a.type, dtype: a.dtype, nullable: a.nullable });
    }
  }
  return changes;
}
