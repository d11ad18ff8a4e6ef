import type { QuestionId } from '../../src/answers/schema.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'stack', 'variant', 'languageVersion', 'port', 'healthPath'];

export const files: FileTable = [
  { template: (c) => `docker/${c.stack.id}/Dockerfile.ejs`, to: 'Dockerfile' },
  { template: (c) => `docker/${c.stack.id}/dockerignore.ejs`, to: '.dockerignore' },
];
