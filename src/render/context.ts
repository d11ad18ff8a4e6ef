/**
 * Compute once, template simply: every name, flag and catalog lookup a template needs is derived here
 * from the answers. Templates only substitute these values (through `q`) and test these flags.
 */
import { actions, clouds, databases, kubernetesVersion, stacks, terraformVersion, trivyVersion } from '../catalog/index.js';
import type { Cloud, Database, Stack, StackVariant } from '../catalog/index.js';
import type { Answers } from '../answers/schema.js';
import { quote, type Quote } from './quote.js';

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
  };
  readonly stack: Stack;
  /** The stack's package-manager variant (e.g. node + npm): lockfiles and CI commands. */
  readonly variant: StackVariant;
  readonly cloud: Cloud;
  readonly region: string;
  readonly database: Database;
  readonly hasDatabase: boolean;
  readonly environments: readonly ['staging', 'production'];
  /** `owner/repo@sha  # version` for each pinned action, ready for `uses:`. */
  readonly uses: Record<keyof typeof actions, string>;
  readonly versions: { readonly terraform: string; readonly trivy: string; readonly kubernetes: string; readonly infraKit: string };
  readonly q: Quote;
}

export function buildContext(answers: Answers, infraKitVersion: string): RenderContext {
  const database = databases[answers.database];
  const uses = Object.fromEntries(
    Object.entries(actions).map(([key, a]) => [key, `${a.repo}@${a.sha}  # ${a.version}`]),
  ) as Record<keyof typeof actions, string>;
  return {
    answers,
    app: { name: answers.name, port: answers.port, healthPath: answers.healthPath, uid: APP_UID, gid: APP_UID },
    stack: stacks[answers.stack],
    variant: stackVariant(stacks[answers.stack]),
    cloud: clouds[answers.cloud],
    region: answers.region,
    database,
    hasDatabase: answers.database !== 'none',
    environments: ['staging', 'production'],
    uses,
    versions: { terraform: terraformVersion, trivy: trivyVersion, kubernetes: kubernetesVersion, infraKit: infraKitVersion },
    q: quote,
  };
}

/** The variant for the answers. One question (issue: stacks) will choose it; until then the stack default. */
function stackVariant(stack: Stack): StackVariant {
  const variant = stack.variants[stack.defaultVariant];
  if (!variant) throw new Error(`catalog: stack ${stack.id} has no variant ${stack.defaultVariant}`);
  return variant;
}
