import type { QuestionId } from '../../src/answers/schema.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'stack', 'database', 'migrateCommand', 'port', 'healthPath'];

export const files: FileTable = [
  { template: 'compose/docker-compose.yml.ejs', to: 'docker-compose.yml' },
  { template: 'compose/env.example.ejs', to: '.env.example' },
  // .env holds local secrets: ensure git ignores it without touching the user's own ignore lines.
  { template: 'compose/gitignore.ejs', to: '.gitignore', strategy: 'lines' },
  // Secrets never reach a commit: gitleaks (default rules + .env.example placeholders) as a pre-commit hook.
  { template: 'secrets/gitleaks.toml.ejs', to: '.gitleaks.toml' },
  { template: 'secrets/pre-commit-config.yaml.ejs', to: '.pre-commit-config.yaml' },
];
