/**
 * <ds-app>: picks the view from the URL hash and renders it. Views, one module each:
 *   #/datasets?name=&tag=&sort=&order=&page=            datasets-view.js
 *   #/upload?dataset_id=                                 upload-view.js
 *   #/health                                             health-view.js
 *   #/datasets/<id>?version=&sheet=&sort=&row=&columns=&filter[…]…   table-view.js
 *   #/datasets/<id>/about                                dataset-view.js
 *   #/datasets/<id>/sql?version=&sql=&page=              sql-view.js
 *   #/datasets/<id>/stats?version=&sheet=                stats-view.js
 */
import { LitElement, html } from 'lit';
import { currentRoute } from './route.js';
import './datasets-view.js';
import './upload-view.js';
import './table-view.js';
import './dataset-view.js';
import './key-control.js';
import './sql-view.js';
import './health-view.js';
import './stats-view.js';

class DsApp extends LitElement {
  static properties = { route: { state: true } };

  constructor() {
    super();
    this.route = currentRoute();
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
    if (first === 'health') {
      return html`<ds-health></ds-health>`;
    }
    if (first === 'upload') {
      document.title = 'Upload · Datasets';
      return html`<ds-upload .datasetId=${query.get('dataset_id') ?? ''}></ds-upload>`;
    }
    if (first === 'datasets' && id && sub === 'stats') {
      return html`<ds-stats .datasetId=${id} .query=${query}></ds-stats>`;
    }
    if (first === 'datasets' && id && sub === 'sql') {
      return html`<ds-sql .datasetId=${id} .query=${query}></ds-sql>`;
    }
    if (first === 'datasets' && id && sub === 'about') {
      return html`<ds-dataset .datasetId=${id}></ds-dataset>`;
    }
    if (first === 'datasets' && id) {
      return html`<ds-table .datasetId=${id} .query=${query}></ds-table>`;
    }
    document.title = 'Datasets';
    return html`<ds-datasets .query=${query}></ds-datasets>`;
  }
}
customElements.define('ds-app', DsApp);
