/**
 * <ds-key>: where the service has API keys on, the key is entered here once and kept in sessionStorage for
 * this browser session only (gone when the tab closes); api.js sends it as `Authorization: Bearer …` on every
 * request. It is never put in a URL. Saving or forgetting reloads the page so every view reads again with it.
 */
import { LitElement, html } from 'lit';

const STORE = 'api-key';

class DsKey extends LitElement {
  createRenderRoot() {
    return this;
  }

  get dialog() {
    return this.querySelector('dialog');
  }

  save(e) {
    e.preventDefault();
    const key = e.target.elements.namedItem('key').value.trim();
    if (key) sessionStorage.setItem(STORE, key);
    else sessionStorage.removeItem(STORE);
    this.dialog.close();
    location.reload();
  }

  forget() {
    sessionStorage.removeItem(STORE);
    this.dialog.close();
    location.reload();
  }

  render() {
    const has = Boolean(sessionStorage.getItem(STORE));
    return html`
      <button type="button" class="key-button" @click=${() => this.dialog.showModal()}>${has ? 'API key: set' : 'API key'}</button>
      <dialog aria-labelledby="key-title">
        <form @submit=${this.save}>
          <h2 id="key-title">API key</h2>
          <p>Where the service has API keys on, enter yours. It is kept for this browser session only and sent with
            every request, never in a link.</p>
          <label>Key <input name="key" type="password" autocomplete="off" required></label>
          <div class="actions">
            <button type="submit">Use this key</button>
            <button type="button" class="secondary" @click=${this.forget}>Forget the key</button>
            <button type="button" class="secondary" @click=${() => this.dialog.close()}>Close</button>
          </div>
        </form>
      </dialog>
    `;
  }
}
customElements.define('ds-key', DsKey);
