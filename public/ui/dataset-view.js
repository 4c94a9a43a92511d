/**
 * <ds-dataset>: one dataset (`#/datasets/<id>/about`): edit its name, description and tags (PATCH), its
 * versions (number, file, size, rows, date) with a download of each original file and a link to its table,
 * a link to upload a new version, and delete with a confirmation dialog (DELETE, then back to the list).
 * Version tags (`production` → v3): set, move and remove. Delete one version (after a confirm()). Schema
 * comparison of two versions (POST …/schema/compare), its changes listed in words. Only what the key's scopes
 * allow is offered (access.js): without `write` the name, description and tags are shown as text and version tags
 * as a list, without the upload link, the tag forms and the comparison; without `admin`, no deletes. Where keys are
 * on, an original file is downloaded through a single-use download token (`format: "original"`), never a key in a
 * link.
 */
import { LitElement, html, nothing } from 'lit';
import { can, keysOn, lacking } from './access.js';
import { bytes, downloadWithToken, getJson, send, when } from './api.js';
import { hrefFor, navigate } from './route.js';

class DsDataset extends LitElement {
  static properties = {
    datasetId: { attribute: false },
    access: { attribute: false },
    dataset: { state: true },
    error: { state: true },
    saved: { state: true },
    saving: { state: true },
    versionTags: { state: true },
    comparison: { state: true },
  };

  constructor() {
    super();
    this.dataset = undefined;
    this.error = '';
    this.saved = '';
    this.saving = false;
    this.versionTags = [];
    this.comparison = undefined;
  }

  createRenderRoot() {
    return this;
  }

  willUpdate(changed) {
    if (changed.has('datasetId')) void this.load();
  }

  async load() {
    try {
      // Asked together and set together: set one at a time, the view showed the versions with "No version tags
      // yet." until the tags came.
      const [dataset, tags] = await Promise.all([getJson(`/api/datasets/${this.datasetId}`), getJson(`/api/datasets/${this.datasetId}/tags`)]);
      this.dataset = dataset.body;
      this.versionTags = tags.body;
      document.title = `${this.dataset.name} · Datasets`;
      this.error = '';
    } catch (e) {
      this.error = e.text ?? String(e);
    }
  }

  async save(e) {
    e.preventDefault();
    const f = e.target.elements;
    const tags = f.namedItem('tags').value.split(',').map((t) => t.trim()).filter(Boolean);
    const description = f.namedItem('description').value;
    this.saving = true;
    this.saved = '';
    try {
      this.dataset = { ...this.dataset, ...(await send('PATCH', `/api/datasets/${this.datasetId}`, { name: f.namedItem('name').value, description: description === '' ? null : description, tags })) };
      this.error = '';
      this.saved = 'Saved.';
    } catch (err) {
      this.error = err.text ?? String(err);
    } finally {
      this.saving = false;
    }
  }

  async deleteDataset() {
    try {
      await send('DELETE', `/api/datasets/${this.datasetId}`);
      this.querySelector('dialog')?.close();
      navigate('datasets', {});
    } catch (err) {
      this.querySelector('dialog')?.close();
      this.error = err.text ?? String(err);
    }
  }

  /** Runs an API change, then reads the dataset and its tags again; a refusal shows the API's words. */
  async change(method, path, body) {
    try {
      await send(method, path, body);
      this.error = '';
      await this.load();
    } catch (err) {
      this.error = err.text ?? String(err);
    }
  }

  setTag(e) {
    e.preventDefault();
    const f = e.target.elements;
    const name = f.namedItem('tag').value.trim();
    if (!name) return;
    void this.change('POST', `/api/datasets/${this.datasetId}/tags/${encodeURIComponent(name)}`, { version_id: Number(f.namedItem('version').value) });
  }

  deleteVersion(v) {
    if (!confirm(`Delete version ${v.version_number} (${v.file_name})? This cannot be undone.`)) return;
    void this.change('DELETE', `/api/datasets/${this.datasetId}/versions/${v.id}`);
  }

  async compare(e) {
    e.preventDefault();
    const f = e.target.elements;
    try {
      this.comparison = await send('POST', `/api/datasets/${this.datasetId}/schema/compare`, {
        version_id_1: Number(f.namedItem('from').value),
        version_id_2: Number(f.namedItem('to').value),
      });
      this.error = '';
    } catch (err) {
      this.error = err.text ?? String(err);
    }
  }

