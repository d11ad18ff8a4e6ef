/**
 * GitLab CI checks: GitLab's own `ci.json` schema (src/check/schemas, see its README) through ajv, plus the rules
 * the schema cannot express, on the parsed object with `extends:` resolved. They live in src/check/gitlab.ts
 * (infra-kit check runs them); re-exported here for the tests.
 */
import { gitlabSchemaPath } from '../../src/check/gitlab.js';

export {
  danglingNeeds, deploysWithoutScan, gitlabJobs, interruptibleDeploys, isPinnedImage, jobShell, jobsWithoutScript, missingTimeouts,
  needsClosure, secretLiterals, undeclaredStages, ungatedProduction, unpinnedImages, validateGitlabSchema,
  type GitlabDoc, type GitlabJob,
} from '../../src/check/gitlab.js';

/** The committed schema file (its SHA-256 is pinned by test/gitlab.test.ts). */
export const SCHEMA_PATH = gitlabSchemaPath()!;
