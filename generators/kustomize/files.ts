import type { QuestionId } from '../../src/answers/schema.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'cloud', 'orchestrator', 'database', 'port', 'healthPath'];

export const files: FileTable = [
  { dir: 'kustomize/base', to: 'kubernetes/base', when: (c) => c.answers.orchestrator === 'kubernetes' },
  { dir: 'kustomize/overlays', to: 'kubernetes/overlays', when: (c) => c.answers.orchestrator === 'kubernetes' },
];
