import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { SCOPES, grants } from '../../auth/api-keys.js';
import { Access } from '../../schemas/access.js';
import { API_ERRORS, errorResponses } from '../../schemas/errors.js';

/**
 * `GET /api/access`: which scopes the caller holds, so a client (the web page) offers only what the API will
 * allow. Without API_KEYS every scope; with keys, the effective scopes of the key that authenticated the
 * request (the access plugin answers 401 before this runs when there is none).
 */
export default async function accessRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/api/access', {
    schema: {
      tags: ['service'],
      operationId: 'getAccess', summary: "The caller's authentication and scopes",
      description:
        'Which scopes the caller may use: `{auth: "none", scopes: [read, write, admin]}` without API_KEYS, else ' +
        '`{auth: "api_key", key_name, scopes}` for the key sent (401 without a valid key). A method needs: GET read, ' +
        'POST and PATCH write (minting a download token: read), DELETE admin.',
      response: { 200: Access, ...errorResponses(...API_ERRORS) },
    },
  }, async (req) => {
    const key = req.apiKey;
    if (!key) return { auth: 'none' as const, scopes: [...SCOPES] };
    return { auth: 'api_key' as const, key_name: key.name, scopes: SCOPES.filter((s) => grants(key, s)) };
  });
}
