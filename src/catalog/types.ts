/** Shapes of the catalog as the contract returns them. */

/** A sheet's description crosses the thread boundary (the parse worker writes it), so the thread contract owns it. */
export type { ColumnInfo, SheetInfo } from '../../workers/protocol.js';

/** Datasets, versions and version tags as clients see them: types derived from their schemas (src/schemas/). */
import type { Version } from '../schemas/versions.js';
export type { Dataset } from '../schemas/datasets.js';
export type { Version } from '../schemas/versions.js';
export type { VersionTag } from '../schemas/version-tags.js';

/** Where a version's files or frames are kept; never shown to clients. */
export interface StoredVersion extends Version {
  storage_key: string;
}
