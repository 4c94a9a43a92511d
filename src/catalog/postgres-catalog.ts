import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { runner } from 'node-pg-migrate';
import { catalogUnavailable, isoNow } from '../errors.js';
import type { ReaderReport } from '../../workers/protocol.js';
import { CommitOutcomeUnknown, type Catalog, type CatalogHealth, type DatasetListing, type NewVersion } from './catalog.js';
import { ExistenceChecks } from './existence-checks.js';
import { VersionCache, type CachedVersion, type SheetRow, type VersionRow } from './version-cache.js';
import { pidAlive, type Instance } from '../instances/instance.js';
import type { DownloadView, TokenRecords, Use } from '../auth/download-tokens.js';
import type { Dataset, SheetInfo, StoredVersion, Version, VersionTag } from './types.js';

/**
 * Numbered SQL migrations (node-pg-migrate's `-- Up Migration` files), applied at start-up: beside this module
 * in src/ (the TypeScript sources, as tests load them), or in src/ next to dist/ for the compiled build.
 */
const MIGRATIONS_DIR = [new URL('./migrations/', import.meta.url), new URL('../../../src/catalog/migrations/', import.meta.url)]
  .map((url) => fileURLToPath(url))
  .find((dir) => existsSync(dir))!;
/** node-pg-migrate's bookkeeping table. */
const MIGRATIONS_TABLE = 'catalog_migrations';

/** How often an instance touches its row, and after how long without a touch it owns nothing any more. */
const HEARTBEAT_MS = 5_000;
const INSTANCE_STALE_S = 30;

/** The notification channel of deleted versions' storage keys (a JSON array per notification). */
const DROPPED_CHANNEL = 'catalog_versions_dropped';
/** Wait before listening again after the listening connection was lost. */
const RELISTEN_MS = 1_000;

const VERSION_TAG_SELECT = `
SELECT t.name, t.dataset_id, t.version_id, v.version_number, t.description, t.created_at, t.updated_at
FROM version_tags t JOIN versions v ON v.id = t.version_id`;

/**
 * int8 as a JavaScript number: ids, sizes and row counts stay far below 2^53; COUNT(*) is int8 too. Per pool,
 * not pg's global parser table, so nothing else in the process changes.
 */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
};

type DatasetRecord = Omit<Dataset, 'tags'> & { tags: string[] };

/**
 * The catalog (catalog.ts) in PostgreSQL (`CATALOG_URL`), through a `pg` pool, for several instances over one
 * DATA_DIR. The schema comes from the numbered migrations in `migrations/`, applied at start-up under
 * node-pg-migrate's advisory lock, so instances starting together migrate once. Committed transactions are
 * durable when they return (durable() has nothing to wait for). A version's sheets and reader report never
 * change after the commit and are kept in memory once read; whether the version still exists is asked on every
 * lookup, so a delete through another instance is seen at once, whatever tells this one about it.
 * Errors: start-up rejects with pg's error when the database cannot be reached or migrated.
 */
export class PostgresCatalog implements Catalog {
  private readonly versionCache = new VersionCache();
  private observe: (seconds: number) => void = () => {};
  private me?: Instance;
  private heartbeat?: NodeJS.Timeout;

