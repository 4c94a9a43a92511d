import { open } from 'node:fs/promises';
import Database from 'better-sqlite3';
import { isoNow } from '../errors.js';
import type { ReaderReport } from '../../workers/protocol.js';
import type { Catalog, CatalogHealth, DatasetListing, NewVersion } from './catalog.js';
import { VersionCache, type CachedVersion, type SheetRow, type VersionRow } from './version-cache.js';
import type { Instance } from '../instances/instance.js';
import { MemoryTokenRecords, type TokenRecords } from '../auth/download-tokens.js';
import type { Dataset, SheetInfo, StoredVersion, Version, VersionTag } from './types.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS datasets (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  description TEXT,
  tags TEXT NOT NULL DEFAULT '[]',
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  last_version_number INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  version_number INTEGER NOT NULL,
  file_name TEXT NOT NULL,
  file_type TEXT NOT NULL,
  file_size INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  storage_key TEXT NOT NULL UNIQUE,
  reader TEXT, -- JSON ReaderReport: what the reader decided (null for versions stored before it was kept)
  UNIQUE (dataset_id, version_number)
);
CREATE TABLE IF NOT EXISTS sheets (
  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  name TEXT NOT NULL,
  row_count INTEGER NOT NULL,
  columns TEXT NOT NULL,
  PRIMARY KEY (version_id, position)
);
CREATE TABLE IF NOT EXISTS statistics (
  version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
  sheet TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (version_id, sheet)
);
-- Version tags: one row per (dataset, name). The composite foreign key makes it impossible for a tag to point
-- at another dataset's version, and deletes the tag together with its version (or its dataset, whose
-- versions cascade). Created IF NOT EXISTS, so an existing DATA_DIR gains the table on start.
CREATE UNIQUE INDEX IF NOT EXISTS versions_id_dataset ON versions (id, dataset_id);
CREATE TABLE IF NOT EXISTS version_tags (
  dataset_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  version_id INTEGER NOT NULL,
  description TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (dataset_id, name),
  FOREIGN KEY (version_id, dataset_id) REFERENCES versions (id, dataset_id) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS version_tags_by_version ON version_tags (version_id, dataset_id);
-- Recreated on every start, so an existing DATA_DIR gains the columns added since it was made.
-- row_count: the current version's rows, summed over its sheets (NULL when the dataset has no version);
-- one correlated lookup on the sheets' primary key per dataset, so a page of the list stays one query.
DROP VIEW IF EXISTS dataset_view;
CREATE VIEW dataset_view AS
SELECT d.id, d.name, d.description, d.tags, d.created_at, d.updated_at,
       cur.version_number AS current_version,
       COALESCE(cur.file_size, 0) AS file_size,
       (SELECT COUNT(*) FROM versions v WHERE v.dataset_id = d.id) AS version_count,
       (SELECT SUM(s.row_count) FROM sheets s WHERE s.version_id = cur.id) AS row_count
FROM datasets d
LEFT JOIN versions cur ON cur.id = (
  SELECT v.id FROM versions v WHERE v.dataset_id = d.id ORDER BY v.version_number DESC LIMIT 1);
`;

const VERSION_TAG_SELECT = `
SELECT t.name, t.dataset_id, t.version_id, v.version_number, t.description, t.created_at, t.updated_at
FROM version_tags t JOIN versions v ON v.id = t.version_id`;

type DatasetRecord = Omit<Dataset, 'tags'> & { tags: string };

/**
 * The catalog (catalog.ts) in SQLite, through better-sqlite3: a file under DATA_DIR for the local backend (so it
 * survives restarts), `:memory:` for the memory backend. One implementation serves both, so listing, filtering
 * and version numbering behave the same whichever backend holds the data. better-sqlite3 is synchronous: each
 * call runs on the main thread, touches only metadata rows, and resolves at once.
 */
export class SqliteCatalog implements Catalog {
  private readonly db: Database.Database;

  /** The write-ahead log, synced by durable(); none in memory. */
  private readonly walPath?: string;
  /** A write was committed since the last sync started. */
  private unsynced = false;
  /** The sync of the log in progress, and the one that follows it for writes committed meanwhile. */
  private syncing?: Promise<void>;
  private nextSync?: Promise<void>;

  constructor(file: string | ':memory:') {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL: a commit writes the log without waiting for the disk; durable() then syncs the log off the main
    // thread before the answer goes out, so a version reported as created still survives a power cut. FULL
    // synced inside each commit, on the main thread: 15-30 ms of a blocked event loop per upload or delete.
    this.db.pragma('synchronous = NORMAL');
    if (file !== ':memory:') this.walPath = `${file}-wal`;
    this.db.pragma('foreign_keys = ON');
    // Case-insensitive matching for any script, which SQLite's own lower() does not do.
    this.db.function('casefold', { deterministic: true }, (s: unknown) => String(s ?? '').toLowerCase());
    this.db.exec(SCHEMA);
    // A DATA_DIR created before the reader report was kept gains its column (SQLite has no ADD COLUMN IF NOT EXISTS).
    const versionColumns = this.db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('versions');
    if (!versionColumns.includes('reader')) this.db.exec('ALTER TABLE versions ADD COLUMN reader TEXT');
  }

  async close(): Promise<void> {
    this.db.close();
  }

  private me?: Instance;

  async registerInstance(me: Instance): Promise<void> {
    this.me = me;
  }

  /** Only this one: a second instance on the DATA_DIR is refused at start (instances/data-dir-lock.ts). */
  async liveInstances(): Promise<Set<string>> {
    return new Set(this.me ? [this.me.id] : []);
  }

  async health(): Promise<CatalogHealth> {
    return { kind: 'sqlite', reachable: this.db.open };
  }

  /** One instance: in its memory, where they cost nothing to check. */
  downloadTokenRecords(ttlMs: number): TokenRecords {
    return new MemoryTokenRecords(ttlMs);
  }

  /** The one instance frees what it deletes itself (TableStore.drop). */
  onVersionsDropped(): void {}

  /** In-process calls of a few microseconds: nothing worth a histogram. */
  observeQueries(): void {}

  /**
   * Resolves once every write committed before the call is on disk (the log synced by a thread-pool
   * fsync, never the main thread). Writes committed while a sync runs share the one that follows it.
   */
  durable(): Promise<void> {
    if (!this.walPath || !this.unsynced) return this.nextSync ?? this.syncing ?? Promise.resolve();
    if (!this.syncing) return this.startSync();
    this.nextSync ??= this.syncing.then(() => {
      this.nextSync = undefined;
      return this.startSync();
    });
    return this.nextSync;
  }

  private startSync(): Promise<void> {
    this.unsynced = false;
    const sync = syncFile(this.walPath!).finally(() => {
      if (this.syncing === sync) this.syncing = undefined;
    });
    this.syncing = sync;
    return sync;
  }

  /** Marks a committed write for durable(), and drops what was worked out from the rows before it. */
  private wrote<T>(result: T): T {
    this.unsynced = true;
    this.keyDatasets = undefined;
    this.datasetTotal = undefined;
    return result;
  }

  /** /health's figures, read once per change of the catalog rather than on every call. */
  private keyDatasets?: Map<string, number>;
  private datasetTotal?: number;

  private readonly statements = new Map<string, Database.Statement>();

  /** Prepared once per SQL text: preparing on every request was an eighth of the main thread's busy time. */
  private statement(sql: string): Database.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.db.prepare(sql);
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Records a version whose data is already durably stored, creating its dataset when `datasetId` is absent.
   * One transaction: the version number is taken from the dataset's counter, so concurrent uploads get dense,
   * unique numbers that are never reused after a delete.
   */
  async commitVersion(
    target: { datasetId: number } | { name: string; description: string | null; tags: string[] },
    v: NewVersion,
  ): Promise<{ dataset: Dataset; version: Version } | undefined> {
    const now = isoNow();
    const tx = this.db.transaction(() => {
      let datasetId: number;
      if ('datasetId' in target) {
        const bumped = this.statement('UPDATE datasets SET last_version_number = last_version_number + 1, updated_at = ? WHERE id = ?')
          .run(now, target.datasetId);
        if (bumped.changes === 0) return undefined;
        datasetId = target.datasetId;
      } else {
        datasetId = Number(
          this.statement(
              'INSERT INTO datasets (name, description, tags, created_at, updated_at, last_version_number) VALUES (?, ?, ?, ?, ?, 1)',
            )
            .run(target.name, target.description, JSON.stringify(target.tags), now, now).lastInsertRowid,
        );
      }
      const { last_version_number } = this.statement('SELECT last_version_number FROM datasets WHERE id = ?')
        .get(datasetId) as { last_version_number: number };
      const versionId = Number(
        this.statement(
            'INSERT INTO versions (dataset_id, version_number, file_name, file_type, file_size, created_at, storage_key, reader) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(datasetId, last_version_number, v.fileName, v.fileType, v.fileSize, now, v.storageKey, JSON.stringify(v.reader)).lastInsertRowid,
      );
      const insertSheet = this.statement(
        'INSERT INTO sheets (version_id, position, name, row_count, columns) VALUES (?, ?, ?, ?, ?)',
      );
      v.sheets.forEach((s, i) => insertSheet.run(versionId, i, s.name, s.row_count, JSON.stringify(s.columns)));
      return versionId;
    });
    const versionId = this.wrote(tx());
    if (versionId === undefined) return undefined;
    const version = this.cached(versionId)!.version;
    return { dataset: this.datasetRow(version.dataset_id)!, version };
  }

  async dataset(id: number): Promise<Dataset | undefined> {
    return this.datasetRow(id);
  }

  private datasetRow(id: number): Dataset | undefined {
    const row = this.statement('SELECT * FROM dataset_view WHERE id = ?').get(id) as DatasetRecord | undefined;
    return row && toDataset(row);
  }

  async listDatasets(q: DatasetListing): Promise<{ items: Dataset[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.name) {
      where.push('instr(casefold(name), casefold(?)) > 0');
      params.push(q.name);
    }
    for (const label of q.tags) {
      where.push('EXISTS (SELECT 1 FROM json_each(dataset_view.tags) WHERE value = ?)');
      params.push(label);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const order = q.sortOrder === 'desc' ? 'DESC' : 'ASC';
    const sortKey = q.sortBy === 'name' ? 'casefold(name)' : q.sortBy;
    const { total } = this.statement(`SELECT COUNT(*) AS total FROM dataset_view ${filter}`).get(...params) as {
      total: number;
    };
    const rows = this.statement(`SELECT * FROM dataset_view ${filter} ORDER BY ${sortKey} ${order}, id ${order} LIMIT ? OFFSET ?`)
      .all(...params, q.limit, q.offset) as DatasetRecord[];
    return { items: rows.map(toDataset), total };
  }

  /** Each dataset tag (label) in use and how many datasets carry it, most used first (`GET /api/datasets/tags`). */
  async datasetTagCounts(): Promise<{ name: string; count: number }[]> {
    return this.statement(
        'SELECT t.value AS name, COUNT(*) AS count FROM datasets d, json_each(d.tags) t GROUP BY t.value ORDER BY count DESC, name',
      )
      .all() as { name: string; count: number }[];
  }

  async updateDataset(id: number, patch: { name?: string; description?: string | null; tags?: string[] }): Promise<Dataset | undefined> {
    const current = this.datasetRow(id);
    if (!current) return undefined;
    this.wrote(
      this.statement('UPDATE datasets SET name = ?, description = ?, tags = ?, updated_at = ? WHERE id = ?').run(
        patch.name ?? current.name,
        patch.description === undefined ? current.description : patch.description,
        JSON.stringify(patch.tags ?? current.tags),
        isoNow(),
        id,
      ),
    );
    return this.datasetRow(id);
  }

  /** Removes a dataset and its versions from the catalog; returns the storage keys whose data to free. */
  async deleteDataset(id: number): Promise<string[] | undefined> {
    return this.wrote(this.db.transaction(() => {
      const versions = this.statement('SELECT id, storage_key FROM versions WHERE dataset_id = ?').all(id) as { id: number; storage_key: string }[];
      const res = this.statement('DELETE FROM datasets WHERE id = ?').run(id);
      for (const v of versions) this.versionCache.delete(v.id);
      return res.changes ? versions.map((v) => v.storage_key) : undefined;
    })());
  }

  async deleteVersion(datasetId: number, versionId: number): Promise<string | undefined> {
    return this.wrote(this.db.transaction(() => {
      const key = this.statement('SELECT storage_key FROM versions WHERE id = ? AND dataset_id = ?')
        .pluck()
        .get(versionId, datasetId) as string | undefined;
      if (key === undefined) return undefined;
      this.statement('DELETE FROM versions WHERE id = ?').run(versionId);
      this.versionCache.delete(versionId);
      this.statement('UPDATE datasets SET updated_at = ? WHERE id = ?').run(isoNow(), datasetId);
      return key;
    })());
  }

  /** Newest first. */
  async versions(datasetId: number): Promise<StoredVersion[]> {
    const ids = this.statement('SELECT id FROM versions WHERE dataset_id = ? ORDER BY version_number DESC').pluck().all(datasetId) as number[];
    return ids.map((id) => this.cached(id)!.version);
  }

  async version(datasetId: number, versionId: number): Promise<StoredVersion | undefined> {
    const found = this.cached(versionId)?.version;
    return found?.dataset_id === datasetId ? found : undefined;
  }

  /** A version and its sheets, read once and kept (VersionCache), forgotten when deleted. */
  private cached(versionId: number): CachedVersion | undefined {
    const entry = this.versionCache.get(versionId);
    if (entry) return entry;
    const found = this.statement('SELECT * FROM versions WHERE id = ?').get(versionId) as VersionRow | undefined;
    if (!found) return undefined;
    const rows = this.statement('SELECT name, row_count, columns FROM sheets WHERE version_id = ? ORDER BY position').all(versionId) as SheetRow[];
    return this.versionCache.keep(found, rows);
  }

  private readonly versionCache = new VersionCache();

  /** What the reader decided for this version (null for versions stored before the report was kept). */
  async readerReport(versionId: number): Promise<ReaderReport | null> {
    return this.cached(versionId)?.reader ?? null;
  }

  async latestVersion(datasetId: number): Promise<StoredVersion | undefined> {
    const id = this.statement('SELECT id FROM versions WHERE dataset_id = ? ORDER BY version_number DESC LIMIT 1').pluck().get(datasetId) as
      | number
      | undefined;
    return id === undefined ? undefined : this.cached(id)?.version;
  }

  async sheets(versionId: number): Promise<readonly SheetInfo[]> {
    return this.cached(versionId)?.sheets ?? [];
  }

  /** The version with this per-dataset number, if it exists (numbers of deleted versions are not reused). */
  async versionByNumber(datasetId: number, versionNumber: number): Promise<StoredVersion | undefined> {
    const id = this.statement('SELECT id FROM versions WHERE dataset_id = ? AND version_number = ?').pluck().get(datasetId, versionNumber) as
      | number
      | undefined;
    return id === undefined ? undefined : this.cached(id)?.version;
  }

  /**
   * Creates the version tag `name` on a dataset, or moves it to `versionId`. `description` undefined keeps the
   * current one (null when created); null clears it. Returns undefined when the version is not one of the
   * dataset's. One transaction: the ownership check, the created-or-moved decision and the write see the same
   * state.
   */
  async setVersionTag(
    datasetId: number,
    name: string,
    versionId: number,
    description: string | null | undefined,
  ): Promise<{ tag: VersionTag; created: boolean } | undefined> {
    return this.wrote(this.db.transaction(() => {
      const owned = this.statement('SELECT 1 FROM versions WHERE id = ? AND dataset_id = ?').get(versionId, datasetId);
      if (!owned) return undefined;
      const existing = this.statement('SELECT description FROM version_tags WHERE dataset_id = ? AND name = ?')
        .get(datasetId, name) as { description: string | null } | undefined;
      const now = isoNow();
      if (existing) {
        this.statement('UPDATE version_tags SET version_id = ?, description = ?, updated_at = ? WHERE dataset_id = ? AND name = ?')
          .run(versionId, description === undefined ? existing.description : description, now, datasetId, name);
      } else {
        this.statement(
            'INSERT INTO version_tags (dataset_id, name, version_id, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(datasetId, name, versionId, description ?? null, now, now);
      }
      return { tag: this.tagRow(datasetId, name)!, created: !existing };
    })());
  }

  async versionTag(datasetId: number, name: string): Promise<VersionTag | undefined> {
    return this.tagRow(datasetId, name);
  }

  private tagRow(datasetId: number, name: string): VersionTag | undefined {
    return this.statement(`${VERSION_TAG_SELECT} WHERE t.dataset_id = ? AND t.name = ?`).get(datasetId, name) as VersionTag | undefined;
  }

  /** A dataset's version tags, by name. */
  async versionTags(datasetId: number): Promise<VersionTag[]> {
    return this.statement(`${VERSION_TAG_SELECT} WHERE t.dataset_id = ? ORDER BY t.name`).all(datasetId) as VersionTag[];
  }

  /** True when the version tag existed. */
  async deleteVersionTag(datasetId: number, name: string): Promise<boolean> {
    return this.wrote(this.statement('DELETE FROM version_tags WHERE dataset_id = ? AND name = ?').run(datasetId, name).changes > 0);
  }

  async cachedStatistics(versionId: number, sheet: string): Promise<string | undefined> {
    return this.statement('SELECT body FROM statistics WHERE version_id = ? AND sheet = ?')
      .pluck()
      .get(versionId, sheet) as string | undefined;
  }

  /** Stores a statistics body unless the version was deleted while it was being computed. */
  async cacheStatistics(versionId: number, sheet: string, body: string): Promise<void> {
    this.statement(
        'INSERT OR REPLACE INTO statistics (version_id, sheet, body) SELECT id, ?, ? FROM versions WHERE id = ?',
      )
      .run(sheet, body, versionId);
  }

  async storageKeys(): Promise<Set<string>> {
    return new Set(this.statement('SELECT storage_key FROM versions').pluck().all() as string[]);
  }

  /** storage_key → dataset id, for per-shard dataset counts. */
  async datasetOfKeys(): Promise<ReadonlyMap<string, number>> {
    if (!this.keyDatasets) {
      const rows = this.statement('SELECT storage_key, dataset_id FROM versions').all() as { storage_key: string; dataset_id: number }[];
      this.keyDatasets = new Map(rows.map((r) => [r.storage_key, r.dataset_id]));
    }
    return this.keyDatasets;
  }

  async datasetCount(): Promise<number> {
    this.datasetTotal ??= this.statement('SELECT COUNT(*) FROM datasets').pluck().get() as number;
    return this.datasetTotal;
  }

}

function toDataset(r: DatasetRecord): Dataset {
  return { ...r, tags: JSON.parse(r.tags) };
}

/** fsync of a file by path on the thread pool; a file that does not exist (yet) has nothing to sync. */
async function syncFile(path: string): Promise<void> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return;
    throw err;
  }
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
