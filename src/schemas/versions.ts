/** Versions, their sheets and columns, and what the reader decided for an upload. */
import { Type, type Static } from 'typebox';
import { Count, Id, Nullable, Timestamp } from './common.js';

const PORTABLE_TYPES = ['integer', 'float', 'string', 'boolean', 'date', 'datetime', 'time', 'duration', 'decimal', 'binary', 'list', 'struct', 'null'];

export const ColumnInfo = Type.Object(
  {
    name: Type.String(),
    type: Type.String({ description: `portable type: ${PORTABLE_TYPES.join(', ')}` }),
    dtype: Type.String({ description: 'the exact Polars/Arrow type, e.g. Datetime(us, Europe/Paris)' }),
    nullable: Type.Boolean(),
  },
  { additionalProperties: false },
);

/** A sheet as a version lists it. */
export const SheetSummary = Type.Object({ name: Type.String(), row_count: Count(), column_count: Count() }, { additionalProperties: false });

/** A sheet with its columns (`…/sheets`). */
export const SheetInfo = Type.Object({ ...SheetSummary.properties, columns: Type.Array(ColumnInfo) }, { additionalProperties: false });
export const SheetList = Type.Array(SheetInfo);

export const Version = Type.Object(
  {
    id: Id('global version id'),
    dataset_id: Id('the dataset it belongs to'),
    version_number: Type.Integer({ minimum: 1, description: '1, 2, … within the dataset; never reused' }),
    file_name: Type.String({ description: 'the uploaded file name' }),
    file_type: Type.String({ description: 'csv, tsv, txt, parquet, xlsx, xlsm or xls' }),
    file_size: Count('bytes of the uploaded file'),
    created_at: Timestamp,
    row_count: Count('sum over its sheets'),
    sheets: Type.Array(SheetSummary),
  },
  { additionalProperties: false },
);
export type Version = Static<typeof Version>;
export const VersionList = Type.Array(Version, { description: 'newest first' });

const ColumnDecision = Type.Object(
  {
    name: Type.String(),
    type: Type.String(),
    dtype: Type.String(),
    decided_by: Type.Unsafe<'inferred' | 'column_types' | 'file'>({ type: 'string', enum: ['inferred', 'column_types', 'file'] }),
    text_because: Type.Optional(
      Type.Object(
        { candidate: Type.String(), row: Type.Integer({ description: 'first data row (1-based) that is not a candidate' }), value: Type.String() },
        { additionalProperties: false, description: 'a text column whose first value looked like `candidate`' },
      ),
    ),
  },
  { additionalProperties: false },
);

/** What the reader decided for the upload, and why (workers/protocol.ts ReaderReport). */
export const ReaderReport = Type.Object(
  {
    format: Type.String(),
    delimiter: Type.Optional(Type.String()),
    delimiter_from: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['form', 'sep_line', 'detected'] })),
    encoding: Type.Optional(Type.String()),
    encoding_from: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['form', 'bom', 'default'] })),
    quote_escape: Type.Optional(Type.Unsafe<string>({ type: 'string', enum: ['doubled', 'backslash'] })),
    header_row: Type.Optional(Nullable(Type.Integer({ minimum: 1, description: '1-based line holding the header; null: none' }))),
    skip_rows: Type.Optional(Count()),
    sheets: Type.Array(Type.Object({ name: Type.String(), columns: Type.Array(ColumnDecision) }, { additionalProperties: false })),
  },
  { additionalProperties: false, description: 'what the reader decided (delimiter, encoding, header, column types) and why' },
);

/** One version as its own routes answer it: with `reader` (null for versions stored before reports existed). */
export const VersionDetail = Type.Object({ ...Version.properties, reader: Nullable(ReaderReport) }, { additionalProperties: false });
export type VersionDetail = Static<typeof VersionDetail>;

export const VERSION_EXAMPLE = {
  id: 7,
  dataset_id: 3,
  version_number: 2,
  file_name: 'weather.csv',
  file_type: 'csv',
  file_size: 48_213,
  created_at: '2026-11-27T10:30:00Z',
  row_count: 1461,
  sheets: [{ name: 'Sheet1', row_count: 1461, column_count: 6 }],
};

export const NumberParams = Type.Object({ id: Id('dataset id'), n: Id('version_number within the dataset') });
export type NumberParams = Static<typeof NumberParams>;
