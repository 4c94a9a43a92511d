/** `GET /api/access`: how the caller is authenticated and which scopes it holds. */
import { Type, type Static } from 'typebox';
import { SCOPES, type Scope } from '../auth/api-keys.js';

const ScopeName = Type.Unsafe<Scope>({ type: 'string', enum: [...SCOPES] });

export const Access = Type.Object(
  {
    auth: Type.Unsafe<'none' | 'api_key'>({
      type: 'string',
      enum: ['none', 'api_key'],
      description: '`none`: API_KEYS is not set, the API is open to whoever reaches it; `api_key`: the request was authenticated by its key',
    }),
    key_name: Type.Optional(Type.String({ description: "the key's name in API_KEYS (only with `api_key`); never the key" })),
    scopes: Type.Array(ScopeName, {
      description:
        'every scope the caller may use, implied ones included (admin implies write and read, write implies read); all three with `none`. ' +
        'read: every GET (rows, exports, statistics, downloads); write: uploads, PATCH, SQL, schema comparison, ' +
        'statistics refresh, version tags (POST); admin: deletes (DELETE)',
    }),
  },
  {
    additionalProperties: false,
    examples: [
      { auth: 'api_key', key_name: 'ingest', scopes: ['read', 'write'] },
      { auth: 'none', scopes: ['read', 'write', 'admin'] },
    ],
  },
);
export type Access = Static<typeof Access>;
