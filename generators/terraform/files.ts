import type { QuestionId } from '../../src/answers/schema.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'cloud', 'region', 'orchestrator', 'database'];

export const files: FileTable = [
  { dir: (c) => `terraform/${c.cloud.id}/modules`, to: 'terraform/modules' },
  { dir: (c) => `terraform/${c.cloud.id}/environments`, to: 'terraform/environments' },
];
