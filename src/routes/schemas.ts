/** JSON-schema pieces shared by the route groups. */

export const datasetParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'integer', minimum: 1 } },
} as const;

export const versionParams = {
  type: 'object',
  required: ['id', 'vid'],
  properties: { id: { type: 'integer', minimum: 1 }, vid: { type: 'integer', minimum: 1 } },
} as const;

export const sheetQuery = {
  sheet: { type: 'string', minLength: 1, description: 'sheet name; default: the first sheet' },
} as const;

export interface DatasetParams {
  id: number;
}
export interface VersionParams {
  id: number;
  vid: number;
}
