/**
 * GitLab CI (HARDENING CI02–CI07 [GitLab equivalents]): GitLab's own `ci.json` schema (schemas/, see its README)
 * through ajv, plus the rules the schema cannot express, checked on the parsed object with `extends:` resolved
 * the way GitLab does (hashes merged deeply, everything else replaced). The exported checks return strings;
 * the tests use them directly.
 */
import type { ValidateFunction } from 'ajv';
import { gitlabSchemaPath, schemaValidator } from './json-schemas.js';
import { SYNTAX_RULE, type Checker, type Finding, type Repo, type Rule } from './types.js';
import { deepestErrors, isObject, isPinnedImage, parseYamlFile, pointerPath } from './yaml-file.js';

export { gitlabSchemaPath, isPinnedImage };

export type GitlabJob = Record<string, unknown> & {
  stage?: string;
  script?: unknown;
  before_script?: unknown;
  trigger?: unknown;
  extends?: string | string[];
  needs?: (string | { job: string })[];
  rules?: { if?: string; when?: string; allow_failure?: boolean }[];
  when?: string;
  environment?: string | { name: string; deployment_tier?: string };
  resource_group?: string;
  interruptible?: boolean;
  timeout?: string;
  image?: string | { name: string };
  services?: (string | { name: string })[];
  variables?: Record<string, unknown>;
  id_tokens?: Record<string, { aud: string | string[] }>;
};
export type GitlabDoc = Record<string, unknown> & { stages?: string[]; variables?: Record<string, unknown>; default?: GitlabJob };

/** Top-level keys that are settings, not jobs (docs: "Global keywords"). */
const GLOBAL_KEYS = new Set(['stages', 'variables', 'default', 'workflow', 'include', 'image', 'services', 'cache', 'before_script', 'after_script', 'spec', 'pages:deploy']);
const BUILTIN_STAGES = ['.pre', '.post'];
const DEFAULT_STAGES = ['build', 'test', 'deploy'];

/** ajv errors against GitLab's schema (json-schemas.ts; its four formats get minimal checks in schemas/formats.cjs). */
export function gitlabSchemaErrors(doc: unknown): NonNullable<ValidateFunction['errors']> {
  const validate = schemaValidator('gitlab-ci');
  return validate(doc) ? [] : (validate.errors ?? []);
}

export const validateGitlabSchema = (doc: unknown): string[] => gitlabSchemaErrors(doc).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/**
 * Every job (hidden templates excluded) with `extends:` resolved; `default:` keywords are not merged in.
 * `included`: the pipeline `include:`s other files, so an unknown `extends:` target may live there (resolved empty).
 */
export function gitlabJobs(doc: GitlabDoc, included = false): Map<string, GitlabJob> {
  const resolve = (name: string, seen: string[]): GitlabJob => {
    if (seen.includes(name)) throw new Error(`extends cycle: ${[...seen, name].join(' -> ')}`);
    const own = doc[name];
    if (!isObject(own) && included && seen.length > 0) return {};
    if (!isObject(own)) throw new Error(`extends: no job or template named ${name}`);
    const parents = own.extends === undefined ? [] : ([] as string[]).concat(own.extends as string | string[]);
    const merged = parents.reduce<Record<string, unknown>>((acc, p) => deepMerge(acc, resolve(p, [...seen, name])), {});
    const { extends: _drop, ...rest } = own;
    return deepMerge(merged, rest) as GitlabJob;
  };
  const names = Object.keys(doc).filter((k) => !GLOBAL_KEYS.has(k) && !k.startsWith('.') && isObject(doc[k]));
  return new Map(names.map((n) => [n, resolve(n, [])]));
}

const needsOf = (job: GitlabJob): string[] =>
  (Array.isArray(job.needs) ? (job.needs as unknown[]) : []).flatMap((n) => (typeof n === 'string' ? [n] : isObject(n) && typeof n.job === 'string' ? [n.job] : []));
const envName = (job: GitlabJob): string | undefined => {
  const env: unknown = job.environment;
  return typeof env === 'string' ? env : isObject(env) && typeof env.name === 'string' ? env.name : undefined;
};
/** A job's `rules:` entries that are mappings (the schema reports the rest). */
const rulesOf = (job: GitlabJob) => (Array.isArray(job.rules) ? (job.rules as unknown[]).filter(isObject) as NonNullable<GitlabJob['rules']> : undefined);

/** Jobs GitLab would reject at pipeline creation: no `script` (nor `trigger`/`run`). */
export function jobsWithoutScript(jobs: Map<string, GitlabJob>): string[] {
  return [...jobs].filter(([, j]) => j.script === undefined && j.trigger === undefined && j.run === undefined).map(([n]) => n);
}

