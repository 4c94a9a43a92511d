import { ownerOf } from '../instances/instance.js';
import { FileSystemVersionFiles } from '../storage/version-files.js';
import type { Catalog } from './catalog.js';

/** What `checkCatalogFiles` found, and what it repaired. */
export interface FileCheck {
  /** Versions in the catalog whose directory or a sheet's Parquet file is missing under DATA_DIR/versions. */
  missingFiles: { datasetId: number; versionId: number; storageKey: string; missing: string[] }[];
  /** Directories under DATA_DIR/versions no version owns (excluding live instances' uploads in flight). */
  orphans: string[];
  /** With repair: versions removed from the catalog, and orphan directories deleted. */
  repaired: { versionsRemoved: number; orphansDeleted: number };
}

/** Datasets read per page of the listing. */
const PAGE = 100;

/**
 * Compares the catalog with the files of the local backend under `dataDir`: every version must have its
 * directory, its `source` and one `sheet-<i>.parquet` per sheet; every directory must be a version's (or an
 * upload in flight of a live instance, left alone). With `repair`, versions whose files are missing are removed
 * from the catalog (their data is gone; they could only answer errors) and orphan directories are deleted.
 */
export async function checkCatalogFiles(catalog: Catalog, dataDir: string, repair: boolean): Promise<FileCheck> {
  const files = await FileSystemVersionFiles.open(dataDir);
  const result: FileCheck = { missingFiles: [], orphans: [], repaired: { versionsRemoved: 0, orphansDeleted: 0 } };
  const keys = new Set<string>();
  for (let offset = 0; ; offset += PAGE) {
    const { items } = await catalog.listDatasets({ limit: PAGE, offset, tags: [], sortBy: 'created_at', sortOrder: 'asc' });
    for (const dataset of items) {
      for (const version of await catalog.versions(dataset.id)) {
        keys.add(version.storage_key);
        const missing = files.missing(version.storage_key, version.sheets.length);
        if (missing.length) result.missingFiles.push({ datasetId: dataset.id, versionId: version.id, storageKey: version.storage_key, missing });
      }
    }
    if (items.length < PAGE) break;
  }
  const live = await catalog.liveInstances();
  for (const name of await files.publishedKeys()) {
    if (!keys.has(name) && !live.has(ownerOf(name) ?? '')) result.orphans.push(name);
  }
  if (repair && result.missingFiles.length > 0 && result.missingFiles.length === keys.size) {
    // Not one version's files: a wrong or unmounted DATA_DIR far more likely than every file lost.
    throw new Error(`every version's files are missing under ${dataDir}: is DATA_DIR the right directory? Nothing was repaired`);
  }
  if (repair) {
    for (const m of result.missingFiles) {
      if ((await catalog.deleteVersion(m.datasetId, m.versionId)) !== undefined) result.repaired.versionsRemoved++;
      await files.remove(m.storageKey);
    }
    for (const name of result.orphans) {
      await files.remove(name);
      result.repaired.orphansDeleted++;
    }
  }
  return result;
}
