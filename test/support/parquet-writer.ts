import { spawnSync } from 'node:child_process';
import { ROOT } from './server.js';

/**
 * hyparquet-writer's `parquetWriteBuffer`, run in a plain Node child process: tap's TypeScript loader cannot
 * resolve the `hyparquet/src/*.js` subpath-pattern imports inside hyparquet-writer. BigInts cross as tagged strings.
 */
export function writeParquet(
  columnData: { name: string; data: unknown[] }[],
  schema: unknown[],
  kvMetadata?: { key: string; value: string }[],
): Uint8Array {
  const script = `
    import { parquetWriteBuffer } from 'hyparquet-writer';
    let input = '';
    for await (const chunk of process.stdin) input += chunk;
    const options = JSON.parse(input, (_k, v) => (typeof v === 'string' && v.startsWith('__big__') ? BigInt(v.slice(7)) : v));
    process.stdout.write(Buffer.from(parquetWriteBuffer(options)).toString('base64'));
  `;
  const input = JSON.stringify({ columnData, schema, kvMetadata }, (_k, v) => (typeof v === 'bigint' ? `__big__${v}` : v));
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
