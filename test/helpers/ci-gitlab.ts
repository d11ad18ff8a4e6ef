/**
 * GitLab CI checks: GitLab's own `ci.json` schema (src/check/schemas, see its README) through ajv, plus the rules
 * the schema cannot express, on the parsed object with `extends:` resolved. They live in src/check/gitlab.ts
 * (infra-kit check runs them); re-exported here for the tests.
 */
import { parse as parseYaml } from 'yaml';
import { gitlabSchemaPath } from '../../src/check/gitlab.js';

export {
  danglingNeeds, deploysWithoutScan, gitlabJobs, interruptibleDeploys, isPinnedImage, jobShell, jobsWithoutScript, missingTimeouts,
  needsClosure, secretLiterals, undeclaredStages, ungatedProduction, unpinnedImages, validateGitlabSchema,
  type GitlabDoc, type GitlabJob,
} from '../../src/check/gitlab.js';

/** The committed schema file (its SHA-256 is pinned by test/gitlab.test.ts). */
export const SCHEMA_PATH = gitlabSchemaPath()!;

/**
 * Variables `.gitlab-ci.yml` reads that someone must set: every `$NAME`/`${NAME}` minus GitLab's predefined
 * ones, those its `variables:` maps and `id_tokens:` define, and those its scripts assign (`NAME=`).
 */
export function gitlabUserVariables(src: string): string[] {
  const defined = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if ((key === 'variables' || key === 'id_tokens') && value && typeof value === 'object') Object.keys(value).forEach((k) => defined.add(k));
        walk(value);
      }
    }
  };
  walk(parseYaml(src));
  for (const [, name] of src.matchAll(/\b([A-Z][A-Z0-9_]*)=/g)) defined.add(name!);
  const used = [...src.matchAll(/\$\{?([A-Z][A-Z0-9_]*)\b/g)].map((m) => m[1]!);
  return [...new Set(used)].filter((v) => !defined.has(v) && !/^(CI|GITLAB)_/.test(v)).sort();
}
