// Prints one closing line "N passed, N failed" summed over several tap runs, from each run's closing summary
// line `# { total: T, pass: P, fail: F, ... }`, after a line per run.
//   node .ci/summary.mjs LABEL LOG STATUS [LABEL LOG STATUS]...
// A run whose exit status is non-zero with no failed test (build error, crash, Node not fetched) counts as one failure.
// Each failed test is named again here, with its enclosing subtests and the first lines of its diagnostic, so the
// end of a long log says what failed.
import { readFileSync } from 'node:fs';

/** The failed tests of a tap log: one line each, `file > subtest > … > assertion`, then up to 12 diagnostic lines. */
function failures(text) {
  const out = [];
  const open = []; // open[depth] = { name, reported }: the subtest opened at that indentation depth
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const depth = Math.floor((/^ */.exec(line)?.[0].length ?? 0) / 4);
    const subtest = /^\s*# Subtest: (.*)$/.exec(line);
    if (subtest) { open.length = depth; open[depth] = { name: subtest[1], reported: out.length }; return; }
    const notOk = /^\s*not ok \d+ - (.*?)(?: # time=.*)?$/.exec(line);
    if (!notOk || /# (TODO|SKIP)\b/i.test(line)) return;
    // A subtest that failed closes with "not ok" at its own depth: name it only when nothing inside it was named.
    const closing = open[depth]?.name === notOk[1] ? open[depth] : undefined;
    if (closing && out.length > closing.reported) return;
    const path = [...open.slice(0, depth).map((s) => s?.name), notOk[1]].filter(Boolean);
    out.push(`  not ok: ${path.join(' > ')}`);
    if (/^\s+---$/.test(lines[i + 1] ?? '')) {
      for (const diag of lines.slice(i + 2, i + 14)) {
        if (/^\s+\.\.\.$/.test(diag)) break;
        out.push(`    ${diag.trim()}`);
      }
    }
  });
  return out;
}

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
  if (run.failed > 0) for (const line of failures(readFileSync(log, 'utf8'))) console.log(line);
  for (const key of Object.keys(total)) total[key] += run[key];
}
const { passed, failed, skipped } = total;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
