import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, onSendHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Catalog } from '../catalog/catalog.js';
import { SqliteCatalog } from '../catalog/sqlite-catalog.js';
import { bindDataDir, openPostgresFor, SQLITE_FILE } from '../instances/data-dir-catalog.js';
import { lockDataDir } from '../instances/data-dir-lock.js';
import { thisInstance } from '../instances/instance.js';
import { ConfigError, type Config } from '../config.js';
import { LocalStore } from '../storage/local-store.js';
import { MemoryStore } from '../storage/memory-store.js';
import type { TableStore } from '../storage/store.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    catalog: Catalog;
    store: TableStore;
  }
}

/** The catalog and the storage backend named by STORAGE_BACKEND, closed with the server. */
export default fp(async function storage(app: FastifyInstance, opts: { config: Config }) {
  const { config } = opts;
  let catalog: Catalog;
  let store: TableStore;
  let unlockDataDir: (() => void) | undefined;
  if (config.storageBackend === 'local') {
    const me = thisInstance();
    mkdirSync(config.dataDir, { recursive: true });
    let knownKeys: Set<string> | undefined;
    if (config.catalogUrl) {
      ({ catalog, keys: knownKeys } = await openPostgres(config.dataDir, config.catalogUrl));
    } else {
      unlockDataDir = lockDataDir(config.dataDir, me);
      try {
        bindDataDir(config.dataDir, { kind: 'sqlite' });
      } catch (err) {
        unlockDataDir(); // refused: the lock must not outlive this start
        throw err;
      }
      catalog = new SqliteCatalog(join(config.dataDir, SQLITE_FILE));
    }
    await catalog.registerInstance(me);
    knownKeys ??= await catalog.storageKeys();
    store = await LocalStore.open(config.dataDir, config, knownKeys, { me, live: await catalog.liveInstances() });
    // Deletes through other instances free this one's caches early (correctness never waits for it).
    const local = store;
    catalog.onVersionsDropped((keys) => void local.forget(keys));
  } else {
    catalog = new SqliteCatalog(':memory:');
    const memory = new MemoryStore(config);
    if (config.sharedMemoryDir && !memory.handsOffInSharedMemory) {
      app.log.warn(`SHARED_MEMORY_DIR=${config.sharedMemoryDir} cannot be used (missing or not writable): parsed sheets go to the shards in buffers`);
    }
    store = memory;
  }
  app.decorate('config', config);
  app.decorate('catalog', catalog);
  app.decorate('store', store);
  // A write is answered only once it is on disk (see Catalog.durable); reads never wait. The hook goes on the
  // routes that write only (those declared after this plugin: every API route), so a page's reply skips
  // Fastify's onSend hook runner altogether.
  const durableOnSend: onSendHookHandler = (req, _reply, payload, done) => {
    if (req.method === 'GET' || req.method === 'HEAD') return done(null, payload);
    catalog.durable().then(() => done(null, payload), done);
  };
  app.addHook('onRoute', (route) => {
    if ([route.method].flat().every((m) => m === 'GET' || m === 'HEAD')) return;
    route.onSend = [...[route.onSend ?? []].flat(), durableOnSend];
  });
  app.addHook('onClose', async () => {
    await store.close();
    await catalog.close();
    unlockDataDir?.();
  });
});

/**
 * The PostgreSQL catalog at `url` for `dataDir` (openPostgresFor); a database that cannot be reached or migrated
 * stops start-up with one line.
 */
async function openPostgres(dataDir: string, url: string): ReturnType<typeof openPostgresFor> {
  try {
    return await openPostgresFor(dataDir, url);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`CATALOG_URL: the PostgreSQL catalog could not be opened: ${(err as Error).message || String(err)}`);
  }
}
