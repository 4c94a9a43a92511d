import type { MessagePort, TransferListItem } from 'node:worker_threads';
import { transferableSymbol, valueSymbol } from 'piscina';
import { failureOf } from './task-error.js';
import type { DirectBatch, DirectReply, DirectRequest } from './protocol.js';

/**
 * Answers tasks sent on `port` (see src/storage/direct-channel.ts) with the worker's own `run`, beside the
 * tasks Piscina brings. A page through Piscina cost some 15 µs of the main thread's CPU and 10 µs of the
 * worker's (its queue, task objects, async resources, Atomics wake-ups); a message on a port costs 2–3 µs on each.
 * Tasks come in batches (DirectBatch); the answers of a batch's synchronous tasks go back in one message, those
 * of asynchronous ones in a batch sent from setImmediate once they settle. Buffers a task's answer marks to be
 * moved (withTransfer) are moved here too.
 */
export function serveDirect(port: MessagePort, run: (task: DirectRequest['task']) => unknown): void {
  let replies: DirectReply[] = [];
  let transfer: TransferListItem[] = [];
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (replies.length === 0) return;
    port.postMessage(replies satisfies DirectBatch<DirectReply>, transfer);
    replies = [];
    transfer = [];
  };
  const add = (id: number, result: unknown) => {
    const moved = result as { [valueSymbol]?: unknown; [transferableSymbol]?: ArrayBuffer[] } | null;
    if (moved && typeof moved === 'object' && valueSymbol in moved) {
      replies.push({ id, result: moved[valueSymbol] });
      const buffers = moved[transferableSymbol];
      if (buffers) transfer.push(...buffers);
    } else {
      replies.push({ id, result });
    }
  };
  const addLater = (id: number, result: unknown) => {
    add(id, result);
    if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  };
  port.on('message', (batch: DirectBatch<DirectRequest>) => {
    for (const { id, task } of batch) {
      let result: unknown;
      try {
        result = run(task);
      } catch (err) {
        add(id, failureOf(err));
        continue;
      }
      if (result instanceof Promise) result.then((r) => addLater(id, r), (err) => addLater(id, failureOf(err)));
      else add(id, result);
    }
    flush();
  });
}
