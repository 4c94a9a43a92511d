/** JSON schemas of the schema-compare route. */

export interface CompareBody {
  version_id_1: number;
  version_id_2: number;
  sheet?: string;
}

export const compareBody = {
  type: 'object',
  required: ['version_id_1', 'version_id_2'],
  properties: {
    version_id_1: { type: 'integer', minimum: 1, description: 'the version compared from' },
    version_id_2: { type: 'integer', minimum: 1, description: 'the version compared to' },
    sheet: { type: 'string', minLength: 1, description: 'sheet name, used for both versions; default: the first sheet of each' },
  },
  additionalProperties: false,
} as const;

export const columnChange = {
  type: 'object',
  required: ['column', 'change_type'],
  properties: {
    column: { type: 'string' },
    change_type: { type: 'string', enum: ['added', 'removed', 'type_changed', 'nullability_changed'] },
    type: { type: 'string', description: 'added, removed: the portable type' },
    dtype: { type: 'string', description: 'added, removed: the exact type' },
    nullable: { type: 'boolean', description: 'added, removed' },
    from_type: { type: 'string' },
    to_type: { type: 'string' },
    from_dtype: { type: 'string' },
    to_dtype: { type: 'string' },
    from_nullable: { type: 'boolean' },
    to_nullable: { type: 'boolean' },
  },
} as const;

export const compareResponse = {
  type: 'object',
  properties: {
    dataset_id: { type: 'integer' },
    version_id_1: { type: 'integer' },
    version_id_2: { type: 'integer' },
    sheet_1: { type: 'string', description: 'the sheet of version_id_1 compared' },
    sheet_2: { type: 'string', description: 'the sheet of version_id_2 compared' },
    identical: { type: 'boolean' },
    changes: { type: 'array', items: columnChange },
  },
} as const;
