// Prints "N passed, N failed" from tap's closing summary line: `# { total: T, pass: P, fail: F, ... }`.
import { readFileSync } from 'node:fs';

const [log, status] = process.argv.slice(2);
const lines = readFileSync(log, 'utf8').split('\n').filter((l) => /^# \{ total: \d+/.test(l));
const last = lines.at(-1);
const count = (name) => Number(new RegExp(`\\b${name}: (\\d+)`).exec(last ?? '')?.[1] ?? 0);
let passed = count('pass');
let failed = count('fail');
if (!last || (Number(status) !== 0 && failed === 0)) failed += 1; // the run itself failed (build, crash)
const skipped = count('skip');
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
