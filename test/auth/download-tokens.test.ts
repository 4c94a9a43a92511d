/** The download-token map on its own: single use, expiry, what it remembers, its bound. */
import t from 'tap';
import { DownloadTokens, type DownloadView } from '../../src/auth/download-tokens.js';

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

t.test('once, within its life; refusals say why; handed back after a failed start', async (t) => {
  const tokens = new DownloadTokens(60_000);
  const { token, expiresAt } = tokens.mint(view(7), 1_000);
  t.equal(expiresAt, 61_000);
  t.not(tokens.mint(view(7), 1_000).token, token, 'every token is new');
  const taken = tokens.take(token, 2_000);
  t.same('view' in taken && !('refused' in taken) && taken.view.versionId, 7);
  t.match(tokens.take(token, 2_000), { refused: 'used', view: { versionId: 7 } });
  if (!('refused' in taken)) taken.give();
  t.match(tokens.take(token, 3_000), { view: { versionId: 7 } }, 'usable again once handed back');

  const late = tokens.mint(view(8), 10_000).token;
  t.match(tokens.take(late, 70_000), { refused: 'expired' }, 'at its expiry');
  t.match(tokens.take(late, 129_999), { refused: 'expired' }, 'remembered for a TTL after');
  t.match(tokens.take(late, 130_000), { refused: 'unknown' }, 'then forgotten');
  t.match(tokens.take('x'.repeat(43), 0), { refused: 'unknown' });
});

t.test('bounded: past max entries the oldest goes, and expired ones are swept as time passes', async (t) => {
  const tokens = new DownloadTokens(1_000, 3);
  const minted = [1, 2, 3, 4].map((v) => tokens.mint(view(v), 0).token);
  t.equal(tokens.size, 3);
  t.match(tokens.take(minted[0]!, 10), { refused: 'unknown' }, 'the oldest was dropped');
  t.match(tokens.take(minted[3]!, 10), { view: { versionId: 4 } }, 'the newest is kept');
  tokens.mint(view(5), 2_000);
  t.equal(tokens.size, 1, 'entries a TTL past their expiry are forgotten on the next mint');
});
