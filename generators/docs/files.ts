import type { QuestionId } from '../../src/answers/schema.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'stack', 'cloud', 'region', 'orchestrator', 'ci', 'database', 'port', 'healthPath'];

export const files: FileTable = [
  { template: 'docs/runbook.md.ejs', to: 'docs/runbook.md' },
  { template: 'docs/postmortem-template.md.ejs', to: 'docs/postmortem-template.md' },
];
