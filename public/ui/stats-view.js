/**
 * <ds-stats>: per-column statistics of one sheet (`#/datasets/<id>/stats?version=&sheet=`): the numbers from
 * GET …/statistics, a histogram (uPlot bars) for numeric and temporal columns and the top values of text
 * columns (bars drawn in CSS, each count beside its bar). Histograms and top values come with detailed statistics:
 * when the cached ones are not detailed, a button computes them (POST …/statistics/refresh?detailed=true).
 * Each chart has a text alternative (its bins in a visually hidden table).
 */
import { LitElement, html, nothing } from 'lit';
import uPlot from 'uplot';
import { can, lacking } from './access.js';
import { getJson, plural, send } from './api.js';
import { hrefFor, navigate } from './route.js';

const NUMBERS = [
  ['null_count', 'Nulls'],
  ['unique_count', 'Distinct'],
  ['min', 'Min'],
  ['max', 'Max'],
  ['mean', 'Mean'],
  ['median', 'Median'],
  ['std_dev', 'Std. dev.'],
];

function shown(v) {
  if (v == null) return '—';
  return typeof v === 'number' && !Number.isInteger(v) ? v.toPrecision(6).replace(/\.?0+$/, '') : String(v);
}

/** A bin edge as uPlot's x value: numbers as they are, dates and datetimes as seconds since the epoch. */
function xValue(edge) {
  return typeof edge === 'number' ? edge : Date.parse(edge.length === 10 ? `${edge}T00:00:00Z` : edge) / 1000;
}

class DsStats extends LitElement {
  static properties = {
    datasetId: { attribute: false },
    query: { attribute: false },
    access: { attribute: false },
    dataset: { state: true },
    sheets: { state: true },
    stats: { state: true },
    error: { state: true },
    busy: { state: true },
  };

  constructor() {
    super();
    this.query = new URLSearchParams();
    this.sheets = [];
    this.stats = undefined;
    this.error = '';
    this.busy = false;
    this.plots = [];
  }

  createRenderRoot() {
    return this;
  }

  get versionId() {
    return this.query.get('version') ?? (this.dataset?.versions?.[0] ? String(this.dataset.versions[0].id) : '');
  }

  get sheetName() {
    return this.query.get('sheet') ?? this.sheets[0]?.name ?? '';
  }

  get base() {
    return `/api/datasets/${this.datasetId}/versions/${this.versionId}`;
  }

  willUpdate(changed) {
    if (changed.has('datasetId') || changed.has('query')) void this.load();
  }

  disconnectedCallback() {
    for (const p of this.plots) p.destroy();
    this.plots = [];
    super.disconnectedCallback();
  }

  async load() {
    try {
      if (this.dataset?.id !== Number(this.datasetId)) this.dataset = (await getJson(`/api/datasets/${this.datasetId}`)).body;
      document.title = `Statistics · ${this.dataset.name} · Datasets`;
      if (this.sheetsOf !== this.versionId) {
        this.sheets = (await getJson(`${this.base}/sheets`)).body;
        this.sheetsOf = this.versionId;
      }
      this.stats = (await getJson(`${this.base}/statistics`, { sheet: this.sheetName })).body;
      this.error = '';
    } catch (e) {
      this.error = e.text ?? String(e);
    }
  }

  async detail() {
    this.busy = true;
    try {
      this.stats = await send('POST', withSheet(`${this.base}/statistics/refresh?detailed=true`, this.sheetName));
      this.error = '';
    } catch (e) {
      this.error = e.text ?? String(e);
    } finally {
      this.busy = false;
    }
  }

  updated() {
    for (const p of this.plots) p.destroy();
    this.plots = [];
    for (const el of this.querySelectorAll('.histogram-plot')) {
      const column = this.stats.columns.find((c) => c.column_name === el.dataset.column);
      const { bin_edges: edges, counts } = column.histogram;
      const xs = counts.map((_, i) => xValue(edges[i]));
      const time = typeof edges[0] === 'string';
      // The card's whole width (the plot's box fills it), so a wide card gets a wide chart.
      const width = Math.max(200, el.clientWidth || 320);
      this.plots.push(
        new uPlot(
          {
            width,
            height: 160,
            legend: { show: false },
            cursor: { show: false },
            scales: { x: { time }, y: { range: (_u, _min, max) => [0, max * 1.05 || 1] } },
            axes: [{ stroke: '#4a5360' }, { stroke: '#4a5360', size: 50 }],
            series: [{}, { label: 'rows', fill: 'rgba(11, 87, 208, 0.55)', stroke: '#0b57d0', points: { show: false }, paths: uPlot.paths.bars({ size: [0.95, 100], align: 1 }) }],
          },
          [xs, counts],
          el,
        ),
      );
    }
  }

