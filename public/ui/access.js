/**
 * What the page's caller may do, from `GET /api/access` (`{auth, key_name?, scopes}`), read once per API key
 * (again when the key changes), so the views offer only the controls the API will allow. The API's rule:
 * GET needs `read`; POST and PATCH need `write` (uploads, edits, version tags, SQL, schema comparison,
 * refreshes) except minting a download token, which needs `read`; DELETE needs `admin`.
 */
import { html } from 'lit';
import { getJson } from './api.js';
import { openKeyDialog } from './key-control.js';
import { hrefFor } from './route.js';

const ALL = ['read', 'write', 'admin'];
let cached; // { key, promise }: the answer for the key it was read with

/**
 * The caller's access: `{auth: 'none' | 'api_key', key_name?, scopes: string[], refusal?}`. Without a valid key
 * where keys are on, `scopes` is empty and `refusal` holds the API's 401 in words. Any other failure (the
 * service busy, …) offers every control: the API still refuses what it refuses.
 */
export function loadAccess() {
  const key = sessionStorage.getItem('api-key') ?? '';
  if (cached?.key !== key) {
    cached = {
      key,
      promise: getJson('/api/access').then(
        ({ body }) => body,
        (e) => (e.status === 401 ? { auth: 'api_key', scopes: [], refusal: e.text } : { auth: 'none', scopes: ALL }),
      ),
    };
  }
  return cached.promise;
}

/** True when `access` (from loadAccess) holds `scope`; true while it is not known yet. */
export function can(access, scope) {
  return !access || access.scopes.includes(scope);
}

/** True when the API wants a key (so a plain link cannot download: the page mints a download token). */
export function keysOn(access) {
  return access?.auth === 'api_key';
}

/**
 * The words for a view or action `access` cannot use: "Uploading needs the “write” scope; the key “reader” has
 * read only." (or, without a valid key, the API's refusal and where to enter one).
 */
export function lacking(access, scope, what) {
  if (access.refusal) return `${what} needs an API key with the “${scope}” scope: ${access.refusal}. Enter a key with “API key” above.`;
  const has = access.scopes.length ? `${access.scopes.join(', ')} only` : 'no scope';
  return `${what} needs the “${scope}” scope; the API key “${access.key_name}” has ${has}. Enter another key with “API key” above.`;
}

/** A whole view the key cannot use, opened by its URL: its title and why, with a way back. */
export function refusedView(access, scope, title, what) {
  document.title = `${title} · Datasets`;
  return html`<h1>${title}</h1>
    <p class="error needs-scope" role="alert" data-scope=${scope}>${lacking(access, scope, what)}</p>
    <p><a href=${hrefFor('datasets')}>Back to the datasets</a></p>`;
}

/**
 * The page where keys are on and `access` has none that works (its `refusal`): no key entered yet, a prompt
 * to enter one; a key the API refused, the API's words and a way to change it. A button opens the key dialog.
 */
export function keyPrompt(access) {
  const entered = Boolean(sessionStorage.getItem('api-key'));
  document.title = 'API key needed · Datasets';
  return html`<h1>API key needed</h1>
    ${entered
      ? html`<p class="error key-refused" role="alert">The service refused the API key you entered: ${access.refusal}.</p>`
      : html`<p class="key-prompt">This service needs an API key to show its datasets. Enter yours to continue; it is
          kept for this browser session only.</p>`}
    <p><button type="button" class="open-key" @click=${openKeyDialog}>${entered ? 'Change the API key' : 'Enter an API key'}</button></p>`;
}
