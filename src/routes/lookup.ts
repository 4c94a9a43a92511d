import type { Catalog } from '../catalog/catalog.js';
import type { Dataset, SheetInfo, StoredVersion, Version, VersionTag } from '../catalog/types.js';
import { ApiError, notFound } from '../errors.js';
import type { ReaderReport } from '../../workers/protocol.js';

/** Lookups shared by the route groups: each answers 404 with the contract's error code for what is missing. */

export async function findDataset(catalog: Catalog, id: number): Promise<Dataset> {
  const dataset = await catalog.dataset(id);
  if (!dataset) throw notFound('dataset', `dataset ${id} does not exist`);
  return dataset;
}

export async function findVersion(catalog: Catalog, datasetId: number, versionId: number): Promise<StoredVersion> {
  const version = await catalog.version(datasetId, versionId);
  if (version) return version;
  // Only on a miss: which of the two is missing (every page request comes through here).
  await findDataset(catalog, datasetId);
  throw notFound('version', `dataset ${datasetId} has no version with id ${versionId}`);
}

export async function findLatestVersion(catalog: Catalog, datasetId: number): Promise<StoredVersion> {
  await findDataset(catalog, datasetId);
  const version = await catalog.latestVersion(datasetId);
  if (!version) throw notFound('version', `dataset ${datasetId} has no versions`);
  return version;
}

/** The version with this per-dataset version_number. */
export async function findVersionByNumber(catalog: Catalog, datasetId: number, versionNumber: number): Promise<StoredVersion> {
  await findDataset(catalog, datasetId);
  const version = await catalog.versionByNumber(datasetId, versionNumber);
  if (!version) throw notFound('version', `dataset ${datasetId} has no version number ${versionNumber}`);
  return version;
}

/** A version tag of the dataset; 404 `tag_not_found` when the dataset has no tag of that name. */
export async function findVersionTag(catalog: Catalog, datasetId: number, name: string): Promise<VersionTag> {
  await findDataset(catalog, datasetId);
  const tag = await catalog.versionTag(datasetId, name);
  if (!tag) throw tagNotFound(datasetId, name);
  return tag;
}

export const tagNotFound = (datasetId: number, name: string) =>
  new ApiError(404, 'tag_not_found', `dataset ${datasetId} has no version tag ${JSON.stringify(name)}`);

/** The named sheet, or the first when no name is given. */
export async function findSheet(catalog: Catalog, version: Version, name: string | undefined): Promise<{ index: number; sheet: SheetInfo }> {
  const sheets = await catalog.sheets(version.id);
  const index = name === undefined ? 0 : sheets.findIndex((s) => s.name === name);
  if (index < 0 || index >= sheets.length) {
    const names = sheets.map((s) => JSON.stringify(s.name)).join(', ') || 'none';
    throw notFound('sheet', `version ${version.id} has no sheet ${JSON.stringify(name ?? '')}; its sheets: ${names}`);
  }
  return { index, sheet: sheets[index] };
}

/**
 * One version as its own routes answer it (`…/versions/{vid}`, `latest`, `tag/{name}`, `number/{n}`, and the
 * upload): the public version with `reader`, what the reader decided. Lists leave `reader` out (it has an
 * entry per column).
 */
export async function versionDetail(catalog: Catalog, version: StoredVersion): Promise<Version & { reader: ReaderReport | null }> {
  return { ...publicVersion(version), reader: await catalog.readerReport(version.id) };
}

/** A version as clients see it, without where it is stored. */
export function publicVersion({ storage_key: _key, ...version }: StoredVersion): Version {
  return version;
}