  /** Whether cached versions still exist, asked per request in batches (see ExistenceChecks). */
  private readonly existence = new ExistenceChecks(async (ids) => {
    const found = await this.rows<{ id: number }>('SELECT id FROM versions WHERE id = ANY($1::bigint[])', [ids]);
    return new Set(found.map((r) => r.id));
  });
  private listener?: pg.Client;
  private closed = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly url: string,
  ) {}

  /**
   * What the database at `url` holds, read without changing it (no migrations): its catalog's id (none before
   * the catalog was first opened there, or in a catalog older than the id) and how many versions it lists (0
   * without a catalog). Start-up checks these against DATA_DIR before open() migrates anything, so a start
   * refused for the wrong database leaves that database as it was. Throws what pg throws when it cannot connect.
   */
  static async inspect(url: string): Promise<{ id?: string; versions: number }> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, types: TYPES });
    await client.connect();
    try {
      const [tables] = (await client.query<{ identity: boolean; versions: boolean }>(
        "SELECT to_regclass('catalog_identity') IS NOT NULL AS identity, to_regclass('versions') IS NOT NULL AS versions",
      )).rows;
      const id = tables.identity ? (await client.query<{ id: string }>('SELECT id FROM catalog_identity')).rows[0]?.id : undefined;
      const versions = tables.versions ? Number((await client.query<{ n: string }>('SELECT count(*) AS n FROM versions')).rows[0].n) : 0;
      return { ...(id !== undefined && { id }), versions };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Connects to `url`, applies pending migrations, and returns the catalog. */
  static async open(url: string, options: { maxConnections?: number } = {}): Promise<PostgresCatalog> {
    // A database that does not answer (a network partition, not a refusal) fails a request after 3 s, not never.
    const pool = new pg.Pool({ connectionString: url, max: options.maxConnections ?? 10, types: TYPES, connectionTimeoutMillis: 3000 });
    // An idle client that loses its server (PostgreSQL restarted) emits 'error'; the pool drops it.
    pool.on('error', () => {});
    try {
      const client = await pool.connect();
      try {
        await runner({ dbClient: client, dir: MIGRATIONS_DIR, direction: 'up', migrationsTable: MIGRATIONS_TABLE, checkOrder: true, log: () => {} });
      } finally {
        client.release();
      }
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresCatalog(pool, url);
  }

  /** This catalog's id, made once by its migrations (DATA_DIR/catalog-identity names it: instances/data-dir-catalog.ts). */
  async identity(): Promise<string> {
    const [row] = await this.rows<{ id: string }>('SELECT id FROM catalog_identity');
    return row.id;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.listener?.end().catch(() => undefined);
    clearInterval(this.heartbeat);
    // Leaving cleanly: what it staged is gone already, and others need not wait for its heartbeat to age.
    if (this.me) await this.rows('DELETE FROM instances WHERE id = $1', [this.me.id]).catch(() => undefined);
    await this.pool.end();
  }

  async registerInstance(me: Instance): Promise<void> {
    this.me = me;
    await this.rows('INSERT INTO instances (id, host, pid) VALUES ($1, $2, $3)', [me.id, me.host, me.pid]);
    // A heartbeat that fails (the database away) is retried with the next one; the row ages meanwhile.
    this.heartbeat = setInterval(() => void this.rows('UPDATE instances SET heartbeat_at = now() WHERE id = $1', [me.id]).catch(() => undefined), HEARTBEAT_MS).unref();
  }

  async liveInstances(): Promise<Set<string>> {
    const rows = await this.rows<{ id: string; host: string; pid: number }>(
      `SELECT id, host, pid FROM instances WHERE heartbeat_at > now() - interval '${INSTANCE_STALE_S} seconds'`,
    );
    // On this host a pid tells for sure: gone, or reused by this very process (a restarted container), is dead.
    const live = rows.filter((r) => r.id === this.me?.id || r.host !== this.me?.host || (r.pid !== this.me.pid && pidAlive(r.pid)));
    return new Set([...live.map((r) => r.id), ...(this.me ? [this.me.id] : [])]);
  }

  async durable(): Promise<void> {}

  /**
   * LISTENs on its own connection (a pooled one would be handed to queries); when that connection is lost (the
   * database restarted), listens again a second later. Deletes missed meanwhile stay cached until evicted —
   * memory only: lookups ask the catalog.
   */
  onVersionsDropped(listener: (storageKeys: string[]) => void): void {
    const listen = async () => {
      if (this.closed) return;
      const client = new pg.Client({ connectionString: this.url });
      const again = () => {
        if (this.listener === client) this.listener = undefined;
        client.end().catch(() => undefined);
        if (!this.closed) setTimeout(() => void listen(), RELISTEN_MS).unref();
      };
      client.on('error', again);
      client.on('notification', (n) => {
        try {
          listener(JSON.parse(n.payload ?? '[]') as string[]);
        } catch {
          // A payload this version did not write: nothing to free.
        }
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${DROPPED_CHANNEL}`);
        this.listener = client;
      } catch {
        again();
      }
    };
    void listen();
  }

  downloadTokenRecords(ttlMs: number): TokenRecords {
    return {
      save: async (digest: string, view: DownloadView, expiresAt: number, now: number) => {
        await this.rows('DELETE FROM download_tokens WHERE forget_at <= $1', [now]);
        await this.rows('INSERT INTO download_tokens (digest, view, expires_at, forget_at) VALUES ($1, $2, $3, $4)', [digest, JSON.stringify(view), expiresAt, expiresAt + ttlMs]);
      },
      use: async (digest: string, now: number): Promise<Use> => {
        // One statement: two instances taking the same token cannot both see it unused.
        const [taken] = await this.rows<{ view: string }>('UPDATE download_tokens SET used = true WHERE digest = $1 AND NOT used AND expires_at > $2 RETURNING view', [digest, now]);
        if (taken) return { view: JSON.parse(taken.view) };
        const [known] = await this.rows<{ view: string; used: boolean }>('SELECT view, used FROM download_tokens WHERE digest = $1 AND forget_at > $2', [digest, now]);
        return known ? { refused: known.used ? 'used' : 'expired', view: JSON.parse(known.view) } : { refused: 'unknown' };
      },
      release: async (digest: string) => {
        await this.rows('UPDATE download_tokens SET used = false WHERE digest = $1', [digest]);
      },
    };
  }

  async health(): Promise<CatalogHealth> {
    const connections = { total: this.pool.totalCount, idle: this.pool.idleCount, waiting: this.pool.waitingCount };
    try {
      await this.rows('SELECT 1');
      return { kind: 'postgres', reachable: true, connections };
    } catch {
      return { kind: 'postgres', reachable: false, connections };
    }
  }

  observeQueries(observe: (seconds: number) => void): void {
    this.observe = observe;
  }

  /** Runs `work` in one transaction on one connection; rolled back when it throws. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect().catch((err) => {
      throw unavailableOr(err);
    });
    let failed: unknown;
    let committing = false;
    // A connection lost while checked out also emits 'error' on the client; unheard, it would end the process.
    // The query in flight rejects with it, which is what is handled here.
    const ignore = () => {};
    client.on('error', ignore);
    try {
      await client.query('BEGIN');
      const result = await work(client);
      committing = true;
      await client.query('COMMIT');
      return result;
    } catch (err) {
      failed = err;
      // The connection lost while COMMIT was on its way: the server may have committed, or not.
      if (committing && isConnectionFailure(err)) throw new CommitOutcomeUnknown((err as Error).message);
      await client.query('ROLLBACK').catch(() => {});
      throw unavailableOr(err);
    } finally {
      client.off('error', ignore);
      // A connection that failed is closed rather than handed to the next caller.
      client.release(failed !== undefined && isConnectionFailure(failed));
    }
  }

  private async rows<T>(sql: string, params: unknown[] = [], client: pg.ClientBase | pg.Pool = this.pool): Promise<T[]> {
    const started = performance.now();
    try {
      return (await client.query(sql, params)).rows as T[];
    } catch (err) {
      throw unavailableOr(err);
    } finally {
      this.observe((performance.now() - started) / 1000);
    }
  }

  async commitVersion(
    target: { datasetId: number } | { name: string; description: string | null; tags: string[] },
    v: NewVersion,
  ): Promise<{ dataset: Dataset; version: Version } | undefined> {
    const now = isoNow();
    const versionId = await this.transaction(async (client) => {
      // The UPDATE's row lock orders concurrent commits to one dataset: each reads the counter the previous set.
      const [counted] =
        'datasetId' in target
          ? await this.rows<{ id: number; last_version_number: number }>(
              'UPDATE datasets SET last_version_number = last_version_number + 1, updated_at = $1 WHERE id = $2 RETURNING id, last_version_number',
              [now, target.datasetId],
              client,
            )
          : await this.rows<{ id: number; last_version_number: number }>(
              'INSERT INTO datasets (name, description, tags, created_at, updated_at, last_version_number) VALUES ($1, $2, $3, $4, $4, 1) RETURNING id, last_version_number',
              [target.name, target.description, JSON.stringify(target.tags), now],
              client,
            );
      if (!counted) return undefined;
      const [{ id }] = await this.rows<{ id: number }>(
        'INSERT INTO versions (dataset_id, version_number, file_name, file_type, file_size, created_at, storage_key, reader) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id',
        [counted.id, counted.last_version_number, v.fileName, v.fileType, v.fileSize, now, v.storageKey, JSON.stringify(v.reader)],
        client,
      );
      for (const [i, s] of v.sheets.entries()) {
        await client.query('INSERT INTO sheets (version_id, position, name, row_count, columns) VALUES ($1, $2, $3, $4, $5)', [id, i, s.name, s.row_count, JSON.stringify(s.columns)]);
      }
      return id;
    });
    if (versionId === undefined) return undefined;
    const version = (await this.cached(versionId))!.version;
    return { dataset: (await this.dataset(version.dataset_id))!, version };
  }

  async dataset(id: number): Promise<Dataset | undefined> {
    const [row] = await this.rows<DatasetRecord>('SELECT * FROM dataset_view WHERE id = $1', [id]);
    return row;
  }

  async listDatasets(q: DatasetListing): Promise<{ items: Dataset[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.name) {
      params.push(q.name);
      where.push(`strpos(lower(name), lower($${params.length})) > 0`);
    }
    if (q.tags.length > 0) {
      params.push(JSON.stringify(q.tags));
      where.push(`tags @> $${params.length}::jsonb`);
    }
    const filter = where.length ? `WHERE ${where.join(' AND ')}` : '';
    // As SQLite orders them: names by their lower case in code-point order, NULLs first when ascending.
    const order = q.sortOrder === 'desc' ? 'DESC NULLS LAST' : 'ASC NULLS FIRST';
    const sortKey = q.sortBy === 'name' ? 'lower(name) COLLATE "C"' : q.sortBy;
    const [{ total }] = await this.rows<{ total: number }>(`SELECT COUNT(*) AS total FROM dataset_view ${filter}`, params);
    const items = await this.rows<DatasetRecord>(
      `SELECT * FROM dataset_view ${filter} ORDER BY ${sortKey} ${order}, id ${q.sortOrder === 'desc' ? 'DESC' : 'ASC'} LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, q.limit, q.offset],
    );
    return { items, total };
  }

  async datasetTagCounts(): Promise<{ name: string; count: number }[]> {
    return this.rows(
      'SELECT t.value AS name, COUNT(*) AS count FROM datasets d, jsonb_array_elements_text(d.tags) AS t(value) GROUP BY t.value ORDER BY count DESC, t.value COLLATE "C"',
    );
  }

  async updateDataset(id: number, patch: { name?: string; description?: string | null; tags?: string[] }): Promise<Dataset | undefined> {
    const changed = await this.rows(
      `UPDATE datasets SET
         name = COALESCE($2, name),
         description = CASE WHEN $3::boolean THEN $4 ELSE description END,
         tags = COALESCE($5::jsonb, tags),
         updated_at = $6
       WHERE id = $1 RETURNING id`,
      [id, patch.name ?? null, patch.description !== undefined, patch.description ?? null, patch.tags ? JSON.stringify(patch.tags) : null, isoNow()],
    );
    return changed.length ? this.dataset(id) : undefined;
  }

  async deleteDataset(id: number): Promise<string[] | undefined> {
    return this.transaction(async (client) => {
      const versions = await this.rows<{ id: number; storage_key: string }>('SELECT id, storage_key FROM versions WHERE dataset_id = $1', [id], client);
      const deleted = await this.rows('DELETE FROM datasets WHERE id = $1 RETURNING id', [id], client);
      for (const v of versions) this.versionCache.delete(v.id);
      if (deleted.length && versions.length) await notifyDropped(client, versions.map((v) => v.storage_key));
      return deleted.length ? versions.map((v) => v.storage_key) : undefined;
    });
  }

  async deleteVersion(datasetId: number, versionId: number): Promise<string | undefined> {
    return this.transaction(async (client) => {
      const [found] = await this.rows<{ storage_key: string }>('DELETE FROM versions WHERE id = $1 AND dataset_id = $2 RETURNING storage_key', [versionId, datasetId], client);
      if (!found) return undefined;
      this.versionCache.delete(versionId);
      await client.query('UPDATE datasets SET updated_at = $1 WHERE id = $2', [isoNow(), datasetId]);
      await notifyDropped(client, [found.storage_key]);
      return found.storage_key;
    });
  }

  async versions(datasetId: number): Promise<StoredVersion[]> {
    const ids = await this.rows<{ id: number }>('SELECT id FROM versions WHERE dataset_id = $1 ORDER BY version_number DESC', [datasetId]);
    const found = await Promise.all(ids.map((r) => this.cached(r.id)));
    return found.filter((c): c is CachedVersion => c !== undefined).map((c) => c.version);
  }

  async version(datasetId: number, versionId: number): Promise<StoredVersion | undefined> {
    const found = (await this.live(versionId))?.version;
    return found?.dataset_id === datasetId ? found : undefined;
  }

  /** The cached version, after asking the database that it still exists (another instance may have deleted it). */
  private async live(versionId: number): Promise<CachedVersion | undefined> {
    if (this.versionCache.has(versionId)) {
      if (!(await this.existence.exists(versionId))) {
        this.versionCache.delete(versionId);
        return undefined;
      }
    }
    return this.cached(versionId);
  }

  /** A version and its sheets, read once and kept: they never change after the commit (see live). */
  private async cached(versionId: number): Promise<CachedVersion | undefined> {
    const entry = this.versionCache.get(versionId);
    if (entry) return entry;
    const [found] = await this.rows<VersionRow>('SELECT * FROM versions WHERE id = $1', [versionId]);
    if (!found) return undefined;
    const rows = await this.rows<SheetRow>('SELECT name, row_count, columns FROM sheets WHERE version_id = $1 ORDER BY position', [versionId]);
    return this.versionCache.keep(found, rows);
  }

  async readerReport(versionId: number): Promise<ReaderReport | null> {
    return (await this.cached(versionId))?.reader ?? null;
  }

  async latestVersion(datasetId: number): Promise<StoredVersion | undefined> {
    const [row] = await this.rows<{ id: number }>('SELECT id FROM versions WHERE dataset_id = $1 ORDER BY version_number DESC LIMIT 1', [datasetId]);
    return row && (await this.cached(row.id))?.version;
  }

  async sheets(versionId: number): Promise<readonly SheetInfo[]> {
    return (await this.cached(versionId))?.sheets ?? [];
  }

  async versionByNumber(datasetId: number, versionNumber: number): Promise<StoredVersion | undefined> {
    const [row] = await this.rows<{ id: number }>('SELECT id FROM versions WHERE dataset_id = $1 AND version_number = $2', [datasetId, versionNumber]);
    return row && (await this.cached(row.id))?.version;
  }

  async setVersionTag(
    datasetId: number,
    name: string,
    versionId: number,
    description: string | null | undefined,
  ): Promise<{ tag: VersionTag; created: boolean } | undefined> {
    return this.transaction(async (client) => {
      // FOR SHARE: the version cannot be deleted before this transaction ends.
      const owned = await this.rows('SELECT 1 FROM versions WHERE id = $1 AND dataset_id = $2 FOR SHARE', [versionId, datasetId], client);
      if (owned.length === 0) return undefined;
      const now = isoNow();
      // One statement decides created-or-moved: xmax = 0 only for a row this statement inserted.
      const [{ created }] = await this.rows<{ created: boolean }>(
        `INSERT INTO version_tags (dataset_id, name, version_id, description, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)
         ON CONFLICT (dataset_id, name) DO UPDATE SET version_id = EXCLUDED.version_id, updated_at = EXCLUDED.updated_at,
           description = CASE WHEN $6::boolean THEN EXCLUDED.description ELSE version_tags.description END
         RETURNING (xmax = 0) AS created`,
        [datasetId, name, versionId, description ?? null, now, description !== undefined],
        client,
      );
      const [tag] = await this.rows<VersionTag>(`${VERSION_TAG_SELECT} WHERE t.dataset_id = $1 AND t.name = $2`, [datasetId, name], client);
      return { tag, created };
    });
  }

  async versionTag(datasetId: number, name: string): Promise<VersionTag | undefined> {
    const [tag] = await this.rows<VersionTag>(`${VERSION_TAG_SELECT} WHERE t.dataset_id = $1 AND t.name = $2`, [datasetId, name]);
    return tag;
  }

  async versionTags(datasetId: number): Promise<VersionTag[]> {
    return this.rows<VersionTag>(`${VERSION_TAG_SELECT} WHERE t.dataset_id = $1 ORDER BY t.name COLLATE "C"`, [datasetId]);
  }

  async deleteVersionTag(datasetId: number, name: string): Promise<boolean> {
    const deleted = await this.rows('DELETE FROM version_tags WHERE dataset_id = $1 AND name = $2 RETURNING name', [datasetId, name]);
    return deleted.length > 0;
  }

  async cachedStatistics(versionId: number, sheet: string): Promise<string | undefined> {
    const [row] = await this.rows<{ body: string }>('SELECT body FROM statistics WHERE version_id = $1 AND sheet = $2', [versionId, sheet]);
    return row?.body;
  }

  async cacheStatistics(versionId: number, sheet: string, body: string): Promise<void> {
    await this.rows(
      `INSERT INTO statistics (version_id, sheet, body) SELECT id, $2, $3 FROM versions WHERE id = $1
       ON CONFLICT (version_id, sheet) DO UPDATE SET body = EXCLUDED.body`,
      [versionId, sheet, body],
    );
  }

  async storageKeys(): Promise<Set<string>> {
    return new Set((await this.rows<{ storage_key: string }>('SELECT storage_key FROM versions')).map((r) => r.storage_key));
  }

  async datasetOfKeys(): Promise<ReadonlyMap<string, number>> {
    const rows = await this.rows<{ storage_key: string; dataset_id: number }>('SELECT storage_key, dataset_id FROM versions');
    return new Map(rows.map((r) => [r.storage_key, r.dataset_id]));
  }

  async datasetCount(): Promise<number> {
    const [{ count }] = await this.rows<{ count: number }>('SELECT COUNT(*) AS count FROM datasets');
    return count;
  }
}

/**
 * Whether `err` says the database cannot be reached or dropped the connection (rather than refusing a query):
 * socket errors, a connection ended mid-query, and SQLSTATE classes 08 (connection exception) and 57P
 * (operator intervention: admin or crash shutdown, cannot connect now), 53300 (too many connections).
 * Source: PostgreSQL's Appendix A, "PostgreSQL Error Codes".
 */
function isConnectionFailure(err: unknown): boolean {
  const { code, message } = (err ?? {}) as { code?: string; message?: string };
  if (code && /^(08|57P)/.test(code)) return true;
  if (code === '53300') return true;
  if (code && /^E[A-Z]+$/.test(code)) return true; // ECONNREFUSED, ECONNRESET, ETIMEDOUT, EPIPE, ENOTFOUND…
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message ?? '');
}

/** A connection failure as 503 `catalog_unavailable`; any other error as it is (a bug is a 500). */
function unavailableOr(err: unknown): unknown {
  if (!isConnectionFailure(err)) return err;
  const { code, message } = err as { code?: string; message?: string };
  return catalogUnavailable(code ?? message ?? 'no connection');
}

/** Tells every listening instance, once the transaction commits, that these versions are gone. */
async function notifyDropped(client: pg.ClientBase, storageKeys: string[]): Promise<void> {
  // A notification's payload is limited to 8000 bytes: a big dataset's keys go in several.
  for (let i = 0; i < storageKeys.length; i += 100) {
    await client.query('SELECT pg_notify($1, $2)', [DROPPED_CHANNEL, JSON.stringify(storageKeys.slice(i, i + 100))]);
  }
}
