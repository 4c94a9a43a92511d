import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import type { UploadSink, TableStore } from '../storage/store.js';
import type { FileType } from '../../workers/protocol.js';
import { checkContent, typeFromName } from './file-type.js';

export interface ReceivedUpload {
  sink: UploadSink;
  fileName: string;
  fileType: FileType;
  fileSize: number;
  fields: Record<string, string>;
}

const SNIFF_BYTES = 4096;

/**
 * Streams a multipart upload into the store's sink, in whatever order the parts arrive. Only the file's
 * name and first bytes are looked at here (a wrong type is refused at once); @fastify/multipart stops the
 * stream with 413 as soon as it passes MAX_UPLOAD_BYTES. On any failure the staged bytes are discarded.
 */
export async function receiveUpload(req: FastifyRequest, store: TableStore): Promise<ReceivedUpload> {
  const fields: Record<string, string> = {};
  let upload: Omit<ReceivedUpload, 'fields'> | undefined;
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== 'file' || upload) {
        throw badRequest(`unexpected file part "${part.fieldname}": send exactly one file, in the field "file"`);
      }
      const fileName = part.filename || 'upload';
      const fileType = typeFromName(fileName);
      const sink = await store.openUpload();
      upload = { sink, fileName, fileType, fileSize: 0 };
      const counted = upload;
      let head: Buffer | undefined = Buffer.alloc(0);
      const inspect = new Transform({
        transform(chunk: Buffer, _enc, done) {
          counted.fileSize += chunk.length;
          if (head) {
            head = Buffer.concat([head, chunk.subarray(0, SNIFF_BYTES)]);
            if (head.length >= SNIFF_BYTES) {
              try {
                checkContent(fileName, fileType, head);
              } catch (err) {
                return done(err as Error);
              }
              head = undefined;
            }
          }
          done(null, chunk);
        },
        flush(done) {
          try {
            if (head) checkContent(fileName, fileType, head);
            done();
          } catch (err) {
            done(err as Error);
          }
        },
      });
      await pipeline(part.file, inspect, sink.writable);
    }
  } catch (err) {
    await upload?.sink.discard();
    throw err;
  }
  if (!upload) throw badRequest('the form has no file: send the file in a multipart field named "file"');
  return { ...upload, fields };
}
