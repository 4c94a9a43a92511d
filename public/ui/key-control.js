/**
 * <ds-key>: where the service has API keys on, the key is entered here once and kept in sessionStorage for
 * this browser session only (gone when the tab closes); api.js sends it as `Authorization: Bearer …` on every
 * request. It is never put in a URL. Saving or forgetting reloads the page so every view reads again with it.
 * Its button says what the service made of the key (`access`, from access.js, set by <ds-app>): "API key"
 * (none entered), "API key: <name>" (accepted), "API key: refused" (the API's 401).
 */
import { LitElement, html, nothing } from 'lit';

const STORE = 'api-key';

/** Opens the key dialog of the page's <ds-key> (for a "enter a key" button elsewhere on the page). */
export function openKeyDialog() {
  document.querySelector('ds-key')?.open();
}

class DsKey extends LitElement {
  static properties = { access: { attribute: false } };

  createRenderRoot() {
    return this;
  }

  get dialog() {
    return this.querySelector('dialog');
  }

  open() {
    this.dialog.showModal();
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

  /** The button's words: whether a key is entered and, once the service has answered, what it made of it. */
  label() {
    if (!sessionStorage.getItem(STORE)) return 'API key';
    if (this.access?.refusal) return 'API key: refused';
    if (this.access?.key_name) return `API key: ${this.access.key_name}`;
    return 'API key: set';
  }

  render() {
    const refused = Boolean(sessionStorage.getItem(STORE) && this.access?.refusal);
    return html`
      <button type="button" class="key-button" @click=${() => this.open()}>${this.label()}</button>
      <dialog aria-labelledby="key-title">
        <form @submit=${this.save}>
          <h2 id="key-title">API key</h2>
          ${refused ? html`<p class="error">The service refused the key you entered: ${this.access.refusal}.</p>` : nothing}
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
