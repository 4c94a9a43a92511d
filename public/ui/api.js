/**
 * The page's one way to call the service's public API. Every request goes through here, so an API key (when
 * keys are on) is added in one place: `sessionStorage['api-key']`, sent as `Authorization: Bearer …`, never
 * put in a URL (`<ds-key>` in key-control.js sets it).
 */

/** Headers for an API request: the session's key, if any. */
export function authHeaders() {
  const key = sessionStorage.getItem('api-key');
  return key ? { authorization: `Bearer ${key}` } : {};
}

const STATUS_WORDS = {
  400: 'Bad request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not found', 408: 'Request timeout',
  410: 'Gone', 413: 'Too large', 415: 'Unsupported type', 422: 'Could not read the file', 429: 'Too many requests',
  500: 'Server error', 503: 'Service busy', 507: 'Out of storage space',
};

/** "413 Too large" for a status code. */
export function statusWords(status) {
  return `${status} ${STATUS_WORDS[status] ?? 'Error'}`;
}

/** An API refusal: `status`, `code` (error_code) and the API's `detail` as the message. */
export class ApiFailure extends Error {
  constructor(status, body) {
    super(body?.detail ?? `the service answered ${status}`);
    this.status = status;
    this.code = body?.error_code;
  }
  /** "404 Not found: no dataset 7". */
  get text() {
    return `${statusWords(this.status)}: ${this.message}`;
  }
}

/** An ApiFailure from a response that is not ok (reads the {detail, error_code} body when there is one). */
export async function failureOf(res) {
  const body = await res.json().catch(() => undefined);
  return new ApiFailure(res.status, body);
}

/**
 * GET a JSON answer. `params`: query parameters (arrays repeat the key; undefined/'' are left out).
 * Resolves `{body, headers}`; rejects with ApiFailure.
 */
export async function getJson(path, params = {}, { signal } = {}) {
  const res = await fetch(withQuery(path, params), { headers: { accept: 'application/json', ...authHeaders() }, signal });
  if (!res.ok) throw await failureOf(res);
  return { body: await res.json(), headers: res.headers };
}

/** `path?query` from an object of parameters. */
export function withQuery(path, params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined && one !== null && one !== '') q.append(k, String(one));
  }
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

/** A column name as the API's comma-separated lists (`sort=`, `columns=`) need it: quoted CSV-style when it must be. */
export function listName(name) {
  return /[",]|^-/.test(name) ? `"${name.replaceAll('"', '""')}"` : name;
}

/** 1536 → "1.5 KB". */
export function bytes(n) {
  if (n == null) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) (n /= 1024), i++;
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** A timestamp as the reader's local date and time. */
export function when(iso) {
  return iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';
}

/**
 * PATCH/POST/DELETE with an optional JSON body. Resolves the parsed answer (undefined for 204); rejects with
 * ApiFailure.
 */
export async function send(method, path, body) {
  const headers = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (!res.ok) throw await failureOf(res);
  return res.status === 204 ? undefined : res.json();
}

/**
 * Downloads through a download token, for where API keys are on (a plain link carries no key, and the key never
 * goes in a URL): mints a single-use token for `view` (POST `<version path>/download-tokens`, the body as the
 * API takes it: `{format, sheet?, filters?, sort?, columns?}` or `{format: 'original'}`), then has the browser
 * follow the token's URL as a link, so the answer streams to disk and the page never holds it. Resolves once
 * the browser has been sent there; rejects with ApiFailure when minting is refused.
 */
export async function downloadWithToken(versionPath, view) {
  const { url } = await send('POST', `${versionPath}/download-tokens`, view);
  const link = document.createElement('a');
  link.href = url;
  link.download = '';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
}

/** A count and its noun, singular for 1: plural(1, 'entry', 'entries') → "1 entry"; plural(1461, 'row') → "1,461 rows". */
export function plural(n, one, many = `${one}s`) {
  return `${n.toLocaleString()} ${n === 1 ? one : many}`;
}

/** Seconds as a person reads a duration: 42 → "42 s", 253 → "4 min 13 s", 7380 → "2 h 3 min", 180000 → "2 d 2 h". */
export function duration(seconds) {
  const s = Math.floor(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}
