import { ApiError } from '../errors.js';
import type { ReaderReport } from '../../workers/protocol.js';
import type { Instance } from '../instances/instance.js';
import type { TokenRecords } from '../auth/download-tokens.js';
import type { ListQuery } from '../schemas/datasets.js';
import type { Dataset, SheetInfo, StoredVersion, Version, VersionTag } from './types.js';

/** A version whose data is already durably stored, as the upload route records it. */
export interface NewVersion {
  storageKey: string;
  fileName: string;
  fileType: string;
  fileSize: number;
  sheets: SheetInfo[];
  reader: ReaderReport;
}

/** Which datasets `listDatasets` returns, in which order: `GET /api/datasets`'s parameters. */
export interface DatasetListing {
  limit: number;
  offset: number;
  name?: string;
  /** Dataset tags (labels) a dataset must all carry; not version tags. */
  tags: string[];
  /** The list's sort keys, as its query schema allows them (each a column of dataset_view). */
  sortBy: ListQuery['sort_by'];
  sortOrder: ListQuery['sort_order'];
}

/**
 * A write whose connection was lost while its COMMIT was on the way: the database may or may not have applied
 * it. Answered as 503 `catalog_unavailable` like any outage, but whoever wrote files for it must keep them: if
 * the commit happened they are a version's (`npm run catalog -- check` tells, and removes them if not).
 */
export class CommitOutcomeUnknown extends ApiError {
  constructor(reason: string) {
    super(503, 'catalog_unavailable', `the catalog's database was lost while it committed (${reason}); whether it was stored is unknown — list the dataset's versions before retrying`, { 'Retry-After': '5' });
  }
}

/** Which engine keeps the catalog, whether it answers now, and (PostgreSQL) its connection pool. */
export interface CatalogHealth {
  kind: 'sqlite' | 'postgres';
  reachable: boolean;
  /** PostgreSQL: the pool's connections (open, of which idle) and requests waiting for one. */
  connections?: { total: number; idle: number; waiting: number };
}

/**
 * Datasets, versions, sheets, version tags and cached statistics: the metadata the routes answer from, never
 * table data. One interface for every catalog engine (today SQLite: sqlite-catalog.ts), so routes and stores
 * never know which one runs. Every call is asynchronous because a catalog over the network needs it; an
 * implementation answers what it can from memory (a version never changes after its commit, only disappears).
 * "Not found" is `undefined` (or `false`), never an exception: the routes turn it into the contract's 404. A
 * database that cannot be reached is ApiError 503 `catalog_unavailable` (with Retry-After), never a 500.
 */
