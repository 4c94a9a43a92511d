/**
 * <ds-datasets>: the list of datasets with search by name, a tag filter, sort and paging, all in the URL
 * (`#/datasets?name=&tag=&sort=&order=&page=`). Reads GET /api/datasets (total in X-Total-Count) and
 * GET /api/datasets/tags.
 */
import { LitElement, html, nothing } from 'lit';
import { can } from './access.js';
import { bytes, getJson, when } from './api.js';
import { hrefFor, navigate } from './route.js';

const PAGE_SIZE = 20;
const SORTS = [
  ['updated_at', 'Last update'],
  ['created_at', 'Created'],
  ['name', 'Name'],
  ['file_size', 'Size'],
  ['current_version', 'Versions'],
];

class DsDatasets extends LitElement {
  static properties = {
    query: { attribute: false },
    access: { attribute: false },
    datasets: { state: true },
    total: { state: true },
    tags: { state: true },
    error: { state: true },
    loading: { state: true },
  };

  constructor() {
    super();
    this.query = new URLSearchParams();
    this.datasets = [];
    this.total = 0;
    this.tags = [];
    this.error = '';
    this.loading = true;
    this.searchTimer = undefined;
  }

  createRenderRoot() {
    return this;
  }

  /** The list's state from the URL, with defaults. */
  get state() {
    const q = this.query;
    const page = Math.max(1, Number.parseInt(q.get('page') ?? '1', 10) || 1);
    return { name: q.get('name') ?? '', tag: q.get('tag') ?? '', sort: q.get('sort') ?? 'updated_at', order: q.get('order') === 'asc' ? 'asc' : 'desc', page };
  }

  go(changes) {
    const next = { ...this.state, page: 1, ...changes };
    navigate('datasets', { ...next, page: next.page > 1 ? next.page : undefined });
  }

  willUpdate(changed) {
    if (changed.has('query')) void this.load();
  }

  connectedCallback() {
    super.connectedCallback();
    getJson('/api/datasets/tags').then(
      ({ body }) => (this.tags = body),
      () => (this.tags = []),
    );
  }

  async load() {
    const s = this.state;
    this.loading = true;
    try {
      const { body, headers } = await getJson('/api/datasets', {
        limit: PAGE_SIZE,
        offset: (s.page - 1) * PAGE_SIZE,
        name: s.name,
        tags: s.tag ? [s.tag] : undefined,
        sort_by: s.sort,
        sort_order: s.order,
      });
      this.datasets = body;
      this.total = Number(headers.get('x-total-count') ?? body.length);
      this.error = '';
    } catch (e) {
      this.error = e.text ?? String(e);
      this.datasets = [];
      this.total = 0;
    } finally {
      this.loading = false;
    }
  }

  onSearch(e) {
    clearTimeout(this.searchTimer);
    const name = e.target.value;
    this.searchTimer = setTimeout(() => this.go({ name }), 300);
  }

  render() {
    const s = this.state;
    const first = this.total === 0 ? 0 : (s.page - 1) * PAGE_SIZE + 1;
    const last = Math.min(this.total, s.page * PAGE_SIZE);
    const pages = Math.max(1, Math.ceil(this.total / PAGE_SIZE));
    return html`
      <h1>Datasets</h1>
      <form class="filters" role="search" @submit=${(e) => e.preventDefault()}>
        <label>Search by name <input type="search" name="name" .value=${s.name} @input=${this.onSearch} @change=${(e) => this.go({ name: e.target.value })}></label>
        <label>Tag
          <select name="tag" @change=${(e) => this.go({ tag: e.target.value })}>
            <option value="" ?selected=${!s.tag}>All tags</option>
            ${this.tags.map((t) => html`<option value=${t.name} ?selected=${t.name === s.tag}>${t.name} (${t.count})</option>`)}
            ${s.tag && !this.tags.some((t) => t.name === s.tag) ? html`<option value=${s.tag} selected>${s.tag}</option>` : nothing}
          </select>
        </label>
        <label>Sort by
          <select name="sort" @change=${(e) => this.go({ sort: e.target.value })}>
            ${SORTS.map(([v, label]) => html`<option value=${v} ?selected=${v === s.sort}>${label}</option>`)}
          </select>
        </label>
        <label>Order
          <select name="order" @change=${(e) => this.go({ order: e.target.value })}>
            <option value="desc" ?selected=${s.order === 'desc'}>Descending</option>
            <option value="asc" ?selected=${s.order === 'asc'}>Ascending</option>
          </select>
        </label>
        ${can(this.access, 'write') ? html`<a class="button" href="#/upload">Upload a file</a>` : nothing}
      </form>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${this.renderCount(first, last)}
      ${this.total === 0 ? nothing : html`<div class="table-scroll">
        <table class="datasets">
          <caption class="visually-hidden">Datasets</caption>
          <thead><tr><th scope="col">Name</th><th scope="col" class="num">Size</th><th scope="col" class="num">Rows</th><th scope="col" class="num">Versions</th><th scope="col">Last update</th></tr></thead>
          <tbody>
            ${this.datasets.map(
              (d) => html`<tr data-id=${d.id}>
                <th scope="row"><a href=${hrefFor(`datasets/${d.id}`)}>${d.name}</a>${d.tags.length ? html`<span class="tags">${d.tags.map((t) => html`<span class="tag">${t}</span>`)}</span>` : nothing}</th>
                <td class="num">${bytes(d.file_size)}</td>
                <td class="num">${rowsOf(d)}</td>
                <td class="num">${d.version_count}</td>
                <td>${when(d.updated_at)}</td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <nav class="pager" aria-label="Pages">
        <button type="button" ?disabled=${s.page <= 1} @click=${() => this.go({ page: s.page - 1 })}>Previous</button>
        <span>Page ${s.page} of ${pages}</span>
        <button type="button" ?disabled=${s.page >= pages} @click=${() => this.go({ page: s.page + 1 })}>Next</button>
      </nav>`}
    `;
  }

  /**
   * Above the list: "1–20 of 42"; with nothing to list, "No datasets match." when a search, tag or page narrows
   * it, else "No datasets yet" with a link to Upload (when the key may upload); nothing under an error.
   */
  renderCount(first, last) {
    const s = this.state;
    if (this.loading) return html`<p class="count" aria-live="polite">Loading…</p>`;
    if (this.total > 0) return html`<p class="count" aria-live="polite">${first}–${last} of ${this.total}</p>`;
    if (this.error) return nothing;
    if (s.name || s.tag || s.page > 1) return html`<p class="count" aria-live="polite">No datasets match.</p>`;
    return html`<p class="count empty" aria-live="polite">No datasets yet.${can(this.access, 'write')
      ? html` <a href="#/upload">Upload a file</a> to make the first one.` : ''}</p>`;
  }
}

/**
 * The current version's row count when the list carries it (hook for the API's `row_count` on each dataset);
 * otherwise "—": the page does not fetch each dataset's sheets just to count rows.
 */
function rowsOf(d) {
  return typeof d.row_count === 'number' ? d.row_count.toLocaleString() : '—';
}

customElements.define('ds-datasets', DsDatasets);
