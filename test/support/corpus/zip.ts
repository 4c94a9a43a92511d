/**
 * A minimal ZIP writer for the corpus: enough to build .xlsx packages part by part, and to build the hostile
 * ones a library would refuse to write — deflate streams far larger than their input (zip bombs), headers
 * whose declared sizes lie, entries whose checksum does not match their bytes. No ZIP64, so every size stays
 * below 4 GiB.
 */
import { constants, crc32, deflateRawSync } from 'node:zlib';

export interface ZipInput {
  name: string;
  /** Bytes or text of the part; deflated unless `store` is set. */
  data?: Buffer | string;
  store?: boolean;
  /** Already-compressed deflate data, with the CRC and size of what it inflates to. */
  raw?: Deflated;
  /** Overrides the uncompressed size written in both headers (a lie, for the guard tests). */
  declaredSize?: number;
  /** Overrides the CRC-32 written in both headers. */
  crc?: number;
}

export interface Deflated {
  compressed: Buffer;
  crc: number;
  size: number;
}

export function zip(entries: ZipInput[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    let body: Deflated;
    let method = 8;
    if (e.raw) body = e.raw;
    else {
      const data = typeof e.data === 'string' ? Buffer.from(e.data, 'utf8') : (e.data ?? Buffer.alloc(0));
      method = e.store ? 0 : 8;
      body = { compressed: e.store ? data : deflateRawSync(data), crc: crc32(data), size: data.length };
    }
    const size = e.declaredSize ?? body.size;
    if (size >= 2 ** 32) throw new Error(`zip: ${e.name} is 4 GiB or more, which needs ZIP64; give it a declaredSize`);
    const crc = (e.crc ?? body.crc) >>> 0;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4); // version needed
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, body.compressed);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4); // made by
    central.writeUInt16LE(20, 6); // needed
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += 30 + name.length + body.compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/**
 * Deflate data for `head + body × times + tail` without ever holding the inflated bytes: each piece is
 * compressed on its own and ends on a full flush (byte-aligned, no reference to earlier data), so the body's
 * compressed form can simply be repeated. A 16 MiB body repeated 128 times is 2 GiB that inflates from ~2 MB.
 * Past 4 GiB (no ZIP64 here) the part must be written with a `declaredSize`; `checksum: false` skips the
 * CRC (0), for bombs that must be refused before their end.
 */
export function repeatedDeflate(head: string, body: string, times: number, tail: string, opts: { checksum?: boolean } = {}): Deflated {
  const flush = { finishFlush: constants.Z_FULL_FLUSH, level: 9 };
  const headBytes = Buffer.from(head);
  const bodyBytes = Buffer.from(body);
  const tailBytes = Buffer.from(tail);
  const parts = [deflateRawSync(headBytes, flush)];
  const bodyCompressed = deflateRawSync(bodyBytes, flush);
  const checksum = opts.checksum ?? true;
  let crc = checksum ? crc32(headBytes) : 0;
  for (let i = 0; i < times; i++) {
    parts.push(bodyCompressed);
    if (checksum) crc = crc32(bodyBytes, crc);
  }
  parts.push(deflateRawSync(tailBytes)); // ends with the final block
  if (checksum) crc = crc32(tailBytes, crc);
  const size = headBytes.length + bodyBytes.length * times + tailBytes.length;
  return { compressed: Buffer.concat(parts), crc: crc >>> 0, size };
}

/** Deflate data for a part given as a sequence of chunks (a big sheet), streamed through one deflater. */
export function deflateChunks(chunks: Iterable<Buffer>, level = 1): Deflated {
  // zlib has no synchronous streaming API; compress piecewise with full flushes (costs a few bytes per chunk).
  const parts: Buffer[] = [];
  let crc = 0;
  let size = 0;
  for (const chunk of chunks) {
    parts.push(deflateRawSync(chunk, { finishFlush: constants.Z_FULL_FLUSH, level }));
    crc = crc32(chunk, crc);
    size += chunk.length;
  }
  parts.push(deflateRawSync(Buffer.alloc(0)));
  return { compressed: Buffer.concat(parts), crc: crc >>> 0, size };
}
