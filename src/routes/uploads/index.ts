import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ApiError } from '../../errors.js';
import { API_ERRORS, errorResponses } from '../../schemas/errors.js';
import { UploadProgressBody, UploadProgressParams } from '../../schemas/uploads.js';
import { UploadProgress } from './progress.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Uploads sent with X-Upload-Id (POST /api/datasets/upload reports to it). */
    uploadProgress: UploadProgress;
  }
}

/** How long an ended upload's progress stays readable. */
const KEEP_MS = 60_000;

/**
 * `GET /api/uploads/{id}`: the progress of an upload sent with `X-Upload-Id: {id}`, while it runs and for a
 * minute after; only to the API key that sent it (without keys, to anyone who knows the id). A plugin that
 * shares its decoration with the upload route (fastify-plugin), registered before it.
 */
export default fp(async function uploadRoutes(fastify: FastifyInstance) {
  fastify.decorate('uploadProgress', new UploadProgress(KEEP_MS));
  const app = fastify.withTypeProvider<TypeBoxTypeProvider>();

  app.get('/api/uploads/:id', {
    schema: {
      tags: ['datasets'],
      operationId: 'getUploadProgress', summary: 'Progress of an upload sent with X-Upload-Id',
      description:
        'Phase and bytes of an upload (POST /api/datasets/upload with `X-Upload-Id: {id}`) while it runs and for 60 s after it ' +
        'ended. 404 before its request reached the server, after that minute, or for another API key than the one that sent it.',
      params: UploadProgressParams,
      response: { 200: UploadProgressBody, ...errorResponses(400, 404, ...API_ERRORS) },
    },
  }, async (req) => {
    const state = app.uploadProgress.read(req.params.id, req.apiKey?.name);
    if (!state) {
      throw new ApiError(
        404,
        'upload_not_found',
        `no upload with X-Upload-Id ${req.params.id} is known: its request has not reached the server yet, it ended more than ${KEEP_MS / 1000} s ago, or another API key sent it`,
      );
    }
    return state;
  });
});