  /** With API keys on: the original file of `v` through a single-use download token. */
  async downloadOriginal(v) {
    try {
      await downloadWithToken(`/api/datasets/${this.datasetId}/versions/${v.id}`, { format: 'original' });
      this.error = '';
    } catch (err) {
      this.error = err.text ?? String(err);
    }
  }

  versionOptions(selected) {
    return this.dataset.versions.map((v) => html`<option value=${String(v.id)} ?selected=${v.id === selected}>v${v.version_number} · ${v.file_name}</option>`);
  }

  renderTags() {
    const d = this.dataset;
    if (!can(this.access, 'write')) {
      return html`
        <h2>Version tags</h2>
        ${this.versionTags.length === 0 ? html`<p class="note">No version tags.</p>` : nothing}
        <ul class="version-tags">${this.versionTags.map((t) => html`<li data-tag=${t.name}><strong>${t.name}</strong> → v${t.version_number}</li>`)}</ul>
        <p class="note needs-scope">${lacking(this.access, 'write', 'Setting, moving or removing version tags')}</p>`;
    }
    return html`
      <h2>Version tags</h2>
      ${this.versionTags.length === 0 ? html`<p class="note">No version tags yet.</p>` : nothing}
      <ul class="version-tags">
        ${this.versionTags.map(
          (t) => html`<li data-tag=${t.name}><strong>${t.name}</strong> → v${t.version_number}
            <form class="inline" @submit=${(e) => { e.preventDefault(); void this.change('POST', `/api/datasets/${d.id}/tags/${encodeURIComponent(t.name)}`, { version_id: Number(e.target.elements.namedItem('version').value) }); }}>
              <label>Move ${t.name} to <select name="version">${this.versionOptions(t.version_id)}</select></label>
              <button type="submit">Move</button>
              <button type="button" class="secondary" @click=${() => this.change('DELETE', `/api/datasets/${d.id}/tags/${encodeURIComponent(t.name)}`)}>Remove ${t.name}</button>
            </form></li>`,
        )}
      </ul>
      <form class="inline" @submit=${this.setTag}>
        <label>New tag <input name="tag" autocomplete="off"></label>
        <label>Version for the new tag <select name="version">${this.versionOptions(d.versions[0]?.id)}</select></label>
        <button type="submit">Set tag</button>
      </form>`;
  }

  renderCompare() {
    const d = this.dataset;
    if (d.versions.length < 2 || !can(this.access, 'write')) return nothing;
    const c = this.comparison;
    return html`
      <h2>Compare schemas</h2>
      <form class="inline" @submit=${this.compare}>
        <label>From <select name="from">${this.versionOptions(d.versions[1].id)}</select></label>
        <label>To <select name="to">${this.versionOptions(d.versions[0].id)}</select></label>
        <button type="submit">Compare</button>
      </form>
      ${c
        ? html`<div class="comparison" role="status">
            ${c.identical
              ? html`<p>The schemas of ${c.sheet_1} and ${c.sheet_2} are identical.</p>`
              : html`<ul>${c.changes.map((ch) => html`<li data-change=${ch.change_type} data-column=${ch.column}>${describeChange(ch)}</li>`)}</ul>`}
          </div>`
        : nothing}`;
  }

  renderDelete() {
    const d = this.dataset;
    return html`
      <h2>Delete</h2>
      <button type="button" class="danger" @click=${() => this.querySelector('dialog').showModal()}>Delete this dataset…</button>
      <dialog aria-labelledby="delete-title">
        <h2 id="delete-title">Delete “${d.name}”?</h2>
        <p>Its ${d.version_count} version${d.version_count === 1 ? '' : 's'} and their files are removed. This cannot be undone.</p>
        <div class="actions">
          <button type="button" class="secondary" autofocus @click=${() => this.querySelector('dialog').close()}>Keep it</button>
          <button type="button" class="danger" @click=${this.deleteDataset}>Delete</button>
        </div>
      </dialog>`;
  }

