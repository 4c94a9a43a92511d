/**
 * The soak in short form, on both backends: a bounded mixed load (uploads, pages, filtered pages,
 * statistics, exports, deletes) from 32 clients. No 5xx but 503 from shedding, no 410 (no shard dies, so a
 * version deleted under a request must answer 404), RSS does not keep growing
 * after warm-up, and every dataset stored before the load reads back with the checksum it had.
 * The long form is `npm run soak`.
 */
import t from 'tap';
import { runSoak } from './support/soak-load.js';
import { BACKENDS, startServer } from './support/server.js';

for (const backend of BACKENDS) {
  t.test(`${backend}: mixed load`, async (t) => {
    const server = await startServer(t, { backend });
    const report = await runSoak({ url: server.url, pid: server.proc.pid!, requests: 1_000, concurrency: 32, seedDatasets: 4 });
    t.comment(JSON.stringify(report));
    t.same(report.failures, [], 'no 5xx other than 503, no 410');
    // Three requests in four read (the rest upload and delete); reads of a dataset deleted meanwhile are 404.
    t.ok((report.statuses['200'] ?? 0) > 0.6 * report.requests, 'the load was served');
    t.equal(report.datasets_checked, 4);
    t.same(report.checksum_mismatches, [], 'every seed dataset reads back with its checksum');
    // Polars keeps freed memory in its allocator, so RSS plateaus rather than returning to its start; a leak
    // grows with the number of requests. Allow 50% (+100 MB for the datasets the load itself adds).
    t.ok(report.rss_mb_end <= report.rss_mb_after_warmup * 1.5 + 100, `RSS stable after warm-up (${JSON.stringify(report)})`);
    t.equal(server.proc.exitCode, null, 'the server is still running');
  });
}
