#!/usr/bin/env node
/**
 * Regenerates the committed API contract, `openapi.json` at the repository root, from the code:
 * starts the built service (`dist/src/main.js`; `npm run openapi` builds first) on a free loopback port with the
 * memory backend, a scratch data directory and no `.env`, fetches `/docs/json`, and writes it pretty-printed with
 * a stable key order (see canonicalJson). Review the diff before committing it: it is the change clients see.
 *
 * Plain JavaScript so it runs with no compile step of its own; test/contract imports canonicalJson from here.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Where the committed contract lives: the repository root, beside package.json, where readers and tools look
 * first (the repository has no docs/ folder; one file would not justify one). */
export const CONTRACT_PATH = join(ROOT, 'openapi.json');

/**
 * The document as committed: object keys sorted at every level (so a diff shows only real changes, whatever the
 * order routes are registered in), except the members of `properties`, which keep the order their schema declares
 * (a reader expects `id, name, …`, not the alphabet); arrays keep their order. Two-space indent, final newline.
 * @param {unknown} doc a JSON value
 * @returns {string}
 */
export function canonicalJson(doc) {
  const sort = (value, keepOrder) => {
    if (Array.isArray(value)) return value.map((v) => sort(v, false));
    if (value === null || typeof value !== 'object') return value;
    const keys = keepOrder ? Object.keys(value) : Object.keys(value).sort();
    return Object.fromEntries(keys.map((k) => [k, sort(value[k], k === 'properties' && !keepOrder)]));
  };
  return `${JSON.stringify(sort(doc, false), null, 2)}\n`;
}

/**
 * Starts the built service, fetches `/docs/json`, stops the service.
 * @returns {Promise<unknown>} the served document, parsed
 * @throws if the service does not start within 60 s or `/docs/json` does not answer 200
 */
export async function fetchServedDocument() {
  const dataDir = mkdtempSync(join(tmpdir(), 'dataset-service-openapi-'));
  const proc = spawn(process.execPath, [join(ROOT, 'dist/src/main.js')], {
    cwd: dataDir, // no .env here: the document must not depend on local settings
    env: { PATH: process.env.PATH, HOME: process.env.HOME, STORAGE_BACKEND: 'memory', HOST: '127.0.0.1', PORT: '0', DATA_DIR: dataDir, WORKERS: '1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((res) => proc.once('exit', res));
  try {
    const url = await new Promise((res, rej) => {
      const timer = setTimeout(() => rej(new Error('the service did not start within 60 s')), 60_000);
      createInterface({ input: proc.stdout }).on('line', (line) => {
        const m = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
        if (m) clearTimeout(timer), res(m[1]);
      });
      void exited.then((code) => rej(new Error(`the service exited with ${code} before listening (did you run npm run build?): ${stderr}`)));
    });
    const res = await fetch(`${url}/docs/json`);
    if (res.status !== 200) throw new Error(`/docs/json answered ${res.status}`);
    return await res.json();
  } finally {
    proc.kill('SIGKILL');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const doc = await fetchServedDocument();
  writeFileSync(CONTRACT_PATH, canonicalJson(doc));
  console.log(`wrote ${CONTRACT_PATH}; review it with: git diff -- openapi.json`);
}
