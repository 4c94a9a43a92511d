/**
 * Parquet corpus, written with nodejs-polars in the test process (an engine the service also uses, but here
 * only as a writer, and as the reference reading for damaged files that still decode).
 */
import { spawnSync } from 'node:child_process';
import pl from 'nodejs-polars';
import { prng as rng } from '../prng.js';


export const BASE_ROWS = 3_000;

/** A file with the common types, nulls, two row groups, dictionary-encoded and plain columns. */
export function baseFrame(): pl.DataFrame {
  const n = BASE_ROWS;
  const ids = Array.from({ length: n }, (_, i) => i);
  return pl.DataFrame([
    pl.Series('id', ids, pl.Int64),
    pl.Series('amount', ids.map((i) => (i % 17 === 0 ? null : i * 1.25 - 900)), pl.Float64),
    pl.Series('city', ids.map((i) => (i % 11 === 0 ? null : ['Lyon', 'Nice', 'Brest', 'Zürich', '東京'][i % 5])), pl.Utf8),
    pl.Series('flag', ids.map((i) => i % 3 === 0), pl.Bool),
    pl.Series('day', ids.map((i) => new Date(Date.UTC(2020, 0, 1) + i * 86_400_000)), pl.Datetime('ms')).cast(pl.Date),
    pl.Series('note', ids.map((i) => `row ${i} ${'x'.repeat(i % 23)}`), pl.Utf8),
  ]);
}

export function toParquet(frame: pl.DataFrame, compression: 'uncompressed' | 'snappy' | 'zstd' = 'zstd'): Buffer {
  return frame.writeParquet({ compression, rowGroupSize: Math.ceil(frame.height / 2) || 1 } as never) as unknown as Buffer;
}

export function zeroRowFrame(): pl.DataFrame {
  return baseFrame().head(0);
}

export const WIDE_COLUMNS = 5_000;

/** `bits` single-bit flips at random offsets (seeded). */
export function flipBits(bytes: Buffer, seed: number, bits: number): { bytes: Buffer; offsets: number[] } {
  const next = rng(seed);
  const out = Buffer.from(bytes);
  const offsets: number[] = [];
  for (let i = 0; i < bits; i++) {
    const at = Math.floor(next() * out.length);
    out[at] ^= 1 << Math.floor(next() * 8);
    offsets.push(at);
  }
  return { bytes: out, offsets };
}

export function randomBytes(seed: number, length: number): Buffer {
  const next = rng(seed);
  return Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
}

/**
 * 5,000 Int64 columns × 3 rows, written by hyparquet-writer in a child process (nodejs-polars needs ~20 s to
 * build and write so wide a frame; tap's TypeScript loader cannot resolve hyparquet-writer's subpath imports).
 * Column c<k> holds k, 2k, −k.
 */
export function wideParquet(root: string): Buffer {
  const script = `
    import { parquetWriteBuffer } from 'hyparquet-writer';
    const columnData = Array.from({ length: ${WIDE_COLUMNS} }, (_, c) => ({ name: 'c' + c, data: [BigInt(c), BigInt(2 * c), BigInt(-c)], type: 'INT64', nullable: false }));
    process.stdout.write(Buffer.from(parquetWriteBuffer({ columnData })).toString('base64'));
  `;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (child.status !== 0) throw new Error(`hyparquet-writer failed: ${child.stderr}`);
  return Buffer.from(child.stdout, 'base64');
}
