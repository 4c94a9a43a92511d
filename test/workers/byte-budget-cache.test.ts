/**
 * The byte-budget LRU (workers/byte-budget-cache.ts: the data workers' caches, the SQL answers): least
 * recently used out first, never past its budget, a version's entries dropped together, and counters that
 * add up. Checked against a plain model: an array in recency order replayed over a seeded random sequence of
 * operations.
 */
import t from 'tap';
import { ByteBudgetCache } from '../../workers/byte-budget-cache.js';

t.test('follows a model LRU over random operations and never passes its budget', async (t) => {
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const budget = 1000;
  const cache = new ByteBudgetCache<string>(budget);
  let model: { key: string; bytes: number }[] = [];
  let hits = 0;
  let misses = 0;
  let evictions = 0;
  for (let step = 0; step < 5000; step++) {
    const key = `v${Math.floor(random() * 4)}/${Math.floor(random() * 5)}`;
    const op = random();
    if (op < 0.5) {
      const i = model.findIndex((e) => e.key === key);
      const got = cache.get(key);
      if (i < 0) {
        misses++;
        t.equal(got, undefined);
      } else {
        hits++;
        t.equal(got, `value of ${key}`);
        model.push(...model.splice(i, 1));
      }
    } else if (op < 0.9) {
      const bytes = Math.floor(random() * 1200);
      const kept = cache.set(key, `value of ${key}`, bytes);
      model = model.filter((e) => e.key !== key);
      t.equal(kept, bytes <= budget);
      if (bytes <= budget) {
        while (model.reduce((n, e) => n + e.bytes, 0) + bytes > budget) {
          model.shift();
          evictions++;
        }
        model.push({ key, bytes });
      }
    } else {
      const version = key.split('/')[0];
      const expected = model.filter((e) => e.key.startsWith(`${version}/`)).length;
      t.equal(cache.dropVersion(version), expected);
      model = model.filter((e) => !e.key.startsWith(`${version}/`));
    }
    const stats = cache.stats();
    const bytes = model.reduce((n, e) => n + e.bytes, 0);
    if (stats.bytes !== bytes || stats.entries !== model.length || stats.bytes > budget) {
      t.fail(`step ${step}: cache ${JSON.stringify(stats)}, model ${bytes} bytes in ${model.length} entries`);
      return;
    }
  }
  t.same(cache.stats(), { budget_bytes: budget, bytes: model.reduce((n, e) => n + e.bytes, 0), entries: model.length, hits, misses, evictions });
  t.ok(evictions > 0 && hits > 0 && misses > 0, 'the sequence exercised evictions, hits and misses');
});

t.test('a zero budget keeps nothing', async (t) => {
  const cache = new ByteBudgetCache<number>(0);
  t.equal(cache.set('v/0', 1, 1), false);
  t.equal(cache.get('v/0'), undefined);
  t.same(cache.stats(), { budget_bytes: 0, bytes: 0, entries: 0, hits: 0, misses: 1, evictions: 0 });
});

t.test('dropVersion takes only the keys of that version', async (t) => {
  const cache = new ByteBudgetCache<number>(100);
  cache.set('ab/0', 1, 10);
  cache.set('ab/1?filter', 2, 10);
  cache.set('abc/0', 3, 10);
  t.equal(cache.dropVersion('ab'), 2);
  t.equal(cache.has('abc/0'), true);
  t.equal(cache.stats().bytes, 10);
});
