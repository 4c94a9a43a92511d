/** Upload progress: the header that names an upload, and what `GET /api/uploads/{id}` answers. */
import { Type, type Static } from 'typebox';
import { Nullable } from './common.js';

const ID_PATTERN = '^[A-Za-z0-9_-]{8,64}$';
const ID_WORDS = 'chosen by the client, e.g. a random UUID (8–64 of A–Z a–z 0–9 _ -)';
const UploadId = Type.String({ pattern: ID_PATTERN, description: ID_WORDS });

/** The upload's optional header. */
export const UploadHeaders = Type.Object({
  'x-upload-id': Type.Optional(Type.String({ pattern: ID_PATTERN, description: `names this upload so that GET /api/uploads/{id} reports its progress; ${ID_WORDS}` })),
});

export const UploadProgressParams = Type.Object({ id: UploadId });
export type UploadProgressParams = Static<typeof UploadProgressParams>;

export const UploadProgressBody = Type.Object(
  {
    upload_id: Type.String(),
    phase: Type.Unsafe<'receiving' | 'parsing' | 'storing' | 'done' | 'failed'>({
      type: 'string',
      enum: ['receiving', 'parsing', 'storing', 'done', 'failed'],
      description:
        'receiving: the body is arriving; parsing: the file is read in a worker and its sheets stored (Parquet files, or a memory shard); ' +
        'storing: the version is recorded in the catalog and synced; done: answered 2xx; failed: answered with an error, or the client went away',
    }),
    bytes_received: Type.Integer({ minimum: 0, description: 'bytes of the request body read so far (may lag by one network read, ≤ 64 KiB); fixed once receiving ends' }),
    bytes_expected: Nullable(Type.Integer({ minimum: 0, description: 'the request’s Content-Length (the whole multipart body); null when it sent none' })),
  },
  {
    additionalProperties: false,
    examples: [{ upload_id: '3f0c9a52-8f7e-4d1a-9a43-2b1d6c0e7f15', phase: 'receiving', bytes_received: 7_340_032, bytes_expected: 52_428_800 }],
  },
);
