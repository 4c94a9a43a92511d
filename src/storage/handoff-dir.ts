import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';

const PREFIX = 'dataset-service-';

/**
 * Where the memory backend receives uploads (each file kept while its version is), its parse workers leave
 * parsed sheets for the shards, and the shards leave snapshots for a SQL query (workers/protocol.ts SheetArrow):
 * a directory of this process on a shared-memory file system (tmpfs, e.g. `/dev/shm`: RAM, never the disk), one
 * subdirectory per upload, parse or query, the last two removed as soon as the reader is done. Measured on the
 * 127 MB flights CSV (3M rows, 169 MB of Arrow): Polars writes the IPC file in ~110 ms and a shard's scan reads
 * it in ~100, where the buffer route took ~230 to write, ~90 to copy into a transferable buffer and ~240 to read.
 * The directory goes at exit; those of processes that no longer run (killed) are removed when the next one opens.
 */
export class HandoffDir {
  private constructor(private readonly dir: string) {}

  /**
   * This process's directory under `root`, or undefined when `root` is not given, missing or not writable
   * (sheets then go in buffers).
   */
  static open(root: string): HandoffDir | undefined {
    if (!root) return undefined;
    try {
      for (const name of readdirSync(root)) {
        const pid = Number(name.slice(PREFIX.length));
        if (name.startsWith(PREFIX) && Number.isInteger(pid) && pid !== process.pid && !alive(pid)) rmSync(join(root, name), { recursive: true, force: true });
      }
      const dir = join(root, `${PREFIX}${process.pid}`);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { mode: 0o700 });
      // At any exit that runs JavaScript (a second Ctrl-C, the shutdown grace running out), not only close().
      process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
      return new HandoffDir(dir);
    } catch {
      return undefined;
    }
  }

  /**
   * A new directory `name` (for an upload's file, a parse's sheets or a SQL query's snapshots), or undefined when
   * the file system has less than `bytes` free (the caller then uses buffers; a worker that runs out of room part
   * way does the same).
   */
  async make(name: string, bytes: number): Promise<string | undefined> {
    try {
      const { bavail, bsize } = await statfs(this.dir);
      if (bavail * bsize < bytes) return undefined;
      const dir = join(this.dir, name);
      await mkdir(dir);
      return dir;
    } catch {
      return undefined;
    }
  }

  /** Removes directory `name` and what is in it (off the main thread: freeing ~170 MB of tmpfs takes ms). */
  async remove(name: string): Promise<void> {
    await rm(join(this.dir, name), { recursive: true, force: true });
  }

  /** Removes this process's directory (at shutdown). */
  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
