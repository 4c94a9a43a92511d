/**
 * <ds-filters>: the table's filters, one row each (column, operator, value), with the API's operators. It
 * edits a copy; "Apply" fires `apply` with `detail: [{column, op, value}]`. The table view keeps them in the
 * URL as the API writes them (`filter[<column>]<op>=<value>`), so the link reads like the API call.
 */
import { LitElement, html, nothing } from 'lit';

export const OPERATORS = [
  ['eq', '='],
  ['ne', '≠'],
  ['lt', '<'],
  ['lte', '≤'],
  ['gt', '>'],
  ['gte', '≥'],
  ['in', 'in (a,b,…)'],
  ['contains', 'contains'],
  ['startswith', 'starts with'],
  ['is_null', 'is null'],
  ['not_null', 'is not null'],
];
const NO_VALUE = new Set(['is_null', 'not_null']);

/**
 * The operators the API takes for a column of portable `type` (…/schema's `type`), as workers/table/plan.ts
 * applies them: `contains` and `startswith` only on text; comparisons and `in` on values it can read from
 * text (numbers, dates, times, durations, decimals; booleans: equality only); lists, structs, binary and
 * all-null columns only `is_null` / `not_null`.
 */
export function operatorsFor(type) {
  const ops = (names) => OPERATORS.filter(([op]) => names.includes(op));
  switch (type) {
    case 'string':
      return OPERATORS;
    case 'boolean':
      return ops(['eq', 'ne', 'in', 'is_null', 'not_null']);
    case 'list':
    case 'struct':
    case 'binary':
    case 'null':
      return ops(['is_null', 'not_null']);
    default:
      return ops(['eq', 'ne', 'lt', 'lte', 'gt', 'gte', 'in', 'is_null', 'not_null']);
  }
}

/** Filters from URL parameters `filter[<column>]<op>=<value>` (the column is everything up to the last `]`). */
export function filtersFrom(query) {
  const out = [];
  for (const [key, value] of query.entries()) {
    const m = /^filter\[(.*)\]([a-z_]+)$/s.exec(key);
    if (m) out.push({ column: m[1], op: m[2], value });
  }
  return out;
}

/** URL/API parameters for filters. */
export function filterParams(filters) {
  return Object.fromEntries(filters.map((f) => [`filter[${f.column}]${f.op}`, NO_VALUE.has(f.op) ? '1' : f.value]));
}

class DsFilters extends LitElement {
  static properties = {
    columns: { attribute: false }, // [{name, type}]
    filters: { attribute: false },
    draft: { state: true },
  };

  constructor() {
    super();
    this.columns = [];
    this.filters = [];
    this.draft = [];
  }

  createRenderRoot() {
    return this;
  }

  /**
   * The draft restarts from `filters` only when their content changes: the table view passes a new array on
   * every render (a page arriving, a poll), and that must not throw away a row the user is still editing.
   */
  willUpdate(changed) {
    const key = JSON.stringify(this.filters);
    if (changed.has('filters') && key !== this.appliedKey) {
      this.appliedKey = key;
      this.draft = this.filters.map((f) => ({ ...f }));
    }
  }

  /** The operators offered for the draft filter's column. */
  operators(column) {
    return operatorsFor(this.columns.find((c) => c.name === column)?.type);
  }

  /** The options of a filter row: its column's operators, and its own when a URL gave it another (the API's 400 says why). */
  shownOperators(f) {
    const ops = this.operators(f.column);
    return ops.some(([op]) => op === f.op) ? ops : [...ops, OPERATORS.find(([op]) => op === f.op) ?? [f.op, f.op]];
  }

  /** Changes one draft filter; a new column keeps the operator only when that column's type takes it. */
  edit(i, changes) {
    this.draft = this.draft.map((f, j) => {
      if (j !== i) return f;
      const next = { ...f, ...changes };
      const ops = this.operators(next.column);
      if (!ops.some(([op]) => op === next.op)) next.op = ops[0][0];
      return next;
    });
  }

  add() {
    const first = this.columns[0]?.name ?? '';
    this.draft = [...this.draft, { column: first, op: this.operators(first)[0][0], value: '' }];
  }

  apply(e) {
    e.preventDefault();
    this.dispatchEvent(new CustomEvent('apply', { detail: this.draft.filter((f) => f.column && (NO_VALUE.has(f.op) || f.value !== '')) }));
  }

  render() {
    return html`
      <form class="filters-panel" @submit=${this.apply} aria-label="Filters">
        ${this.draft.map(
          (f, i) => html`<fieldset class="filter-row">
            <legend class="visually-hidden">Filter ${i + 1}</legend>
            <label>Column
              <select name="column" @change=${(e) => this.edit(i, { column: e.target.value })}>
                ${this.columns.map((c) => html`<option value=${c.name} ?selected=${c.name === f.column}>${c.name}</option>`)}
              </select>
            </label>
            <label>Operator
              <select name="op" @change=${(e) => this.edit(i, { op: e.target.value })}>
                ${this.shownOperators(f).map(([op, label]) => html`<option value=${op} ?selected=${op === f.op}>${label}</option>`)}
              </select>
            </label>
            ${NO_VALUE.has(f.op)
              ? nothing
              : html`<label>Value <input name="value" .value=${f.value} @input=${(e) => this.edit(i, { value: e.target.value })}></label>`}
            <button type="button" class="secondary" @click=${() => (this.draft = this.draft.filter((_, j) => j !== i))}>Remove filter ${i + 1}</button>
          </fieldset>`,
        )}
        <div class="actions">
          <button type="button" class="secondary" @click=${this.add}>Add filter</button>
          <button type="submit">Apply filters</button>
        </div>
      </form>
    `;
  }
}
customElements.define('ds-filters', DsFilters);
