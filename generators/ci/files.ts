import type { QuestionId } from '../../src/answers/schema.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'stack', 'variant', 'languageVersion', 'cloud', 'region', 'orchestrator', 'ci', 'database', 'migrateCommand', 'port', 'healthPath', 'gitops', 'repoUrl'];

const github = (c: { answers: { ci: string } }) => c.answers.ci === 'github';
const gitlab = (c: { answers: { ci: string } }) => c.answers.ci === 'gitlab';

export const files: FileTable = [
  { template: 'ci/github/ci.yml.ejs', to: '.github/workflows/ci.yml', when: github },
  { template: 'ci/github/rollback.yml.ejs', to: '.github/workflows/rollback.yml', when: github },
  { template: 'ci/github/dependabot.yml.ejs', to: '.github/dependabot.yml', when: github },
  { template: 'ci/gitlab/gitlab-ci.yml.ejs', to: '.gitlab-ci.yml', when: gitlab },
  { template: 'ci/gitlab/renovate.json.ejs', to: 'renovate.json', when: gitlab },
];
