import type { QuestionId } from '../../src/answers/schema.js';
import type { RenderContext } from '../../src/render/context.js';
import type { FileTable } from '../../src/render/table.js';

/**
 * The questions this piece needs; a piece run asks only these. `gitops`: with Argo CD as the clusters' only
 * writer, the CI deploy identity gets no cluster access (modules/deploy-role); `repoUrl` comes with it (the
 * answers require it under --gitops argocd, so a piece run asks it rather than failing).
 */
export const asks: readonly QuestionId[] = ['name', 'cloud', 'region', 'orchestrator', 'ci', 'database', 'gitops', 'repoUrl'];

/** Template folder of the chosen cloud: every cloud has the same layout under templates/terraform/<id>/. */
const ofCloud =
  (path: string) =>
  (c: RenderContext): string =>
    `terraform/${c.cloud.id}/${path}`;

/**
 * Reusable modules, a bootstrap root (state backend, registry, GitHub OIDC trust; local state) and one root
 * per environment. Each environment root is the shared `environments/common` files plus its own
 * `backend.tf` (state key) and `environment.tf` (sizes, retention, protection).
 */
export const files: FileTable = [
  { dir: ofCloud('modules/network'), to: 'terraform/modules/network' },
  // What runs the app: a managed cluster, or (orchestrator compose) one hardened VM per environment.
  { dir: ofCloud('modules/cluster'), to: 'terraform/modules/cluster', when: (c) => c.onKubernetes },
  { dir: ofCloud('modules/vm'), to: 'terraform/modules/vm', when: (c) => c.onCompose },
  { dir: ofCloud('modules/registry'), to: 'terraform/modules/registry' },
  { dir: ofCloud('modules/database'), to: 'terraform/modules/database', when: (c) => c.hasDatabase },
  { dir: ofCloud('modules/state-backend'), to: 'terraform/modules/state-backend' },
  // The CI provider's OIDC trust: only the provider this repo uses.
  { dir: ofCloud('modules/github-oidc'), to: 'terraform/modules/github-oidc', when: (c) => c.answers.ci === 'github' },
  { dir: ofCloud('modules/gitlab-oidc'), to: 'terraform/modules/gitlab-oidc', when: (c) => c.answers.ci === 'gitlab' },
  { dir: ofCloud('modules/deploy-role'), to: 'terraform/modules/deploy-role' },
  { dir: ofCloud('modules/app-identity'), to: 'terraform/modules/app-identity' },
  { dir: ofCloud('bootstrap'), to: 'terraform/bootstrap' },
  { dir: ofCloud('environments/common'), to: 'terraform/environments/staging' },
  { dir: ofCloud('environments/staging'), to: 'terraform/environments/staging' },
  { dir: ofCloud('environments/common'), to: 'terraform/environments/production' },
  { dir: ofCloud('environments/production'), to: 'terraform/environments/production' },
  { template: 'terraform/gitignore.ejs', to: 'terraform/.gitignore', strategy: 'lines' },
];
