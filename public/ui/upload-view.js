/**
 * <ds-upload>: choose or drop a file, then either a new dataset (name, description, tags) or a new version of
 * an existing one (`dataset_id`, also from `#/upload?dataset_id=`). POST /api/datasets/upload by
 * XMLHttpRequest, for its upload progress: a progress bar while the bytes go up. The upload carries a random
 * `X-Upload-Id`; once every byte is up, the page polls `GET /api/uploads/{id}` every POLL_MS and the bar shows
 * the server's phase ("Parsing on the server…", "Storing…") until the answer. Cancel aborts the request (the
 * service stores nothing of an upload cut off while sending). A refusal shows the status in words and the
 * API's `detail` next to the file. The phase is announced in words (a status region); the bar is labelled.
 */
import { LitElement, html, nothing } from 'lit';
import { ApiFailure, authHeaders, bytes, getJson, plural } from './api.js';
import { hrefFor } from './route.js';

/** How often the server's phase is asked for once the bytes are up (ms). */
const POLL_MS = 250;

/** The bar's words for the server's phases (`GET /api/uploads/{id}`); done and failed end with the answer. */
const SERVER_PHASES = {
  receiving: 'Receiving on the server',
  parsing: 'Parsing on the server…',
  storing: 'Storing…',
};

/** A random upload id the API accepts (8–64 of A–Z a–z 0–9 _ -): 32 hex digits (randomUUID needs a secure context). */
function newUploadId() {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

class DsUpload extends LitElement {
  static properties = {
    datasetId: { attribute: false },
    file: { state: true },
    phase: { state: true }, // idle | sending | parsing (every byte is up) | done | failed | cancelled
    sent: { state: true },
    server: { state: true }, // the last GET /api/uploads/{id} answer while parsing

    error: { state: true },
    result: { state: true },
    datasets: { state: true },
    dragging: { state: true },
  };

  constructor() {
    super();
    this.datasetId = '';
    this.file = undefined;
    this.phase = 'idle';
    this.sent = 0;
    this.server = undefined;
    this.error = '';
    this.result = undefined;
    this.datasets = [];
    this.dragging = false;
    this.xhr = undefined;
    this.cancelledWhileParsing = false;
  }

  createRenderRoot() {
    return this;
  }

  connectedCallback() {
    super.connectedCallback();
    // The first 100 by name, for the "new version of" picker.
    getJson('/api/datasets', { limit: 100, sort_by: 'name', sort_order: 'asc' }).then(
      ({ body }) => (this.datasets = body),
      () => (this.datasets = []),
    );
  }

  pick(file) {
    this.file = file;
    this.phase = 'idle';
    this.error = '';
    this.result = undefined;
  }

  onDrop(e) {
    e.preventDefault();
    this.dragging = false;
    const file = e.dataTransfer?.files?.[0];
    if (file) this.pick(file);
  }

  submit(e) {
    e.preventDefault();
    if (!this.file) {
      this.error = 'Choose a file first.';
      this.phase = 'failed';
      return;
    }
    const form = e.target;
    const data = new FormData();
    const target = form.elements.namedItem('dataset_id').value;
    if (target) {
      data.append('dataset_id', target);
    } else {
      data.append('name', form.elements.namedItem('name').value);
      if (form.elements.namedItem('description').value) data.append('description', form.elements.namedItem('description').value);
      if (form.elements.namedItem('tags').value) data.append('tags', form.elements.namedItem('tags').value);
    }
    data.append('file', this.file, this.file.name);

    const xhr = new XMLHttpRequest();
    const uploadId = newUploadId();
    this.xhr = xhr;
    this.phase = 'sending';
    this.sent = 0;
    this.server = undefined;
    this.error = '';
    xhr.open('POST', '/api/datasets/upload');
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.setRequestHeader('accept', 'application/json');
    xhr.setRequestHeader('x-upload-id', uploadId);
    xhr.upload.onprogress = (ev) => {
      if (ev.lengthComputable) this.sent = ev.loaded / ev.total;
    };
    // Every byte is up: the service now parses the file (its answer comes when the version is stored); its
    // phase is asked for until then.
    xhr.upload.onload = () => {
      if (this.phase !== 'sending') return;
      this.phase = 'parsing';
      void this.followServer(uploadId, xhr);
    };
    xhr.onload = () => {
      this.xhr = undefined;
      let body;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = undefined;
      }
      if (xhr.status === 201) {
        this.result = body;
        this.phase = 'done';
        // Stored: the form is emptied, so the same file is not sent twice by a second click on Upload.
        form.reset();
        this.file = undefined;
      } else {
        this.error = new ApiFailure(xhr.status, body).text;
        this.phase = 'failed';
      }
    };
    xhr.onerror = () => {
      this.xhr = undefined;
      this.error = 'The connection failed before the service answered.';
      this.phase = 'failed';
    };
    xhr.onabort = () => {
      this.xhr = undefined;
      // Cut off while the bytes went up, the service stores nothing; once they are all up it may still
      // finish parsing and store the version.
      this.cancelledWhileParsing = this.phase === 'parsing';
      this.phase = 'cancelled';
    };
    xhr.send(data);
  }

  cancel() {
    this.xhr?.abort();
  }

  /**
   * Polls `GET /api/uploads/{id}` every POLL_MS while `xhr` is this view's upload, keeping the last answer in
   * `server`. A 404 only means the request has not reached the server yet (or a failure the answer will tell).
   */
  async followServer(uploadId, xhr) {
    while (this.xhr === xhr) {
      try {
        const { body } = await getJson(`/api/uploads/${uploadId}`);
        if (this.xhr === xhr && this.phase === 'parsing') this.server = body;
      } catch {
        // not known yet, or the service is busy: ask again
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** The bar while the upload runs: its label (the phase in words) and its value (undefined: indeterminate). */
  progressState() {
    if (this.phase === 'sending') return { text: `Sending ${Math.round(this.sent * 100)} %`, status: 'Sending the file', value: this.sent };
    const s = this.server;
    if (s?.phase === 'receiving') {
      const part = s.bytes_expected ? s.bytes_received / s.bytes_expected : undefined;
      return { text: `${SERVER_PHASES.receiving}${part === undefined ? '…' : ` ${Math.round(part * 100)} %`}`, status: SERVER_PHASES.receiving, value: part };
    }
    const words = SERVER_PHASES[s?.phase] ?? 'Sent; waiting for the service…';
    return { text: words, status: words, value: undefined };
  }

  renderProgress(text, value) {
    return html`<label class="progress" data-phase=${this.phase === 'sending' ? 'sending' : this.server?.phase ?? 'sent'}>
        <span class="progress-text">${text}</span>
        ${value === undefined ? html`<progress></progress>` : html`<progress max="1" .value=${value}></progress>`}
      </label>`;
  }

  render() {
    const busy = this.phase === 'sending' || this.phase === 'parsing';
    const progress = busy ? this.progressState() : undefined;
    const newVersion = Boolean(this.datasetId);
    return html`
      <h1>Upload</h1>
      <form class="upload" @submit=${this.submit} aria-busy=${busy}>
        <div class="drop ${this.dragging ? 'dragging' : ''}"
          @dragover=${(e) => { e.preventDefault(); this.dragging = true; }}
          @dragleave=${() => (this.dragging = false)}
          @drop=${this.onDrop}>
          <label for="upload-file">File (CSV, Excel or Parquet) — choose one or drop it here</label>
          <input id="upload-file" type="file" name="file" accept=".csv,.tsv,.txt,.parquet,.xlsx,.xlsm,.xls" ?disabled=${busy}
            @change=${(e) => e.target.files[0] && this.pick(e.target.files[0])}>
          <div class="file-status">
            ${this.file ? html`<p class="file">${this.file.name} · ${bytes(this.file.size)}</p>` : nothing}
            ${progress ? this.renderProgress(progress.text, progress.value) : nothing}
            <p class="visually-hidden upload-phase" role="status">${progress?.status ?? ''}</p>
            <div aria-live="polite">
            ${this.phase === 'cancelled'
              ? html`<p class="note">${this.cancelledWhileParsing
                ? 'Cancelled after the file was sent: the service may still store it; see the list.'
                : 'Upload cancelled; nothing was stored.'}</p>`
              : nothing}
            ${this.phase === 'failed' ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
            ${this.phase === 'done' ? html`<p class="ok">Stored as version ${this.result.version.version_number} of
              <a href=${hrefFor(`datasets/${this.result.dataset.id}`, { version: this.result.version.id })}>${this.result.dataset.name}</a>
              (${this.result.sheets.map((s) => `${s.name}: ${plural(s.row_count, 'row')}`).join(', ')}).</p>
              <p class="note">The form is cleared for another file.</p>` : nothing}
            </div>
          </div>
        </div>
        <label>Add to
          <select name="dataset_id" ?disabled=${busy} @change=${(e) => (this.datasetId = e.target.value)}>
            <option value="" ?selected=${!newVersion}>a new dataset</option>
            ${this.datasets.map((d) => html`<option value=${String(d.id)} ?selected=${String(d.id) === this.datasetId}>${d.name} (new version)</option>`)}
            ${newVersion && !this.datasets.some((d) => String(d.id) === this.datasetId)
              ? html`<option value=${this.datasetId} selected>dataset ${this.datasetId} (new version)</option>` : nothing}
          </select>
        </label>
        <fieldset ?disabled=${newVersion || busy}>
          <legend>New dataset</legend>
          <label>Name <input name="name" ?required=${!newVersion} maxlength="255" autocomplete="off"></label>
          <label>Description <textarea name="description" rows="2"></textarea></label>
          <label>Tags (comma-separated) <input name="tags" autocomplete="off"></label>
        </fieldset>
        <div class="actions">
          <button type="submit" ?disabled=${busy}>Upload</button>
          <button type="button" ?disabled=${!busy} @click=${this.cancel}>Cancel upload</button>
        </div>
      </form>
    `;
  }
}
customElements.define('ds-upload', DsUpload);
