/**
 * ONE declaration of every question infra-kit asks. Prompts, CLI flags, `--answers` files, `--help`,
 * validation and what is stored in `.yo-rc.json` are all derived from this table; nothing else declares
 * a question.
 */
import { ciProviders, clouds, databases, orchestrators, stacks } from '../catalog/index.js';
import type { CiId, CloudId, DatabaseId, OrchestratorId, StackId } from '../catalog/index.js';
import type { VariantId } from '../catalog/stacks.js';
import { FLAG_NAME } from './flags.js';

/** What a default may be computed from: answers decided so far and what detection found. */
export interface DefaultsContext {
  // Narrow views, not Partial<Answers>: Answers is derived from this table, so the table cannot name it.
  readonly answers: {
    readonly stack?: StackId;
    readonly cloud?: CloudId;
    readonly database?: DatabaseId;
    readonly orchestrator?: OrchestratorId;
    readonly gitops?: GitopsId;
  };
  readonly detected: {
    readonly name?: string;
    readonly stack?: StackId;
    readonly variant?: VariantId;
    readonly languageVersion?: string;
    readonly database?: DatabaseId;
    readonly port?: number;
    readonly repoUrl?: string;
  };
  /** Basename of the target dir, a fallback for the app name. */
  readonly dirName: string;
}

export interface Choice {
  readonly value: string;
  readonly label: string;
}

