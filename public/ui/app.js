/**
 * <ds-app>: picks the view from the URL hash and renders it. Views, one module each:
 *   #/datasets?name=&tag=&sort=&order=&page=            datasets-view.js
 *   #/upload?dataset_id=                                 upload-view.js
 *   #/health                                             health-view.js
 *   #/datasets/<id>?version=&sheet=&sort=&row=&columns=&filter[…]…   table-view.js
 *   #/datasets/<id>/about                                dataset-view.js
 *   #/datasets/<id>/sql?version=&sql=&page=              sql-view.js
 *   #/datasets/<id>/stats?version=&sheet=                stats-view.js
 * The key's scopes (access.js) are read first: without a valid key where keys are on, every view but health
 * is a prompt to enter one; views that need `write` (upload, SQL) opened without it say so
 * in words, and the others get `access` to show only the controls it allows.
 */
import { LitElement, html } from 'lit';
import { loadAccess, can, keyPrompt, refusedView } from './access.js';
import { currentRoute } from './route.js';
import './datasets-view.js';
import './upload-view.js';
import './table-view.js';
import './dataset-view.js';
import './key-control.js';
import './sql-view.js';
import './health-view.js';
import './stats-view.js';

/** Views that need more than reading, by their first path segments: the scope and what it is, in words. */
const VIEW_SCOPES = [
  { match: ([first]) => first === 'upload', scope: 'write', title: 'Upload', what: 'Uploading a file' },
  { match: ([first, id, sub]) => first === 'datasets' && id && sub === 'sql', scope: 'write', title: 'SQL', what: 'Running SQL' },
];

class DsApp extends LitElement {
  static properties = { route: { state: true }, access: { state: true } };

  constructor() {
    super();
    this.route = currentRoute();
    this.access = undefined;
    // The views wait for the key's scopes, so they never show a control and then take it away.
    void loadAccess().then((access) => {
      this.access = access;
      const key = document.querySelector('ds-key');
      if (key) key.access = access;
      // Controls outside the views (the header's Upload link) say which scope they need.
      for (const el of document.querySelectorAll('[data-needs-scope]')) el.hidden = !can(access, el.dataset.needsScope);
    });
    this.onHash = () => {
      this.route = currentRoute();
      document.getElementById('main')?.focus({ preventScroll: true });
    };
  }

  // Light DOM: the page's stylesheet (and AG Grid's) apply inside the views.
  createRenderRoot() {
    return this;
  }

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener('hashchange', this.onHash);
  }

  disconnectedCallback() {
    window.removeEventListener('hashchange', this.onHash);
    super.disconnectedCallback();
  }

  render() {
    const { path, query } = this.route;
    const [first, id, sub] = path;
    const access = this.access;
    if (first === 'health') {
      return html`<ds-health></ds-health>`;
    }
    if (!access) return html`<p class="note">Loading…</p>`;
    // Keys are on and none was entered, or the one entered was refused: every view would be that 401.
    if (access.refusal) return keyPrompt(access);
    const needs = VIEW_SCOPES.find((v) => v.match(path));
    if (needs && !can(access, needs.scope)) return refusedView(access, needs.scope, needs.title, needs.what);
    if (first === 'upload') {
      document.title = 'Upload · Datasets';
      return html`<ds-upload .datasetId=${query.get('dataset_id') ?? ''}></ds-upload>`;
    }
    if (first === 'datasets' && id && sub === 'stats') {
      return html`<ds-stats .datasetId=${id} .query=${query} .access=${access}></ds-stats>`;
    }
    if (first === 'datasets' && id && sub === 'sql') {
      return html`<ds-sql .datasetId=${id} .query=${query}></ds-sql>`;
    }
    if (first === 'datasets' && id && sub === 'about') {
      return html`<ds-dataset .datasetId=${id} .access=${access}></ds-dataset>`;
    }
    if (first === 'datasets' && id) {
      return html`<ds-table .datasetId=${id} .query=${query} .access=${access}></ds-table>`;
    }
    document.title = 'Datasets';
    return html`<ds-datasets .query=${query} .access=${access}></ds-datasets>`;
  }
}
customElements.define('ds-app', DsApp);
