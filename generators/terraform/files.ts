import type { QuestionId } from '../../src/answers/schema.js';
import type { RenderContext } from '../../src/render/context.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'cloud', 'region', 'orchestrator', 'database'];

const onAws = (c: RenderContext): boolean => c.cloud.id === 'aws';

/**
 * AWS: reusable modules, a bootstrap root (state bucket, registry, GitHub OIDC; local state) and one root
 * per environment. Each environment root is the shared `environments/common` files plus its own
 * `backend.tf` (state key) and `environment.tf` (sizes, retention, protection).
 */
export const files: FileTable = [
  { dir: 'terraform/aws/modules/network', to: 'terraform/modules/network', when: onAws },
  { dir: 'terraform/aws/modules/cluster', to: 'terraform/modules/cluster', when: onAws },
  { dir: 'terraform/aws/modules/registry', to: 'terraform/modules/registry', when: onAws },
  { dir: 'terraform/aws/modules/database', to: 'terraform/modules/database', when: (c) => onAws(c) && c.hasDatabase },
  { dir: 'terraform/aws/modules/state-backend', to: 'terraform/modules/state-backend', when: onAws },
  { dir: 'terraform/aws/modules/github-oidc', to: 'terraform/modules/github-oidc', when: onAws },
  { dir: 'terraform/aws/modules/deploy-role', to: 'terraform/modules/deploy-role', when: onAws },
  { dir: 'terraform/aws/bootstrap', to: 'terraform/bootstrap', when: onAws },
  { dir: 'terraform/aws/environments/common', to: 'terraform/environments/staging', when: onAws },
  { dir: 'terraform/aws/environments/staging', to: 'terraform/environments/staging', when: onAws },
  { dir: 'terraform/aws/environments/common', to: 'terraform/environments/production', when: onAws },
  { dir: 'terraform/aws/environments/production', to: 'terraform/environments/production', when: onAws },
  { template: 'terraform/aws/gitignore.ejs', to: 'terraform/.gitignore', strategy: 'lines', when: onAws },
];
