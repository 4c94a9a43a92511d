import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { WriteStream } from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import type { ExpectedUpload } from './store.js';
import type { GrowingFileMessage, ParseResult, ParseTask, ReadOptions } from '../../workers/protocol.js';
import type { WorkerPool } from './pools.js';

/**
 * A CSV upload parsed while it is still arriving. The parse worker reads the file as the upload is written into
 * it (workers/readers/csv.ts, readCsvGrowing): most of the text read is done by the last byte, where it used to
 * start there. Both backends receive uploads into a file (staging under DATA_DIR; SHARED_MEMORY_DIR), and both
 * use this when `start` allows it.
 *
 * The task holds a parse thread for as long as the upload takes, so it is started only while another parse
 * thread stays free for other uploads; its PARSE_TIMEOUT_S counts from the last byte, not from the first.
 */
export class ReadWhileReceiving {
  private readonly port: MessagePort;
  private readonly result: Promise<ParseResult>;
  private settled = false;

  private constructor(pool: WorkerPool, task: Omit<ParseTask, 'source' | 'options'>, path: string, file: WriteStream, log?: FastifyBaseLogger) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    const received = new Promise<void>((resolve) =>
      file.once('finish', () => {
        // Every write has returned: the file's size is final.
        this.post({ done: file.bytesWritten });
        resolve();
      }),
    );
    this.result = pool.run<ParseResult>({ ...task, source: { kind: 'growing', path, port: port2 }, options: {} }, [port2], log, { timeoutFrom: received });
    this.result.catch(() => undefined).finally(() => {
      this.settled = true;
      this.port.close();
    });
  }

  /**
   * Starts the parse of a `csv` upload streaming into `file` at `path`, when it declared (Content-Length) at least
   * `minBytes` and `pool` has a thread to spare; undefined otherwise (the caller parses once the file is complete).
   */
  static start(
    pool: WorkerPool,
    upload: ExpectedUpload & { minBytes: number },
    task: Pick<ParseTask, 'output'>,
    path: string,
    file: WriteStream,
    log?: FastifyBaseLogger,
  ): ReadWhileReceiving | undefined {
    if (upload.fileType !== 'csv' || upload.bytes < upload.minBytes || !pool.hasSpareThread()) return undefined;
    log?.debug({ expected_bytes: upload.bytes }, 'reading the CSV while it arrives');
    return new ReadWhileReceiving(pool, { op: 'parse', fileType: 'csv', fileName: upload.fileName, output: task.output }, path, file, log);
  }

  /** The parse's answer, once the form's `options` are known (the file must be complete, or the parse waits). */
  finish(options: ReadOptions): Promise<ParseResult> {
    this.post({ options });
    return this.result;
  }

  /** The upload failed: the parse stops at its next look at the file. Resolves once the worker has let go. */
  async abort(): Promise<void> {
    this.post({ aborted: true });
    await this.result.catch(() => undefined);
  }

  private post(message: GrowingFileMessage): void {
    if (!this.settled) this.port.postMessage(message);
  }
}
