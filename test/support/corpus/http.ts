/**
 * Requests the corpus cannot make through fetch/FormData: raw multipart bodies (file names with control
 * characters, exactly as a hostile client sends them), bodies streamed without a length, and bodies that trickle.
 */
import { request, type IncomingMessage } from 'node:http';
import { fieldPart, formAroundFile } from '../multipart.js';
import type { Server } from '../server.js';

export interface RawResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: any;
}

function parseBody(text: string): any {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return text;
  }
}

export interface Part {
  name: string;
  value?: string;
  /** A file part: raw file-name bytes (no escaping) and content. */
  fileName?: Buffer | string;
  content?: Buffer | string;
}

export function multipart(parts: Part[], boundary = `----corpus${Math.random().toString(16).slice(2)}`): { body: Buffer; contentType: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    if (p.fileName === undefined) {
      chunks.push(fieldPart(boundary, p.name, p.value ?? ''));
    } else {
      chunks.push(
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"; filename="`),
        Buffer.from(p.fileName),
        Buffer.from('"\r\nContent-Type: application/octet-stream\r\n\r\n'),
        Buffer.from(p.content ?? ''),
        Buffer.from('\r\n'),
      );
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** One request with a complete body. */
export function send(server: Server, path: string, body: Buffer, headers: Record<string, string | number>, method = 'POST'): Promise<RawResponse> {
  const url = new URL(server.url + path);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: { ...headers, 'content-length': body.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: parseBody(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

export function uploadParts(server: Server, parts: Part[]): Promise<RawResponse> {
  const { body, contentType } = multipart(parts);
  return send(server, '/api/datasets/upload', body, { 'content-type': contentType });
}

export interface StreamOutcome {
  /** The response, if one came. */
  response?: RawResponse;
  /** Body bytes written when the response arrived (or, without one, when writing stopped). */
  sentAtResponse: number;
  /** Body bytes written in all: the client keeps writing after the response until the server closes. */
  sent: number;
  /** The server closed the connection before the whole body was written. */
  closed: boolean;
  ms: number;
}

/**
 * Streams an upload: the form's head, then `chunk` repeatedly (`total` bytes, one write every `everyMs`
 * milliseconds, or as fast as the socket takes them when 0), then the tail — as a client that writes its
 * whole body before caring about the answer. Reports when the response came and whether, and after how many
 * bytes, the server closed the connection. `declareLength` sends Content-Length instead of chunked encoding.
 */
export function streamUpload(
  server: Server,
  opts: { fileName: string; chunk: Buffer; total: number; everyMs: number; giveUpMs: number; declareLength?: boolean },
): Promise<StreamOutcome> {
  const url = new URL(`${server.url}/api/datasets/upload`);
  const boundary = '----corpus-stream';
  const { head, tail } = formAroundFile({ name: 'streamed' }, opts.fileName, { boundary });
  const started = Date.now();
  return new Promise((resolve) => {
    let sent = 0;
    let sentAtResponse = -1;
    let finished = false;
    let response: RawResponse | undefined;
    let closed = false;
    let bodyDone = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(giveUp);
      req.destroy();
      resolve({ response, sentAtResponse: sentAtResponse < 0 ? sent : sentAtResponse, sent, closed, ms: Date.now() - started });
    };
    const headers: Record<string, string | number> = { 'content-type': `multipart/form-data; boundary=${boundary}` };
    if (opts.declareLength) headers['content-length'] = head.length + Math.ceil(opts.total / opts.chunk.length) * opts.chunk.length + tail.length;
    else headers['transfer-encoding'] = 'chunked';
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      sentAtResponse = sent;
      const got: RawResponse = (response = { status: res.statusCode!, headers: res.headers, body: undefined });
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (got.body = parseBody((text += c))));
      res.on('end', () => {
        if (bodyDone) finish();
      });
      res.on('error', () => undefined);
    });
    const broken = () => {
      if (!bodyDone) closed = true;
      setTimeout(finish, 300); // a response may still be on its way
    };
    req.on('error', broken);
    req.on('close', broken);
    const giveUp = setTimeout(finish, opts.giveUpMs);
    req.write(head);
    const pump = () => {
      while (!finished && !req.destroyed && sent < opts.total) {
        sent += opts.chunk.length;
        const more = req.write(opts.chunk);
        if (opts.everyMs > 0) return void setTimeout(pump, opts.everyMs);
        if (!more) return void req.once('drain', pump);
        if (sent % (1 << 20) < opts.chunk.length) return void setImmediate(pump); // let the response in
      }
      if (finished || req.destroyed) return;
      req.end(tail, () => {
        bodyDone = true;
        if (response) finish();
      });
    };
    pump();
  });
}
