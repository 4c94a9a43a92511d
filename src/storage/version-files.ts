import { createReadStream, existsSync, type WriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { uploadFile } from './store.js';

/** Where one upload is staged: its source as it arrives, and where the parser writes its sheets. */
export interface StagedUpload {
  /** The uploaded bytes go here as they arrive. */
  source: WriteStream;
  /** What the parse worker reads the source from, and the directory it writes `sheet-<i>.parquet` into. */
  sourcePath: string;
  sheetsDir: string;
  /** Makes the received source durable; called once it is complete, beside the parse (publish needs it done). */
  syncSource(): Promise<void>;
}

/**
 * Every file operation of the local backend, by storage key: staging an upload, publishing it as a version,
 * reading and deleting versions, and listing what is there for start-up clean-up. The one place that knows
 * where files live, so another kind of storage (object storage: see the README's "Running several instances")
 * can be added as a second implementation. Publishing must be atomic: a version is all there or not at all.
 */
export interface VersionFiles {
  /** Creates the staging area of a new upload. */
  stage(key: string): Promise<StagedUpload>;
  /** Makes a completely written upload a version, durably and atomically (its source and sheets synced first). */
  publish(key: string): Promise<void>;
  /** Removes whatever the upload staged or published. */
  discard(key: string): Promise<void>;
  /** What a data or SQL worker opens for a sheet of a version (today a path; an object-store URL later). */
  sheetLocation(key: string, sheetIndex: number): string;
  /** The sheet indexes a version has files for, ascending. */
  sheetIndexes(key: string): Promise<number[]>;
  /** The uploaded file of a version, as stored. */
  source(key: string): Readable;
  /** Whether a version's files are there (false once deleted). */
  exists(key: string): boolean;
  /** Whether a version's sheet and source files are all there (some missing: lost, not deleted). */
  complete(key: string, sheetCount: number): boolean;
  /** What is missing of a version with `sheetCount` sheets: `(directory)`, `source`, `sheet-<i>.parquet`; [] when whole. */
  missing(key: string, sheetCount: number): string[];
  /** Deletes a version's files. */
  remove(key: string): Promise<void>;
  /** Keys of staged uploads and of published versions (start-up clean-up compares them with the catalog). */
  stagedKeys(): Promise<string[]>;
  publishedKeys(): Promise<string[]>;
  removeStaged(key: string): Promise<void>;
}

/**
 * VersionFiles on a POSIX file system under DATA_DIR:
 *   staging/<key>/source, staging/<key>/sheet-<i>.parquet   an upload being received and parsed
 *   versions/<key>/source, versions/<key>/sheet-<i>.parquet  a version
 * Publishing fsyncs the source (beside the parse: see stage's caller) and the directory, renames it into
 * `versions/` and fsyncs that: a crash leaves the whole version or none of it.
 */
export class FileSystemVersionFiles implements VersionFiles {
  private readonly stagingDir: string;
  private readonly versionsDir: string;

  private constructor(dataDir: string) {
    this.stagingDir = join(dataDir, 'staging');
    this.versionsDir = join(dataDir, 'versions');
  }

  static async open(dataDir: string): Promise<FileSystemVersionFiles> {
    const files = new FileSystemVersionFiles(dataDir);
    await mkdir(files.stagingDir, { recursive: true });
    await mkdir(files.versionsDir, { recursive: true });
    return files;
  }

  async stage(key: string): Promise<StagedUpload> {
    const sheetsDir = join(this.stagingDir, key);
    const sourcePath = join(sheetsDir, 'source');
    await mkdir(sheetsDir);
    const source = uploadFile(sourcePath);
    return { source, sourcePath, sheetsDir, syncSource: () => fsync(sourcePath) };
  }

  async publish(key: string): Promise<void> {
    const staged = join(this.stagingDir, key);
    await fsync(staged);
    await rename(staged, join(this.versionsDir, key));
    await fsync(this.versionsDir);
  }

  async discard(key: string): Promise<void> {
    await rm(join(this.stagingDir, key), { recursive: true, force: true });
    await rm(join(this.versionsDir, key), { recursive: true, force: true });
  }

  sheetLocation(key: string, sheetIndex: number): string {
    return join(this.versionsDir, key, `sheet-${sheetIndex}.parquet`);
  }

  async sheetIndexes(key: string): Promise<number[]> {
    const names = await readdir(join(this.versionsDir, key)).catch(() => [] as string[]);
    return names.flatMap((name) => /^sheet-(\d+)\.parquet$/.exec(name)?.[1] ?? []).map(Number).sort((a, b) => a - b);
  }

  source(key: string): Readable {
    return createReadStream(join(this.versionsDir, key, 'source'));
  }

  exists(key: string): boolean {
    return existsSync(join(this.versionsDir, key));
  }

  complete(key: string, sheetCount: number): boolean {
    return this.missing(key, sheetCount).length === 0;
  }

  missing(key: string, sheetCount: number): string[] {
    const dir = join(this.versionsDir, key);
    if (!existsSync(dir)) return ['(directory)'];
    return ['source', ...Array.from({ length: sheetCount }, (_, i) => `sheet-${i}.parquet`)].filter((name) => !existsSync(join(dir, name)));
  }

  async remove(key: string): Promise<void> {
    await rm(join(this.versionsDir, key), { recursive: true, force: true });
  }

  stagedKeys(): Promise<string[]> {
    return readdir(this.stagingDir);
  }

  publishedKeys(): Promise<string[]> {
    return readdir(this.versionsDir);
  }

  async removeStaged(key: string): Promise<void> {
    await rm(join(this.stagingDir, key), { recursive: true, force: true });
  }
}

async function fsync(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
