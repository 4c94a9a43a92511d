/**
 * The field cases: small real-world files that tabular readers get wrong, with what a faithful reading serves
 * (test/fixtures/field-cases/README.md). A copy of the team's shared/field-cases, kept here so a clone anywhere
 * runs the suite; refresh it with `cp ../shared/field-cases/* test/fixtures/field-cases/`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './server.js';

export const FIELD_CASES = join(ROOT, 'test/fixtures/field-cases');

/** The bytes of one field case, by file name. */
export function fieldCase(name: string): Buffer {
  return readFileSync(join(FIELD_CASES, name));
}