export interface Catalog {
  /**
   * Records a version, creating its dataset when `target` names one instead of giving `datasetId`. The version
   * number comes from the dataset's counter in the same transaction: dense and unique under concurrent uploads,
   * never reused after a delete. undefined when `datasetId` does not exist (any more).
   */
  commitVersion(
    target: { datasetId: number } | { name: string; description: string | null; tags: string[] },
    v: NewVersion,
  ): Promise<{ dataset: Dataset; version: Version } | undefined>;
  dataset(id: number): Promise<Dataset | undefined>;
  /** One page of the dataset list and the total that matches. */
  listDatasets(q: DatasetListing): Promise<{ items: Dataset[]; total: number }>;
  /** Each dataset tag (label) in use and how many datasets carry it, most used first (`GET /api/datasets/tags`). */
  datasetTagCounts(): Promise<{ name: string; count: number }[]>;
  /** Applies the fields given; undefined when the dataset does not exist. */
  updateDataset(id: number, patch: { name?: string; description?: string | null; tags?: string[] }): Promise<Dataset | undefined>;
  /** Removes a dataset and its versions; the storage keys whose data to free, or undefined when it did not exist. */
  deleteDataset(id: number): Promise<string[] | undefined>;
  /** Removes one version; its storage key, or undefined when the dataset has no such version. */
  deleteVersion(datasetId: number, versionId: number): Promise<string | undefined>;
  /** A dataset's versions, newest first. */
  versions(datasetId: number): Promise<StoredVersion[]>;
  /** The version when it belongs to the dataset. Every page request asks: answered from memory once read. */
  version(datasetId: number, versionId: number): Promise<StoredVersion | undefined>;
  /** What the reader decided for this version (null for versions stored before the report was kept). */
  readerReport(versionId: number): Promise<ReaderReport | null>;
  latestVersion(datasetId: number): Promise<StoredVersion | undefined>;
  /** A version's sheets in file order (empty for an unknown version). Callers must not modify them. */
  sheets(versionId: number): Promise<readonly SheetInfo[]>;
  /** The version with this per-dataset number, if it exists (numbers of deleted versions are not reused). */
  versionByNumber(datasetId: number, versionNumber: number): Promise<StoredVersion | undefined>;
  /**
   * Creates the version tag `name` on a dataset, or moves it to `versionId`. `description` undefined keeps the
   * current one (null when created); null clears it. undefined when the version is not one of the dataset's.
   * Atomic: the ownership check, the created-or-moved decision and the write see the same state.
   */
  setVersionTag(datasetId: number, name: string, versionId: number, description: string | null | undefined): Promise<{ tag: VersionTag; created: boolean } | undefined>;
  versionTag(datasetId: number, name: string): Promise<VersionTag | undefined>;
  /** A dataset's version tags, by name. */
  versionTags(datasetId: number): Promise<VersionTag[]>;
  /** True when the version tag existed. */
  deleteVersionTag(datasetId: number, name: string): Promise<boolean>;
  /** The statistics body (JSON text) kept for a version's sheet, if any. */
  cachedStatistics(versionId: number, sheet: string): Promise<string | undefined>;
  /** Keeps a statistics body unless the version was deleted while it was being computed. */
  cacheStatistics(versionId: number, sheet: string, body: string): Promise<void>;
  /** Every version's storage key (start-up clean-up keeps exactly these). */
  storageKeys(): Promise<Set<string>>;
  /** storage_key → dataset id, for per-shard dataset counts in /health. */
  datasetOfKeys(): Promise<ReadonlyMap<string, number>>;
  datasetCount(): Promise<number>;
  /** Resolves once every write committed before the call is durable (answers to writes wait for it). */
  durable(): Promise<void>;
  /**
   * Records this instance among those sharing the catalog and keeps it alive (a heartbeat) until close().
   * SQLite: nothing to record (one instance per DATA_DIR, see instances/data-dir-lock.ts).
   */
  registerInstance(me: Instance): Promise<void>;
  /**
   * Ids of the instances that may still own what they staged: this one, and others whose heartbeat is recent
   * and, when they run on this host, whose pid still runs. Everything else is provably dead.
   */
  liveInstances(): Promise<Set<string>>;
  /**
   * Calls `listener` with the storage keys of versions deleted through any instance (this one included), soon
   * after the delete commits, so caches let go of them early. Only to free memory: a deleted version is already
   * a 404 everywhere, because every lookup asks the catalog. SQLite: never (one instance deletes for itself).
   */
  onVersionsDropped(listener: (storageKeys: string[]) => void): void;
  /**
   * Where download tokens are kept (a used or expired one remembered for `ttlMs` after its expiry): SQLite, in
   * this process's memory (one instance); PostgreSQL, in its table, so any instance takes a token another minted.
   */
  downloadTokenRecords(ttlMs: number): TokenRecords;
  /** For /health and /metrics: asks the database (PostgreSQL: one `SELECT 1`); never rejects. */
  health(): Promise<CatalogHealth>;
  /** Has `observe` called with each database round trip's duration in seconds (for /metrics); SQLite: never. */
  observeQueries(observe: (seconds: number) => void): void;
  close(): Promise<void>;
}
