/**
 * <ds-sql>: read-only SQL over one version (`#/datasets/<id>/sql?version=&sql=&page=`). The version's tables
 * (its sheets, the first also as "data") are listed with their columns; the query runs through
 * POST …/versions/{vid}/query, 100 result rows a page, shown as a table (nulls as a styled "null"); a refusal
 * shows the API's words. The query is in the URL, so a link reruns it.
 */
import { LitElement, html, nothing } from 'lit';
import { getJson, plural, send } from './api.js';
import { hrefFor, navigate } from './route.js';

const PAGE_SIZE = 100;

/**
 * The result's columns whose shown values are all numbers (nulls aside; 64-bit integers written as strings
 * with `int64: 'string'` are not asked for here): right-aligned, heading too, as the table view aligns them.
 */
function numericColumns(result) {
  return new Set(result.columns.filter((c) => {
    const values = result.data.map((row) => row[c]).filter((v) => v !== null);
    return values.length > 0 && values.every((v) => typeof v === 'number');
  }));
}

function cellText(value) {
  if (value === null) return 'null';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

class DsSql extends LitElement {
  static properties = {
    datasetId: { attribute: false },
    query: { attribute: false },
    dataset: { state: true },
    sheets: { state: true },
    result: { state: true },
    error: { state: true },
    running: { state: true },
  };

  constructor() {
    super();
    this.query = new URLSearchParams();
    this.sheets = [];
    this.result = undefined;
    this.error = '';
    this.running = false;
  }

  createRenderRoot() {
    return this;
  }

  get versionId() {
    return this.query.get('version') ?? (this.dataset?.versions?.[0] ? String(this.dataset.versions[0].id) : '');
  }

  get page() {
    return Math.max(1, Number.parseInt(this.query.get('page') ?? '1', 10) || 1);
  }

  willUpdate(changed) {
    if (changed.has('datasetId') || changed.has('query')) void this.load();
  }

  async load() {
    try {
      if (this.dataset?.id !== Number(this.datasetId)) this.dataset = (await getJson(`/api/datasets/${this.datasetId}`)).body;
      document.title = `SQL · ${this.dataset.name} · Datasets`;
      if (this.sheetsOf !== this.versionId) {
        this.sheets = (await getJson(`/api/datasets/${this.datasetId}/versions/${this.versionId}/sheets`)).body;
        this.sheetsOf = this.versionId;
      }
      const sql = this.query.get('sql');
      if (!sql) {
        this.result = undefined;
        return;
      }
      this.running = true;
      this.result = await send('POST', `/api/datasets/${this.datasetId}/versions/${this.versionId}/query`, { sql, page: this.page, page_size: PAGE_SIZE });
      this.error = '';
    } catch (e) {
      this.error = e.text ?? String(e);
      this.result = undefined;
    } finally {
      this.running = false;
    }
  }

  run(e) {
    e.preventDefault();
    const sql = e.target.elements.namedItem('sql').value.trim();
    if (!sql) return;
    this.go({ sql, page: undefined });
  }

  go(changes) {
    const next = { ...Object.fromEntries(this.query.entries()), version: this.versionId, ...changes };
    if (next.sql === this.query.get('sql') && String(next.page ?? '') === (this.query.get('page') ?? '')) void this.load();
    else navigate(`datasets/${this.datasetId}/sql`, next);
  }

  render() {
    const d = this.dataset;
    const r = this.result;
    const pages = r ? Math.max(1, Math.ceil(r.total_rows / PAGE_SIZE)) : 1;
    const numeric = r ? numericColumns(r) : new Set();
    return html`
      <nav class="crumbs" aria-label="Breadcrumb"><a href="#/datasets">Datasets</a> › <a href=${hrefFor(`datasets/${this.datasetId}`, { version: this.versionId })}>${d?.name ?? '…'}</a> › <span>SQL</span></nav>
      <h1>SQL${d ? ` · ${d.name}` : ''}</h1>
      <div class="sql-layout">
        <section class="sql-tables" aria-labelledby="tables-title">
          <h2 id="tables-title">Tables</h2>
          <ul>
            ${this.sheets.map(
              (s, i) => html`<li><strong>${s.name}</strong>${i === 0 ? html` <span class="note">(also “data”)</span>` : nothing}
                <span class="note">${plural(s.row_count, 'row')}</span>
                <ul class="cols">${s.columns.map((c) => html`<li>${c.name} <span class="h-type">${c.type}</span></li>`)}</ul></li>`,
            )}
          </ul>
        </section>
        <form class="sql-editor" @submit=${this.run}>
          <label>SQL (one SELECT; Ctrl+Enter runs it)
            <textarea name="sql" rows="6" spellcheck="false" .value=${this.query.get('sql') ?? 'SELECT * FROM data LIMIT 10'}
              @keydown=${(e) => e.key === 'Enter' && (e.ctrlKey || e.metaKey) && e.target.form.requestSubmit()}></textarea>
          </label>
          <div class="actions"><button type="submit" ?disabled=${this.running}>Run</button></div>
        </form>
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${r
        ? html`<p class="count" aria-live="polite">${plural(r.total_rows, 'result row')}${pages > 1 ? ` · page ${this.page} of ${pages}` : ''}</p>
          <div class="table-scroll">
            <table class="datasets sql-result">
              <thead><tr>${r.columns.map((c) => html`<th scope="col" class=${numeric.has(c) ? 'num' : ''}>${c}</th>`)}</tr></thead>
              <tbody>${r.data.map((row) => html`<tr>${r.columns.map((c) => html`<td class=${[numeric.has(c) ? 'num' : '', row[c] === null ? 'cell-null' : ''].join(' ').trim()}>${cellText(row[c])}</td>`)}</tr>`)}</tbody>
            </table>
          </div>
          ${pages > 1
            ? html`<nav class="pager" aria-label="Result pages">
                <button type="button" ?disabled=${this.page <= 1} @click=${() => this.go({ page: this.page - 1 })}>Previous</button>
                <button type="button" ?disabled=${this.page >= pages} @click=${() => this.go({ page: this.page + 1 })}>Next</button>
              </nav>`
            : nothing}`
        : nothing}
    `;
  }
}
customElements.define('ds-sql', DsSql);
