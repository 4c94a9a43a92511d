import { MessageChannel } from 'node:worker_threads';
import { Readable, type Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import type { TableStore } from '../../../storage/store.js';
import type { ExportTask } from '../../../../workers/protocol.js';

/** An export as the route asks for it: the worker's task without what the store fills in (table, port). */
export type ExportRequest = Omit<ExportTask, 'op' | 'table' | 'port'> & { key: string; sheetIndex: number };

/** Export bodies being sent, each with the response it is written to. */
const sending = new Map<Readable, Writable>();

/**
 * What the main thread holds for exports right now: how many are being sent, and the bytes received from
 * the workers that the kernel has not yet taken (still in an export stream's buffer or its response's write
 * queue, socket included). The credit-based flow control bounds the bytes to about EXPORT_CREDITS + 1
 * messages per export, whatever the clients' speed; read at scrape time by the metrics plugin.
 */
export function exportsInFlight(): { exports: number; bytes: number } {
  let bytes = 0;
  for (const [body, res] of sending) bytes += body.readableLength + res.writableLength;
  return { exports: sending.size, bytes };
}

/**
 * Starts an export in the worker that holds or can read the sheet, and resolves once its row count is
 * known (so a bad filter is still a clean 4xx) with a stream of the encoded bytes, to be written to `res`
 * (counted in exportsInFlight until the stream closes). The worker sends a batch only when this stream asks
 * for more, so a slow client never makes the main thread buffer the table.
 */
export function startExport(store: TableStore, req: ExportRequest, res: Writable, log: FastifyBaseLogger): Promise<{ totalRows: number; body: Readable }> {
  const { port1, port2 } = new MessageChannel();
  const body = new Readable({
    read() {
      port1.postMessage('more');
    },
    destroy(err, done) {
      port1.postMessage('cancel');
      port1.close();
      done(err);
    },
  });

  return new Promise((resolve, reject) => {
    let started = false;
    port1.on('message', (m: { start?: true; total_rows?: number; chunk?: ArrayBuffer; end?: true }) => {
      if (m.start) {
        started = true;
        sending.set(body, res);
        body.once('close', () => sending.delete(body));
        resolve({ totalRows: m.total_rows!, body });
      } else if (m.chunk) body.push(Buffer.from(m.chunk));
      else if (m.end) body.push(null);
    });
    const task = (table: ExportTask['table']): ExportTask => ({
      op: 'export',
      table,
      query: req.query,
      offset: req.offset,
      size: req.size,
      format: req.format,
      neutralizeFormulas: req.neutralizeFormulas,
      sheetName: req.sheetName,
      port: port2,
    });
    store.run(req.key, req.sheetIndex, task, log, [port2]).catch((err) => {
      port1.close();
      if (started) body.destroy(err);
      else reject(err);
    });
  });
}
