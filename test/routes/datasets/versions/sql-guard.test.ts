/**
 * Unit tests (no server) of the SQL guard (src/routes/datasets/versions/sql-guard.ts): only one SELECT over the version's
 * own tables (or the query's CTEs) reaches the engine. Each refusal is a 400 `invalid_request` whose detail
 * says what was refused; asserted exactly. Accepted queries are asserted to pass, so a guard that refuses
 * everything fails here too.
 */
import t, { type Test } from 'tap';
import { checkSql } from '../../../../src/routes/datasets/versions/sql-guard.js';
import { thrown } from '../../../support/thrown.js';

const TABLES = ['data', 'Sheet 1'];
const THEIRS = '"data", "Sheet 1"';

function refusal(t: Test, sql: string): string {
  const err = thrown(() => checkSql(sql, TABLES));
  t.equal(err.statusCode, 400, `${sql}: 400`);
  t.equal(err.code, 'invalid_request');
  return err.message;
}

t.test('accepts one SELECT over the version\'s tables', async (t) => {
  for (const sql of [
    'SELECT * FROM data',
    'select a, count(*) from data group by a order by 2 desc limit 5',
    'SELECT d.a FROM data d JOIN "Sheet 1" s ON s.a = d.a',
    'WITH top AS (SELECT a FROM data LIMIT 3) SELECT * FROM top',
    'SELECT * FROM data WHERE a IN (SELECT a FROM "Sheet 1")',
    'SELECT 1',
    'SELECT upper(a) AS u FROM data',
  ]) {
    t.doesNotThrow(() => checkSql(sql, TABLES), sql);
  }
});

t.test('refuses anything else, saying what', async (t) => {
  t.equal(refusal(t, ''), 'sql is empty');
  t.equal(refusal(t, '  \n '), 'sql is empty');
  t.equal(refusal(t, 'SELECT 1; SELECT 2'), 'sql must be a single SELECT statement; it has 2 statements');
  t.equal(refusal(t, 'DELETE FROM data'), 'only SELECT is allowed; this statement is DELETE');
  t.equal(refusal(t, 'DROP TABLE data'), 'only SELECT is allowed; this statement is DROP');
  t.equal(refusal(t, "INSERT INTO data VALUES (1)"), 'only SELECT is allowed; this statement is INSERT');
  t.equal(refusal(t, 'SELECT * FROM secret'), `table "secret" is not part of this version; its tables: ${THEIRS}`);
  t.equal(
    refusal(t, 'SELECT * FROM data WHERE a IN (SELECT a FROM secret)'),
    `table "secret" is not part of this version; its tables: ${THEIRS}`,
    'a table in a subquery is checked too',
  );
  t.equal(refusal(t, 'SELECT * FROM public.data'), `"public.data" names a schema; use the version's tables: ${THEIRS}`);
  t.equal(
    refusal(t, "SELECT read_parquet('/etc/passwd')"),
    "function read_parquet() is not allowed: queries may only read the version's own tables",
  );
  t.equal(
    refusal(t, "SELECT * FROM data WHERE a = (SELECT max(x) FROM data WHERE SCAN_CSV('/x') IS NULL)"),
    "function SCAN_CSV() is not allowed: queries may only read the version's own tables",
    'file functions are found anywhere, in any case',
  );
  t.equal(
    refusal(t, "SELECT * FROM read_csv('/etc/passwd')"),
    `table function read_csv() in FROM is not allowed; use the version's tables: ${THEIRS}`,
  );
  t.equal(
    refusal(t, 'SELECT * FROM generate_series(1, 3)'),
    `table function generate_series() in FROM is not allowed; use the version's tables: ${THEIRS}`,
    'any table function, not only file readers',
  );
  t.match(refusal(t, 'SELEC a FROM data'), /^sql could not be parsed: \S/);
});
