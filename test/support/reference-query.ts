/**
 * The query tests' file and their independent computation of its queries: a generated CSV (deterministic
 * pseudo-random rows with nulls, dates, datetimes and non-ASCII text), csv-parse's reading of it, and filters,
 * stable sort, projection and facets in plain JavaScript over that reading, never from the service's output.
 * Semantics: see test/routes/filters-facets-sql.test.ts.
 */
import type { Test } from 'tap';
import { parse as parseCsv } from 'csv-parse/sync';
import { prng } from './prng.js';

// ---------------------------------------------------------------------------------------------------------
// The generated file
// ---------------------------------------------------------------------------------------------------------

export type Type = 'integer' | 'float' | 'date' | 'datetime' | 'string' | 'boolean';
export const TYPES: Record<string, Type> = { id: 'integer', qty: 'integer', price: 'float', day: 'date', ts: 'datetime', city: 'string', flag: 'boolean' };
export const COLUMNS = Object.keys(TYPES);
export const CITIES = [
  'Zürich', 'São Paulo', 'Kraków', '東京', 'Zagreb', 'Ålesund', 'Frankfurt (Oder)', 'St. Gallen', 'Łódź', 'Mexico City',
  'Reykjavík', 'İstanbul', 'Köln', 'Québec', 'Århus', 'Washington, D.C.', 'Münster', 'Malmö', 'Kraków-Podgórze', 'Αθήνα',
];


export function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function generateCsv(rows: number, seed: number): string {
  const rnd = prng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const lines = [COLUMNS.join(',')];
  const day0 = Date.UTC(2019, 0, 1);
  for (let i = 0; i < rows; i++) {
    const qty = rnd() < 0.03 ? '' : String(Math.floor(rnd() * 201) - 100);
    const price = rnd() < 0.12 ? '' : (Math.floor(rnd() * 200_000) / 100 - 500).toFixed(2);
    const day = rnd() < 0.05 ? '' : new Date(day0 + Math.floor(rnd() * 2000) * 86_400_000).toISOString().slice(0, 10);
    const ts = rnd() < 0.04 ? '' : new Date(day0 + Math.floor(rnd() * 2000 * 1440) * 60_000 + Math.floor(rnd() * 60) * 1000).toISOString().slice(0, 19);
    const city = rnd() < 0.04 ? '' : pick(CITIES);
    const flag = rnd() < 0.06 ? '' : rnd() < 0.45 ? 'true' : 'false';
    lines.push([String(i + 1), qty, price, day, ts, csvField(city), flag].join(','));
  }
  return lines.join('\n') + '\n';
}

export type Value = number | string | boolean | null;
export type Row = Record<string, Value>;

/** The file as csv-parse reads it, each field converted by its column's type (empty → null). */
export function readReference(csv: string): Row[] {
  const records = parseCsv(csv, { columns: true, skip_empty_lines: true }) as Record<string, string>[];
  return records.map((r) => {
    const row: Row = {};
    for (const c of COLUMNS) {
      const s = r[c];
      if (s === '') row[c] = null;
      else if (TYPES[c] === 'integer' || TYPES[c] === 'float') row[c] = Number(s);
      else if (TYPES[c] === 'boolean') row[c] = s === 'true';
      else row[c] = s;
    }
    return row;
  });
}

// ---------------------------------------------------------------------------------------------------------
// The independent computation
// ---------------------------------------------------------------------------------------------------------

export type Filter = [column: string, op: string, value: string];

export function compare(a: Value, b: Value, type: Type): number {
  if (type === 'string') return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string)); // code point order
  if (type === 'boolean') return Number(a) - Number(b);
  return a! < b! ? -1 : a! > b! ? 1 : 0; // numbers; ISO dates and datetimes compare as strings
}

export function literal(text: string, type: Type): Value {
  if (type === 'integer' || type === 'float') return Number(text);
  if (type === 'boolean') return text === 'true';
  return text;
}

export function matches(row: Row, [column, op, value]: Filter): boolean {
  const v = row[column];
  const type = TYPES[column];
  if (op === 'is_null') return v === null;
  if (op === 'not_null') return v !== null;
  if (v === null) return false;
  if (op === 'contains') return (v as string).includes(value);
  if (op === 'startswith') return (v as string).startsWith(value);
  if (op === 'in') return value.split(',').some((x) => compare(v, literal(x, type), type) === 0);
  const c = compare(v, literal(value, type), type);
  return { eq: c === 0, ne: c !== 0, lt: c < 0, lte: c <= 0, gt: c > 0, gte: c >= 0 }[op]!;
}

/** Stable multi-key sort, `-col` descending, nulls last in both directions. */
export function sortRows(rows: Row[], sort: string[]): Row[] {
  const keys = sort.map((k) => (k.startsWith('-') ? { col: k.slice(1), desc: true } : { col: k, desc: false }));
  return rows
    .map((row, i) => ({ row, i }))
    .sort((a, b) => {
      for (const { col, desc } of keys) {
        const x = a.row[col];
        const y = b.row[col];
        if (x === null && y === null) continue;
        if (x === null) return 1;
        if (y === null) return -1;
        const c = compare(x, y, TYPES[col]);
        if (c !== 0) return desc ? -c : c;
      }
      return a.i - b.i;
    })
    .map(({ row }) => row);
}

export function expectedRows(rows: Row[], q: { filters?: Filter[]; sort?: string[]; columns?: string[] }): Row[] {
  let out = rows.filter((r) => (q.filters ?? []).every((f) => matches(r, f)));
  if (q.sort?.length) out = sortRows(out, q.sort);
  const cols = q.columns ?? COLUMNS;
  return out.map((r) => Object.fromEntries(cols.map((c) => [c, r[c]])));
}

export interface Facet {
  column: string;
  distinct_count: number;
  values: { value: Value; count: number }[];
}

export function expectedFacet(rows: Row[], column: string, limit: number): Facet {
  const counts = new Map<Value, number>();
  for (const r of rows) counts.set(r[column], (counts.get(r[column]) ?? 0) + 1);
  const values = [...counts]
    .map(([value, count]) => ({ value, count }))
    .sort((a, b) => {
      if (a.count !== b.count) return b.count - a.count;
      if (a.value === null) return 1;
      if (b.value === null) return -1;
      return compare(a.value, b.value, TYPES[column]);
    });
  return { column, distinct_count: [...counts.keys()].filter((v) => v !== null).length, values: values.slice(0, limit) };
}


export function queryString(q: { filters?: Filter[]; sort?: string[]; columns?: string[] }, extra: [string, string][] = []): string {
  const p = new URLSearchParams();
  for (const [c, op, v] of q.filters ?? []) p.append(`filter[${c}]${op}`, v);
  if (q.sort) p.set('sort', q.sort.join(','));
  if (q.columns) p.set('columns', q.columns.join(','));
  for (const [k, v] of extra) p.append(k, v);
  return p.toString();
}


/** Row-by-row equality (key order included) that reports the first difference instead of a 4000-row diff. */
export function sameRows(t: Test, got: Row[], want: Row[], msg: string) {
  t.equal(got.length, want.length, `${msg}: row count`);
  const bad = want.findIndex((w, i) => JSON.stringify(got[i]) !== JSON.stringify(w));
  if (bad === -1) t.pass(`${msg}: all ${want.length} rows equal`);
  else t.same(got[bad], want[bad], `${msg}: first difference at row ${bad}`);
}
