/** The few HTTP calls the scenarios make besides the page load (which is autocannon's). */
import { createReadStream, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { basename } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { formAroundFile } from '../test/support/multipart.js';
import { elapsedMs } from './util.js';

export interface Uploaded {
  dataset_id: number;
  version_id: number;
  rows: number;
  /** POST until 201. */
  upload_ms: number;
  /** POST until the first page of the new version was served. */
  readable_ms: number;
}

async function ok(res: Response, what: string): Promise<Response> {
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 500)}`);
  return res;
}

/** What postFile got back: the status and the body as text. */
export interface Posted {
  status: number;
  text: string;
}

/**
 * POSTs a multipart form (`fields`, then the file as the part `file`) with a Content-Length, the file streamed
 * from disk in 1 MiB reads, as curl -F does. A lean client on purpose: the bench runs on the server's own
 * 2 cores, and fetch + FormData spent ~0.9 CPU-s sending 127 MB (bench/results/quick-2026-12-01.md), CPU the
 * server then lacked; this costs what the kernel's copies cost. Errors: the socket's, as a rejection.
 */
export async function postFile(url: string, path: string, fields: Record<string, string> = {}): Promise<Posted> {
  const { head, tail, contentType } = formAroundFile(fields, basename(path), { fileType: 'application/octet-stream' });
  const length = head.length + statSync(path).size + tail.length;
  return new Promise<Posted>((resolve, reject) => {
    const req = request(url, {
      method: 'POST',
      headers: { 'content-type': contentType, 'content-length': length },
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.once('error', reject);
    });
    req.write(head);
    // The server may answer (e.g. 413) before the body is sent: then the pipeline's error is the socket's.
    pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), async function* (file) {
      yield* file;
      yield tail;
    }, req).catch(reject);
  });
}

/** Uploads a file (streamed from disk by postFile) and waits until its data is readable. */
export async function uploadFile(url: string, path: string, name = basename(path)): Promise<Uploaded> {
  const start = process.hrtime.bigint();
  const res = await postFile(`${url}/api/datasets/upload`, path, { name });
  if (res.status !== 201) throw new Error(`upload ${basename(path)}: HTTP ${res.status} ${res.text.slice(0, 500)}`);
  const body = JSON.parse(res.text) as { dataset: { id: number }; version: { id: number }; sheets: { row_count: number }[] };
  const upload_ms = elapsedMs(start);
  const ids = { dataset_id: body.dataset.id, version_id: body.version.id };
  await getText(`${url}/api/datasets/${ids.dataset_id}/versions/${ids.version_id}/data?offset=0&limit=1`);
  return { ...ids, rows: body.sheets[0]?.row_count ?? 0, upload_ms, readable_ms: elapsedMs(start) };
}

/** An agent that keeps one connection alive, for getOverAgent. */
export const oneConnection = (): Agent => new Agent({ keepAlive: true, maxSockets: 1 });

/**
 * A GET over `agent`'s kept-alive connection with node:http, for single requests whose latency is the figure
 * (the cold first page, a query's first page): fetch's own cost in a client process that has been idle is
 * milliseconds, and varies — 20 restarts alternated between the two clients, the same cold page measured
 * 12.29 ms median (9.2–20.6) with fetch against 8.5 (8.0–10.2) with this (bench/cold-page.ts, 2026-12-02).
 * Resolves with the body once its last byte is in; rejects on a socket error or a status other than 200.
 */
export function getOverAgent(agent: Agent, url: string, accept?: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, headers: accept ? { accept } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.once('error', reject);
      res.once('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode === 200) resolve(body);
        else reject(new Error(`GET ${url}: HTTP ${res.statusCode} ${body.toString('utf8').slice(0, 500)}`));
      });
    });
    req.once('error', reject);
    req.end();
  });
}

/** As a well-behaved client does: a 503 (load shedding) is retried after its Retry-After, for up to a minute. */
export async function fetchRetrying(url: string, init?: RequestInit): Promise<Response> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(url, init);
    if (res.status !== 503 || Date.now() > deadline) return res;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
  }
}

export async function getText(url: string, init?: RequestInit): Promise<string> {
  return (await ok(await fetchRetrying(url, init), `${init?.method ?? 'GET'} ${url}`)).text();
}

export async function getBytes(url: string, accept?: string): Promise<{ body: Buffer; contentType: string; totalRows: string }> {
  const res = await ok(await fetchRetrying(url, { headers: accept ? { accept } : {} }), `GET ${url}`);
  return {
    body: Buffer.from(await res.arrayBuffer()),
    contentType: res.headers.get('content-type') ?? 'application/octet-stream',
    totalRows: res.headers.get('x-total-rows') ?? '',
  };
}

export async function deleteDataset(url: string, id: number): Promise<void> {
  await ok(await fetch(`${url}/api/datasets/${id}`, { method: 'DELETE' }), `DELETE dataset ${id}`);
}

/** Milliseconds for a statistics request: GET (first computation, then cached) or a refresh. */
export async function timeStatistics(url: string, v: { dataset_id: number; version_id: number }, how: 'get' | 'refresh' | 'refresh-detailed'): Promise<number> {
  const base = `${url}/api/datasets/${v.dataset_id}/versions/${v.version_id}/statistics`;
  const start = process.hrtime.bigint();
  if (how === 'get') await getText(base);
  else await getText(`${base}/refresh${how === 'refresh-detailed' ? '?detailed=true' : ''}`, { method: 'POST' });
  return elapsedMs(start);
}

export async function health(url: string): Promise<any> {
  return JSON.parse(await getText(`${url}/health`));
}

/** Arrow bytes held by the memory backend's shards (from /health). */
export async function shardBytes(url: string): Promise<number | null> {
  const h = await health(url);
  const shards = (h?.workers?.shards ?? h?.shards) as { bytes: number }[] | undefined;
  return shards ? shards.reduce((n, s) => n + (s.bytes ?? 0), 0) : null;
}

/** GET /metrics as Prometheus text, or null when the server has no such route. */
export async function scrapeMetrics(url: string): Promise<string | null> {
  try {
    const res = await fetch(`${url}/metrics`);
    const text = await res.text();
    return res.ok ? text : null;
  } catch {
    return null;
  }
}

/** The value of an unlabelled sample in Prometheus text, or null. */
export function promValue(text: string, name: string): number | null {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})?\\s+(\\S+)`, 'm').exec(text);
  if (!m) return null;
  const v = Number(m[1]);
  return Number.isFinite(v) ? v : null;
}