export function undeclaredStages(doc: GitlabDoc, jobs: Map<string, GitlabJob>): string[] {
  const stages = [...(Array.isArray(doc.stages) ? doc.stages : DEFAULT_STAGES), ...BUILTIN_STAGES];
  return [...jobs].filter(([, j]) => !stages.includes(j.stage ?? 'test')).map(([n, j]) => `${n}: stage ${j.stage ?? 'test'}`);
}

export function danglingNeeds(jobs: Map<string, GitlabJob>): string[] {
  return [...jobs].flatMap(([n, j]) => needsOf(j).filter((need) => !jobs.has(need)).map((need) => `${n} needs ${need}`));
}

/**
 * What must have succeeded before a job starts, transitively: its `needs:`; with `stages` given, a job without
 * `needs:` waits for every job of the earlier stages (GitLab's stage order).
 */
export function needsClosure(jobs: Map<string, GitlabJob>, name: string, stages?: readonly string[]): Set<string> {
  const order = (j: GitlabJob) => stages?.indexOf(j.stage ?? 'test') ?? -1;
  const before = (j: GitlabJob): string[] => {
    if (j.needs !== undefined || !stages) return needsOf(j);
    return [...jobs].filter(([, o]) => order(o) >= 0 && order(o) < order(j)).map(([n]) => n);
  };
  const seen = new Set<string>();
  const walk = (n: string) => before(jobs.get(n) ?? {}).forEach((need) => !seen.has(need) && (seen.add(need), walk(need)));
  walk(name);
  return seen;
}

/** A job that scans the image: named `scan`/`container_scanning`, or running Trivy or Grype. */
export const isScanJob = (name: string, job: GitlabJob): boolean => /(^|[-_:])scan(ning)?([-_:]|$)/i.test(name) || /\b(trivy|grype)\b/.test(jobShell(job));

/** CI05: every job that deploys (has an environment) runs only after a scan job; `exempt` names re-deploy jobs. */
export function deploysWithoutScan(jobs: Map<string, GitlabJob>, exempt: (name: string) => boolean = () => false, stages?: readonly string[]): string[] {
  return [...jobs]
    .filter(([n, j]) => envName(j) !== undefined && !exempt(n) && ![...needsClosure(jobs, n, stages)].some((s) => jobs.has(s) && isScanJob(s, jobs.get(s)!)))
    .map(([n]) => n);
}

/** The rule outcomes of a job: each rule's `when` (default on_success), or the job's own `when` without rules. */
const whens = (job: GitlabJob): string[] => (rulesOf(job)?.map((r) => r.when ?? 'on_success') ?? [job.when ?? 'on_success']);
const PROTECTED_REF = /\$CI_DEFAULT_BRANCH\b|\$CI_COMMIT_(BRANCH|REF_NAME) == ["'](main|master)["']|\$CI_COMMIT_TAG\b/;
export const isProduction = (job: GitlabJob): boolean =>
  /^prod(uction)?$/i.test(envName(job) ?? '') || (isObject(job.environment) && job.environment.deployment_tier === 'production');

/**
 * CI06: a job deploying to production runs only when played by hand (every rule that can add it says `manual`),
 * only on the default branch (or main/master, or a tag), and holds a resource group.
 */
export function ungatedProduction(jobs: Map<string, GitlabJob>): string[] {
  return [...jobs].filter(([, j]) => isProduction(j)).flatMap(([n, j]) => {
    const problems: string[] = [];
    if (!whens(j).every((w) => w === 'manual' || w === 'never')) problems.push(`${n}: not manual`);
    const rules = rulesOf(j);
    if (!rules || !rules.every((r) => r.when === 'never' || PROTECTED_REF.test(String(r.if ?? '')))) problems.push(`${n}: not limited to the default branch`);
    if (!j.resource_group) problems.push(`${n}: resource_group ${j.resource_group}`);
    return problems;
  });
}

/** CI07: deploys, pushes and anything holding cloud ID tokens say `interruptible: false` explicitly. */
export function interruptibleDeploys(jobs: Map<string, GitlabJob>): string[] {
  return [...jobs].filter(([, j]) => (envName(j) !== undefined || j.id_tokens !== undefined) && j.interruptible !== false).map(([n]) => n);
}

export function missingTimeouts(doc: GitlabDoc, jobs: Map<string, GitlabJob>): string[] {
  return [...jobs].filter(([, j]) => !j.timeout && !doc.default?.timeout).map(([n]) => n);
}

const imageName = (i: unknown): string[] => (typeof i === 'string' ? [i] : isObject(i) && typeof i.name === 'string' ? [i.name] : []);

/** CI02 [images pinned]: job and service images, `default:`, and `*_IMAGE` variables the scripts `docker run`. */
export function unpinnedImages(doc: GitlabDoc, jobs: Map<string, GitlabJob>): string[] {
  const vars = { ...(doc.variables ?? {}) } as Record<string, unknown>;
  const expand = (s: string) => s.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (m, v: string) => (typeof vars[v] === 'string' ? (vars[v] as string) : m));
  const top = { image: doc.image, services: doc.services } as GitlabJob;
  const refs = [
    ...[top, doc.default, ...jobs.values()].flatMap((j) => [...imageName(j?.image), ...(Array.isArray(j?.services) ? j.services : []).flatMap(imageName)]),
    ...Object.entries(vars).filter(([k]) => k.endsWith('_IMAGE')).map(([, v]) => String(v)),
  ];
  return [...new Set(refs.map(expand))].filter((r) => !isPinnedImage(r));
}

