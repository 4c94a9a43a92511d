import { statSync } from 'node:fs';
import type { MessagePort } from 'node:worker_threads';
import type { GrowingFileMessage, ReadOptions } from '../protocol.js';
import { TaskError } from '../task-error.js';

/** How often the file's size is looked at while the upload arrives, in ms (a stat costs microseconds). */
const POLL_MS = 10;

/**
 * An upload still being written by the main thread (read while receiving: src/storage/read-while-receiving.ts).
 * Its size so far is the file's (a reader sees every byte whose write has returned); the main thread says on
 * `port` when the file is complete (its final size), when the upload failed, and how the form asks the file
 * to be read, which may arrive after the file.
 */
export class GrowingFile {
  private final: number | undefined;
  private aborted = false;
  private given: ReadOptions | undefined;
  private wake: (() => void) | undefined;

  constructor(
    readonly path: string,
    private readonly port: MessagePort,
  ) {
    port.on('message', (message: GrowingFileMessage) => {
      if ('done' in message) this.final = message.done;
      else if ('options' in message) this.given = message.options;
      else this.aborted = true;
      this.wake?.();
    });
  }

  /**
   * Waits until the file holds at least `bytes` bytes or is complete. Returns its size then, and whether that is
   * the final size. Throws UploadAborted once the upload failed (the main thread discards the file).
   */
  async until(bytes: number): Promise<{ size: number; complete: boolean }> {
    for (;;) {
      if (this.aborted) throw new UploadAborted();
      if (this.final !== undefined) return { size: this.final, complete: true };
      const size = statSync(this.path, { throwIfNoEntry: false })?.size ?? 0; // the main thread may not have opened it yet
      if (size >= bytes) return { size, complete: false };
      await this.nextMessageOrPoll();
    }
  }

  /** The form's reading options, once the whole form has arrived. Throws UploadAborted once the upload failed. */
  async options(): Promise<ReadOptions> {
    for (;;) {
      if (this.aborted) throw new UploadAborted();
      if (this.given !== undefined) return this.given;
      await this.nextMessageOrPoll();
    }
  }

  close(): void {
    this.port.close();
  }

  private nextMessageOrPoll(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, POLL_MS);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}

/** The upload failed while it was being read (a 413, a closed connection, a refused form): nobody waits for this answer. */
export class UploadAborted extends TaskError {
  constructor() {
    super(400, 'upload_aborted', 'the upload failed while it was being read');
  }
}
