/** Download tokens: the view to mint one for, the token, and the URL that uses it. */
import { Type, type Static } from 'typebox';
import type { ExportFormat } from '../../workers/protocol.js';
import { RowNumber, Timestamp } from './common.js';
import { FILTER_PATTERN, FORMATS, Projection } from './data.js';

const EXPORT_FORMATS = FORMATS.filter((f): f is ExportFormat => f !== 'json');
/** A token's `format`: an export format, or `original`, the version's uploaded file as it is. */
export type DownloadFormat = ExportFormat | 'original';
const DOWNLOAD_FORMATS: DownloadFormat[] = [...EXPORT_FORMATS, 'original'];

/**
 * The view a token is minted for: `…/data`'s export parameters as a strict JSON body, or `format: "original"`
 * alone for the uploaded file (`…/versions/{vid}/download`).
 */
export const DownloadTokenRequest = Type.Object(
  {
    format: Type.Unsafe<DownloadFormat>({
      type: 'string',
      enum: DOWNLOAD_FORMATS,
      description: `the export format: ${EXPORT_FORMATS.join(', ')}; or \`original\`: the uploaded file byte for byte, as \`…/versions/{vid}/download\` answers it (then no other field may be given)`,
    }),
    sheet: Type.Optional(Type.String({ minLength: 1, description: 'sheet name; default: the first sheet' })),
    filters: Type.Optional(
      Type.Object({}, {
        additionalProperties: false,
        patternProperties: FILTER_PATTERN,
        description: '`…/data`’s filters as its query pairs, each key `filter[column]op` (any other key is a 400): {"filter[weather]eq": "sun", "filter[temp_max]gte": "30"}; a list of values for a repeated key',
      }),
    ),
    ...Projection,
    offset: Type.Optional(RowNumber(0, { description: 'first row of the window; as `…/data` takes them: neither offset nor limit is every row, offset alone 100 rows' })),
    limit: Type.Optional(RowNumber(1, { description: 'rows of the window (no cap)' })),
    csv_safe: Type.Optional(Type.Boolean({ description: "CSV and xlsx: prefix text cells starting with = + - @ with '" })),
  },
  {
    additionalProperties: false,
    examples: [{ format: 'csv', filters: { 'filter[weather]eq': 'sun' }, sort: '-temp_max', columns: 'date,temp_max' }, { format: 'original' }],
  },
);
export type DownloadTokenRequest = Static<typeof DownloadTokenRequest>;

export const DownloadToken = Type.Object(
  {
    token: Type.String({ description: 'single-use; 43 characters of base64url' }),
    url: Type.String({ description: 'path (on this server) that answers the export once, without an Authorization header: /api/downloads/{token}' }),
    expires_at: Timestamp,
  },
  {
    additionalProperties: false,
    examples: [{ token: 'q0sS3mN5pL2v7X4c9bJ8rT1wY6zA0dF3gH5jK7lM9nP', url: '/api/downloads/q0sS3mN5pL2v7X4c9bJ8rT1wY6zA0dF3gH5jK7lM9nP', expires_at: '2026-11-27T10:31:00Z' }],
  },
);

export const DownloadParams = Type.Object({ token: Type.String({ minLength: 1, maxLength: 100, description: 'a token from POST …/download-tokens' }) });
export type DownloadParams = Static<typeof DownloadParams>;

/** `/api/downloads/{token}` takes no query parameters: the token fixes the whole view. */
export const DownloadQuery = Type.Object({}, { additionalProperties: false });
