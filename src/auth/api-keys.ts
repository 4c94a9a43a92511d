import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export type Scope = 'read' | 'write' | 'admin';
export const SCOPES: Scope[] = ['read', 'write', 'admin'];

export interface ApiKey {
  name: string;
  scopes: Set<Scope>;
  /** SHA-256 of the key: keys are long random tokens, so a fast hash is enough and the key itself is never kept. */
  sha256: Buffer;
}

/**
 * API_KEYS: comma-separated `name:scope+scope:sha256hex` entries, e.g.
 * `reports:read:9f86…,ingest:read+write:60303a…`. `npm run api-key -- NAME SCOPES` makes a key and its entry.
 */
export function parseApiKeys(raw: string | undefined): ApiKey[] {
  if (!raw?.trim()) return [];
  return raw.split(',').map((entry) => {
    const [name, scopes, hex, ...rest] = entry.trim().split(':');
    if (!name || !scopes || !/^[0-9a-f]{64}$/i.test(hex ?? '') || rest.length) {
      throw new Error(`API_KEYS entry "${entry.trim().slice(0, 40)}" is not name:scope+scope:sha256hex`);
    }
    const list = scopes.split('+');
    const unknown = list.find((s) => !SCOPES.includes(s as Scope));
    if (unknown) throw new Error(`API_KEYS entry "${name}" has scope "${unknown}"; scopes are ${SCOPES.join(', ')}`);
    return { name, scopes: new Set(list as Scope[]), sha256: Buffer.from(hex, 'hex') };
  });
}

/** The key whose hash matches, comparing every key in constant time so timing reveals nothing. */
export function findKey(keys: ApiKey[], presented: string): ApiKey | undefined {
  const digest = createHash('sha256').update(presented).digest();
  let found: ApiKey | undefined;
  for (const key of keys) if (timingSafeEqual(digest, key.sha256) && !found) found = key;
  return found;
}

/** admin may do everything, write may also read. */
export function grants(key: ApiKey, needed: Scope): boolean {
  if (key.scopes.has('admin')) return true;
  return needed === 'read' ? key.scopes.has('read') || key.scopes.has('write') : key.scopes.has(needed);
}

export function newApiKey(): { key: string; sha256: string } {
  const key = `dsk_${randomBytes(24).toString('base64url')}`;
  return { key, sha256: createHash('sha256').update(key).digest('hex') };
}
