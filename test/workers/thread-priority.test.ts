/**
 * Background work runs below the HTTP thread's priority (workers/thread-priority.ts): on a real server of each
 * backend, after an upload, a page and an SQL query, Linux's own per-thread figures (/proc/<pid>/task/<tid>/stat,
 * field 19: the nice value) show Polars' threads, the parse worker and the SQL worker BACKGROUND_NICE below the
 * main thread, and the shards (the tids /health lists) and the main thread at the process's priority.
 */
import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { BACKGROUND_NICE } from '../../workers/thread-priority.js';
import { BACKENDS, getJson, startServer, upload } from '../support/server.js';

interface OsThread {
  tid: number;
  name: string;
  nice: number;
}

/** Every thread of `pid` with its name and nice value, as the kernel reports them. */
function osThreads(pid: number): OsThread[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const afterName = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from 3 (state) on
      return [{ tid: Number(tid), name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), nice: Number(afterName[19 - 3]) }];
    } catch {
      return []; // the thread ended between the listing and the read
    }
  });
}

const CSV = 'id,city,qty\n' + Array.from({ length: 5000 }, (_, i) => `${i},c${i % 17},${(i * 7) % 101}`).join('\n') + '\n';

for (const backend of BACKENDS) {
  t.test(`${backend} backend: the engine, parse and SQL threads run below the main thread; shards do not`, { skip: process.platform !== 'linux' && 'per-thread priorities are read from Linux /proc' }, async (t) => {
    const server = await startServer(t, { backend });
    const up = await upload(server, CSV, 'cities.csv');
    t.equal(up.status, 201, 'uploaded');
    const base = `/api/datasets/${up.body.dataset.id}/versions/${up.body.version.id}`;
    t.equal((await getJson(server, `${base}/data?limit=5`)).status, 200, 'a page');
    const query = await getJson(server, `${base}/query`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql: 'SELECT count(*) AS n FROM data' }) });
    t.equal(query.status, 200, 'an SQL query');
    const shards: number[] = (await getJson(server, '/health')).body.workers.data.map((w: { tid: number }) => w.tid);
    t.ok(shards.length > 0 && shards.every((tid) => tid > 0), `/health lists the shards' thread ids (${shards})`);

    const threads = osThreads(server.proc.pid!);
    const main = threads.find((th) => th.tid === server.proc.pid)!;
    t.ok(main, 'the main thread is listed');
    const background = Math.min(19, main.nice + BACKGROUND_NICE);
    const polars = threads.filter((th) => /^polars-\d+$/.test(th.name));
    t.ok(polars.length >= 1, `Polars' pool is running (${polars.length} threads)`);
    t.same(polars.filter((th) => th.nice !== background), [], `every Polars pool thread at nice ${background}`);
    t.same(threads.filter((th) => shards.includes(th.tid) && th.nice !== main.nice), [], `every shard at the main thread's nice ${main.nice}`);
    // The parse and SQL workers are Node threads (named like the main thread) that are no shard.
    const workers = threads.filter((th) => th.name === main.name && th.tid !== main.tid && !shards.includes(th.tid) && th.nice === background);
    t.ok(workers.length >= 2, `the parse and SQL workers at nice ${background} (${workers.length} such threads)`);
  });
}