const SECRET_KEY = /PASSWORD|SECRET|TOKEN|PRIVATE|CREDENTIAL|_KEY$/i;
const SECRET_VALUE = /AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|\bgh[pousr]_[A-Za-z0-9]{30,}|\bglpat-[A-Za-z0-9_-]{20,}/;

/** No secret as a literal: secret-named variables hold `$VAR` references (or an allowed throwaway value). */
export function secretLiterals(doc: GitlabDoc, jobs: Map<string, GitlabJob>, allowed: readonly string[] = []): string[] {
  const scopes: [string, Record<string, unknown> | undefined][] = [['variables', doc.variables], ...[...jobs].map(([n, j]) => [n, j.variables] as [string, Record<string, unknown> | undefined])];
  const named = scopes.flatMap(([scope, vars]) =>
    Object.entries(vars ?? {})
      .map(([k, v]) => [k, isObject(v) ? v.value : v] as const)
      .filter(([k, v]) => SECRET_KEY.test(k) && v !== undefined && String(v) !== '' && !/^\$\{?[A-Za-z_]\w*\}?$/.test(String(v)) && !allowed.includes(String(v)))
      .map(([k]) => `${scope}: ${k}`),
  );
  const strings: string[] = [];
  const walk = (v: unknown) => (typeof v === 'string' ? strings.push(v) : Array.isArray(v) ? v.forEach(walk) : isObject(v) ? Object.values(v).forEach(walk) : undefined);
  walk(doc);
  return [...named, ...strings.filter((s) => SECRET_VALUE.test(s)).map((s) => `secret-looking value: ${s.slice(0, 20)}…`)];
}

/** A job's shell: before_script then script, nested lists flattened (GitLab runs them in one shell). */
export function jobShell(job: GitlabJob): string {
  const lines = (v: unknown): string[] => (v === undefined ? [] : Array.isArray(v) ? v.flatMap(lines) : [String(v)]);
  return [...lines(job.before_script), ...lines(job.script)].join('\n');
}

// ---------- the checker ----------

const rules: Record<string, Rule> = {
  'GL-SYNTAX': SYNTAX_RULE,
  CI02: { level: 'MUST', why: 'an unpinned image changes under the pipeline between two runs', fix: 'pin every image (jobs, services, default, *_IMAGE variables) to an exact version tag or a digest' },
  CI03: { level: 'MUST', why: 'a secret in .gitlab-ci.yml is in git forever; stored cloud keys live forever when leaked', fix: 'keep secrets in protected CI/CD variables (`$VAR`); log in to clouds with `id_tokens` (OIDC) instead of keys' },
  CI05: { level: 'MUST', why: 'only a scanned image may be deployed (scope: pipelines that build an image; rollback jobs re-deploy scanned digests)', fix: 'make every deploy job (one with an environment) need the scan job, directly or through needs/stages' },
  CI06: { level: 'MUST', why: 'production changes need a person to approve them, from the protected branch, one at a time (scope: jobs with a production environment)', fix: 'production deploy job: rules with `if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH` and `when: manual`, and a resource_group' },
  CI07: { level: 'MUST', why: 'a hung job holds a runner; an interrupted deploy leaves an environment half-rolled', fix: 'set timeout (per job or in default:); `interruptible: false` on deploys, pushes and jobs with id_tokens' },
};

