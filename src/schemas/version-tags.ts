/** Version tags: a name such as `production` pointing at one version of a dataset. */
import { Type, type Static } from 'typebox';
import { Id, Nullable, Timestamp } from './common.js';
import { MAX_DESCRIPTION } from './datasets.js';

/**
 * 1–64 ASCII letters, digits, `.`, `_`, `-`; case-sensitive. `.` and `..` alone are refused too: clients
 * resolve them as path segments (`…/tags/..` becomes `…/datasets/1/`), so such a tag could not be addressed.
 */
export const TAG_NAME_PATTERN = '^(?!\\.\\.?$)[A-Za-z0-9._-]{1,64}$';
export const TAG_NAME_RULE =
  "a tag name is 1 to 64 characters of letters (A-Z, a-z), digits, '.', '_' and '-' (case-sensitive; '.' and '..' alone are not allowed)";

export const TagParams = Type.Object({ id: Id('dataset id'), tag_name: Type.String({ pattern: TAG_NAME_PATTERN, description: TAG_NAME_RULE }) });
export type TagParams = Static<typeof TagParams>;

export const TagBody = Type.Object(
  {
    version_id: Id('id of a version of this dataset'),
    description: Type.Optional(Nullable(Type.String({ maxLength: MAX_DESCRIPTION, description: 'absent: keep the current one (none for a new tag); null: clear it' }))),
  },
  { additionalProperties: false, examples: [{ version_id: 7, description: 'what the dashboards read' }] },
);
export type TagBody = Static<typeof TagBody>;

/**
 * A version tag: a name (such as `production`) that points at one version of a dataset (not the dataset's
 * `tags`, which are labels). Unique per dataset, movable to another version of the same dataset; removed with
 * the version it points at.
 */
export const VersionTag = Type.Object(
  {
    name: Type.String(),
    dataset_id: Id('dataset id'),
    version_id: Id('the version it points at'),
    version_number: Type.Integer({ minimum: 1 }),
    description: Nullable(Type.String()),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { additionalProperties: false },
);
export type VersionTag = Static<typeof VersionTag>;
export const VersionTagList = Type.Array(VersionTag, { description: 'by name' });
