import type { QuestionId } from '../../src/answers/schema.js';
import type { RenderContext } from '../../src/render/context.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'stack', 'cloud', 'region', 'orchestrator', 'database', 'migrateCommand', 'port', 'healthPath', 'featureFlags', 'gitops', 'repoUrl'];

const onKubernetes = (c: RenderContext): boolean => c.onKubernetes;
const withDatabase = (c: RenderContext): boolean => onKubernetes(c) && c.hasDatabase;
/** `gitops` is already false off Kubernetes (context.ts). */
const withGitops = (c: RenderContext): boolean => c.gitops;

export const files: FileTable = [
  { dir: 'kustomize/base', to: 'kubernetes/base', when: onKubernetes },
  { dir: 'kustomize/overlays', to: 'kubernetes/overlays', when: onKubernetes },
  // Per environment: the SecretStore and ExternalSecret that sync the database URL from the cloud's secret store.
  { template: 'kustomize/secrets/staging.yaml.ejs', to: 'kubernetes/overlays/staging/database-secret.yaml', when: withDatabase },
  { template: 'kustomize/secrets/production.yaml.ejs', to: 'kubernetes/overlays/production/database-secret.yaml', when: withDatabase },
  // The migration Job. Without GitOps the deploy applies it before the new version with migrate.sh (never the
  // overlays themselves); with GitOps the overlays include it as an Argo CD sync hook, and migrate.sh, which
  // adds the component to an overlay, has no place.
  { template: 'kustomize/components/migrate/job.yaml.ejs', to: 'kubernetes/components/migrate/job.yaml', when: withDatabase },
  { template: 'kustomize/components/migrate/kustomization.yaml.ejs', to: 'kubernetes/components/migrate/kustomization.yaml', when: withDatabase },
  { template: 'kustomize/components/migrate/migrate.sh.ejs', to: 'kubernetes/components/migrate/migrate.sh', when: (c) => withDatabase(c) && !c.gitops },
  // GitOps (--gitops argocd): the Argo CD AppProject and Applications, and per overlay the release Component
  // (image digest and app identity) that CI's deploy job rewrites and commits.
  { dir: 'kustomize/argocd/apps', to: 'kubernetes/argocd', when: withGitops },
  { template: 'kustomize/argocd/release/staging.yaml.ejs', to: 'kubernetes/overlays/staging/release/kustomization.yaml', when: withGitops },
  { template: 'kustomize/argocd/release/production.yaml.ejs', to: 'kubernetes/overlays/production/release/kustomization.yaml', when: withGitops },
];
