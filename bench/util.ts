/** Small helpers shared by the bench modules: statistics over runs, timing, paths. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (bench/ compiles to dist/bench/, so two levels up from either). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BENCH_DIR = join(ROOT, 'bench');
export const CACHE_DIR = join(BENCH_DIR, '.cache');
export const SERVICE_MAIN = join(ROOT, 'dist/src/main.js');
export const PARQUET_PATH = join(ROOT, 'node_modules/vega-datasets/data/flights-3m.parquet');

/** The Accept-Encoding Chromium sends on every request, so replayed page traffic gets what a browser gets. */
export const BROWSER_ACCEPT_ENCODING = 'gzip, deflate, br, zstd';

/**
 * The builds a side-by-side bench runs: this one and, given `baseline` (another checkout, built there with
 * `npm run build`; relative to the current directory), that one's server; `main` undefined: this build's SERVICE_MAIN.
 */
export function comparedBuilds(baseline: string | undefined): { name: 'this build' | 'baseline'; main?: string }[] {
  return [{ name: 'this build' }, ...(baseline ? [{ name: 'baseline' as const, main: resolve(baseline, 'dist/src/main.js') }] : [])];
}

/** `items` in the order of round `round` of an interleaved comparison: each goes first in turn, so all see the machine alike. */
export function inTurn<T>(items: T[], round: number): T[] {
  return items.map((_, k) => items[(k + round) % items.length]);
}

export const sleep = (ms: number) => new Promise<void>((res) => setTimeout(res, ms));

export function median(xs: number[]): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The q-quantile (0..1) of a sample by the nearest-rank method (q=0.95: p95); NaN for no values. */
export function quantile(xs: number[], q: number): number {
  const v = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return Number.NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))];
}

/** Median of a figure over runs, or null when no run had it. */
export function medianOrNull(xs: (number | null | undefined)[]): number | null {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? median(v) : null;
}

/** a / b, or null when either is missing or b is 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (typeof a !== 'number' || typeof b !== 'number' || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return null;
  return round(a / b, 3);
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export function roundOrNull(x: number | null | undefined, digits = 2): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? round(x, digits) : null;
}

export const MB = 1e6;

export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** Deterministic PRNG (mulberry32), so every server of a cell sees the same sequence of offsets; shared with the tests. */
export { prng } from '../test/support/prng.js';

export function log(msg: string): void {
  const t = new Date().toISOString().slice(11, 19);
  process.stderr.write(`[bench ${t}] ${msg}\n`);
}