  renderEdit() {
    const d = this.dataset;
    return html`<form class="edit" @submit=${this.save}>
        <h2>About</h2>
        <label>Name <input name="name" required maxlength="255" .value=${d.name}></label>
        <label>Description <textarea name="description" rows="3" .value=${d.description ?? ''}></textarea></label>
        <label>Tags (comma-separated) <input name="tags" .value=${d.tags.join(', ')}></label>
        <div class="actions"><button type="submit" ?disabled=${this.saving}>Save</button><span class="ok" role="status">${this.saved}</span></div>
      </form>`;
  }

  /** The name, description and tags as text, for a key that may not edit them. */
  renderAbout() {
    const d = this.dataset;
    return html`<section class="about" aria-labelledby="about-title">
        <h2 id="about-title">About</h2>
        <dl class="about-fields">
          <div><dt>Description</dt><dd>${d.description ?? html`<span class="note">none</span>`}</dd></div>
          <div><dt>Tags</dt><dd>${d.tags.length ? d.tags.map((t) => html`<span class="tag">${t}</span> `) : html`<span class="note">none</span>`}</dd></div>
        </dl>
        <p class="note needs-scope">${lacking(this.access, 'write', 'Editing the name, description and tags')}</p>
      </section>`;
  }

  render() {
    const d = this.dataset;
    const write = can(this.access, 'write');
    const admin = can(this.access, 'admin');
    if (!d) return html`${this.error ? html`<p class="error" role="alert">${this.error}</p>` : html`<p>Loading…</p>`}`;
    return html`
      <nav class="crumbs" aria-label="Breadcrumb"><a href="#/datasets">Datasets</a> › <span>${d.name}</span></nav>
      <h1>${d.name}</h1>
      <p class="links"><a href=${hrefFor(`datasets/${d.id}`)}>Open the table</a>${write
        ? html` · <a href=${hrefFor('upload', { dataset_id: d.id })}>Upload a new version</a>` : nothing}</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${write ? this.renderEdit() : this.renderAbout()}
      <h2>Versions</h2>
      <div class="table-scroll">
        <table class="datasets versions">
          <thead><tr><th scope="col">Version</th><th scope="col">File</th><th scope="col">Size</th><th scope="col">Rows</th><th scope="col">Uploaded</th><th scope="col">Tags</th><th scope="col">Original file</th>${admin ? html`<th scope="col">Delete</th>` : nothing}</tr></thead>
          <tbody>
            ${d.versions.map(
              (v) => html`<tr data-version=${v.id}>
                <th scope="row"><a href=${hrefFor(`datasets/${d.id}`, { version: v.id })}>v${v.version_number}</a></th>
                <td class="file-name">${v.file_name}</td>
                <td class="num">${bytes(v.file_size)}</td>
                <td class="num">${v.row_count.toLocaleString()}</td>
                <td>${when(v.created_at)}</td>
                <td>${this.versionTags.filter((t) => t.version_id === v.id).map((t) => html`<span class="tag">${t.name}</span> `)}</td>
                <td>${keysOn(this.access)
                  ? html`<button type="button" class="secondary" @click=${() => this.downloadOriginal(v)}>Download v${v.version_number}</button>`
                  : html`<a href=${`/api/datasets/${d.id}/versions/${v.id}/download`} download>Download v${v.version_number}</a>`}</td>
                ${admin ? html`<td><button type="button" class="secondary" @click=${() => this.deleteVersion(v)}>Delete v${v.version_number}</button></td>` : nothing}
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      ${this.renderTags()}
      ${this.renderCompare()}
      ${admin ? this.renderDelete() : html`<p class="note needs-scope">${lacking(this.access, 'admin', 'Deleting a version or the dataset')}</p>`}
    `;
  }
}
/** One schema change in words: "price: integer → string". */
function describeChange(ch) {
  switch (ch.change_type) {
    case 'added':
      return `${ch.column}: added (${ch.type}${ch.nullable ? ', may be null' : ''})`;
    case 'removed':
      return `${ch.column}: removed (was ${ch.type})`;
    case 'type_changed':
      return `${ch.column}: type ${ch.from_type} → ${ch.to_type}`;
    case 'nullability_changed':
      return `${ch.column}: ${ch.to_nullable ? 'may now be null' : 'no longer null'}`;
    default:
      return `${ch.column}: ${ch.change_type}`;
  }
}

customElements.define('ds-dataset', DsDataset);
