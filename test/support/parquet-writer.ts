import { spawnSync } from 'node:child_process';
import { ROOT } from './server.js';

/**
 * hyparquet-writer's `parquetWriteBuffer`, run in a plain Node child process: tap's TypeScript loader cannot
 * resolve the `hyparquet/src/*.js` subpath-pattern imports inside hyparquet-writer. BigInts and byte arrays
 * (Uint8Array, for BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY columns) cross as tagged strings.
 */
export function writeParquet(
  columnData: { name: string; data: unknown[] }[],
  schema: unknown[],
  kvMetadata?: { key: string; value: string }[],
  /** Further parquetWriteBuffer options, e.g. `{ codec: 'UNCOMPRESSED', statistics: false }`. */
  options: Record<string, unknown> = {},
): Uint8Array {
  const script = `
    import { parquetWriteBuffer } from 'hyparquet-writer';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const options = JSON.parse(input, (_k, v) =>
      typeof v === 'string' && v.startsWith('__big__') ? BigInt(v.slice(7)) : typeof v === 'string' && v.startsWith('__bytes__') ? new Uint8Array(Buffer.from(v.slice(9), 'base64')) : v);
    process.stdout.write(Buffer.from(parquetWriteBuffer(options)).toString('base64'));
  `;
  const input = JSON.stringify({ ...options, columnData, schema, kvMetadata }, function (this: Record<string, unknown>, k, v) {
    const raw = this[k]; // before toJSON: a Buffer would otherwise arrive as {type, data}
    if (raw instanceof Uint8Array) return `__bytes__${Buffer.from(raw).toString('base64')}`;
    return typeof v === 'bigint' ? `__big__${v}` : v;
  });
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    input,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  if (child.status !== 0) throw new Error(`hyparquet-writer failed: ${child.stderr}`);
  return new Uint8Array(Buffer.from(child.stdout, 'base64'));
}
