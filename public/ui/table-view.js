/**
 * <ds-table>: one sheet of one version as a grid. AG Grid community's infinite row model reads
 * GET …/data?offset=&limit= in blocks of BLOCK rows (JSON pages hold at most 1000), with the answer's
 * `total_rows` as the row count, so the scrollbar spans the whole table and a jump far down loads only the
 * block(s) shown there. Column types come from …/schema; a header click sorts through the API's
 * `sort=a,-b` (shift-click adds a key); nulls show as a styled "null". The view — version, sheet, sort and
 * first row shown — is in the URL: `#/datasets/<id>?version=&sheet=&sort=&row=` (row is 1-based).
 */
import { LitElement, html, nothing } from 'lit';
import { AllCommunityModule, ModuleRegistry, createGrid } from 'ag-grid-community';
import { can, keysOn } from './access.js';
import { authHeaders, downloadWithToken, failureOf, getJson, listName, plural, withQuery } from './api.js';
import { TypedHeader } from './grid-header.js';
import { filterParams, filtersFrom } from './table-filters.js';
import { hrefFor, replaceQuery } from './route.js';

ModuleRegistry.registerModules([AllCommunityModule]);

const BLOCK = 100;
const FACET_COLUMNS = 4;
const FACET_VALUES = 8;
/** Export formats of …/data (`?format=`), as the API names them. */
const EXPORTS = [
  ['csv', 'CSV'],
  ['ndjson', 'NDJSON'],
  ['parquet', 'Parquet'],
  ['arrow-file', 'Arrow'],
  ['xlsx', 'Excel (xlsx)'],
];
const ROW_HEIGHT = 40;

/** `sort=` text ("a,-b") from the grid's sort model, and back. */
function sortParam(model) {
  return model.map((s) => `${s.sort === 'desc' ? '-' : ''}${listName(s.colId)}`).join(',');
}
function parseSort(text) {
  return parseList(text, true).map(({ name, minus }) => ({ colId: name, sort: minus ? 'desc' : 'asc' }));
}

/**
 * The API's comma-separated names (`sort=`, `columns=`): `name`, or `"quoted, name"` with `""` for a quote;
 * when `signed`, a leading `-` (outside the quotes) marks a descending key.
 */
