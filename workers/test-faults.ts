/**
 * Test-only faults, active only when the server runs with TEST_FAULTS=1, so the fault tests can make a
 * worker crash or hang on cue. Never enabled by default.
 */
const enabled = process.env.TEST_FAULTS === '1';

/** How long a `*slow-parser*` file holds its parser before it starts reading. */
export const SLOW_PARSER_MS = 1_500;

/**
 * A parser that crashes on `*crash-parser*` files, never returns on `*hang-parser*` files, fills its
 * JavaScript heap without end on `*heap-parser*` files, and waits SLOW_PARSER_MS before reading a
 * `*slow-parser*` file (so the page test sees the upload's `parsing` phase for several polls, whatever the
 * machine's speed).
 */
export function parserFault(fileName: string): void {
  if (!enabled) return;
  if (fileName.includes('slow-parser')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, SLOW_PARSER_MS);
  if (fileName.includes('crash-parser')) process.exit(70);
  if (fileName.includes('hang-parser')) for (;;);
  if (fileName.includes('heap-parser')) {
    const hoard: number[][] = [];
    for (;;) hoard.push(new Array(1 << 20).fill(1.5));
  }
}

/** A shard that dies when asked for statistics of a sheet whose first column is `__crash_shard__`. */
export function shardFault(firstColumn: string | undefined): void {
  if (enabled && firstColumn === '__crash_shard__') process.exit(70);
}
