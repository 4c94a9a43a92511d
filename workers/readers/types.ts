import type pl from 'nodejs-polars';

/** Where an uploaded file's bytes are: a staged file (local backend) or memory (memory backend). */
export type Source = { kind: 'path'; path: string } | { kind: 'bytes'; bytes: Uint8Array };

/** One table of an uploaded file. CSV and Parquet give one sheet named `Sheet1`. */
export interface ParsedSheet {
  name: string;
  frame: pl.DataFrame;
}

export type FileType = 'csv' | 'parquet' | 'xlsx' | 'xlsm' | 'xls';


export type { ColumnDecision, ForcibleType, ReaderReport, ReadOptions } from '../protocol.js';
