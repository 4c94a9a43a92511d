/**
 * Unit tests (no server) of the download header (src/routes/content-disposition.ts): `attachment` with an
 * ASCII `filename` fallback and the exact UTF-8 name in `filename*` (RFC 6266 / RFC 8187), path segments
 * dropped.
 */
import t from 'tap';
import { contentDisposition } from '../../src/routes/content-disposition.js';

/** RFC 8187 ext-value: charset '' value-chars, where value-chars are attr-chars or %XX. */
const EXT_VALUE = /^UTF-8''(?:[A-Za-z0-9!#$&+\-.^_`|~]|%[0-9A-F]{2})*$/;

t.test('ASCII names pass through', async (t) => {
  t.equal(contentDisposition('report.csv'), `attachment; filename="report.csv"; filename*=UTF-8''report.csv`);
  t.equal(contentDisposition('my data.xlsx'), `attachment; filename="my data.xlsx"; filename*=UTF-8''my%20data.xlsx`);
});

t.test('non-ASCII, quotes and backslashes: _ in the fallback, exact in filename*', async (t) => {
  t.equal(
    contentDisposition('Ünïcode "q".csv'),
    `attachment; filename="_n_code _q_.csv"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20%22q%22.csv`,
  );
  t.equal(contentDisposition('日本.csv'), `attachment; filename="__.csv"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.csv`, 'one _ per UTF-16 unit');
  t.equal(contentDisposition('tab\there.csv'), `attachment; filename="tab_here.csv"; filename*=UTF-8''tab%09here.csv`, 'control characters too');
});

t.test('only the last path segment is kept', async (t) => {
  t.equal(contentDisposition('../../etc/passwd'), `attachment; filename="passwd"; filename*=UTF-8''passwd`);
  t.equal(contentDisposition('C:\\Users\\x\\a.csv'), `attachment; filename="a.csv"; filename*=UTF-8''a.csv`);
  t.equal(contentDisposition('dir/'), `attachment; filename="download"; filename*=UTF-8''download`, 'an empty last segment');
  t.equal(contentDisposition(''), `attachment; filename="download"; filename*=UTF-8''download`);
});

t.test('filename* holds only RFC 8187 value characters', async (t) => {
  for (const name of ['report.csv', 'Ünïcode "q".csv', '日本.csv', 'a b;c,d.csv']) {
    t.match(contentDisposition(name).split('filename*=')[1], EXT_VALUE, name);
  }
});

t.test("filename* percent-encodes ' ( ) * (not RFC 8187 attr-chars)", async (t) => {
  for (const name of ["it's.csv", 'report (1).csv', 'a*b.csv']) t.match(contentDisposition(name).split('filename*=')[1], EXT_VALUE, name);
  t.equal(contentDisposition("it's (1)*.csv").split('filename*=')[1], "UTF-8''it%27s%20%281%29%2A.csv");
});
