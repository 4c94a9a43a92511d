import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';

/**
 * This process as one of the instances sharing a DATA_DIR: a random id chosen at start (never reused, so a
 * restarted instance is a new one), its host and pid. Files an instance stages or moves into `versions/`
 * before the catalog knows them are named `<instance id>.<uuid>`, so the others can tell whose they are.
 */
export interface Instance {
  id: string;
  host: string;
  pid: number;
}

export function thisInstance(): Instance {
  return { id: randomBytes(6).toString('hex'), host: hostname(), pid: process.pid };
}

/** A new storage key owned by `instance`: `<instance id>.<uuid>`. */
export function ownedKey(instance: Instance, uuid: string): string {
  return `${instance.id}.${uuid}`;
}

/**
 * The instance that made a staged or stored entry, from its name; undefined for keys made before instances
 * were recorded (a bare UUID): those belong to no live instance.
 */
export function ownerOf(key: string): string | undefined {
  const dot = key.indexOf('.');
  return dot > 0 ? key.slice(0, dot) : undefined;
}

/**
 * Whether a process `pid` runs on this host (signal 0 only checks). An instance registered from this host whose
 * pid is gone is provably dead, whatever its last heartbeat says.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}
