/**
 * GitLab CI checks: GitLab's own `ci.json` schema (test/fixtures/gitlab-ci-schema, see its README) through ajv,
 * plus the rules the schema cannot express, checked on the parsed object with `extends:` resolved the way
 * GitLab does (hashes merged deeply, everything else replaced). Each checker returns its findings as strings.
 */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';

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

export const SCHEMA_PATH = new URL('../fixtures/gitlab-ci-schema/ci.json', import.meta.url);

/** Top-level keys that are settings, not jobs (docs: "Global keywords"). */
const GLOBAL_KEYS = new Set(['stages', 'variables', 'default', 'workflow', 'include', 'image', 'services', 'cache', 'before_script', 'after_script', 'spec', 'pages:deploy']);
const BUILTIN_STAGES = ['.pre', '.post'];

let validator: ValidateFunction | undefined;
/** GitLab's schema. `ajv-formats` is no dependency: the four formats it uses get minimal checks of their own. */
export function validateGitlabSchema(doc: unknown): string[] {
  if (!validator) {
    const ajv = new Ajv({ strict: false, allErrors: true });
    ajv.addFormat('uri', /^[a-z][a-z0-9+.-]*:\S*$/i);
    ajv.addFormat('uri-reference', /^\S*$/);
    ajv.addFormat('date-time', (s: string) => !Number.isNaN(Date.parse(s)));
    ajv.addFormat('regex', (s: string) => {
      try {
        new RegExp(s);
        return true;
      } catch {
        return false;
      }
    });
    validator = ajv.compile(JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as object);
  }
  return validator(doc) ? [] : (validator.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message} ${JSON.stringify(e.params)}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObject(v) && isObject(out[k]) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** Every job (hidden templates excluded) with `extends:` resolved; `default:` keywords are not merged in. */
export function gitlabJobs(doc: GitlabDoc): Map<string, GitlabJob> {
  const resolve = (name: string, seen: string[]): GitlabJob => {
    if (seen.includes(name)) throw new Error(`extends cycle: ${[...seen, name].join(' -> ')}`);
    const own = doc[name];
    if (!isObject(own)) throw new Error(`extends: no job or template named ${name}`);
    const parents = own.extends === undefined ? [] : ([] as string[]).concat(own.extends as string | string[]);
    const merged = parents.reduce<Record<string, unknown>>((acc, p) => deepMerge(acc, resolve(p, [...seen, name])), {});
    const { extends: _drop, ...rest } = own;
    return deepMerge(merged, rest) as GitlabJob;
  };
  const names = Object.keys(doc).filter((k) => !GLOBAL_KEYS.has(k) && !k.startsWith('.'));
  return new Map(names.map((n) => [n, resolve(n, [])]));
}

const needsOf = (job: GitlabJob): string[] => (job.needs ?? []).map((n) => (typeof n === 'string' ? n : n.job));
const envName = (job: GitlabJob): string | undefined => (typeof job.environment === 'string' ? job.environment : job.environment?.name);

/** Jobs GitLab would reject at pipeline creation: no `script` (nor `trigger`/`run`). */
export function jobsWithoutScript(jobs: Map<string, GitlabJob>): string[] {
  return [...jobs].filter(([, j]) => j.script === undefined && j.trigger === undefined && j.run === undefined).map(([n]) => n);
}

export function undeclaredStages(doc: GitlabDoc, jobs: Map<string, GitlabJob>): string[] {
  const stages = [...(doc.stages ?? ['build', 'test', 'deploy']), ...BUILTIN_STAGES];
  return [...jobs].filter(([, j]) => !stages.includes(j.stage ?? 'test')).map(([n, j]) => `${n}: stage ${j.stage ?? 'test'}`);
}

export function danglingNeeds(jobs: Map<string, GitlabJob>): string[] {
  return [...jobs].flatMap(([n, j]) => needsOf(j).filter((need) => !jobs.has(need)).map((need) => `${n} needs ${need}`));
}

/** `needs:` reach (transitively): what must have succeeded before a job starts. */
export function needsClosure(jobs: Map<string, GitlabJob>, name: string): Set<string> {
  const seen = new Set<string>();
  const walk = (n: string) => {
    for (const need of needsOf(jobs.get(n) ?? {})) if (!seen.has(need)) { seen.add(need); walk(need); }
  };
  walk(name);
  return seen;
}

/** CI05: every job that deploys (has an environment) runs only after `scan`; `exempt` names re-deploy jobs. */
export function deploysWithoutScan(jobs: Map<string, GitlabJob>, exempt: (name: string) => boolean = () => false): string[] {
  return [...jobs].filter(([n, j]) => envName(j) !== undefined && !exempt(n) && !needsClosure(jobs, n).has('scan')).map(([n]) => n);
}

/** The rule outcomes of a job: each rule's `when` (default on_success), or the job's own `when` without rules. */
const whens = (job: GitlabJob): string[] => (job.rules ? job.rules.map((r) => r.when ?? 'on_success') : [job.when ?? 'on_success']);

/**
 * CI06: a job deploying to `production` runs only when played by hand (every rule that can add it says
 * `manual`), only on the default branch, and holds the environment's resource group.
 */
export function ungatedProduction(jobs: Map<string, GitlabJob>): string[] {
  return [...jobs].filter(([, j]) => envName(j) === 'production').flatMap(([n, j]) => {
    const problems: string[] = [];
    if (!whens(j).every((w) => w === 'manual' || w === 'never')) problems.push(`${n}: not manual`);
    if (!j.rules || !j.rules.every((r) => r.when === 'never' || (r.if ?? '').includes('$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH'))) problems.push(`${n}: not limited to the default branch`);
    if (j.resource_group !== 'production') problems.push(`${n}: resource_group ${j.resource_group}`);
    return problems;
  });
}

/** CI07: deploys, pushes and anything holding cloud ID tokens are never interrupted; every job has a timeout. */
export function interruptibleDeploys(jobs: Map<string, GitlabJob>): string[] {
  return [...jobs].filter(([, j]) => (envName(j) !== undefined || j.id_tokens !== undefined) && j.interruptible !== false).map(([n]) => n);
}

export function missingTimeouts(doc: GitlabDoc, jobs: Map<string, GitlabJob>): string[] {
  return [...jobs].filter(([, j]) => !j.timeout && !doc.default?.timeout).map(([n]) => n);
}

const imageName = (i: string | { name: string }) => (typeof i === 'string' ? i : i.name);
/** An exact tag (with a digit, not latest) or a digest; `$VAR` references are resolved from the variables. */
export function isPinnedImage(ref: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
  const tag = /:([^:/@]+)$/.exec(ref)?.[1];
  return tag !== undefined && tag !== 'latest' && /\d/.test(tag);
}

/** CI02 [images pinned]: job and service images, `default:`, and `*_IMAGE` variables the scripts `docker run`. */
export function unpinnedImages(doc: GitlabDoc, jobs: Map<string, GitlabJob>): string[] {
  const vars = { ...(doc.variables ?? {}) } as Record<string, unknown>;
  const expand = (s: string) => s.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (m, v: string) => (typeof vars[v] === 'string' ? (vars[v] as string) : m));
  const refs = [
    ...[doc.default, ...jobs.values()].flatMap((j) => [...(j?.image ? [imageName(j.image)] : []), ...(j?.services ?? []).map(imageName)]),
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
      .filter(([k, v]) => SECRET_KEY.test(k) && !/^\$\{?[A-Za-z_]\w*\}?$/.test(String(v)) && !allowed.includes(String(v)))
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