  go(changes) {
    navigate(`datasets/${this.datasetId}/stats`, { ...Object.fromEntries(this.query.entries()), ...changes });
  }

  render() {
    const d = this.dataset;
    const s = this.stats;
    return html`
      <nav class="crumbs" aria-label="Breadcrumb"><a href="#/datasets">Datasets</a> › <a href=${hrefFor(`datasets/${this.datasetId}`, { version: this.versionId })}>${d?.name ?? '…'}</a> › <span>Statistics</span></nav>
      <h1>Statistics${d ? ` · ${d.name}` : ''}</h1>
      <div class="table-controls">
        <label>Sheet
          <select name="sheet" @change=${(e) => this.go({ sheet: e.target.value })}>
            ${this.sheets.map((sh) => html`<option value=${sh.name} ?selected=${sh.name === this.sheetName}>${sh.name}</option>`)}
          </select>
        </label>
        ${s && !s.detailed
          ? can(this.access, 'write')
            ? html`<button type="button" ?disabled=${this.busy} @click=${this.detail}>${this.busy ? 'Computing…' : 'Compute histograms and top values'}</button>`
            : html`<p class="note needs-scope">${lacking(this.access, 'write', 'Computing histograms and top values')}</p>`
          : nothing}
        ${s ? html`<p class="count">${plural(s.total_rows, 'row')}, ${plural(s.total_columns, 'column')}</p>` : nothing}
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="stat-cards">
        ${(s?.columns ?? []).map((c) => this.card(c))}
      </div>
    `;
  }

  card(c) {
    return html`<section class="stat-card" data-column=${c.column_name} aria-labelledby=${`stat-${c.column_name}`}>
      <h2 id=${`stat-${c.column_name}`}>${c.column_name} <span class="h-type">${c.data_type}</span></h2>
      <dl class="numbers">
        ${NUMBERS.filter(([k]) => c[k] != null).map(([k, label]) => html`<div><dt>${label}</dt><dd data-stat=${k}>${shown(c[k])}</dd></div>`)}
      </dl>
      ${c.histogram
        ? html`<figure>
            <div class="histogram-plot" data-column=${c.column_name} aria-hidden="true"></div>
            <figcaption>Histogram of ${c.column_name}: ${c.histogram.counts.length} bins from ${shown(c.histogram.bin_edges[0])} to ${shown(c.histogram.bin_edges.at(-1))}</figcaption>
            <table class="visually-hidden"><caption>Histogram of ${c.column_name}</caption>
              <thead><tr><th scope="col">From</th><th scope="col">Rows</th></tr></thead>
              <tbody>${c.histogram.counts.map((n, i) => html`<tr><td>${shown(c.histogram.bin_edges[i])}</td><td>${n}</td></tr>`)}</tbody>
            </table>
          </figure>`
        : nothing}
      ${c.top_values
        ? html`<table class="top-values"><caption>Top values of ${c.column_name}</caption>
            <thead><tr><th scope="col">Value</th><th scope="col" class="num">Rows</th></tr></thead>
            <tbody>${c.top_values.map((t) => {
              const max = c.top_values[0]?.count || 1;
              return html`<tr><td class=${t.value === null ? 'cell-null' : ''}>${t.value === null ? 'null' : String(t.value)}</td>
                <td class="num"><span class="bar-row"><span class="bar-track"><span class="bar" style=${`width:${Math.max(2, (t.count / max) * 100)}%`}></span></span><span class="bar-count">${t.count}</span></span></td></tr>`;
            })}</tbody>
          </table>`
        : nothing}
    </section>`;
  }
}

function withSheet(url, sheet) {
  return sheet ? `${url}&sheet=${encodeURIComponent(sheet)}` : url;
}

customElements.define('ds-stats', DsStats);
