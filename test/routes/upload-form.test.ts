/**
 * The upload form's fields are checked like a JSON body: labels that are neither a JSON array of strings nor a
 * comma-separated list, an unknown field, and name/description/tags sent with dataset_id (which used to be
 * silently ignored), and a field sent twice (last-wins would pick, say, another dataset_id) are 400s that say what
 * to do — and nothing is stored. Both backends.
 */
import t from 'tap';
import { SETUPS, getJson, startServer, type Server } from '../support/server.js';

const CSV = 'a,b\n1,2\n';

/** Uploads a small CSV with these form fields (pairs, so that a field may be repeated). */
async function post(server: Server, fields: Record<string, string> | [string, string][]): Promise<{ status: number; body: any }> {
  const form = new FormData();
  for (const [k, v] of Array.isArray(fields) ? fields : Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([CSV]), 'form.csv');
  const res = await fetch(`${server.url}/api/datasets/upload`, { method: 'POST', body: form });
  return { status: res.status, body: await res.json() };
}

for (const { backend, catalog, name } of SETUPS) {
  t.test(name, async (t) => {
    const server = await startServer(t, { backend, catalog });
    const first = await post(server, { name: 'first', tags: '["x","y"]' });
    t.equal(first.status, 201);
    t.same(first.body.dataset.tags, ['x', 'y'], 'a JSON array of labels');
    const id = first.body.dataset.id as number;
    const comma = await post(server, { name: 'second', tags: 'p, q,,p' });
    t.same(comma.body.dataset.tags, ['p', 'q'], 'a comma-separated list: trimmed, empty ones and repeats dropped');

    const snapshot = async () => ({
      list: (await getJson(server, '/api/datasets?limit=100')).body,
      versions: (await getJson(server, `/api/datasets/${id}/versions`)).body,
    });
    const before = await snapshot();

    const refusals: [string, Record<string, string> | [string, string][], RegExp][] = [
      ['dataset_id twice', [['dataset_id', String(id)], ['dataset_id', String(comma.body.dataset.id)]], /^form field "dataset_id" is sent more than once; send it once$/],
      ['name twice', [['name', 'a'], ['name', 'b']], /^form field "name" is sent more than once/],
      ['tags twice', [['name', 'n'], ['tags', 'a'], ['tags', 'b']], /^form field "tags" is sent more than once; send it once \(all tags in one field/],
      ['tags: a JSON array with a number', { name: 'n', tags: '["a",1]' }, /tags must be a JSON array of strings \(\["a","b"\]\) or a comma-separated list \(a,b\)/],
      ['tags: a JSON object', { name: 'n', tags: '{"a":"b"}' }, /tags must be a JSON array of strings/],
      ['tags: broken JSON', { name: 'n', tags: '["a",' }, /tags is not a valid JSON array/],
      ['an unknown field', { name: 'n', owner: 'me' }, /^unknown form field: owner; allowed: file, name, description, tags, dataset_id/],
      ['name with dataset_id', { dataset_id: String(id), name: 'renamed' }, new RegExp(`^name cannot be sent with dataset_id.*PATCH /api/datasets/${id}$`)],
      ['description with dataset_id', { dataset_id: String(id), description: 'd' }, /^description cannot be sent with dataset_id.*PATCH/],
      ['tags with dataset_id', { dataset_id: String(id), tags: 'a' }, /^tags cannot be sent with dataset_id.*PATCH/],
      ['all three with dataset_id', { dataset_id: String(id), name: 'n', description: 'd', tags: 'a' }, /^name, description, tags cannot be sent with dataset_id.*change them with PATCH/],
    ];
    for (const [label, fields, detail] of refusals) {
      const res = await post(server, fields);
      t.equal(res.status, 400, `${label}: 400`);
      t.equal(res.body.error_code, 'invalid_request', label);
      t.match(res.body.detail, detail, `${label}: says what is wrong`);
    }
    t.same(await snapshot(), before, 'nothing was stored: the same datasets and versions');

    const version = await post(server, { dataset_id: String(id) });
    t.equal(version.status, 201, 'dataset_id alone adds a version');
    t.equal(version.body.version.version_number, 2);
    t.equal(version.body.dataset.name, 'first', 'and leaves the dataset as it was');
  });
}
