// Prints one closing line "N passed, N failed" summed over several tap runs, from each run's closing summary
// line `# { total: T, pass: P, fail: F, ... }`, after a line per run.
//   node .ci/summary.mjs LABEL LOG STATUS [LABEL LOG STATUS]...
// A run whose exit status is non-zero with no failed test (build error, crash, Node not fetched) counts as one failure.
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const total = { passed: 0, failed: 0, skipped: 0 };
for (let i = 0; i < args.length; i += 3) {
  const [label, log, status] = args.slice(i, i + 3);
  const lines = readFileSync(log, 'utf8').split('\n').filter((l) => /^# \{ total: \d+/.test(l));
  const last = lines.at(-1);
  const count = (name) => Number(new RegExp(`\\b${name}: (\\d+)`).exec(last ?? '')?.[1] ?? 0);
  const run = { passed: count('pass'), failed: count('fail'), skipped: count('skip') };
  if (!last || (Number(status) !== 0 && run.failed === 0)) run.failed += 1; // the run itself failed
  console.log(`${label}: pass ${run.passed}, fail ${run.failed}, skip ${run.skipped}${last ? '' : ' (no tap summary: see above)'}`);
  for (const key of Object.keys(total)) total[key] += run[key];
}
const { passed, failed, skipped } = total;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
