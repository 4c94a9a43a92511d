import { createHash, randomBytes } from 'node:crypto';
import type { ExportFormat, TableQuery } from '../../workers/protocol.js';

/** What a download token stands for: one export of a view, or the version's original file. */
export type DownloadView = ExportView | OriginalView;

/** One version's sheet, one query, one window, one format. */
export interface ExportView {
  datasetId: number;
  versionId: number;
  sheetIndex: number;
  format: ExportFormat;
  query: TableQuery;
  offset: number;
  /** Rows of the window; null: every row from `offset`. */
  size: number | null;
  neutralizeFormulas: boolean;
}

/** The uploaded file of one version, byte for byte (as `GET …/versions/{vid}/download`). */
export interface OriginalView {
  datasetId: number;
  versionId: number;
  format: 'original';
}

/** Why a token cannot be used, in words for the 404's detail. */
export type Refusal = 'unknown' | 'used' | 'expired';

/** What taking a token found: its view (now used), or why it cannot be used. */
export type Use = { view: DownloadView } | { refused: Refusal; view?: DownloadView };

/**
 * Where tokens are kept, by the SHA-256 of each (so the token itself is not kept, and a lookup's timing reveals
 * nothing of it). The catalog provides them (Catalog.downloadTokenRecords): in memory for one instance, in
 * PostgreSQL when several share the catalog, so a token minted through one instance is used through another.
 * A used or expired record is remembered until a TTL after its expiry, so its refusal can say which.
 */
export interface TokenRecords {
  save(digest: string, view: DownloadView, expiresAt: number, now: number): Promise<void>;
  /** Atomically, across instances: an unused record before its expiry becomes used and gives its view. */
  use(digest: string, now: number): Promise<Use>;
  /** Makes a used record usable again (its export could not start). */
  release(digest: string): Promise<void>;
}

interface Entry {
  view: DownloadView;
  /** ms since the epoch. */
  expiresAt: number;
  used: boolean;
}

/**
 * Token records in a bounded map on the main thread (one instance): it keeps mint order, which with one TTL is
 * expiry order, so forgetting looks at the oldest entries only. At most `max` entries: past that, the oldest
 * is dropped. They do not survive a restart. Use is atomic because the main thread runs one call at a time.
 */
export class MemoryTokenRecords implements TokenRecords {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}

  async save(digest: string, view: DownloadView, expiresAt: number, now: number): Promise<void> {
    this.sweep(now);
    while (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(digest, { view, expiresAt, used: false });
  }

  async use(digest: string, now: number): Promise<Use> {
    this.sweep(now);
    const entry = this.entries.get(digest);
    if (!entry) return { refused: 'unknown' };
    if (entry.used) return { refused: 'used', view: entry.view };
    if (now >= entry.expiresAt) return { refused: 'expired', view: entry.view };
    entry.used = true;
    return { view: entry.view };
  }

  async release(digest: string): Promise<void> {
    const entry = this.entries.get(digest);
    if (entry) entry.used = false;
  }

  /** Records held now (used and expired ones included until they are forgotten). */
  get size(): number {
    return this.entries.size;
  }

  /** Forgets the entries that expired more than ttlMs ago: the oldest first, stopping at the first still kept. */
  private sweep(now: number): void {
    for (const [key, entry] of this.entries) {
      if (now < entry.expiresAt + this.ttlMs) return;
      this.entries.delete(key);
    }
  }
}

/**
 * Short-lived, single-use download tokens: a token may be used once, within `ttlMs` of its minting; its record
 * (see TokenRecords) says what it stands for.
 */
export class DownloadTokens {
  constructor(
    readonly ttlMs: number,
    private readonly records: TokenRecords,
  ) {}

  /** A new token for `view`, usable once until `expiresAt` (ms since the epoch). */
  async mint(view: DownloadView, now = Date.now()): Promise<{ token: string; expiresAt: number }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + this.ttlMs;
    await this.records.save(digest(token), view, expiresAt, now);
    return { token, expiresAt };
  }

  /** Takes the token: its view, and it is used from now on. `give` hands it back when the export could not start. */
  async take(token: string, now = Date.now()): Promise<{ view: DownloadView; give: () => Promise<void> } | { refused: Refusal; view?: DownloadView }> {
    const key = digest(token);
    const used = await this.records.use(key, now);
    if ('refused' in used) return used;
    return { view: used.view, give: () => this.records.release(key) };
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
