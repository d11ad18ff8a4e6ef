import type { QuestionId } from '../../src/answers/schema.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'stack', 'cloud', 'region', 'orchestrator', 'ci', 'database', 'port', 'healthPath'];

export const files: FileTable = [
  { template: 'ci/github/ci.yml.ejs', to: '.github/workflows/ci.yml', when: (c) => c.answers.ci === 'github' },
  { template: 'ci/github/rollback.yml.ejs', to: '.github/workflows/rollback.yml', when: (c) => c.answers.ci === 'github' },
  { template: 'ci/github/dependabot.yml.ejs', to: '.github/dependabot.yml', when: (c) => c.answers.ci === 'github' },
];
