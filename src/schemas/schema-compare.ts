/** Comparing the schemas of two versions of a dataset. */
import { Type, type Static } from 'typebox';
import { Id, SheetName } from './common.js';
import { ColumnInfo } from './versions.js';

export const CompareBody = Type.Object(
  {
    version_id_1: Id('the version compared from'),
    version_id_2: Id('the version compared to'),
    sheet: Type.Optional(Type.String({ ...SheetName, description: 'sheet name, used for both versions; default: the first sheet of each' })),
  },
  { additionalProperties: false, examples: [{ version_id_1: 6, version_id_2: 7 }] },
);
export type CompareBody = Static<typeof CompareBody>;

const Added = Type.Object(
  { column: Type.String(), change_type: Type.Unsafe<'added' | 'removed'>({ type: 'string', enum: ['added', 'removed'] }), type: Type.String(), dtype: Type.String(), nullable: Type.Boolean() },
  { additionalProperties: false },
);
const TypeChanged = Type.Object(
  { column: Type.String(), change_type: Type.Literal('type_changed'), from_type: Type.String(), to_type: Type.String(), from_dtype: Type.String(), to_dtype: Type.String() },
  { additionalProperties: false },
);
const NullabilityChanged = Type.Object(
  { column: Type.String(), change_type: Type.Literal('nullability_changed'), from_nullable: Type.Boolean(), to_nullable: Type.Boolean() },
  { additionalProperties: false },
);
export const SchemaChange = Type.Union([Added, TypeChanged, NullabilityChanged]);
export type SchemaChange = Static<typeof SchemaChange>;

export const Comparison = Type.Object(
  {
    dataset_id: Id('dataset id'),
    version_id_1: Id('version id'),
    version_id_2: Id('version id'),
    sheet_1: Type.String({ description: 'the sheet of version_id_1 compared' }),
    sheet_2: Type.String({ description: 'the sheet of version_id_2 compared' }),
    identical: Type.Boolean(),
    changes: Type.Array(SchemaChange),
  },
  { additionalProperties: false },
);

/** `…/schema`: a sheet's columns. */
export const SheetSchema = Type.Object(
  { version_id: Id('version id'), sheet: Type.String(), columns: Type.Array(ColumnInfo) },
  {
    additionalProperties: false,
    examples: [
      {
        version_id: 7,
        sheet: 'Sheet1',
        columns: [
          { name: 'date', type: 'date', dtype: 'Date', nullable: false },
          { name: 'temp_max', type: 'float', dtype: 'Float64', nullable: true },
        ],
      },
    ],
  },
);
