import sqlParser from 'node-sql-parser';
import { badRequest } from '../../../errors.js';

const parser = new sqlParser.Parser();
const DIALECT = { database: 'postgresql' };
/** Polars' SQL engine runs these even on tables it was never given: they read files. */
const FILE_FUNCTIONS = /^(read|scan)_/i;

/**
 * Refuses, by the query's parsed form and before it reaches the engine, anything but one SELECT over the
 * version's own tables: other statements (DDL, DML, a second statement), tables that are not the version's
 * sheets (or the query's own CTEs), table functions in FROM, and functions that read files anywhere.
 */
export function checkSql(sql: string, tables: string[]): void {
  if (sql.trim() === '') throw badRequest('sql is empty');
  let ast: unknown;
  try {
    ast = parser.astify(sql, DIALECT);
  } catch (err) {
    throw badRequest(`sql could not be parsed: ${String((err as Error).message).split('\n')[0].slice(0, 300)}`);
  }
  const statements = Array.isArray(ast) ? ast : [ast];
  if (statements.length !== 1) throw badRequest(`sql must be a single SELECT statement; it has ${statements.length} statements`);
  const statement = statements[0] as { type?: string };
  if (statement.type !== 'select') {
    throw badRequest(`only SELECT is allowed; this statement is ${String(statement.type ?? 'something else').toUpperCase()}`);
  }

  const ctes = new Set<string>();
  walk(statement, (node) => {
    for (const w of (node.with as { name?: { value?: string } }[] | undefined) ?? []) if (w.name?.value) ctes.add(w.name.value);
  });
  walk(statement, (node) => {
    if (node.type === 'function') {
      const name = functionName(node);
      if (FILE_FUNCTIONS.test(name)) throw badRequest(`function ${name}() is not allowed: queries may only read the version's own tables`);
    }
    for (const item of (Array.isArray(node.from) ? node.from : []) as Record<string, unknown>[]) {
      if (item.expr && (item.expr as { type?: string }).type === 'function') {
        throw badRequest(`table function ${functionName(item.expr as Record<string, unknown>)}() in FROM is not allowed; use the version's tables: ${list(tables)}`);
      }
      const table = item.table as string | undefined;
      if (table !== undefined && !tables.includes(table) && !ctes.has(table)) {
        throw badRequest(`table "${table}" is not part of this version; its tables: ${list(tables)}`);
      }
      if (item.db) throw badRequest(`"${String(item.db)}.${table}" names a schema; use the version's tables: ${list(tables)}`);
    }
  });
}

function walk(node: unknown, visit: (n: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) return node.forEach((n) => walk(n, visit));
  if (node === null || typeof node !== 'object') return;
  visit(node as Record<string, unknown>);
  for (const value of Object.values(node)) walk(value, visit);
}

function functionName(node: Record<string, unknown>): string {
  const name = node.name as { name?: { value?: string }[] } | string | undefined;
  if (typeof name === 'string') return name;
  return (name?.name ?? []).map((p) => p.value).join('.');
}

function list(tables: string[]): string {
  return tables.map((t) => JSON.stringify(t)).join(', ');
}