function parseList(text, signed) {
  const out = [];
  const re = signed ? /(-?)(?:"((?:[^"]|"")*)"|([^,]*))(?:,|$)/g : /()(?:"((?:[^"]|"")*)"|([^,]*))(?:,|$)/g;
  let m;
  while (text && (m = re.exec(text)) && m[0] !== '') {
    out.push({ name: m[2] !== undefined ? m[2].replaceAll('""', '"') : m[3], minus: Boolean(m[1]) });
  }
  return out;
}

/** What a cell shows: JSON for lists and structs, text otherwise; null is styled by cellClassRules. */
function cellText(value) {
  if (value === null) return 'null';
  if (value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

class DsTable extends LitElement {
  static properties = {
    datasetId: { attribute: false },
    query: { attribute: false },
    access: { attribute: false },
    dataset: { state: true },
    sheets: { state: true },
    total: { state: true },
    error: { state: true },
    schema: { state: true },
    facets: { state: true },
    exportError: { state: true },
  };

  constructor() {
    super();
    this.query = new URLSearchParams();
    this.dataset = undefined;
    this.sheets = [];
    this.total = undefined;
    this.error = '';
    this.schema = undefined;
    this.facets = undefined;
    this.exportError = '';
    this.grid = undefined;
    this.gridKey = '';
  }

  createRenderRoot() {
    return this;
  }

  get versionId() {
    return this.query.get('version') ?? (this.dataset?.versions?.[0]?.id != null ? String(this.dataset.versions[0].id) : '');
  }

  get sheetName() {
    return this.query.get('sheet') ?? this.sheets[0]?.name ?? '';
  }

  get base() {
    return `/api/datasets/${this.datasetId}/versions/${this.versionId}`;
  }

  willUpdate(changed) {
    // A query this view wrote itself (setQuery) is already shown: no reload, no scroll.
    if (changed.has('query') && !changed.has('datasetId') && this.query.toString() === this.ownQuery) return;
    if (changed.has('datasetId') || changed.has('query')) void this.load();
  }

  disconnectedCallback() {
    this.grid?.destroy();
    this.grid = undefined;
    super.disconnectedCallback();
  }

  /**
   * The URL's view: dataset, version, sheet and sort rebuild the grid; `row` only scrolls. The API calls the
   * grid needs go out together: the dataset, and the version's sheets and schema at once when the URL names the
   * version, else as soon as the dataset's answer names it.
   */
  async load() {
    try {
      const sheet = this.query.get('sheet') ?? '';
      const named = this.query.get('version');
      const early = named ? this.versionInfo(named, sheet) : undefined;
      early?.catch(() => {}); // its refusal is shown below, after the dataset's own (which says more)
      if (this.dataset?.id !== Number(this.datasetId)) {
        this.dataset = (await getJson(`/api/datasets/${this.datasetId}`)).body;
      }
      document.title = `${this.dataset.name} · Datasets`;
      if (!this.versionId) {
        this.error = 'This dataset has no versions.';
        return;
      }
      const [sheets, schema] = await this.versionInfo(this.versionId, sheet);
      this.sheets = sheets;
      this.error = '';
      await this.updateComplete;
      await this.showGrid(schema);
    } catch (e) {
      this.error = e.text ?? String(e);
    }
  }

  /**
   * A version's sheets and the schema of one of them (`sheet` '' : the first, as the API defaults), asked for
   * in parallel. Each answer is kept while the view shows that version (and sheet), so a new sort or filter
   * asks again for neither; a refusal is not kept. Resolves `[sheets, schema]`; rejects with ApiFailure.
   */
  versionInfo(version, sheet) {
    const base = `/api/datasets/${this.datasetId}/versions/${version}`;
    const kept = (slot, key, path, params) => {
      if (this[slot]?.key !== key) {
        const answer = getJson(path, params).then((r) => r.body);
        const entry = { key, answer };
        this[slot] = entry;
        answer.catch(() => {
          if (this[slot] === entry) this[slot] = undefined;
        });
      }
      return this[slot].answer;
    };
    return Promise.all([kept('sheetsAsked', base, `${base}/sheets`), kept('schemaAsked', `${base}?${sheet}`, `${base}/schema`, { sheet })]);
  }

  async showGrid(schema) {
    const sort = this.query.get('sort') ?? '';
    const filters = filtersFrom(this.query);
    const shownParam = this.query.get('columns') ?? '';
    const key = JSON.stringify([this.datasetId, this.versionId, this.sheetName, sort, filters, shownParam]);
    const row = Math.max(1, Number.parseInt(this.query.get('row') ?? '1', 10) || 1);
    if (this.grid && key === this.gridKey) {
      this.grid.ensureIndexVisible(row - 1, 'top');
      return;
    }
    this.grid?.destroy();
    this.grid = undefined;
    this.gridKey = key;
    const sheet = this.sheetName;
    this.schema = schema;
    const sortKeys = parseSort(sort);
    const sheetInfo = this.sheets.find((s) => s.name === sheet);
    // Without filters the sheet's row count is the result's; with them, the first answer tells.
    const knownTotal = filters.length === 0 ? sheetInfo?.row_count : undefined;
    this.total = knownTotal;
    const shown = new Set(parseList(shownParam, false).map((c) => c.name));
    const visible = shown.size > 0 ? schema.columns.filter((c) => shown.has(c.name)) : schema.columns;
    // Only the shown columns are read (the API's projection), unless all are shown.
    const projection = visible.length < schema.columns.length ? visible.map((c) => listName(c.name)).join(',') : undefined;
    const columnDefs = visible.map((c) => {
      const i = sortKeys.findIndex((k) => k.colId === c.name);
      return {
        colId: c.name,
        headerName: c.name,
        // A getter, not `field`: field treats dots as paths into nested objects, and names may hold dots.
        valueGetter: (p) => p.data?.[c.name],
        valueFormatter: (p) => cellText(p.value),
        // The browser's own tooltip (a title) with the whole value, for a cell cut short with an ellipsis.
        tooltipValueGetter: (p) => (p.data ? cellText(p.value) : undefined),
        cellClassRules: { 'cell-null': (p) => p.value === null },
        headerComponent: TypedHeader,
        headerComponentParams: { type: c.type },
        headerTooltip: `${c.name}: ${c.type} (${c.dtype})${c.nullable ? ', may be null' : ''}`,
        sortable: true,
        sort: i >= 0 ? sortKeys[i].sort : undefined,
        sortIndex: i >= 0 ? i : undefined,
        type: c.type === 'integer' || c.type === 'float' ? 'numericColumn' : undefined,
      };
    });
    let pendingRow = row > 1 ? row - 1 : undefined;
    const el = this.querySelector('.grid');
    const base = this.base;
    const filterQuery = filterParams(filters);
    // Facets follow the first rows: on a big table they are a scan of every row, and asked for together with
    // the first block they hold up its answer when both go to the worker thread holding the table.
    let facetsAsked = false;
    let grid;
    const askFacets = () => {
      if (facetsAsked || grid === undefined || this.grid !== grid) return; // not for a grid replaced meanwhile
      facetsAsked = true;
      void this.loadFacets(schema, sheet, filterQuery);
    };
    // Columns fit the grid's width before any row is in; once the first rows are, each column takes its
    // content's width (header included) and any room left is shared out, so nothing is cut at first sight.
    let fitted = false;
    const fitColumns = () => {
      if (fitted) return;
      fitted = true;
      requestAnimationFrame(() => {
        if (this.grid !== grid || grid.isDestroyed()) return;
        grid.autoSizeAllColumns();
        // Then widen them to the body's width (less its scrollbar), none narrower than its content.
        const columnLimits = grid.getColumnState().map((c) => ({ key: c.colId, minWidth: c.width }));
        grid.sizeColumnsToFit({ columnLimits });
      });
    };
    grid = this.grid = createGrid(el, {
      columnDefs,
      defaultColDef: { minWidth: 72, resizable: true },
      autoSizeStrategy: { type: 'fitGridWidth', defaultMinWidth: 110 },
      enableBrowserTooltips: true,
      rowModelType: 'infinite',
      cacheBlockSize: BLOCK,
      maxBlocksInCache: 40,
      maxConcurrentDatasourceRequests: 2,
      blockLoadDebounceMillis: 50,
      // The scrollbar spans the whole sheet before the first answer; each answer's total_rows corrects it.
      infiniteInitialRowCount: knownTotal ?? 1,
      // Fixed heights, so a jump computes the same scroll offset before and after the theme's styles apply.
      rowHeight: ROW_HEIGHT,
      headerHeight: 48,
      rowBuffer: 5,
      ensureDomOrder: true,
      datasource: {
        getRows: (params) => {
          const sortText = sortParam(params.sortModel);
          const url = withQuery(`${base}/data`, {
            sheet,
            offset: params.startRow,
            limit: params.endRow - params.startRow,
            sort: sortText,
            columns: projection,
            ...filterQuery,
          });
          fetch(url, { headers: { accept: 'application/json', ...authHeaders() } })
            .then(async (res) => {
              if (!res.ok) throw await failureOf(res);
              const page = await res.json();
              this.total = page.total_rows;
              params.successCallback(page.data, page.total_rows);
              fitColumns();
              askFacets();
              // Once the first answer has fixed the row count, make sure the URL's row is where the grid starts.
              if (pendingRow !== undefined) {
                const index = pendingRow;
                pendingRow = undefined;
                setTimeout(() => this.grid?.ensureIndexVisible(index, 'top'));
              }
            })
            .catch((e) => {
              this.error = e.text ?? String(e);
              params.failCallback();
              askFacets();
            });
        },
      },
      onSortChanged: (e) => {
        const model = e.api.getColumnState().filter((c) => c.sort).sort((a, b) => (a.sortIndex ?? 0) - (b.sortIndex ?? 0));
        const text = sortParam(model.map((c) => ({ colId: c.colId, sort: c.sort })));
        this.gridKey = JSON.stringify([this.datasetId, this.versionId, sheet, text, filters, shownParam]);
        this.setQuery({ sort: text, row: undefined });
        e.api.ensureIndexVisible(0, 'top');
      },
      onBodyScrollEnd: (e) => {
        // The first row whose top is in view (getFirstDisplayedRowIndex counts the rows rendered above it too).
        const first = Math.round(e.api.getVerticalPixelRange().top / ROW_HEIGHT);
        this.setQuery({ row: first > 0 ? first + 1 : undefined });
      },
      onGridReady: (e) => {
        if (row > 1) e.api.ensureIndexVisible(row - 1, 'top');
      },
    });
  }

  /**
   * The most frequent values of the text columns (up to FACET_COLUMNS of them) over the filtered rows, from
   * …/facets; shown beside the grid, a click on a value filters on it.
   */
  async loadFacets(schema, sheet, filterQuery) {
    const text = schema.columns.filter((c) => c.type === 'string').slice(0, FACET_COLUMNS);
    if (text.length === 0) {
      this.facets = undefined;
      return;
    }
    try {
      const { body } = await getJson(`${this.base}/facets`, { sheet, columns: text.map((c) => listName(c.name)).join(','), limit: FACET_VALUES, ...filterQuery });
      this.facets = body.facets;
    } catch {
      this.facets = undefined; // the grid shows the refusal of the same filters
    }
  }

  facetFilter(column, value) {
    const filters = filtersFrom(this.query).filter((f) => f.column !== column);
    this.applyFilters([...filters, value === null ? { column, op: 'is_null', value: '' } : { column, op: 'eq', value: String(value) }]);
  }

  renderFacets() {
    return html`<aside class="facets" aria-labelledby="facets-title">
      <h2 id="facets-title">Facets</h2>
      ${this.facets.map(
        (f) => html`<section class="facet" data-column=${f.column}>
          <h3>${f.column} <span class="h-type">${f.distinct_count.toLocaleString()} distinct</span></h3>
          <ul>${f.values.map(
            (v) => html`<li><button type="button" class="facet-value" data-value=${v.value === null ? '' : String(v.value)}
              @click=${() => this.facetFilter(f.column, v.value)}><span class=${v.value === null ? 'cell-null' : ''}>${v.value === null ? 'null' : String(v.value)}</span>
              <span class="facet-count">${v.count.toLocaleString()}</span></button></li>`,
          )}</ul>
        </section>`,
      )}
    </aside>`;
  }

  /** Changes the URL's query (no history entry) and keeps this.query in step, so it does not rebuild. */
  setQuery(changes) {
    const next = Object.fromEntries(this.query.entries());
    for (const [k, v] of Object.entries(changes)) {
      if (v === undefined || v === '') delete next[k];
      else next[k] = String(v);
    }
    replaceQuery(next);
    this.query = new URLSearchParams(next);
    this.ownQuery = this.query.toString();
  }

  /** Navigates to this view with `changes` (undefined removes a parameter); `dropFilters` removes every filter. */
  go(changes, dropFilters = false) {
    const next = Object.fromEntries([...this.query.entries()].filter(([k]) => !(dropFilters && k.startsWith('filter['))));
    Object.assign(next, changes);
    location.hash = hrefFor(`datasets/${this.datasetId}`, next).slice(1);
  }

  applyFilters(filters) {
    this.go({ ...filterParams(filters), row: undefined }, true);
  }

  /** Shows or hides a column: `columns=` lists the shown ones (absent: all). */
  toggleColumn(name, on) {
    const all = this.schema.columns.map((c) => c.name);
    const current = new Set(this.query.get('columns') ? parseList(this.query.get('columns'), false).map((c) => c.name) : all);
    if (on) current.add(name);
    else current.delete(name);
    const shown = all.filter((c) => current.has(c));
    if (shown.length === 0) return;
    this.go({ columns: shown.length === all.length ? undefined : shown.map(listName).join(','), row: undefined });
  }

  jump(e) {
    e.preventDefault();
    const n = Number.parseInt(e.target.elements.namedItem('row').value, 10);
    if (!this.grid || !(n >= 1)) return;
    this.grid.ensureIndexVisible(n - 1, 'top');
    this.setQuery({ row: n > 1 ? n : undefined });
  }

  /** The current view as an export takes it (filters, sort, shown columns), in `format`; empty values left out. */
  exportView(format) {
    const view = {
      format,
      sheet: this.sheetName || undefined,
      sort: this.query.get('sort') || undefined,
      columns: this.query.get('columns') || undefined,
    };
    return Object.fromEntries(Object.entries(view).filter(([, v]) => v !== undefined));
  }

  /**
   * A link that downloads the current view as `format`: the browser streams the answer to disk, the page never
   * holds it. Only without API keys: a link carries no key (see exportWithToken).
   */
  exportHref(format) {
    return withQuery(`${this.base}/data`, { ...this.exportView(format), ...filterParams(filtersFrom(this.query)) });
  }

  /** With API keys on: mints a single-use download token for the current view, then the browser follows it. */
  async exportWithToken(format) {
    const filters = filterParams(filtersFrom(this.query));
    try {
      this.exportError = '';
      await downloadWithToken(this.base, { ...this.exportView(format), ...(Object.keys(filters).length ? { filters } : {}) });
    } catch (e) {
      this.exportError = e.text ?? String(e);
    }
  }

  renderTools() {
    const filters = filtersFrom(this.query);
    const shownParam = this.query.get('columns');
    const shown = new Set(shownParam ? parseList(shownParam, false).map((c) => c.name) : this.schema.columns.map((c) => c.name));
    return html`<div class="table-tools">
      <details class="tool" ?open=${filters.length > 0}>
        <summary>Filters${filters.length ? ` (${filters.length})` : ''}</summary>
        <ds-filters .columns=${this.schema.columns} .filters=${filters} @apply=${(e) => this.applyFilters(e.detail)}></ds-filters>
      </details>
      <details class="tool">
        <summary>Columns (${shown.size} of ${this.schema.columns.length})</summary>
        <fieldset class="column-chooser">
          <legend class="visually-hidden">Shown columns</legend>
          ${this.schema.columns.map(
            (c) => html`<label class="check"><input type="checkbox" .checked=${shown.has(c.name)} ?disabled=${shown.size === 1 && shown.has(c.name)}
              @change=${(e) => this.toggleColumn(c.name, e.target.checked)}> ${c.name}</label>`,
          )}
        </fieldset>
      </details>
      <details class="tool">
        <summary>Export</summary>
        <ul class="exports">
          ${EXPORTS.map(([format, label]) => html`<li>${keysOn(this.access)
            ? html`<button type="button" class="secondary" @click=${() => this.exportWithToken(format)}>Export ${label}</button>`
            : html`<a href=${this.exportHref(format)} download>Export ${label}</a>`}</li>`)}
        </ul>
        <p class="note">The rows of this view: filters, sort and shown columns applied.${keysOn(this.access)
          ? ' Each export fetches a single-use link from the service, so your key never goes in a URL.' : ''}</p>
        ${this.exportError ? html`<p class="error" role="alert">${this.exportError}</p>` : nothing}
      </details>
    </div>`;
  }

  render() {
    const d = this.dataset;
    return html`
      <nav class="crumbs" aria-label="Breadcrumb"><a href="#/datasets">Datasets</a> › <span>${d?.name ?? '…'}</span></nav>
      <h1>${d?.name ?? 'Dataset'}</h1>
      <p class="links"><a href=${hrefFor(`datasets/${this.datasetId}/about`)}>About, versions and downloads</a> · <a href=${hrefFor(`datasets/${this.datasetId}/stats`, { version: this.versionId, sheet: this.sheetName || undefined })}>Statistics</a>${can(this.access, 'write')
        ? html` · <a href=${hrefFor(`datasets/${this.datasetId}/sql`, { version: this.versionId })}>SQL</a>` : nothing}</p>
      ${d?.description ? html`<p class="description">${d.description}</p>` : nothing}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="table-controls">
        <label>Version
          <select name="version" @change=${(e) => this.go({ version: e.target.value, sheet: undefined, sort: undefined, row: undefined })}>
            ${(d?.versions ?? []).map((v) => html`<option value=${String(v.id)} ?selected=${String(v.id) === this.versionId}>v${v.version_number} · ${v.file_name}</option>`)}
          </select>
        </label>
        <label>Sheet
          <select name="sheet" @change=${(e) => this.go({ sheet: e.target.value, sort: undefined, row: undefined })}>
            ${this.sheets.map((s) => html`<option value=${s.name} ?selected=${s.name === this.sheetName}>${s.name}</option>`)}
          </select>
        </label>
        <form class="jump" @submit=${this.jump}>
          <label>Go to row <input name="row" type="number" min="1" max=${this.total ?? nothing} inputmode="numeric"></label>
          <button type="submit">Go</button>
        </form>
        <p class="count" aria-live="polite">${this.total == null ? '' : filtersFrom(this.query).length ? plural(this.total, 'row matches', 'rows match') : plural(this.total, 'row')}</p>
      </div>
      ${this.schema ? this.renderTools() : nothing}
      <div class="table-body">
        <div class="grid" role="region" aria-label="Rows of ${this.sheetName || 'the sheet'}"></div>
        ${this.facets?.length ? this.renderFacets() : nothing}
      </div>
    `;
  }
}
customElements.define('ds-table', DsTable);
