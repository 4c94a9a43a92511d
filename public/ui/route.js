/**
 * Page state lives in the URL hash, `#/<view path>?<query>`, so every view reloads and shares as it is.
 * `currentRoute()` reads it; `navigate()` changes it (a history entry); `replaceQuery()` updates the query
 * without one (e.g. the grid's scroll position).
 */

/** `{path: ['datasets', '3'], query: URLSearchParams}` of the current hash. */
export function currentRoute() {
  const hash = location.hash.replace(/^#\/?/, '');
  const [path, query = ''] = hash.split('?', 2);
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(query) };
}

/** The hash for a path and query parameters (empty values left out). */
export function hrefFor(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    for (const one of Array.isArray(v) ? v : [v]) if (one !== undefined && one !== null && one !== '') q.append(k, String(one));
  }
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ''}`;
}

/** Go to a view (adds a history entry; the app re-renders on hashchange). */
export function navigate(path, params) {
  location.hash = hrefFor(path, params).slice(1);
}

/** Replace the current view's query without a history entry or a re-render. */
export function replaceQuery(params) {
  const { path } = currentRoute();
  history.replaceState(null, '', hrefFor(path.map(encodeURIComponent).join('/'), params));
}
