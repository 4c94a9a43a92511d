/**
 * <ds-health>: the operators' view of GET /health (`#/health`), read again every 2 s while shown (a pause
 * button stops it): status, backend, uptime, the worker pools (threads, queue depth, utilization, tasks done),
 * each data worker's cache, the memory backend's shards and the SQL answer cache.
 */
import { LitElement, html, nothing } from 'lit';
import { bytes, duration, plural } from './api.js';

const EVERY_MS = 2000;

class DsHealth extends LitElement {
  static properties = { health: { state: true }, error: { state: true }, paused: { state: true }, at: { state: true } };

  constructor() {
    super();
    this.health = undefined;
    this.error = '';
    this.paused = false;
    this.at = '';
  }

  createRenderRoot() {
    return this;
  }

  connectedCallback() {
    super.connectedCallback();
    document.title = 'Health · Datasets';
    void this.read();
    this.timer = setInterval(() => this.paused || this.read(), EVERY_MS);
  }

  disconnectedCallback() {
    clearInterval(this.timer);
    super.disconnectedCallback();
  }

  async read() {
    try {
      // /health answers 503 with the same body when overloaded: show it rather than an error.
      const res = await fetch('/health', { headers: { accept: 'application/json' } });
      this.health = await res.json();
      this.error = '';
      this.at = new Date().toLocaleTimeString();
    } catch (e) {
      this.error = `The service did not answer: ${e.message ?? e}`;
    }
  }

  render() {
    const h = this.health;
    return html`
      <h1>Service health</h1>
      <div class="actions">
        <button type="button" @click=${() => (this.paused = !this.paused)} aria-pressed=${this.paused}>${this.paused ? 'Resume updates' : 'Pause updates'}</button>
        <span class="note">${this.at ? `Read at ${this.at}, every ${EVERY_MS / 1000} s` : ''}</span>
      </div>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${h
        ? html`
          <dl class="facts">
            <div><dt>Status</dt><dd class=${h.status === 'ok' ? 'ok' : 'error'} data-field="status">${h.status}</dd></div>
            <div><dt>Backend</dt><dd data-field="backend">${h.storage_backend}</dd></div>
            <div><dt>Datasets</dt><dd data-field="datasets">${h.datasets ?? '—'}</dd></div>
            <div><dt>Up for</dt><dd data-field="uptime">${h.uptime_s != null ? duration(h.uptime_s) : '—'}</dd></div>
            ${h.workers?.source_bytes != null ? html`<div><dt>Source files held</dt><dd>${bytes(h.workers.source_bytes)}</dd></div>` : nothing}
          </dl>
          <h2>Worker pools</h2>
          <div class="table-scroll"><table class="datasets pools">
            <thead><tr><th scope="col">Pool</th><th scope="col" class="num">Threads</th><th scope="col" class="num">Queued</th><th scope="col" class="num">Utilization</th><th scope="col" class="num">Tasks done</th></tr></thead>
            <tbody>${(h.workers?.pools ?? []).map(
              (p) => html`<tr data-pool=${p.name}><th scope="row">${p.name}</th><td class="num">${p.threads}</td><td class="num">${p.queued} / ${p.max_queue}</td>
                <td class="num">${Math.round(p.utilization * 100)} %</td><td class="num" data-field="completed">${p.completed}</td></tr>`,
            )}</tbody>
          </table></div>
          ${h.workers?.data?.length
            ? html`<h2>Data worker caches</h2>
              <div class="table-scroll"><table class="datasets caches">
                <thead><tr><th scope="col">Worker</th><th scope="col" class="num">Entries</th><th scope="col" class="num">Held / budget</th><th scope="col" class="num">Hits</th><th scope="col" class="num">Misses</th><th scope="col" class="num">Evictions</th></tr></thead>
                <tbody>${h.workers.data.map(
                  (w) => html`<tr><th scope="row">${w.name}</th><td class="num">${w.cache?.entries ?? '—'}</td><td class="num">${bytes(w.cache?.bytes)} / ${bytes(w.cache?.budget_bytes)}</td>
                    <td class="num">${w.cache?.hits ?? '—'}</td><td class="num">${w.cache?.misses ?? '—'}</td><td class="num">${w.cache?.evictions ?? '—'}</td></tr>`,
                )}</tbody>
              </table></div>`
            : nothing}
          ${h.workers?.shards?.length
            ? html`<h2>Shards (memory backend)</h2>
              <div class="table-scroll"><table class="datasets shards">
                <thead><tr><th scope="col">Shard</th><th scope="col" class="num">Versions</th><th scope="col" class="num">Datasets</th><th scope="col" class="num">Held</th></tr></thead>
                <tbody>${h.workers.shards.map(
                  (s) => html`<tr><th scope="row">${s.shard}</th><td class="num">${s.versions}</td><td class="num">${s.datasets}</td><td class="num">${bytes(s.bytes)}</td></tr>`,
                )}</tbody>
              </table></div>`
            : nothing}
          ${h.sql_answers
            ? html`<h2>SQL answer cache</h2>
              <p data-field="sql-answers">${plural(h.sql_answers.entries, 'entry', 'entries')}, ${bytes(h.sql_answers.bytes)} of ${bytes(h.sql_answers.budget_bytes)}; ${plural(h.sql_answers.hits, 'hit')}, ${plural(h.sql_answers.misses, 'miss', 'misses')}.</p>`
            : nothing}`
        : nothing}
    `;
  }
}
customElements.define('ds-health', DsHealth);
