import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

/**
 * Sends a body that is already encoded — a page or statistics the workers wrote, an export stream, an uploaded
 * file — as it is. Fastify serializes neither a Buffer nor a stream, nor a string once Content-Type says JSON,
 * whatever the route's response schema (which documents the shape); the reply's typed `send` only accepts
 * that shape, hence this one untyped door.
 */
export function sendEncoded(reply: unknown, body: Buffer | Readable | string): FastifyReply {
  return (reply as FastifyReply).send(body);
}
