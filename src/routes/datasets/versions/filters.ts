import type { ColumnInfo } from '../../../catalog/types.js';
import { badRequest } from '../../../errors.js';
import { FILTER_OPS as OPS } from '../../../schemas/data.js';
import type { Filter, FilterOp, TableQuery } from '../../../../workers/protocol.js';

/** `filter[column]op`: the column may itself contain `]`; the operator is checked against OPS. */
const FILTER_KEY = /^filter\[(.+)\]([^\]]*)$/;

/** The names of a sheet's columns, as a set made once per column list (the catalog keeps a version's sheets). */
const namesOf = new WeakMap<ColumnInfo[], Set<string>>();
function columnNames(columns: ColumnInfo[]): Set<string> {
  let names = namesOf.get(columns);
  if (!names) namesOf.set(columns, (names = new Set(columns.map((c) => c.name))));
  return names;
}

/**
 * Reads projection, filters and sort from the query string and checks every column name and operator
 * against the sheet, so a typo is a 400 that names it. Values are checked against the column's type by
 * the worker, which converts them.
 */
export function parseFilters(raw: Record<string, unknown>, columns: ColumnInfo[]): TableQuery {
  const known = (name: string, where: string) => {
    const names = columnNames(columns);
    if (!names.has(name)) {
      // Names are exact (never trimmed); point at the likely one when only spaces differ.
      const near = [...names].find((n) => n.trim() === name.trim());
      const hint = near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}? names are used exactly as written, spaces included)`;
      throw badRequest(`${where}: the sheet has no column ${JSON.stringify(name)}${hint}; its columns: ${[...names].map((n) => JSON.stringify(n)).join(', ')}`);
    }
    return name;
  };

  const filters: Filter[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!key.startsWith('filter[')) continue;
    const m = FILTER_KEY.exec(key);
    if (!m) throw badRequest(`${key}: a filter is written filter[column]op=value, op one of ${OPS.join(', ')}`);
    const [, column, op] = m;
    if (op === '') throw badRequest(`${key}: the filter has no operator; write ${key}eq=… or use one of ${OPS.join(', ')}`);
    if (!OPS.includes(op as FilterOp)) throw badRequest(`${key}: unknown filter operator "${op}"; use one of ${OPS.join(', ')}`);
    known(column, key);
    for (const v of Array.isArray(value) ? value : [value]) {
      const text = String(v);
      filters.push({ column, op: op as FilterOp, values: op === 'in' ? nameList(text, key) : [text] });
    }
  }

  const sort = raw.sort === undefined ? [] : nameList(String(raw.sort), 'sort', true).map(({ name, descending }) => ({ column: known(name, 'sort'), descending }));
  const projection = raw.columns === undefined ? undefined : nameList(String(raw.columns), 'columns').map((c) => known(c, 'columns'));
  if (projection?.length === 0) throw badRequest('columns is empty; name at least one column or leave it out');
  return { filters, sort, columns: projection };
}

/**
 * Splits a comma-separated list of column names (or `in` values) the way CSV splits a record: items are
 * taken exactly as written — never trimmed, since ` name` and `name` are different columns — and an item
 * holding a comma (or starting with `-` or `"`) is written in double quotes, with `""` for a quote inside:
 * `columns=id,"price, net"`. With `signed`, a `-` before an item (outside its quotes) marks it descending:
 * `sort=-"a,b",c`. Empty items are left out. A quote that is never closed is a 400 naming `where`.
 */
export function nameList(text: string, where: string): string[];
export function nameList(text: string, where: string, signed: true): { name: string; descending: boolean }[];
export function nameList(text: string, where: string, signed = false): (string | { name: string; descending: boolean })[] {
  const items: (string | { name: string; descending: boolean })[] = [];
  let i = 0;
  while (i <= text.length) {
    const descending = signed && text[i] === '-';
    if (descending) i++;
    let name = '';
    if (text[i] === '"') {
      for (i++; ; i++) {
        if (i >= text.length) throw badRequest(`${where}: a quoted name is never closed (write a quote inside a name as "")`);
        if (text[i] === '"') {
          if (text[i + 1] !== '"') break;
          i++;
        }
        name += text[i];
      }
      i++; // past the closing quote
      if (i < text.length && text[i] !== ',') throw badRequest(`${where}: a quoted name must be followed by a comma or the end, at character ${i + 1}`);
    } else {
      const end = text.indexOf(',', i);
      name = text.slice(i, end < 0 ? text.length : end);
      i = end < 0 ? text.length : end;
    }
    if (name !== '' || text[i - 1] === '"') items.push(signed ? { name, descending } : name);
    i++; // past the comma
  }
  return items;
}
