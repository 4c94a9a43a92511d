/** Datasets: their shape, the list's query, PATCH's body, the upload's form and answer, label counts. */
import { Type, type Static } from 'typebox';
import { Count, Id, Nullable, RowNumber, Timestamp } from './common.js';
import { VERSION_EXAMPLE, Version, VersionDetail, SheetSummary } from './versions.js';

export const MAX_NAME = 255;
export const MAX_DESCRIPTION = 10_000;
export const MAX_TAGS = 50;
export const MAX_TAG_LENGTH = 100;

export const Dataset = Type.Object(
  {
    id: Id('dataset id'),
    name: Type.String(),
    description: Nullable(Type.String()),
    tags: Type.Array(Type.String(), { description: 'labels for finding datasets (`?tags=`), not version tags' }),
    created_at: Timestamp,
    updated_at: Timestamp,
    current_version: Nullable(Type.Integer({ minimum: 1, description: 'the highest remaining version_number' })),
    file_size: Count('bytes of the current version’s file'),
    version_count: Count(),
    row_count: Nullable(
      Type.Integer({ minimum: 0, description: 'rows of the current version, summed over its sheets (as the version’s own row_count); null when the dataset has no version' }),
    ),
  },
  { additionalProperties: false },
);
export type Dataset = Static<typeof Dataset>;

const DATASET_EXAMPLE = {
  id: 3,
  name: 'Seattle weather',
  description: 'daily, 2012-2015',
  tags: ['weather', 'seattle'],
  created_at: '2026-11-27T10:29:00Z',
  updated_at: '2026-11-27T10:30:00Z',
  current_version: 2,
  file_size: 48_213,
  version_count: 2,
  row_count: 1461,
};

export const DatasetList = Type.Array(Dataset, { examples: [[DATASET_EXAMPLE]] });

export const DatasetWithVersions = Type.Object({ ...Dataset.properties, versions: Type.Array(Version, { description: 'newest first' }) }, { additionalProperties: false });

const SORT_KEYS = ['name', 'created_at', 'updated_at', 'file_size', 'current_version', 'row_count'] as const;

export const ListQuery = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    offset: RowNumber(0, { default: 0 }),
    name: Type.Optional(Type.String({ description: 'case-insensitive substring of the name' })),
    tags: Type.Optional(Type.Array(Type.String(), { description: 'repeatable; every one must match' })),
    sort_by: Type.Unsafe<(typeof SORT_KEYS)[number]>({ type: 'string', enum: [...SORT_KEYS], default: 'created_at' }),
    sort_order: Type.Unsafe<'asc' | 'desc'>({ type: 'string', enum: ['asc', 'desc'], default: 'desc' }),
  },
  { additionalProperties: false },
);
export type ListQuery = Static<typeof ListQuery>;

/** PATCH's body: strict (no coercion), unknown fields refused. */
export const DatasetPatch = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_NAME, description: 'trimmed; not empty' })),
    description: Type.Optional(Nullable(Type.String({ maxLength: MAX_DESCRIPTION, description: 'null clears it' }))),
    tags: Type.Optional(
      Type.Array(Type.String({ maxLength: MAX_TAG_LENGTH }), { maxItems: MAX_TAGS, description: 'replaces the labels; trimmed, empty ones and repeats dropped' }),
    ),
  },
  { additionalProperties: false, examples: [{ description: 'daily, 2012-2015', tags: ['weather'] }] },
);
export type DatasetPatch = Static<typeof DatasetPatch>;

export const TagCounts = Type.Array(Type.Object({ name: Type.String(), count: Count('datasets carrying it') }, { additionalProperties: false }), {
  examples: [[{ name: 'weather', count: 2 }]],
});

export const UploadResult = Type.Object(
  { dataset: Dataset, version: VersionDetail, sheets: Type.Array(SheetSummary) },
  {
    additionalProperties: false,
    examples: [{ dataset: DATASET_EXAMPLE, version: { ...VERSION_EXAMPLE, reader: null }, sheets: VERSION_EXAMPLE.sheets }],
  },
);
export type UploadResult = Static<typeof UploadResult>;

/** The upload's text fields, as the OpenAPI document shows the form (checked by upload/form-fields.ts). */
export const UploadForm = Type.Object(
  {
    file: Type.String({ format: 'binary', description: '.csv .tsv .txt .parquet .xlsx .xlsm .xls' }),
    name: Type.Optional(Type.String({ description: 'required for a new dataset; not with dataset_id' })),
    description: Type.Optional(Type.String({ description: 'not with dataset_id' })),
    tags: Type.Optional(Type.String({ description: 'a JSON array of strings or a comma-separated list; not with dataset_id' })),
    dataset_id: Type.Optional(Type.String({ pattern: '^[1-9][0-9]*$', description: 'add a new version to this dataset (change its name, description or tags with PATCH)' })),
    delimiter: Type.Optional(Type.String({ description: 'CSV: one character, or comma, semicolon, tab, pipe, space' })),
    encoding: Type.Optional(Type.String({ description: 'CSV: utf-8, utf-16le, windows-1252, latin1, …' })),
    header_row: Type.Optional(Type.String({ description: 'CSV: 1-based line holding the header, or none' })),
    skip_rows: Type.Optional(Type.String({ description: 'CSV: lines to skip at the top' })),
    sheets: Type.Optional(Type.String({ description: 'Excel: a JSON array of worksheet names, or one name' })),
    column_types: Type.Optional(Type.String({ description: 'JSON {column: type}: string, integer, float, decimal, boolean, date, datetime' })),
  },
  { additionalProperties: false },
);
