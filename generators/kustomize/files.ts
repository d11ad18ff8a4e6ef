import type { QuestionId } from '../../src/answers/schema.js';
import type { RenderContext } from '../../src/render/context.js';
import type { FileTable } from '../../src/render/table.js';

/** The questions this piece needs; a piece run asks only these. */
export const asks: readonly QuestionId[] = ['name', 'stack', 'cloud', 'region', 'orchestrator', 'database', 'migrateCommand', 'port', 'healthPath', 'featureFlags', 'gitops', 'repoUrl'];

const onKubernetes = (c: RenderContext): boolean => c.answers.orchestrator === 'kubernetes';
const withDatabase = (c: RenderContext): boolean => onKubernetes(c) && c.hasDatabase;

export const files: FileTable = [
  { dir: 'kustomize/base', to: 'kubernetes/base', when: onKubernetes },
  { dir: 'kustomize/overlays', to: 'kubernetes/overlays', when: onKubernetes },
  // Per environment: the SecretStore and ExternalSecret that sync the database URL from the cloud's store.
  { template: 'kustomize/secrets/staging.yaml.ejs', to: 'kubernetes/overlays/staging/database-secret.yaml', when: withDatabase },
  { template: 'kustomize/secrets/production.yaml.ejs', to: 'kubernetes/overlays/production/database-secret.yaml', when: withDatabase },
  // The migration Job, applied by the deploy before the new version (never by the overlays themselves).
  { dir: 'kustomize/components/migrate', to: 'kubernetes/components/migrate', when: withDatabase },
];
