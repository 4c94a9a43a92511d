import { move, transferableSymbol, valueSymbol } from 'piscina';

/**
 * Marks `buffers` inside `value` to be moved, not copied, to the other thread. The buffers must be
 * ArrayBuffers that nothing else shares (see `ownedCopy`).
 */
export function withTransfer<T extends object>(value: T, buffers: ArrayBuffer[]): T {
  return move({ [transferableSymbol]: buffers, [valueSymbol]: value }) as unknown as T;
}

/**
 * A copy of `bytes` in an ArrayBuffer of its own. Buffers from Polars or Node's pool share memory we may
 * not detach; one memcpy buys a buffer that can be transferred.
 */
export function ownedCopy(...parts: Uint8Array[]): ArrayBuffer {
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  const out = new Uint8Array(new ArrayBuffer(total));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out.buffer;
}
