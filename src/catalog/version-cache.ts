import type { ReaderReport } from '../../workers/protocol.js';
import type { SheetInfo, StoredVersion } from './types.js';

/** A version's row as both catalog engines store it (the reader report as JSON text). */
export type VersionRow = Omit<StoredVersion, 'sheets' | 'row_count'> & { reader: string | null };
/** A sheet's row (its columns as JSON text), in file order. */
export interface SheetRow {
  name: string;
  row_count: number;
  columns: string;
}

/** A version with its sheets and reader report, parsed once. */
export interface CachedVersion {
  version: StoredVersion;
  sheets: SheetInfo[];
  reader: ReaderReport | null;
}

/** Versions kept in memory with their sheets (the one read longest ago goes first). */
const CACHED_VERSIONS = 10_000;

/**
 * Versions as the catalog engines keep them in memory once read: a version never changes after it is committed,
 * only disappears, and every page request needs it — reading it and parsing its column lists per request was a
 * fifth of the main thread's time per page. Callers must not modify what they get.
 */
export class VersionCache {
  private readonly entries = new Map<number, CachedVersion>();

  get(versionId: number): CachedVersion | undefined {
    return this.entries.get(versionId);
  }

  has(versionId: number): boolean {
    return this.entries.has(versionId);
  }

  delete(versionId: number): void {
    this.entries.delete(versionId);
  }

  /** Parses a version's rows into its entry, keeps it and returns it. */
  keep(row: VersionRow, sheetRows: SheetRow[]): CachedVersion {
    const { reader, ...version } = row;
    const sheets = sheetRows.map((r) => {
      const columns = JSON.parse(r.columns);
      return { name: r.name, row_count: r.row_count, column_count: columns.length, columns };
    });
    const summaries = sheets.map(({ name, row_count, column_count }) => ({ name, row_count, column_count }));
    const entry: CachedVersion = {
      version: { ...version, row_count: summaries.reduce((n, s) => n + s.row_count, 0), sheets: summaries },
      sheets,
      reader: reader === null ? null : JSON.parse(reader),
    };
    if (this.entries.size >= CACHED_VERSIONS) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(row.id, entry);
    return entry;
  }
}
