/**
 * test/support/browser.ts finds the browser the UI tests drive: the one this machine has, and a clear error
 * (saying how to get one) when CHROMIUM_PATH names a file that is not there — never a skip.
 */
import { existsSync } from 'node:fs';
import t from 'tap';
import { chromiumPath } from '../support/browser.js';

t.test('the browser is found, or the error says how to get it', async (t) => {
  const saved = process.env.CHROMIUM_PATH;
  t.teardown(() => {
    if (saved === undefined) delete process.env.CHROMIUM_PATH;
    else process.env.CHROMIUM_PATH = saved;
  });
  const found = chromiumPath();
  t.ok(existsSync(found), `found ${found}`);
  process.env.CHROMIUM_PATH = '/nonexistent/chromium';
  t.throws(() => chromiumPath(), /CHROMIUM_PATH is \/nonexistent\/chromium, which does not exist\. On Debian\/Ubuntu: sudo apt-get install -y --no-install-recommends chromium/);
  process.env.CHROMIUM_PATH = found;
  t.equal(chromiumPath(), found, 'CHROMIUM_PATH wins');
});
