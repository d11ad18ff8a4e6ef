import type { QuestionId } from '../../src/answers/schema.js';
import type { RenderContext } from '../../src/render/context.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'stack', 'cloud', 'region', 'orchestrator', 'database', 'migrateCommand', 'port', 'healthPath', 'featureFlags'];

const onCompose = (c: RenderContext): boolean => c.onCompose;

export const files: FileTable = [
  { template: 'compose/docker-compose.yml.ejs', to: 'docker-compose.yml' },
  { template: 'compose/env.example.ejs', to: '.env.example' },
  // .env holds local secrets: ensure git ignores it without touching the user's own ignore lines.
  { template: 'compose/gitignore.ejs', to: '.gitignore', strategy: 'lines' },
  // Secrets never reach a commit: gitleaks (default rules + .env.example placeholders) as a pre-commit hook.
  { template: 'secrets/gitleaks.toml.ejs', to: '.gitleaks.toml' },
  { template: 'secrets/pre-commit-config.yaml.ejs', to: '.pre-commit-config.yaml' },
  // Orchestrator compose: what the deploy copies to each environment's VM and runs there.
  { template: 'deploy/compose.yaml.ejs', to: 'deploy/compose.yaml', when: onCompose },
  { template: 'deploy/deploy.sh.ejs', to: 'deploy/deploy.sh', when: onCompose },
  { template: 'deploy/staging.env.ejs', to: 'deploy/staging.env', when: onCompose },
  { template: 'deploy/production.env.ejs', to: 'deploy/production.env', when: onCompose },
];