export interface Question<T> {
  /** Long flag, without the dashes. */
  readonly flag: string;
  /** Placeholder for the flag's value in --help. */
  readonly metavar: string;
  readonly message: string;
  /** One line for --help, the prompt hint and the README. */
  readonly help: string;
  /** How the default is chosen, for --help and the README. */
  readonly defaultHelp: string;
  /** Allowed values; given the answers so far, only those that fit them (e.g. the chosen stack's variants). */
  readonly choices?: (answers?: DefaultsContext['answers']) => readonly Choice[];
  /**
   * Coerce a raw value (CLI string, YAML/JSON scalar, prompt result) or return an error message. Given the
   * answers so far, a value that does not fit them is an error too.
   */
  readonly parse: (raw: unknown, answers?: DefaultsContext['answers']) => { ok: true; value: T } | { ok: false; error: string };
  readonly default: (ctx: DefaultsContext) => T | undefined;
  /** Ask only when it matters for the answers so far (it still resolves to its default otherwise). */
  readonly when?: (answers: DefaultsContext['answers']) => boolean;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function choiceOf<K extends string>(table: Record<K, { label: string }>): { choices: () => readonly Choice[]; parse: Question<K>['parse'] } {
  const ids = Object.keys(table) as K[];
  return {
    choices: () => ids.map((value) => ({ value, label: table[value].label })),
    parse: (raw): Parsed<K> =>
      typeof raw === 'string' && (ids as string[]).includes(raw)
        ? { ok: true, value: raw as K }
        : { ok: false, error: `must be one of: ${ids.join(', ')}` },
  };
}

/** The variants of one stack, or of every stack (labelled with it) when no stack is chosen yet. */
function variantChoices(stack: StackId | undefined): Choice[] {
  const ids = stack ? [stack] : (Object.keys(stacks) as StackId[]);
  return ids.flatMap((s) =>
    Object.values(stacks[s].variants).map((v) => ({ value: v.id, label: stack ? v.label : `${v.label} (${s})` })),
  );
}

function patterned(pattern: RegExp, rule: string): Question<string>['parse'] {
  return (raw) =>
    typeof raw === 'string' && pattern.test(raw) ? { ok: true, value: raw } : { ok: false, error: rule };
}

/**
 * Lowercase DNS label that starts with a letter (k8s Service names need DNS-1035), at most 38 chars: the
 * longest derived name, the IAM role `<name>-github-deploy-production`, must fit IAM's 64.
 */
const appName = /^[a-z](?:[a-z0-9-]{0,36}[a-z0-9])?$/;

/**
 * The name becomes the namespace and the ServiceAccount: Kubernetes' own namespaces (and `default`, which
 * would put the app on the namespace's default ServiceAccount) are not app names.
 */
const RESERVED_NAMES = new Set(['default', 'kube-system', 'kube-public', 'kube-node-lease']);

/** Turn a directory or package name into a valid app name, if one can be made. */
export function toAppName(raw: string): string | undefined {
  const name = raw
    .replace(/^@[^/]+\//, '')
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 38)
    .replace(/-+$/, '');
  return appName.test(name) ? name : undefined;
}

/**
 * A migration command is an argv that lands in YAML lists and CI shell lines: a conservative character set
 * (no quotes, `$`, `;`, `:` or `@`, so no shell syntax and no URL with credentials in it).
 */
const MIGRATE_ARGV = /^[A-Za-z0-9._\/=-]+( [A-Za-z0-9._\/=-]+)*$/;
/** Words that name a credential: the command must never carry one (it is stored and rendered in plain text). */
const CREDENTIAL_WORD = /pass(word|wd)?|pwd|secret|token|api[-_]?key|private[-_]?key|credential/i;

/** How deploys reach the cluster: CI applies the overlay, or Argo CD syncs it from git. */
const GITOPS = {
  none: { label: 'none: CI applies the overlay with kubectl' },
  argocd: { label: 'Argo CD: CI commits the image digest, Argo CD syncs the overlay' },
} as const;
export type GitopsId = keyof typeof GITOPS;

/**
 * A git remote Argo CD can clone: https (no credentials in it) or ssh. It lands in YAML and in CI shell
 * lines, so a conservative character set.
 */
const REPO_URL = /^(?:https:\/\/[A-Za-z0-9.-]+(?::\d+)?\/[A-Za-z0-9._~\/-]+|(?:ssh:\/\/)?git@[A-Za-z0-9.-]+[:\/][A-Za-z0-9._~\/-]+)$/;


export const questions = {
  name: {
    flag: 'name',
    defaultHelp: 'from the manifest (package.json, pyproject.toml, go.mod, Cargo.toml, pom.xml, *.csproj…), else the directory name',
    metavar: '<app>',
    message: 'App name',
    help: 'becomes the image, Kubernetes and Terraform name: lowercase letters, digits and "-", 1-38 chars',
    parse: (raw): Parsed<string> => {
      if (typeof raw === 'string' && RESERVED_NAMES.has(raw)) {
        return { ok: false, error: 'is a Kubernetes system namespace or account; pick the app\'s own name (e.g. my-api)' };
      }
      return patterned(appName, 'must be 1-38 lowercase letters, digits or "-", starting with a letter and not ending with "-" (e.g. my-api)')(raw);
    },
    default: ({ detected, dirName }) => {
      const name = detected.name ?? toAppName(dirName);
      return name !== undefined && RESERVED_NAMES.has(name) ? undefined : name;
    },
  },
  stack: {
    flag: 'stack',
    defaultHelp: 'detected, else node',
    metavar: '<id>',
    message: 'Language stack',
    help: 'how the image is built and tested',
    ...choiceOf<StackId>(stacks),
    default: ({ detected }) => detected.stack ?? 'node',
  },
  variant: {
    flag: 'variant',
    defaultHelp: "detected from the lockfile, else the stack's default (node: npm)",
    metavar: '<id>',
    message: 'Package manager / build tool',
    help: 'how dependencies are installed and the app built; one of the stack\'s variants (node: npm, pnpm, yarn; python: pip, poetry, uv; java: maven, mvnw, gradle, gradlew)',
    choices: (answers?: DefaultsContext['answers']) => variantChoices(answers?.stack),
    parse: (raw: unknown, answers?: DefaultsContext['answers']): Parsed<VariantId> => {
      const ids = variantChoices(answers?.stack).map((c) => c.value);
      if (typeof raw === 'string' && ids.includes(raw)) return { ok: true, value: raw as VariantId };
      return { ok: false, error: `must be one of: ${ids.join(', ')}${answers?.stack ? ` (stack ${answers.stack})` : ''}` };
    },
    // A variant detected for another stack (e.g. --stack python in a node repo) is no default for this one.
    default: ({ answers, detected }) => {
      const stack = answers.stack ?? 'node';
      const fits = detected.variant !== undefined && detected.stack === stack && detected.variant in stacks[stack].variants;
      return fits ? detected.variant : (stacks[stack].defaultVariant as VariantId);
    },
  },
  languageVersion: {
    flag: 'language-version',
    defaultHelp: "detected (.nvmrc, engines, .python-version, go.mod, pom.xml, rust-toolchain.toml, TargetFramework…) when the catalog pins it, else the stack's default",
    metavar: '<version>',
    message: 'Language version',
    help: 'picks the pinned build and runtime images and the version CI installs (node: 22, 24; python: 3.11-3.14; java: 17, 21, 25; …)',
    choices: (answers?: DefaultsContext['answers']) =>
      Object.keys(stacks[answers?.stack ?? 'node'].versions).map((v) => ({ value: v, label: `${stacks[answers?.stack ?? 'node'].label} ${v}` })),
    parse: (raw: unknown, answers?: DefaultsContext['answers']): Parsed<string> => {
      const stack = stacks[answers?.stack ?? 'node'];
      const value = typeof raw === 'number' ? String(raw) : raw;
      return typeof value === 'string' && value in stack.versions
        ? { ok: true, value }
        : { ok: false, error: `must be one of: ${Object.keys(stack.versions).join(', ')} (stack ${stack.id})` };
    },
    // A version detected for another stack is no default for this one.
    default: ({ answers, detected }) => {
      const stack = stacks[answers.stack ?? 'node'];
      return detected.stack === stack.id && detected.languageVersion && detected.languageVersion in stack.versions
        ? detected.languageVersion
        : stack.languageVersion;
    },
  },
  cloud: {
    flag: 'cloud',
    defaultHelp: 'aws',
    metavar: '<id>',
    message: 'Cloud',
    help: 'where Terraform provisions the cluster, registry and state',
    ...choiceOf<CloudId>(clouds),
    default: () => 'aws',
  },
  region: {
    flag: 'region',
    defaultHelp: "the cloud's default (aws: eu-west-1, gcp: europe-west1, azure: westeurope)",
    metavar: '<region>',
    message: 'Cloud region',
    help: 'region for the state bucket, the registry and the cluster',
    // Checked against the chosen cloud's naming, so `--cloud azure --region eu-west-1` is caught here.
    parse: (raw, answers): Parsed<string> => {
      const cloud = clouds[answers?.cloud ?? 'aws'];
      return typeof raw === 'string' && cloud.regionPattern.test(raw)
        ? { ok: true, value: raw }
        : { ok: false, error: `must be a ${cloud.id} region name such as ${cloud.defaultRegion}` };
    },
    default: ({ answers }) => clouds[answers.cloud ?? 'aws'].defaultRegion,
  },
  orchestrator: {
    flag: 'orchestrator',
    defaultHelp: 'kubernetes',
    metavar: '<id>',
    message: 'Orchestrator',
    help: 'what runs the container in staging and production',
    ...choiceOf<OrchestratorId>(orchestrators),
    default: () => 'kubernetes',
  },
  ci: {
    flag: 'ci',
    defaultHelp: 'github',
    metavar: '<id>',
    message: 'CI/CD provider',
    help: 'where the trunk-based pipeline runs',
    ...choiceOf<CiId>(ciProviders),
    default: () => 'github',
  },
  gitops: {
    flag: 'gitops',
    defaultHelp: 'none',
    metavar: '<id>',
    message: 'GitOps',
    help: 'Kubernetes only: argocd renders an Argo CD Application per environment and CI commits the digest to the overlay instead of applying it',
    choices: choiceOf<GitopsId>(GITOPS).choices,
    // Argo CD syncs Kustomize overlays: with compose there are none, so it is an error, not a silent no-op.
    parse: (raw: unknown, answers?: DefaultsContext['answers']): Parsed<GitopsId> => {
      const parsed = choiceOf<GitopsId>(GITOPS).parse(raw);
      if (parsed.ok && parsed.value === 'argocd' && answers?.orchestrator === 'compose') {
        return { ok: false, error: 'needs --orchestrator kubernetes (Argo CD syncs Kustomize overlays); pass --gitops none with compose' };
      }
      return parsed;
    },
    default: () => 'none',
    when: (answers) => answers.orchestrator === 'kubernetes',
  },
  repoUrl: {
    flag: 'repo-url',
    defaultHelp: "the repo's git remote `origin` (.git/config)",
    metavar: '<url>',
    message: 'Git repository URL Argo CD syncs from',
    help: 'with --gitops argocd: https://host/org/repo.git or git@host:org/repo.git (no credentials in it)',
    // Empty means "not used" (no GitOps); Argo CD needs a real one.
    parse: (raw: unknown, answers?: DefaultsContext['answers']): Parsed<string> => {
      if (raw === '' && answers?.gitops !== 'argocd') return { ok: true, value: '' };
      return patterned(REPO_URL, 'must be a git URL such as https://github.com/my-org/my-api.git or git@github.com:my-org/my-api.git, without credentials')(raw);
    },
    default: ({ answers, detected }) => (answers.gitops === 'argocd' ? detected.repoUrl : ''),
    when: (answers) => answers.gitops === 'argocd',
  },
  database: {
    flag: 'database',
    defaultHelp: 'detected from the dependencies, else none',
    metavar: '<id>',
    message: 'Database',
    help: 'adds a local database to compose, a CI service container and a managed instance in Terraform',
    ...choiceOf<DatabaseId>(databases),
    default: ({ detected }) => detected.database ?? 'none',
  },
  migrateCommand: {
    flag: 'migrate-command',
    defaultHelp: "the stack's usual tool (node: node-pg-migrate, python: alembic, go: golang-migrate, java: Flyway, rust: sqlx, dotnet: an EF Core bundle)",
    metavar: '<command>',
    message: 'Migration command',
    help:
      'run from the app image before each deploy (Kubernetes Job, compose service migrate) and by CI before the tests, with DATABASE_URL set; ' +
      'it reaches YAML and shell, so only letters, digits, spaces and . _ / = - are allowed, and no credential: no URL, no password, secret or token',
    parse: (raw): Parsed<string> => {
      // Runs of spaces collapse; any other whitespace (a newline, a tab) is rejected below, never rewritten.
      const value = typeof raw === 'string' ? raw.trim().replace(/ +/g, ' ') : '';
      const words = value.split(' ');
      if (!MIGRATE_ARGV.test(value) || value.length > 200) {
        return { ok: false, error: 'must be 1-200 characters of letters, digits, spaces and . _ / = - (e.g. alembic upgrade head)' };
      }
      // A first word `X=y` would be a shell assignment in CI; a leading `-` an option, not a program.
      if (/=|^-/.test(words[0]!)) return { ok: false, error: 'must start with a program (no VAR=value, no option first)' };
      if (words.some((w) => CREDENTIAL_WORD.test(w))) {
        return { ok: false, error: 'must not carry a credential (password, secret, token, key…): the database URL comes from DATABASE_URL' };
      }
      return { ok: true, value };
    },
    default: ({ answers }) => stacks[answers.stack ?? 'node'].migration.command,
    when: (answers) => answers.database === 'postgres',
  },
  port: {
    flag: 'port',
    defaultHelp: "the stack's default (node: 3000, python: 8000, others: 8080)",
    metavar: '<n>',
    message: 'Port the app listens on',
    help: 'container port used by the Dockerfile, compose, Kubernetes and the smoke test (1024-65535: the app runs as non-root)',
    parse: (raw): Parsed<number> => {
      const value = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : NaN;
      return Number.isInteger(value) && value >= 1024 && value <= 65535
        ? { ok: true, value }
        : { ok: false, error: 'must be an integer from 1024 to 65535 (the app runs as non-root)' };
    },
    default: ({ answers, detected }) => detected.port ?? stacks[answers.stack ?? 'node'].defaultPort,
  },
  healthPath: {
    flag: 'health-path',
    defaultHelp: '/healthz',
    metavar: '</path>',
    message: 'Health-check path',
    help: 'HTTP path that answers 200 when the app is healthy (probes, HEALTHCHECK, smoke test)',
    parse: patterned(/^\/[A-Za-z0-9._~/-]{0,100}$/, 'must be a URL path such as /healthz (letters, digits, . _ ~ - /)'),
    default: () => '/healthz',
  },
  featureFlags: {
    flag: 'feature-flags',
    defaultHelp: 'none; `infra-kit flag <name>` adds one, `--remove` takes it out',
    metavar: '<a,b>',
    message: 'Feature flags',
    help: 'comma-separated flag names (lowercase, digits, "-"), each an env var FEATURE_<NAME>=on|off in .env.example, every overlay and docs/feature-flags.md',
    parse: (raw): Parsed<string[]> => {
      const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((s) => s.trim()).filter(Boolean) : null;
      if (list === null || !list.every((f): f is string => typeof f === 'string' && FLAG_NAME.test(f))) {
        return { ok: false, error: 'must be comma-separated flag names of 1-40 lowercase letters, digits or "-", starting with a letter (e.g. new-checkout)' };
      }
      // Sorted and unique: the rendered files do not depend on the order flags were added in.
      return { ok: true, value: [...new Set(list)].sort() };
    },
    default: () => [],
    // Managed with `infra-kit flag`, not asked on a first run.
    when: () => false,
  },
} as const satisfies Record<string, Question<unknown>>;

export type QuestionId = keyof typeof questions;

type ValueOf<Q> = Q extends { parse: (raw: unknown) => infer R } ? (R extends { ok: true; value: infer V } ? V : never) : never;

/** The answers type is derived from the schema: adding a question adds a field. */
export type Answers = { -readonly [K in QuestionId]: ValueOf<(typeof questions)[K]> };

/** Order in which questions are asked and resolved (a default may depend on an earlier answer). */
export const questionOrder = Object.keys(questions) as QuestionId[];
