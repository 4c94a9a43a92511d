/**
 * Test-only faults, active only when the server runs with TEST_FAULTS=1, so the fault tests can make a
 * worker crash or hang on cue. Never enabled by default.
 */
const enabled = process.env.TEST_FAULTS === '1';

/**
 * A parser that crashes on `*crash-parser*` files, never returns on `*hang-parser*` files, and fills its
 * JavaScript heap without end on `*heap-parser*` files.
 */
export function parserFault(fileName: string): void {
  if (!enabled) return;
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
