import { MessageChannel, type MessagePort, type TransferListItem } from 'node:worker_threads';
import type { DirectReply, DirectRequest } from '../../workers/protocol.js';

/**
 * A MessagePort straight to the one worker of a single-thread pool (a memory shard), for the tasks on the hot
 * path (pages): measured at 64 tasks in flight, Piscina cost 12–16 µs of the main thread's CPU and 9–13 µs of
 * the worker's per task, a port 3 µs and 2.5 µs. The worker answers with `serveDirect` (workers/direct-port.ts).
 * Tasks wait in the port's queue, not Piscina's: `inFlight` is what the pool counts against MAX_QUEUE.
 */
export class DirectChannel {
  private readonly pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: unknown) => void }>();
  private seq = 0;
  /** Tasks answered on this channel. */
  completed = 0;

  /** `port`: this side of a channel whose other side the worker serves. */
  constructor(private readonly port: MessagePort) {
    port.on('message', ({ id, result }: DirectReply) => {
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      this.completed++;
      p.resolve(result);
    });
    // The channel never holds the process open: each task on it belongs to an HTTP request, which does.
    port.unref();
  }

  /** Both ends of a new channel: this side, and the port to hand to the worker (in a transfer list). */
  static open(): { channel: DirectChannel; workerPort: MessagePort } {
    const { port1, port2 } = new MessageChannel();
    return { channel: new DirectChannel(port1), workerPort: port2 };
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Sends a task; resolves with what the worker's `run` returned (a result or a TaskFailure). */
  send(task: DirectRequest['task'], transfer: TransferListItem[] = []): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.postMessage({ id, task } satisfies DirectRequest, transfer);
    });
  }

  /** The worker is gone (or the pool closes): every waiting task fails with `error()`; the channel is unusable. */
  close(error: () => unknown): void {
    for (const p of this.pending.values()) p.reject(error());
    this.pending.clear();
    this.port.close();
  }
}
