/** Download tokens over the in-memory records on their own: single use, expiry, what they remember, their bound. */
import t, { type Test } from 'tap';
import { DownloadTokens, MemoryTokenRecords, type DownloadView, type TokenRecords } from '../../src/auth/download-tokens.js';
import { PostgresCatalog } from '../../src/catalog/postgres-catalog.js';
import { newCatalogDatabase } from '../support/postgres.js';

const view = (versionId: number): DownloadView => ({
  datasetId: 1,
  versionId,
  sheetIndex: 0,
  format: 'csv',
  query: { filters: [], sort: [] },
  offset: 0,
  size: null,
  neutralizeFormulas: false,
});

/** Both kinds of records: in memory (SQLite catalogs, one instance) and in PostgreSQL (shared by instances). */
const RECORDS: [string, (ttlMs: number, t: Test) => Promise<TokenRecords>][] = [
  ['in memory', async (ttlMs) => new MemoryTokenRecords(ttlMs)],
  [
    'in PostgreSQL',
    async (ttlMs, t) => {
      const catalog = await PostgresCatalog.open(await newCatalogDatabase(), { maxConnections: 2 });
      t.teardown(() => catalog.close());
      return catalog.downloadTokenRecords(ttlMs);
    },
  ],
];

for (const [name, records] of RECORDS) t.test(`once, within its life; refusals say why; handed back after a failed start (${name})`, async (t) => {
  const tokens = new DownloadTokens(60_000, await records(60_000, t));
  const { token, expiresAt } = await tokens.mint(view(7), 1_000);
  t.equal(expiresAt, 61_000);
  t.not((await tokens.mint(view(7), 1_000)).token, token, 'every token is new');
  const taken = await tokens.take(token, 2_000);
  t.same('view' in taken && !('refused' in taken) && taken.view.versionId, 7);
  t.match(await tokens.take(token, 2_000), { refused: 'used', view: { versionId: 7 } });
  if (!('refused' in taken)) await taken.give();
  t.match(await tokens.take(token, 3_000), { view: { versionId: 7 } }, 'usable again once handed back');

  const late = (await tokens.mint(view(8), 10_000)).token;
  t.match(await tokens.take(late, 70_000), { refused: 'expired' }, 'at its expiry');
  t.match(await tokens.take(late, 129_999), { refused: 'expired' }, 'remembered for a TTL after');
  t.match(await tokens.take(late, 130_000), { refused: 'unknown' }, 'then forgotten');
  t.match(await tokens.take('x'.repeat(43), 0), { refused: 'unknown' });

  const raced = (await tokens.mint(view(9), 200_000)).token;
  const both = await Promise.all([tokens.take(raced, 200_001), tokens.take(raced, 200_001)]);
  t.equal(both.filter((b) => !('refused' in b)).length, 1, 'two takes at once: exactly one gets it');
});

t.test('bounded: past max entries the oldest goes, and expired ones are swept as time passes', async (t) => {
  const records = new MemoryTokenRecords(1_000, 3);
  const tokens = new DownloadTokens(1_000, records);
  const minted: string[] = [];
  for (const v of [1, 2, 3, 4]) minted.push((await tokens.mint(view(v), 0)).token);
  t.equal(records.size, 3);
  t.match(await tokens.take(minted[0]!, 10), { refused: 'unknown' }, 'the oldest was dropped');
  t.match(await tokens.take(minted[3]!, 10), { view: { versionId: 4 } }, 'the newest is kept');
  await tokens.mint(view(5), 2_000);
  t.equal(records.size, 1, 'entries a TTL past their expiry are forgotten on the next mint');
});
