import type { MessagePort } from 'node:worker_threads';
import type pl from 'nodejs-polars';

/** Where an uploaded file's bytes are: a file (the local backend's staging, the memory backend's shared memory), or memory. */
export type Source = { kind: 'path'; path: string } | { kind: 'bytes'; bytes: Uint8Array };

/**
 * A file an upload is still being written into, with the port on which the main thread says when it is complete
 * and how the form asks it read (GrowingFileMessage). CSV only.
 */
export type GrowingSource = { kind: 'growing'; path: string; port: MessagePort };

/** One table of an uploaded file. CSV and Parquet give one sheet named `Sheet1`. */
export interface ParsedSheet {
  name: string;
  frame: pl.DataFrame;
}

export type FileType = 'csv' | 'parquet' | 'xlsx' | 'xlsm' | 'xls';


export type { ColumnDecision, ForcibleType, ReaderReport, ReadOptions } from '../protocol.js';
