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

interface Entry {
  view: DownloadView;
  /** ms since the epoch. */
  expiresAt: number;
  used: boolean;
}

/** Why a token cannot be used, in words for the 404's detail. */
export type Refusal = 'unknown' | 'used' | 'expired';

/**
 * Short-lived, single-use download tokens, kept in memory on the main thread: a bounded map from the
 * SHA-256 of each token (so the token itself is not kept, and a lookup's timing reveals nothing of it) to the
 * view it was minted for. A token may be used once, within `ttlMs`; a used or expired one is remembered
 * until `ttlMs` after its expiry, so its refusal can say which, then forgotten. The map keeps mint order, which
 * with one TTL is expiry order, so forgetting looks at the oldest entries only. At most `max` entries: past
 * that, the oldest is dropped. Tokens do not survive a restart and are not shared between processes.
 */
export class DownloadTokens {
  private readonly entries = new Map<string, Entry>();

  constructor(
    readonly ttlMs: number,
    private readonly max = 10_000,
  ) {}

  /** A new token for `view`, usable once until `expiresAt` (ms since the epoch). */
  mint(view: DownloadView, now = Date.now()): { token: string; expiresAt: number } {
    this.sweep(now);
    while (this.entries.size >= this.max) this.entries.delete(this.entries.keys().next().value!);
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + this.ttlMs;
    this.entries.set(digest(token), { view, expiresAt, used: false });
    return { token, expiresAt };
  }

  /**
   * Takes the token: its view, and it is used from now on (concurrent requests see it used: the main
   * thread runs one at a time). `give` hands it back when the export could not start.
   */
  take(token: string, now = Date.now()): { view: DownloadView; give: () => void } | { refused: Refusal; view?: DownloadView } {
    this.sweep(now);
    const entry = this.entries.get(digest(token));
    if (!entry) return { refused: 'unknown' };
    if (entry.used) return { refused: 'used', view: entry.view };
    if (now >= entry.expiresAt) return { refused: 'expired', view: entry.view };
    entry.used = true;
    return { view: entry.view, give: () => void (entry.used = false) };
  }

  /** Tokens held now (used and expired ones included until they are forgotten). */
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

function digest(token: string): string {
  return createHash('sha256').update(token).digest('base64url');
}
