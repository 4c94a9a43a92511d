/**
 * An upload we control byte by byte (the crash and multi-instance tests): the form's head, then as much of the
 * file as the test releases, then the tail.
 */
import { request } from 'node:http';
import { formAroundFile } from './multipart.js';
import type { Server } from './server.js';

export interface ControlledUpload {
  /** Sends `bytes` more of the file (all of it, and the closing boundary, when omitted). */
  send(bytes?: number): Promise<void>;
  /** The response, or the error the request ended with (after a kill). */
  done: Promise<{ status: number; body: any } | { error: Error }>;
}

/**
 * A multipart upload of `file` (with `fields` first) whose bytes the test releases: nothing of the file is sent
 * until send() is called, then as much as it says, so a test can stop an upload at any point of its body.
 */
export function controlledUpload(server: Server, fields: Record<string, string>, fileName: string, file: Buffer): ControlledUpload {
  const { head, tail, contentType } = formAroundFile(fields, fileName, { fileType: 'text/csv' });
  const req = request(`${server.url}/api/datasets/upload`, {
    method: 'POST',
    headers: { 'content-type': contentType, 'content-length': head.length + file.length + tail.length },
  });
  let failed: Error | undefined;
  const done = new Promise<{ status: number; body: any } | { error: Error }>((resolve) => {
    req.on('error', (error) => {
      failed = error;
      resolve({ error });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('error', (error) => resolve({ error }));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined });
      });
    });
  });
  const write = (chunk: Buffer) =>
    new Promise<void>((resolve) => {
      if (failed || !chunk.length) return resolve();
      if (req.write(chunk)) resolve();
      else {
        const settle = () => {
          req.off('drain', settle);
          req.off('error', settle);
          resolve();
        };
        req.on('drain', settle);
        req.on('error', settle);
      }
    });
  let sent = -1;
  return {
    done,
    async send(bytes) {
      if (sent < 0) {
        await write(head);
        sent = 0;
      }
      const end = bytes === undefined ? file.length : Math.min(file.length, sent + bytes);
      for (let at = sent; at < end; at += 64 * 1024) await write(file.subarray(at, Math.min(end, at + 64 * 1024)));
      sent = end;
      if (bytes === undefined && !failed) {
        await write(tail);
        req.end();
      }
    },
  };
}
