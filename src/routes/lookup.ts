import type { Catalog } from '../catalog/catalog.js';
import type { Dataset, SheetInfo, StoredVersion, Version } from '../catalog/types.js';
import { notFound } from '../errors.js';

/** Lookups shared by the route groups: each answers 404 with the contract's error code for what is missing. */

export function findDataset(catalog: Catalog, id: number): Dataset {
  const dataset = catalog.dataset(id);
  if (!dataset) throw notFound('dataset', `dataset ${id} does not exist`);
  return dataset;
}

export function findVersion(catalog: Catalog, datasetId: number, versionId: number): StoredVersion {
  findDataset(catalog, datasetId);
  const version = catalog.version(datasetId, versionId);
  if (!version) throw notFound('version', `dataset ${datasetId} has no version with id ${versionId}`);
  return version;
}

export function findLatestVersion(catalog: Catalog, datasetId: number): StoredVersion {
  findDataset(catalog, datasetId);
  const version = catalog.latestVersion(datasetId);
  if (!version) throw notFound('version', `dataset ${datasetId} has no versions`);
  return version;
}

/** The named sheet, or the first when no name is given. */
export function findSheet(catalog: Catalog, version: Version, name: string | undefined): { index: number; sheet: SheetInfo } {
  const sheets = catalog.sheets(version.id);
  const index = name === undefined ? 0 : sheets.findIndex((s) => s.name === name);
  if (index < 0 || index >= sheets.length) {
    const names = sheets.map((s) => JSON.stringify(s.name)).join(', ') || 'none';
    throw notFound('sheet', `version ${version.id} has no sheet ${JSON.stringify(name ?? '')}; its sheets: ${names}`);
  }
  return { index, sheet: sheets[index] };
}

/** A version as clients see it, without where it is stored. */
export function publicVersion({ storage_key: _key, ...version }: StoredVersion): Version {
  return version;
}
