import { TaskError } from '../task-error.js';

/**
 * The worksheets the client asked for with the upload's `sheets` field, in workbook order; every worksheet
 * when it did not ask. Shared by both Excel readers, so a sheet that is not read is never parsed. A name the
 * workbook does not have is a 400 listing the worksheets it does have.
 */
export function selectSheets<T extends { name: string }>(worksheets: T[], wanted: readonly string[] | undefined): T[] {
  if (wanted === undefined) return worksheets;
  const missing = wanted.filter((name) => !worksheets.some((s) => s.name === name));
  if (missing.length) {
    throw new TaskError(
      400,
      'invalid_request',
      `sheets names ${missing.map((n) => JSON.stringify(n)).join(', ')}, which the workbook does not have; its worksheets: ` +
        worksheets.map((s) => JSON.stringify(s.name)).join(', '),
    );
  }
  return worksheets.filter((s) => wanted.includes(s.name));
}
