import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A Polars frame's memory is freed only when V8 collects its JavaScript wrapper (and then runs its
// finalizer on the worker's event loop, see pools.ts), and a worker idle between tasks collects nothing:
// after a 3-million-row upload the parse worker kept the parsed frame and its Arrow encoding, the shard the
// IPC bytes it loaded from, and a deleted dataset's frames stayed, each hundreds of MB, until some later task.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/** A full collection of this worker's heap (a few ms here), after a task that dropped large frames or buffers. */
export function releaseMemory(): void {
  collect();
}

/**
 * releaseMemory, then one turn of the event loop: napi runs the finalizers that free Polars' memory from the
 * event loop, so a synchronous collection alone leaves a dropped frame's buffers allocated until the task ends.
 */
export async function releaseMemoryNow(): Promise<void> {
  collect();
  await new Promise<void>((done) => setImmediate(done));
}

/** Detaches `buffer`, so its memory goes with the next collection even while the task message still refers to it. */
export function discard(buffer: ArrayBuffer): void {
  structuredClone(buffer, { transfer: [buffer] });
}
