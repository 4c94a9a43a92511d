import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { FastifyRequest } from 'fastify';
import { ApiError, badRequest, isStorageFull, storageFull } from '../errors.js';
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
const MAX_FILE_NAME = 255;

/**
 * The client's file name as we store and echo it (version `file_name`, `Content-Disposition`). It never
 * becomes a path (files are stored under random keys), and busboy already keeps only its last path segment;
 * here control characters (NUL, ESC, CR…) and bidirectional overrides, which could spoof or corrupt what a
 * terminal, log or browser shows, become `_`, and a very long name is shortened, keeping its extension.
 */
export function safeFileName(raw: string | undefined): string {
  let name = (raw ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '_').trim();
  if (name.length > MAX_FILE_NAME) {
    const ext = /\.[^.]{1,10}$/.exec(name)?.[0] ?? '';
    name = name.slice(0, MAX_FILE_NAME - ext.length) + ext;
  }
  return name || 'upload';
}

/**
 * Streams a multipart upload into the store's sink, in whatever order the parts arrive. Only the file's
 * name and first bytes are looked at here (a wrong type is refused at once); @fastify/multipart stops the
 * stream with 413 as soon as it passes MAX_UPLOAD_BYTES. On any failure the staged bytes are discarded.
 */
export async function receiveUpload(req: FastifyRequest, store: TableStore): Promise<ReceivedUpload> {
  const fields: Record<string, string> = {};
  let upload: Omit<ReceivedUpload, 'fields'> | undefined;
  // Node's requestTimeout does not stop a body that keeps trickling in (a byte every few seconds holds the
  // upload, and its staged file, open for ever), so the upload enforces REQUEST_TIMEOUT_S itself: an 'error'
  // on the request makes @fastify/multipart fail the part being read, and the client gets 408 and a closed
  // connection (Connection: close). Nothing is stored.
  const timeoutMs = req.server.config.requestTimeoutMs;
  const deadline = setTimeout(() => {
    // @fastify/multipart listens for it from the first part on; without a listener, just drop the connection.
    if (req.raw.listenerCount('error') === 0) return req.raw.socket?.destroy();
    req.raw.emit(
      'error',
      new ApiError(
        408,
        'request_timeout',
        `the upload did not arrive within ${timeoutMs / 1000} s (REQUEST_TIMEOUT_S); nothing was stored — retry on a faster connection`,
        { connection: 'close' },
      ),
    );
  }, timeoutMs);
  try {
    for await (const part of req.parts()) {
      if (part.type === 'field') {
        // Last-wins would store what the client did not mean (a second dataset_id picks another dataset).
        if (Object.hasOwn(fields, part.fieldname)) {
          throw badRequest(
            `form field "${part.fieldname}" is sent more than once; send it once` + (part.fieldname === 'tags' ? ' (all tags in one field: a JSON array or a comma-separated list)' : ''),
          );
        }
        fields[part.fieldname] = String(part.value);
        continue;
      }
      if (part.fieldname !== 'file' || upload) {
        throw badRequest(`unexpected file part "${part.fieldname}": send exactly one file, in the field "file"`);
      }
      // busboy only truncates the file at the limit and reads on to the end of the body; refuse at once
      // instead. Before any await: the limit may be passed while we wait.
      const refuse = () => part.file.destroy(tooLarge(req));
      if (part.file.truncated) refuse();
      else part.file.once('limit', refuse);
      const fileName = safeFileName(part.filename);
      const fileType = typeFromName(fileName);
      const sink = await store.openUpload({ bytes: Number(req.headers['content-length']) || 0, fileType, fileName }, req.log);
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
    const code = (err as { code?: string }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'file_too_large') {
      lingerThenClose(req);
      throw tooLarge(req);
    }
    if (isStorageFull(err)) throw storageFull('receiving this upload');
    throw err;
  } finally {
    clearTimeout(deadline);
  }
  if (!upload) throw badRequest('the form has no file: send the file in a multipart field named "file"');
  return { ...upload, fields };
}

/** Past MAX_UPLOAD_BYTES: 413 as soon as the limit is passed, not once the whole body has been read. */
function tooLarge(req: FastifyRequest): ApiError {
  const max = req.server.config.maxUploadBytes;
  return new ApiError(413, 'file_too_large', `the file is larger than the upload limit of ${max} bytes (MAX_UPLOAD_BYTES)`);
}

const LINGER_BYTES = 8 * 1024 * 1024;
const LINGER_MS = 2_000;

/**
 * After an early 413 the rest of the body is still on its way. Left alone, it would be read (and dropped) to
 * the end, however large; closing together with the answer makes the client's TCP stack reset the connection,
 * often before the client has read the 413 (and clients such as fetch or Python requests send their whole body
 * before reading). So, like nginx's lingering close: the 413 goes out at once, the body is dropped for up to
 * LINGER_BYTES or LINGER_MS more — a body a little over the limit ends, on a connection that stays usable —
 * then the connection is half-closed (FIN after the answer) while what still arrives is dropped for LINGER_MS
 * more, and only then closed. Closing at once instead reset the connection under a client that had not yet
 * read the answer (seen on a loaded machine: no response at all).
 */
function lingerThenClose(req: FastifyRequest): void {
  const body = req.raw;
  const socket = body.socket;
  if (body.readableEnded || !socket || socket.destroyed) return;
  let drained = 0;
  let cutting = false;
  const stop = () => {
    clearTimeout(timer);
    body.off('data', onData);
  };
  const cut = () => {
    if (cutting) return;
    cutting = true;
    clearTimeout(timer);
    const answer = (socket as { _httpMessage?: NodeJS.WritableStream & { writableFinished?: boolean } })._httpMessage;
    const halfClose = () => socket.end();
    if (answer && !answer.writableFinished) answer.once('finish', halfClose);
    else halfClose();
    setTimeout(() => {
      stop();
      socket.destroy();
    }, LINGER_MS).unref();
  };
  const onData = (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > LINGER_BYTES) cut();
  };
  const timer = setTimeout(cut, LINGER_MS);
  body.on('data', onData).once('end', stop);
  socket.once('close', stop);
  body.resume(); // unpiped from the multipart parser, it was paused
}
