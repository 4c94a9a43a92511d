import type { MessagePort } from 'node:worker_threads';
import { transferableSymbol, valueSymbol } from 'piscina';
import { failureOf } from './task-error.js';
import type { DirectReply, DirectRequest } from './protocol.js';

/**
 * Answers tasks sent on `port` (see src/storage/direct-channel.ts) with the worker's own `run`, beside the
 * tasks Piscina brings. A page through Piscina cost some 15 µs of the main thread's CPU and 10 µs of the
 * worker's (its queue, task objects, async resources, Atomics wake-ups); a message on a port costs 2–3 µs on each.
 * Buffers a task's answer marks to be moved (withTransfer) are moved here too.
 */
export function serveDirect(port: MessagePort, run: (task: DirectRequest['task']) => unknown): void {
  const reply = (id: number, result: unknown) => {
    const moved = result as { [valueSymbol]?: unknown; [transferableSymbol]?: ArrayBuffer[] } | null;
    if (moved && typeof moved === 'object' && valueSymbol in moved) {
      port.postMessage({ id, result: moved[valueSymbol] } satisfies DirectReply, moved[transferableSymbol] ?? []);
    } else {
      port.postMessage({ id, result } satisfies DirectReply);
    }
  };
  port.on('message', ({ id, task }: DirectRequest) => {
    let result: unknown;
    try {
      result = run(task);
    } catch (err) {
      return reply(id, failureOf(err));
    }
    if (result instanceof Promise) result.then((r) => reply(id, r), (err) => reply(id, failureOf(err)));
    else reply(id, result);
  });
}
