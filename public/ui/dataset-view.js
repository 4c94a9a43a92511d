/**
 * <ds-dataset>: one dataset (`#/datasets/<id>/about`): edit its name, description and tags (PATCH), its
 * versions (number, file, size, rows, date) with a download of each original file and a link to its table,
 * a link to upload a new version, and delete with a confirmation dialog (DELETE, then back to the list).
 */
import { LitElement, html, nothing } from 'lit';
import { bytes, getJson, send, when } from './api.js';
import { hrefFor, navigate } from './route.js';

class DsDataset extends LitElement {
  static properties = {
    datasetId: { attribute: false },
    dataset: { state: true },
    error: { state: true },
    saved: { state: true },
    saving: { state: true },
  };

  constructor() {
    super();
    this.dataset = undefined;
    this.error = '';
    this.saved = '';
    this.saving = false;
  }

  createRenderRoot() {
    return this;
  }

  willUpdate(changed) {
    if (changed.has('datasetId')) void this.load();
  }

  async load() {
    try {
      this.dataset = (await getJson(`/api/datasets/${this.datasetId}`)).body;
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

  render() {
    const d = this.dataset;
    if (!d) return html`${this.error ? html`<p class="error" role="alert">${this.error}</p>` : html`<p>Loading…</p>`}`;
    return html`
      <nav class="crumbs" aria-label="Breadcrumb"><a href="#/datasets">Datasets</a> › <span>${d.name}</span></nav>
      <h1>${d.name}</h1>
      <p class="links"><a href=${hrefFor(`datasets/${d.id}`)}>Open the table</a> · <a href=${hrefFor('upload', { dataset_id: d.id })}>Upload a new version</a></p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <form class="edit" @submit=${this.save}>
        <h2>About</h2>
        <label>Name <input name="name" required maxlength="255" .value=${d.name}></label>
        <label>Description <textarea name="description" rows="3" .value=${d.description ?? ''}></textarea></label>
        <label>Tags (comma-separated) <input name="tags" .value=${d.tags.join(', ')}></label>
        <div class="actions"><button type="submit" ?disabled=${this.saving}>Save</button><span class="ok" role="status">${this.saved}</span></div>
      </form>
      <h2>Versions</h2>
      <div class="table-scroll">
        <table class="datasets versions">
          <thead><tr><th scope="col">Version</th><th scope="col">File</th><th scope="col">Size</th><th scope="col">Rows</th><th scope="col">Uploaded</th><th scope="col">Original file</th></tr></thead>
          <tbody>
            ${d.versions.map(
              (v) => html`<tr data-version=${v.id}>
                <th scope="row"><a href=${hrefFor(`datasets/${d.id}`, { version: v.id })}>v${v.version_number}</a></th>
                <td class="file-name">${v.file_name}</td>
                <td class="num">${bytes(v.file_size)}</td>
                <td class="num">${v.row_count.toLocaleString()}</td>
                <td>${when(v.created_at)}</td>
                <td><a href=${`/api/datasets/${d.id}/versions/${v.id}/download`} download>Download v${v.version_number}</a></td>
              </tr>`,
            )}
          </tbody>
        </table>
      </div>
      <h2>Delete</h2>
      <button type="button" class="danger" @click=${() => this.querySelector('dialog').showModal()}>Delete this dataset…</button>
      <dialog aria-labelledby="delete-title">
        <h2 id="delete-title">Delete “${d.name}”?</h2>
        <p>Its ${d.version_count} version${d.version_count === 1 ? '' : 's'} and their files are removed. This cannot be undone.</p>
        <div class="actions">
          <button type="button" class="secondary" autofocus @click=${() => this.querySelector('dialog').close()}>Keep it</button>
          <button type="button" class="danger" @click=${this.deleteDataset}>Delete</button>
        </div>
      </dialog>
    `;
  }
}
customElements.define('ds-dataset', DsDataset);
