/**
 * The batched per-request existence checks of the PostgreSQL catalog (src/catalog/existence-checks.ts): checks
 * asked together share one query, and a check asked while a query is in flight is answered by a later query —
 * never by one sent before it was asked (which could predate a delete).
 */
import t from 'tap';
import { ExistenceChecks } from '../../src/catalog/existence-checks.js';

t.test('one query for checks asked together; a check asked mid-query waits for the next', async (t) => {
  let existing = new Set([1, 2, 3]);
  const queries: { ids: number[]; release: () => void }[] = [];
  const checks = new ExistenceChecks(
    (ids) =>
      new Promise((resolve) => {
        // The answer reflects the table when the query runs, i.e. when released.
        queries.push({ ids, release: () => resolve(new Set(ids.filter((id) => existing.has(id)))) });
      }),
  );
  const first = [checks.exists(1), checks.exists(2), checks.exists(9), checks.exists(1)];
  await new Promise((r) => setImmediate(r));
  t.equal(queries.length, 1, 'four checks, one query');
  t.same(queries[0].ids.sort(), [1, 2, 9]);

  // Version 2 is deleted while the first query is in flight; a request asking after the delete must not get
  // the first query's answer.
  existing = new Set([1, 3]);
  const late = checks.exists(2);
  await new Promise((r) => setImmediate(r));
  t.equal(queries.length, 1, 'no second query while the first is in flight');
  queries[0].release();
  t.same(await Promise.all(first), [true, false, false, true], 'the first batch as the table was when it ran');
  await new Promise((r) => setImmediate(r));
  t.equal(queries.length, 2, 'the late check got a query of its own');
  queries[1].release();
  t.equal(await late, false, 'and sees the delete');
});

t.test('a failed query rejects exactly its checks; the next batch is asked again', async (t) => {
  let fail = true;
  const checks = new ExistenceChecks(async (ids) => {
    if (fail) throw new Error('connection lost');
    return new Set(ids);
  });
  await t.rejects(checks.exists(5), /connection lost/);
  fail = false;
  t.equal(await checks.exists(5), true);
});
