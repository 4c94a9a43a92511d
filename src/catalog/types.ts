/** Shapes of the catalog as the contract returns them. */

/** A sheet's description crosses the thread boundary (the parse worker writes it), so the thread contract owns it. */
export type { ColumnInfo, SheetInfo } from '../../workers/protocol.js';

export interface Dataset {
  id: number;
  name: string;
  description: string | null;
  /** Dataset tags: free labels for finding datasets (`?tags=`), not version tags (see VersionTag). */
  tags: string[];
  created_at: string;
  updated_at: string;
  current_version: number | null;
  file_size: number;
  version_count: number;
}

export interface Version {
  id: number;
  dataset_id: number;
  version_number: number;
  file_name: string;
  file_type: string;
  file_size: number;
  created_at: string;
  row_count: number;
  sheets: { name: string; row_count: number; column_count: number }[];
}

/** Where a version's files or frames are kept; never shown to clients. */
export interface StoredVersion extends Version {
  storage_key: string;
}

/**
 * A version tag: a name (such as `production`) that points at one version of a dataset (not the dataset's
 * `tags`, which are labels). Unique per dataset, movable to another version of the same dataset; removed with
 * the version it points at.
 */
export interface VersionTag {
  name: string;
  dataset_id: number;
  version_id: number;
  version_number: number;
  description: string | null;
  created_at: string;
  updated_at: string;
}
