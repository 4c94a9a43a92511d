import { closeSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../config.js';
import { pidAlive, type Instance } from './instance.js';

/** The lock file's name under DATA_DIR. */
const LOCK_FILE = 'instance.lock';
/** How often the holder touches the lock, and after how long without a touch another host may take it. */
const TOUCH_MS = 5_000;
const STALE_MS = 30_000;

/**
 * One instance per DATA_DIR with the embedded SQLite catalog: SQLite's locks are not safe over a shared or network
 * file system, so a second instance is refused at start with a message pointing to CATALOG_URL. The lock is a
 * file naming its holder (host, pid, instance id) that the holder touches every 5 s; it is taken over when its
 * holder is provably gone — a pid no longer running on this host, or no touch for 30 s from another host.
 * Returns the release function. Errors: ConfigError naming the holder.
 */
export function lockDataDir(dataDir: string, me: Instance): () => void {
  const path = join(dataDir, LOCK_FILE);
  const mine = JSON.stringify({ host: me.host, pid: me.pid, instance: me.id });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, mine);
      closeSync(fd);
      const toucher = setInterval(() => {
        const now = new Date();
        try {
          utimesSync(path, now, now);
        } catch {
          // Removed from under us: nothing to keep fresh.
        }
      }, TOUCH_MS).unref();
      return () => {
        clearInterval(toucher);
        rmSync(path, { force: true });
      };
    } catch (err) {
      if ((err as { code?: string }).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    if (holder && !holderGone(holder, me, path)) {
      throw new ConfigError(
        `DATA_DIR ${dataDir} is in use by another instance (pid ${holder.pid} on ${holder.host}); several instances ` +
          'on one DATA_DIR need a shared catalog: set CATALOG_URL=postgres://… (SQLite over a shared or network file system is not safe)',
      );
    }
    rmSync(path, { force: true });
  }
  throw new ConfigError(`DATA_DIR ${dataDir}: ${LOCK_FILE} could not be taken; another instance is starting on it`);
}

interface Holder {
  host: string;
  pid: number;
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined; // unreadable or half written: a holder that crashed while taking it
  }
}

function holderGone(holder: Holder, me: Instance, path: string): boolean {
  if (holder.host === me.host) return holder.pid === me.pid || !pidAlive(holder.pid);
  try {
    return Date.now() - statSync(path).mtimeMs > STALE_MS;
  } catch {
    return true;
  }
}
