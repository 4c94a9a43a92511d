/**
 * The multipart form wire format for the raw clients that cannot use fetch + FormData (a file streamed from
 * disk or written in pieces, hostile file names): test/support/corpus/http.ts, the crash and progress tests,
 * and the bench's upload client (bench/client.ts). No imports, so bench/ can use it.
 */

/** One multipart field part, as every raw form here writes it. */
export function fieldPart(boundary: string, name: string, value: string): Buffer {
  return Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
}

/**
 * The bytes around one file in a multipart form, for a client that writes the file's bytes itself (streamed
 * from disk, in pieces, or cut short): `head` is the `fields` and then the header of the part `file`
 * (with `Content-Type: fileType` when given), `tail` closes the part and the form.
 */
export function formAroundFile(
  fields: Record<string, string>,
  fileName: string,
  opts: { fileType?: string; boundary?: string } = {},
): { head: Buffer; tail: Buffer; contentType: string } {
  const boundary = opts.boundary ?? `----form${Math.random().toString(16).slice(2)}`;
  const head = Buffer.concat([
    ...Object.entries(fields).map(([k, v]) => fieldPart(boundary, k, v)),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${fileName}"\r\n${opts.fileType ? `Content-Type: ${opts.fileType}\r\n` : ''}\r\n`),
  ]);
  return { head, tail: Buffer.from(`\r\n--${boundary}--\r\n`), contentType: `multipart/form-data; boundary=${boundary}` };
}
