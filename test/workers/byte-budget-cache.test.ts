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

// Admission (makeRoom): what a local sheet's fill asks before it reads the file whole.

/** `n` gets of `key` (misses when it is not cached: recorded as uses all the same). */
const ask = (cache: ByteBudgetCache<number>, key: string, n: number) => {
  for (let i = 0; i < n; i++) cache.get(key);
};

t.test('makeRoom: room that is free is given without evicting, and reserved from later entries', async (t) => {
  const cache = new ByteBudgetCache<number>(100);
  cache.set('a/0', 1, 30);
  t.equal(cache.makeRoom('b/0', 60), true, 'fits beside a/0');
  t.equal(cache.has('a/0'), true);
  t.equal(cache.set('c/0', 3, 50), false, 'more than the budget less the reservation: not kept');
  t.equal(cache.set('c/0', 3, 10), true, 'within it: kept');
  t.equal(cache.has('a/0') && cache.has('c/0'), true, 'nothing evicted for it');
  cache.release(60);
  t.equal(cache.set('b/0', 2, 60), true, 'the reserved entry goes in once released');
  t.same(cache.stats(), { budget_bytes: 100, bytes: 100, entries: 3, hits: 0, misses: 0, evictions: 0 });
});

t.test('makeRoom: an entry asked for as often as its victims is not admitted; nothing changes', async (t) => {
  const cache = new ByteBudgetCache<number>(100);
  cache.set('a/0', 1, 80);
  // Requests alternating between a cached sheet and one that would evict it: the pattern that churned.
  for (let i = 0; i < 1000; i++) {
    cache.get('a/0');
    cache.get('b/0');
    t.equal(cache.makeRoom('b/0', 80), false);
  }
  t.same(cache.stats(), { budget_bytes: 100, bytes: 80, entries: 1, hits: 1000, misses: 1000, evictions: 0 }, 'a/0 stays, no eviction');
  t.equal(cache.set('c/0', 3, 20), true, 'and no room stays reserved');
});

t.test('makeRoom: an entry asked for clearly more often than its victims evicts them before it is made', async (t) => {
  const cache = new ByteBudgetCache<number>(100);
  cache.set('a/0', 1, 50);
  cache.set('a/1', 2, 40);
  ask(cache, 'a/0', 10);
  ask(cache, 'a/1', 10);
  ask(cache, 'b/0', 30); // 30 ≤ 1.5 × 10 + 8 against a/0 alone, but b/0 needs both out: 30 ≤ 1.5 × 20 + 8
  t.equal(cache.makeRoom('b/0', 70), false, 'not over 1.5× both victims + 8');
  t.equal(cache.makeRoom('b/0', 55), true, 'a/0 alone is enough room: 30 > 1.5 × 10 + 8');
  t.equal(cache.has('a/0'), false, 'a/0 evicted now, before b/0 is made');
  t.equal(cache.has('a/1'), true, 'a/1 kept: not needed for the room');
  t.equal(cache.stats().evictions, 1);
  cache.release(55);
  t.equal(cache.set('b/0', 3, 55), true);
  t.same(cache.stats(), { budget_bytes: 100, bytes: 95, entries: 2, hits: 20, misses: 30, evictions: 1 });
});

t.test('makeRoom: uses age, so a key used a lot until now gives way to one used from now on', async (t) => {
  const cache = new ByteBudgetCache<number>(100);
  cache.set('old/0', 1, 80);
  for (let i = 0; i < 5000; i++) {
    cache.get('old/0');
    if (i % 2) cache.get('new/0');
  }
  t.equal(cache.makeRoom('new/0', 80), false, 'asked for half as often so far: not admitted');
  // From now on only new/0: old/0's count halves every 256 uses while new/0's grows.
  let admittedAfter = -1;
  for (let i = 1; i <= 2000 && admittedAfter < 0; i++) {
    cache.get('new/0');
    if (cache.makeRoom('new/0', 80)) admittedAfter = i;
  }
  t.ok(admittedAfter > 0 && admittedAfter <= 300, `admitted after ${admittedAfter} uses of it alone`);
  t.equal(cache.has('old/0'), false);
});

t.test('makeRoom: never with a zero budget, nor over the budget, nor over other reservations', async (t) => {
  t.equal(new ByteBudgetCache<number>(0).makeRoom('a/0', 1), false);
  const cache = new ByteBudgetCache<number>(100);
  t.equal(cache.makeRoom('a/0', 101), false);
  t.equal(cache.makeRoom('a/0', 70), true);
  ask(cache, 'b/0', 100);
  t.equal(cache.makeRoom('b/0', 40), false, 'the 70 reserved are not evictable');
  cache.release(70);
  t.equal(cache.makeRoom('b/0', 40), true);
});

t.test('makeRoom: spread evenly over more large entries than fit, a full cache keeps what it holds', async (t) => {
  // Four sheets of 60 in a budget of 100, asked for at random: the fill each miss would start is refused
  // (LRU alone replaced the cached one on ~3 misses in 4).
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const cache = new ByteBudgetCache<number>(100);
  let admitted = 0;
  for (let i = 0; i < 20_000; i++) {
    const key = `s${Math.floor(random() * 4)}/0`;
    if (cache.get(key) === undefined && cache.makeRoom(key, 60)) {
      admitted++;
      cache.release(60);
      cache.set(key, i, 60);
    }
  }
  t.ok(admitted <= 2, `${admitted} admissions in 20,000 requests (the first, into the empty cache, and at most one more)`);
  t.equal(cache.stats().entries, 1);
});
