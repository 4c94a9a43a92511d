/**
 * A small typed client of the dataset service: plain fetch, typed only by what openapi-typescript generates from
 * the service's OpenAPI document (`paths`). It is not compiled with the project: test/contract/client.test.ts
 * generates `./openapi-types.d.ts` from the served document next to a copy of this file, compiles both with the
 * project's TypeScript (strict) and runs the result against a real server. A contract change that breaks what a
 * client relies on here (a field renamed, retyped or dropped; a status or media type no longer declared) fails
 * that compile.
 *
 * Usage: node client.js BASE_URL CSV_PATH → uploads the CSV, then prints one JSON line: what upload, list, data,
 * schema and statistics answered, as the client reads them.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { paths } from './openapi-types.js';

const DATA = '/api/datasets/{id}/versions/{vid}/data';
const SCHEMA = '/api/datasets/{id}/versions/{vid}/schema';
const STATISTICS = '/api/datasets/{id}/versions/{vid}/statistics';

type Uploaded = paths['/api/datasets/upload']['post']['responses'][201]['content']['application/json'];
type ListQuery = NonNullable<paths['/api/datasets']['get']['parameters']['query']>;
type Datasets = paths['/api/datasets']['get']['responses'][200]['content']['application/json'];
type VersionPath = paths[typeof DATA]['get']['parameters']['path'];
type DataQuery = NonNullable<paths[typeof DATA]['get']['parameters']['query']>;
type Page = paths[typeof DATA]['get']['responses'][200]['content']['application/json'];
type Schema = paths[typeof SCHEMA]['get']['responses'][200]['content']['application/json'];
type Statistics = paths[typeof STATISTICS]['get']['responses'][200]['content']['application/json'];

type Query = Record<string, string | number | boolean | readonly string[] | undefined>;

class DatasetClient {
  constructor(private readonly base: string) {}

  private async getJson<T>(path: string, query: Query = {}): Promise<T> {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) qs.append(k, String(one));
    }
    const res = await fetch(`${this.base}${path}${qs.toString() ? `?${qs}` : ''}`, { headers: { accept: 'application/json' } });
    if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  }

  private versionPath(template: string, p: VersionPath): string {
    return template.replace('{id}', String(p.id)).replace('{vid}', String(p.vid));
  }

  async upload(file: Uint8Array, fileName: string, name: string, tags: string[]): Promise<Uploaded> {
    const form = new FormData();
    form.set('name', name);
    form.set('tags', JSON.stringify(tags));
    form.set('file', new Blob([file]), fileName);
    const res = await fetch(`${this.base}/api/datasets/upload`, { method: 'POST', body: form });
    if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as Uploaded;
  }

  list(query: ListQuery): Promise<Datasets> {
    return this.getJson<Datasets>('/api/datasets', query);
  }

  data(version: VersionPath, query: DataQuery): Promise<Page> {
    return this.getJson<Page>(this.versionPath(DATA, version), query);
  }

  schema(version: VersionPath): Promise<Schema> {
    return this.getJson<Schema>(this.versionPath(SCHEMA, version));
  }

  statistics(version: VersionPath): Promise<Statistics> {
    return this.getJson<Statistics>(this.versionPath(STATISTICS, version));
  }
}

const [base, csvPath] = process.argv.slice(2);
if (!base || !csvPath) throw new Error('usage: node client.js BASE_URL CSV_PATH');
const client = new DatasetClient(base);

const uploaded = await client.upload(readFileSync(csvPath), basename(csvPath), 'Typed client', ['typed']);
const version: VersionPath = { id: uploaded.dataset.id, vid: uploaded.version.id };
const versionNumber: number = uploaded.version.version_number;
const sheets = uploaded.sheets.map((s) => ({ name: s.name, row_count: s.row_count, column_count: s.column_count }));

const datasets = await client.list({ name: 'typed', limit: 10, sort_by: 'name', sort_order: 'asc' });
const listed = datasets.map((d) => ({ id: d.id, name: d.name, tags: d.tags, current_version: d.current_version }));

const page = await client.data(version, { page: 2, page_size: 5, sort: '-temp_max', columns: 'date,temp_max,weather' });
const total: number = page.total_rows;
const pages: number = page.total_pages;
const columns: string[] = page.columns;
const rows: unknown[] = page.data;

const schema = await client.schema(version);
const schemaColumns = schema.columns.map((c) => {
  const type: string = c.type;
  const dtype: string = c.dtype;
  const nullable: boolean = c.nullable;
  return { name: c.name, type, dtype, nullable };
});

const statistics = await client.statistics(version);
const tempMax = statistics.columns.find((c) => c.column_name === 'temp_max');
const totalRows: number = statistics.total_rows;

console.log(
  JSON.stringify({
    version,
    versionNumber,
    sheets,
    listed,
    page: { total, pages, page: page.page, page_size: page.page_size, columns, rows },
    schema: { sheet: schema.sheet, columns: schemaColumns },
    statistics: {
      total_rows: totalRows,
      total_columns: statistics.total_columns,
      temp_max: tempMax && { data_type: tempMax.data_type, null_count: tempMax.null_count, mean: tempMax.mean, max: tempMax.max },
    },
  }),
);