const LONG_LIVED_KEY = /\$\{?(AWS_SECRET_ACCESS_KEY|AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET|GOOGLE_CREDENTIALS|GCLOUD_SERVICE_KEY|GCP_SA_KEY|GCP_SERVICE_ACCOUNT_KEY)\b/;
const BUILDS_IMAGE = /\b(docker (buildx )?build|buildah (bud|build)|podman build|kaniko|buildctl)\b/;

export const gitlabChecker: Checker = {
  name: 'gitlab-ci',
  rules,
  async check(repo: Repo): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const file of repo.files.filter((f) => f === '.gitlab-ci.yml' || f.endsWith('/.gitlab-ci.yml'))) {
      try {
        const src = repo.read(file);
        const yaml = parseYamlFile(src);
        const at = (line: number, rule: string, message: string) => findings.push({ file, line, rule, message });
        /** Where a literal first appears (the check itself ran on the parsed object); 0 if nowhere. */
        const lineOfText = (text: string) => src.split('\n').findIndex((l) => l.includes(text)) + 1;
        for (const e of yaml.errors) at(e.line, 'GL-SYNTAX', e.message);
        if (yaml.errors.length > 0) continue;
        if (!isObject(yaml.value)) {
          at(1, 'GL-SYNTAX', 'a pipeline is a mapping of jobs and global keywords');
          continue;
        }
        const doc = yaml.value as GitlabDoc;
        if (!gitlabSchemaPath()) repo.skip('GitLab CI schema (schemas/gitlab-ci.json not shipped)');
        else {
          for (const e of deepestErrors(gitlabSchemaErrors(doc)).slice(0, 20)) {
            const path = [...pointerPath(e.instancePath), ...(typeof e.params.additionalProperty === 'string' ? [e.params.additionalProperty] : [])];
            at(yaml.line(path), 'GL-SYNTAX', `${e.instancePath || '/'} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`);
          }
        }
        // With `include:`, jobs, templates and stages may come from other files: cross-references are not judged.
        const included = doc.include !== undefined;
        let jobs: Map<string, GitlabJob>;
        try {
          jobs = gitlabJobs(doc, included);
        } catch (error) {
          at(1, 'GL-SYNTAX', (error as Error).message);
          continue;
        }
        const job = (name: string) => yaml.line([name]);
        /** The line of the job a problem message starts with (job names may contain `:` and spaces). */
        const jobOf = (problem: string) => job([...jobs.keys()].filter((n) => problem.startsWith(n)).sort((a, b) => b.length - a.length)[0] ?? '');
        if (!included) {
          for (const n of jobsWithoutScript(jobs)) at(job(n), 'GL-SYNTAX', `${n}: no script`);
          for (const p of undeclaredStages(doc, jobs)) at(jobOf(p), 'GL-SYNTAX', `${p} is not in stages:`);
          for (const p of danglingNeeds(jobs)) at(jobOf(p), 'GL-SYNTAX', `${p}, which does not exist`);
        }
        for (const ref of unpinnedImages(doc, jobs)) at(lineOfText(ref), 'CI02', `image ${ref} is not pinned to a version`);
        // Credentials of a job's throwaway `services:` (a test database) are not secrets.
        const throwaway = [...jobs.values()].filter((j) => Array.isArray(j.services) && j.services.length > 0).flatMap((j) => Object.values(j.variables ?? {}).map(String));
        for (const p of secretLiterals(doc, jobs, throwaway)) {
          const [scope, key] = p.split(': ');
          at(p.startsWith('secret-looking') ? 0 : yaml.line(scope === 'variables' ? ['variables', key!] : [scope!, 'variables', key!]), 'CI03', p.startsWith('secret-looking') ? p : `${scope}: variable ${key} holds a literal secret`);
        }
        for (const [n, j] of jobs) {
          const key = LONG_LIVED_KEY.exec(`${jobShell(j)}\n${Object.values(j.variables ?? {}).join('\n')}`)?.[1];
          if (key) at(job(n), 'CI03', `${n}: uses the long-lived cloud key ${key}`);
        }
        const stages = ['.pre', ...(Array.isArray(doc.stages) ? doc.stages : DEFAULT_STAGES), '.post'];
        if ([...jobs.values()].some((j) => BUILDS_IMAGE.test(jobShell(j)))) {
          for (const n of deploysWithoutScan(jobs, (name) => /rollback|redeploy/i.test(name), stages)) at(job(n), 'CI05', `${n}: deploys without needing a scan job`);
        }
        for (const p of ungatedProduction(jobs)) at(jobOf(p), 'CI06', p);
        for (const n of missingTimeouts(doc, jobs)) at(job(n), 'CI07', `${n}: no timeout (nor default: timeout)`);
        for (const n of interruptibleDeploys(jobs)) {
          if ((jobs.get(n)!.interruptible ?? doc.default?.interruptible) === true) at(job(n), 'CI07', `${n}: a deploy or ID-token job is interruptible`);
        }
      } catch (error) {
        // A file shaped in a way our rules did not foresee: say so rather than abort the whole run.
        repo.skip(`GitLab CI rules on ${file} (${(error as Error).message})`);
      }
    }
    return findings;
  },
};
