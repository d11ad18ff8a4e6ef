/**
 * Compute once, template simply: every name, flag and catalog lookup a template needs is derived here
 * from the answers. Templates only substitute these values (through `q`) and test these flags.
 */
import { actions, clouds, databases, kubernetesVersion, stacks, terraformVersion, trivyVersion } from '../catalog/index.js';
import type { Cloud, Database, Stack } from '../catalog/index.js';
import { resolveVariant, type ResolvedVariant } from '../catalog/stacks.js';
import { UsageError } from '../errors.js';
import type { Answers } from '../answers/schema.js';
import { ciTooling } from '../catalog/ci.js';
import { quote, type Quote } from './quote.js';
import { flagEnv } from '../answers/flags.js';

/** Non-root UID/GID shared by the Dockerfile USER, compose `user:` and the Kubernetes securityContext. */
export const APP_UID = 10001;

export interface RenderContext {
  readonly answers: Answers;
  readonly app: {
    readonly name: string;
    readonly port: number;
    readonly healthPath: string;
    readonly uid: number;
    readonly gid: number;
    /** Exec-form health check the runtime image can run, or null (distroless: the orchestrator probes). */
    readonly healthcheck: readonly string[] | null;
    /** Whether the runtime image has a shell (`/bin/sleep` for a preStop pause, `sh` for debugging). */
    readonly shell: boolean;
  };
  readonly stack: Stack;
  /**
   * The chosen package-manager variant (e.g. node + pnpm): lockfiles, CI commands, and the images and
   * Dependabot ecosystem it resolves to (`variant.images.build`, `variant.images.runtime`).
   */
  readonly variant: ResolvedVariant;
  readonly cloud: Cloud;
  readonly region: string;
  readonly database: Database;
  readonly hasDatabase: boolean;
  /** What runs the app: a Kustomize-deployed cluster, or Docker Compose on one VM per environment. */
  readonly onKubernetes: boolean;
  readonly onCompose: boolean;
  /** Argo CD syncs the overlays from `answers.repoUrl`; CI commits the digest instead of applying. */
  readonly gitops: boolean;
  /** Feature flags, sorted: `name` as given (`new-checkout`) and its env var (`FEATURE_NEW_CHECKOUT`). */
  readonly featureFlags: readonly { readonly name: string; readonly env: string }[];
  readonly environments: readonly ['staging', 'production'];
  /** `owner/repo@sha  # version` for each pinned action, ready for `uses:`. */
  readonly uses: Record<keyof typeof actions, string>;
  readonly versions: { readonly terraform: string; readonly trivy: string; readonly kubernetes: string; readonly infraKit: string };
  /** Pinned CI images and tool versions (GitLab images, cosign, kubectl, kubelogin, Renovate managers). */
  readonly ciTooling: typeof ciTooling;
  readonly q: Quote;
}

/**
 * The names every template sees (destructured locals), in one place: the build-time compiler and the
 * run-time one agree on them, and a test checks they are exactly the keys buildContext returns.
 */
export const CONTEXT_KEYS = [
  'answers', 'app', 'stack', 'variant', 'cloud', 'region', 'database', 'hasDatabase', 'onKubernetes', 'onCompose',
  'gitops', 'featureFlags', 'environments', 'uses', 'versions', 'ciTooling', 'q',
] as const satisfies readonly (keyof RenderContext)[];

export function buildContext(answers: Answers, infraKitVersion: string): RenderContext {
  const database = databases[answers.database];
  const uses = Object.fromEntries(
    Object.entries(actions).map(([key, a]) => [key, `${a.repo}@${a.sha}  # ${a.version}`]),
  ) as Record<keyof typeof actions, string>;
  return {
    answers,
    app: {
      name: answers.name,
      port: answers.port,
      healthPath: answers.healthPath,
      uid: APP_UID,
      gid: APP_UID,
      healthcheck: stacks[answers.stack].healthcheck?.(answers.port, answers.healthPath) ?? null,
      shell: stacks[answers.stack].runtimeShell,
    },
    stack: stacks[answers.stack],
    variant: stackVariant(stacks[answers.stack], answers.variant, answers.languageVersion),
    cloud: clouds[answers.cloud],
    region: answers.region,
    database,
    hasDatabase: answers.database !== 'none',
    onKubernetes: answers.orchestrator === 'kubernetes',
    onCompose: answers.orchestrator === 'compose',
    gitops: answers.orchestrator === 'kubernetes' && answers.gitops === 'argocd',
    featureFlags: (answers.featureFlags ?? []).map((name) => ({ name, env: flagEnv(name) })),
    environments: ['staging', 'production'],
    uses,
    versions: { terraform: terraformVersion, trivy: trivyVersion, kubernetes: kubernetesVersion, infraKit: infraKitVersion },
    ciTooling,
    q: quote,
  };
}

/**
 * The answered variant of the answered stack. Answers are validated one by one, so a variant of another stack
 * (`--stack python --variant pnpm`, or a stored variant after the stack changed) is rejected here, before
 * anything is written.
 */
function stackVariant(stack: Stack, id: string, languageVersion: string): ResolvedVariant {
  const variant = stack.variants[id];
  if (!variant) {
    throw new UsageError(`variant '${id}' is not a ${stack.id} variant; pass --variant ${Object.keys(stack.variants).join('|')}`);
  }
  return resolveVariant(stack, variant, languageVersion);
}
