import { MessageChannel, type MessagePort, type TransferListItem } from 'node:worker_threads';
import type { DirectBatch, DirectReply, DirectRequest } from '../../workers/protocol.js';

/**
 * A MessagePort straight to the one worker of a single-thread pool (a memory shard), for the tasks on the hot
 * path (pages): measured at 64 tasks in flight, Piscina cost 12–16 µs of the main thread's CPU and 9–13 µs of
 * the worker's per task, a port 3 µs and 2.5 µs. The tasks of one turn of the event loop go in one message
 * (a DirectBatch, sent from setImmediate, after the turn's I/O; a task on an idle channel goes at once), and
 * the worker answers in batches too: the cost of a message is paid once per batch. The worker answers with
 * `serveDirect` (workers/direct-port.ts).
 * Tasks wait in the port's queue, not Piscina's: `inFlight` is what the pool counts against MAX_QUEUE.
 */
export class DirectChannel {
  private readonly pending = new Map<number, { resolve: (r: unknown) => void; reject: (e: unknown) => void }>();
  private seq = 0;
  private outbox: DirectRequest[] = [];
  private outTransfer: TransferListItem[] = [];
  private flushing = false;
  /** Tasks answered on this channel. */
  completed = 0;

  /** `port`: this side of a channel whose other side the worker serves. */
  constructor(private readonly port: MessagePort) {
    port.on('message', (replies: DirectBatch<DirectReply>) => {
      for (const { id, result } of replies) {
        const p = this.pending.get(id);
        if (!p) continue;
        this.pending.delete(id);
        this.completed++;
        p.resolve(result);
      }
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

  /** Sends a task (in this turn's batch); resolves with what the worker's `run` returned (a result or a TaskFailure). */
  send(task: DirectRequest['task'], transfer: TransferListItem[] = []): Promise<unknown> {
    const id = ++this.seq;
    return new Promise((resolve, reject) => {
      // The first task on an idle channel goes at once: waiting for setImmediate cost a request at c=1 some
      // 0.2 ms (measured); under load, tasks in flight, the rest gather into batches.
      if (this.pending.size === 0 && !this.flushing) {
        this.pending.set(id, { resolve, reject });
        this.port.postMessage([{ id, task }] satisfies DirectBatch<DirectRequest>, transfer);
        return;
      }
      this.pending.set(id, { resolve, reject });
      this.outbox.push({ id, task });
      if (transfer.length > 0) this.outTransfer.push(...transfer);
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(this.flush);
      }
    });
  }

  private readonly flush = (): void => {
    this.flushing = false;
    const batch = this.outbox;
    const transfer = this.outTransfer;
    this.outbox = [];
    this.outTransfer = [];
    if (batch.length > 0 && this.pending.size > 0) this.port.postMessage(batch satisfies DirectBatch<DirectRequest>, transfer);
  };

  /** The worker is gone (or the pool closes): every waiting task fails with `error()`; the channel is unusable. */
  close(error: () => unknown): void {
    for (const p of this.pending.values()) p.reject(error());
    this.pending.clear();
    this.outbox = [];
    this.outTransfer = [];
    this.port.close();
  }
}
