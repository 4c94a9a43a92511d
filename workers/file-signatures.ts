/**
 * File signatures that both the upload check (main thread) and the readers (workers) test: here, so the two
 * can never disagree. Nothing here loads a reader.
 */

/**
 * A BIFF stream starts with its BOF record: id 0x0009 (BIFF2), 0x0209 (BIFF3), 0x0409 (BIFF4) or 0x0809
 * (BIFF5/8), little-endian, then the record's length: 4 (BIFF2), 6 (BIFF3/4), 8 (BIFF5) or 16 (BIFF8).
 * Both are checked, so text or other binary data starting with a tab and a NUL is not taken for one.
 * Source: [MS-XLS] 2.4.21 BOF, and the BIFF2–5 records in OpenOffice's "Excel File Format" documentation.
 */
export function isBiffBof(b: Uint8Array): boolean {
  if (b.length < 4 || b[0] !== 0x09) return false;
  const length = b[2] | (b[3] << 8);
  return BOF_LENGTHS[b[1]]?.includes(length) ?? false;
}

const BOF_LENGTHS: Record<number, number[]> = { 0x00: [4], 0x02: [6], 0x04: [6], 0x08: [8, 16] };
