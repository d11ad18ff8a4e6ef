/**
 * --gitops argocd: the Argo CD AppProject and Applications (checked field by field on the parsed objects: no CRD
 * schema offline), the overlays as Argo CD builds them (real `kubectl kustomize`), the migration Job as a sync
 * hook, no leak into kits without GitOps, and the CI deploy that commits the digest instead of applying it: its
 * partials rendered into minimal workflows (actionlint, GitLab's schema, ShellCheck) and its commit script run
 * for real against a bare Git remote.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ejs from 'ejs';
import YAML from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { checkKubernetes, type Obj } from '../src/check/kubernetes.js';
import { templatesDir } from '../src/paths.js';
import { buildContext, CONTEXT_KEYS, type RenderContext } from '../src/render/context.js';
import { EJS_OPTIONS } from '../src/render/render.js';
import { lintWorkflow } from '../src/check/github.js';
import type { Workflow } from './helpers/ci-github.js';
import { jobShell, validateGitlabSchema } from './helpers/ci-gitlab.js';
import { shellcheck } from './helpers/ci-shell.js';
import { answersWith, renderToDir, renderToMemory, repoWith, tempDir } from './helpers/render.js';
import { hasCommand, kubectlKustomize, parseYamlDocs } from './helpers/validators.js';

const REPO_URL = 'https://github.com/acme/shop.git';
const GITOPS: Partial<Answers> = { gitops: 'argocd', repoUrl: REPO_URL, database: 'postgres' };
const ENVS = ['staging', 'production'] as const;
const ARGO = 'argoproj.io/v1alpha1';
const N = answersWith(GITOPS).name;
const digest = (c: string): string => `sha256:${c.repeat(64)}`;

const build = (dir: string, env: string): Obj[] => parseYamlDocs(kubectlKustomize(join(dir, 'kubernetes/overlays', env))) as Obj[];
const annotations = (o: Obj | undefined): Record<string, string> => o?.metadata?.annotations ?? {};
const argoAnnotations = (o: Obj): Record<string, string> => Object.fromEntries(Object.entries(annotations(o)).filter(([k]) => k.startsWith('argocd.argoproj.io/')));
const mainImage = (o: Obj | undefined): string | undefined => o?.spec?.template?.spec?.containers?.[0]?.image;

// ---------- Argo CD objects: required fields and types, on the parsed objects ----------

interface ArgoWant { name: string; repoUrl: string; kit: ReadonlyMap<string, string> }

const APP_SPEC = new Set(['project', 'source', 'destination', 'syncPolicy', 'revisionHistoryLimit', 'ignoreDifferences', 'info']);
const SOURCE = new Set(['repoURL', 'targetRevision', 'path', 'kustomize']);
const SYNC_POLICY = new Set(['automated', 'syncOptions', 'retry', 'managedNamespaceMetadata']);
const SYNC_OPTIONS = new Set(['CreateNamespace', 'PruneLast', 'ServerSideApply', 'FailOnSharedResource', 'ApplyOutOfSyncOnly', 'RespectIgnoreDifferences', 'Validate', 'PrunePropagationPolicy', 'Replace']);
const PROJECT_SPEC = new Set(['description', 'sourceRepos', 'destinations', 'clusterResourceWhitelist', 'clusterResourceBlacklist', 'namespaceResourceWhitelist', 'namespaceResourceBlacklist', 'orphanedResources', 'roles', 'syncWindows', 'sourceNamespaces']);

function unknownKeys(o: unknown, known: Set<string>, where: string): string[] {
  return o && typeof o === 'object' ? Object.keys(o).filter((k) => !known.has(k)).map((k) => `${where}.${k} is not a field`) : [`${where} is not an object`];
}
const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0;

/** Problems of kubernetes/argocd as built (`kubectl kustomize`), "" free: an empty list means valid. */
function argoProblems(objects: readonly Obj[], want: ArgoWant): string[] {
  const out: string[] = [];
  const fail = (m: string): void => void out.push(m);
  for (const o of objects) {
    if (o.apiVersion !== ARGO) fail(`${o.kind}: apiVersion ${o.apiVersion}`);
    if (o.metadata?.namespace !== 'argocd') fail(`${o.kind}/${o.metadata?.name}: not in namespace argocd`);
  }
  const projects = objects.filter((o) => o.kind === 'AppProject');
  const project = projects[0];
  if (projects.length !== 1 || !project) return [...out, `expected one AppProject, found ${projects.length}`];
  const ps = project.spec;
  out.push(...unknownKeys(ps, PROJECT_SPEC, 'AppProject.spec'));
  if (project.metadata?.name !== want.name) fail(`AppProject is named ${project.metadata?.name}`);
  if (JSON.stringify(ps?.sourceRepos) !== JSON.stringify([want.repoUrl])) fail(`sourceRepos ${JSON.stringify(ps?.sourceRepos)}`);
  const dests: Obj[] = Array.isArray(ps?.destinations) ? ps.destinations : [];
  if (dests.length === 0) fail('AppProject has no destinations');
  for (const d of dests) {
    if (d.namespace !== want.name) fail(`AppProject destination namespace ${d.namespace}`);
    if (!isStr(d.name) && !isStr(d.server)) fail('AppProject destination without a cluster name or server');
  }
  if (!Array.isArray(ps?.clusterResourceWhitelist) || ps.clusterResourceWhitelist.length !== 0) fail('cluster-scoped objects are allowed');
  const kinds: Obj[] = Array.isArray(ps?.namespaceResourceWhitelist) ? ps.namespaceResourceWhitelist : [];
  if (kinds.length === 0 || kinds.some((k) => typeof k.group !== 'string' || !isStr(k.kind) || k.kind === '*' || k.group === '*')) fail('namespaceResourceWhitelist is missing, malformed or a wildcard');
  if (kinds.some((k) => /^(Role|RoleBinding|Secret)$/.test(k.kind))) fail('the project lets a commit grant rights or write Secrets');

  const apps = objects.filter((o) => o.kind === 'Application');
  if (JSON.stringify(apps.map((a) => a.metadata?.name).sort()) !== JSON.stringify(ENVS.map((e) => `${want.name}-${e}`).sort())) fail(`Applications ${apps.map((a) => a.metadata?.name)}`);
  for (const app of apps) {
    const env = String(app.metadata?.name).slice(want.name.length + 1);
    const s = app.spec;
    const at = `Application ${app.metadata?.name}`;
    out.push(...unknownKeys(s, APP_SPEC, `${at} spec`), ...unknownKeys(s?.source, SOURCE, `${at} source`), ...unknownKeys(s?.syncPolicy, SYNC_POLICY, `${at} syncPolicy`));
    if (s?.project !== project.metadata?.name) fail(`${at}: project ${s?.project}`);
    if (s?.source?.repoURL !== want.repoUrl) fail(`${at}: repoURL ${s?.source?.repoURL}`);
    if (s?.source?.targetRevision !== 'main') fail(`${at}: targetRevision ${s?.source?.targetRevision}`);
    if (s?.source?.path !== `kubernetes/overlays/${env}`) fail(`${at}: path ${s?.source?.path}`);
    if (!want.kit.has(`${s?.source?.path}/kustomization.yaml`)) fail(`${at}: no kustomization at ${s?.source?.path}`);
    const d = s?.destination ?? {};
    if (d.namespace !== want.name) fail(`${at}: destination namespace ${d.namespace}`);
    if (!dests.some((p) => p.name === d.name && p.server === d.server && p.namespace === d.namespace)) fail(`${at}: destination not allowed by the AppProject`);
    if (!isStr(d.name) || d.name !== `${want.name}-${env}`) fail(`${at}: destination cluster ${d.name}`);
    const auto = s?.syncPolicy?.automated;
    if (auto?.prune !== true || auto?.selfHeal !== true) fail(`${at}: not automated with prune and selfHeal`);
    const opts: unknown[] = Array.isArray(s?.syncPolicy?.syncOptions) ? s.syncPolicy.syncOptions : [];
    const parsed = new Map(opts.map((o) => String(o).split('=') as [string, string]));
    if (opts.some((o) => !/^[A-Za-z]+=(true|false)$/.test(String(o)) || !SYNC_OPTIONS.has(String(o).split('=')[0]!))) fail(`${at}: syncOptions ${JSON.stringify(opts)}`);
    for (const [k, v] of [['CreateNamespace', 'false'], ['PruneLast', 'true'], ['ServerSideApply', 'true']]) if (parsed.get(k!) !== v) fail(`${at}: ${k} is not ${v}`);
    const retry = s?.syncPolicy?.retry;
    if (!isInt(retry?.limit) || !/^\d+[smh]$/.test(retry?.backoff?.duration) || !/^\d+[smh]$/.test(retry?.backoff?.maxDuration) || !isInt(retry?.backoff?.factor)) fail(`${at}: retry ${JSON.stringify(retry)}`);
    if (!isInt(s?.revisionHistoryLimit)) fail(`${at}: revisionHistoryLimit ${s?.revisionHistoryLimit}`);
  }
  return out;
}

// ---------- renders ----------

let gitops: { dir: string; files: Map<string, string> };
let plain: Map<string, string>;
const built = new Map<string, Obj[]>();

beforeAll(() => {
  gitops = renderToDir(GITOPS, ['kustomize']);
  plain = renderToMemory({ database: 'postgres' }, ['kustomize']);
  for (const env of ENVS) built.set(env, build(gitops.dir, env));
});

describe('kustomize piece with --gitops argocd', () => {
  it('renders kubernetes/argocd and a release Component per overlay, and no migrate.sh (the overlays run the Job)', () => {
    const paths = [...gitops.files.keys()];
    expect(paths.filter((p) => p.startsWith('kubernetes/argocd/')).sort()).toEqual(
      ['kustomization.yaml', 'production.yaml', 'project.yaml', 'staging.yaml'].map((f) => `kubernetes/argocd/${f}`),
    );
    expect(paths.filter((p) => p.includes('/release/')).sort()).toEqual(ENVS.map((e) => `kubernetes/overlays/${e}/release/kustomization.yaml`).sort());
    expect(paths).not.toContain('kubernetes/components/migrate/migrate.sh');
  });

  it('the Argo CD objects build and are a valid AppProject + one Application per environment', () => {
    const objects = parseYamlDocs(kubectlKustomize(join(gitops.dir, 'kubernetes/argocd'))) as Obj[];
    expect(objects.map((o) => o.kind).sort()).toEqual(['AppProject', 'Application', 'Application']);
    expect(argoProblems(objects, { name: N, repoUrl: REPO_URL, kit: gitops.files })).toEqual([]);
  });

  describe('the Argo CD checks can fail', () => {
    const objects = (): Obj[] => parseYamlDocs(kubectlKustomize(join(gitops.dir, 'kubernetes/argocd'))) as Obj[];
    const app = (o: Obj[], env = 'production'): Obj => o.find((x) => x.metadata?.name === `${N}-${env}`)!;
    const project = (o: Obj[]): Obj => o.find((x) => x.kind === 'AppProject')!;
    const cases: [string, (o: Obj[]) => void, RegExp][] = [
      ['another repository', (o) => (app(o).spec.source.repoURL = 'https://github.com/evil/shop.git'), /repoURL/],
      ['the staging overlay in production', (o) => (app(o).spec.source.path = 'kubernetes/overlays/staging'), /path/],
      ['a path with no kustomization', (o) => (app(o, 'staging').spec.source.path = 'kubernetes/overlays/qa'), /no kustomization|path/],
      ['another namespace', (o) => (app(o).spec.destination.namespace = 'kube-system'), /destination namespace/],
      ['a destination the project does not allow', (o) => (app(o).spec.destination.name = 'other'), /not allowed/],
      ['a typo in spec', (o) => (app(o).spec.syncpolicy = app(o).spec.syncPolicy), /syncpolicy is not a field/],
      ['no selfHeal', (o) => delete app(o).spec.syncPolicy.automated.selfHeal, /selfHeal/],
      ['namespace created by Argo CD', (o) => (app(o).spec.syncPolicy.syncOptions = ['CreateNamespace=true', 'PruneLast=true', 'ServerSideApply=true']), /CreateNamespace/],
      ['a malformed sync option', (o) => app(o).spec.syncPolicy.syncOptions.push('PruneLast'), /syncOptions/],
      ['revisionHistoryLimit as a string', (o) => (app(o).spec.revisionHistoryLimit = '10'), /revisionHistoryLimit/],
      ['any repository', (o) => (project(o).spec.sourceRepos = ['*']), /sourceRepos/],
      ['cluster-scoped objects allowed', (o) => (project(o).spec.clusterResourceWhitelist = [{ group: '*', kind: '*' }]), /cluster-scoped/],
      ['RoleBindings allowed', (o) => project(o).spec.namespaceResourceWhitelist.push({ group: 'rbac.authorization.k8s.io', kind: 'RoleBinding' }), /grant rights/],
      ['wrong apiVersion', (o) => (app(o).apiVersion = 'argoproj.io/v1'), /apiVersion/],
    ];
    it('passes the unmodified objects', () => expect(argoProblems(objects(), { name: N, repoUrl: REPO_URL, kit: gitops.files })).toEqual([]));
    it.each(cases)('%s', (_label, mutate, expected) => {
      const o = objects();
      mutate(o);
      expect(argoProblems(o, { name: N, repoUrl: REPO_URL, kit: gitops.files }).join('\n')).toMatch(expected);
    });
  });

  it.each(ENVS)('%s: builds with the release Component: the image is pinned there for the Deployment and the Job alike', (env) => {
    const objects = built.get(env)!;
    const dep = objects.find((o) => o.kind === 'Deployment');
    const job = objects.find((o) => o.kind === 'Job');
    // Until the first deploy the Component carries the overlay's tag; CI's commit replaces it (below).
    expect(mainImage(dep)).toBe(`${N}:0.1.0`);
    expect(mainImage(job)).toBe(mainImage(dep));
    const release = YAML.parse(gitops.files.get(`kubernetes/overlays/${env}/release/kustomization.yaml`)!);
    expect(release).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', images: [{ name: N, newTag: '0.1.0' }] });
    expect(YAML.parse(gitops.files.get(`kubernetes/overlays/${env}/kustomization.yaml`)!).components).toEqual(['../../components/migrate', 'release']);
  });

  it.each(ENVS)('%s: only kinds the AppProject allows, no Namespace (cluster admin), and the K rules hold', (env) => {
    const objects = built.get(env)!;
    const project = YAML.parse(gitops.files.get('kubernetes/argocd/project.yaml')!);
    const allowed = new Set((project.spec.namespaceResourceWhitelist as Obj[]).map((k) => `${k.group}/${k.kind}`));
    const group = (o: Obj): string => (String(o.apiVersion).includes('/') ? String(o.apiVersion).split('/')[0]! : '');
    expect(objects.filter((o) => !allowed.has(`${group(o)}/${o.kind}`)).map((o) => o.kind)).toEqual([]);
    expect(objects.filter((o) => o.metadata?.namespace !== N).map((o) => o.kind)).toEqual([]);
    // K12: the Namespace is the cluster admin's (kubernetes/base/namespace.yaml, applied by hand): it holds
    // because the repo declares it restricted, and only then.
    const expect12 = { production: env === 'production', port: answersWith(GITOPS).port, healthPath: answersWith(GITOPS).healthPath };
    const declared = YAML.parse(gitops.files.get('kubernetes/base/namespace.yaml')!) as Obj;
    expect(declared.metadata.labels['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const problems = checkKubernetes(objects, { ...expect12, restrictedNamespaces: new Set([declared.metadata.name]) });
    expect(problems.map((p) => `${p.rule} ${p.message}`)).toEqual([]);
    expect(checkKubernetes(objects, expect12).map((p) => p.rule)).toContain('K12');
  });

  it.each(ENVS)('%s: the migration Job is an Argo CD sync hook between the config (wave 0) and the Deployment (wave 2)', (env) => {
    const objects = built.get(env)!;
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(argoAnnotations(job)).toEqual({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
      'argocd.argoproj.io/sync-wave': '1',
    });
    const waves = Object.fromEntries(objects.filter((o) => o.kind !== 'Job').map((o) => [o.kind, argoAnnotations(o)['argocd.argoproj.io/sync-wave'] ?? '0']));
    expect(waves).toEqual({
      ServiceAccount: '0', ConfigMap: '0', Service: '0', PodDisruptionBudget: '0', NetworkPolicy: '0', SecretStore: '0', ExternalSecret: '0',
      Deployment: '2', HorizontalPodAutoscaler: '2',
    });
    // The Job reads the same (hashed) ConfigMap and Secret as the Deployment: both exist by wave 1.
    const cm = objects.find((o) => o.kind === 'ConfigMap')!.metadata.name;
    expect(job.spec.template.spec.containers[0].envFrom[0].configMapRef.name).toBe(cm);
  });

  it('without a database: no Job, no waves, just the release Component', () => {
    const { dir, files } = renderToDir({ ...GITOPS, database: 'none' }, ['kustomize']);
    expect(YAML.parse(files.get('kubernetes/overlays/staging/kustomization.yaml')!).components).toEqual(['release']);
    const objects = build(dir, 'production');
    expect(objects.filter((o) => o.kind === 'Job' || o.kind === 'Namespace')).toEqual([]);
    expect(objects.filter((o) => Object.keys(argoAnnotations(o)).length > 0)).toEqual([]);
    const project = YAML.parse(files.get('kubernetes/argocd/project.yaml')!);
    expect((project.spec.namespaceResourceWhitelist as Obj[]).map((k) => k.kind)).not.toContain('Job');
  });
});

describe('kits without GitOps are unchanged', () => {
  it('render no Argo CD file, no release Component, and keep migrate.sh', () => {
    expect([...plain.keys()].filter((p) => p.includes('argocd') || p.includes('/release/'))).toEqual([]);
    expect(plain.has('kubernetes/components/migrate/migrate.sh')).toBe(true);
    expect([...plain.values()].filter((c) => c.includes('argocd.argoproj.io'))).toEqual([]);
  });

  it('differ from a GitOps kit only in the files GitOps changes', () => {
    const changed = [...plain.keys()].filter((p) => gitops.files.get(p) !== plain.get(p)).sort();
    expect(changed).toEqual([
      'kubernetes/components/migrate/job.yaml',
      'kubernetes/components/migrate/kustomization.yaml',
      'kubernetes/components/migrate/migrate.sh',
      'kubernetes/overlays/production/kustomization.yaml',
      'kubernetes/overlays/staging/kustomization.yaml',
    ]);
    for (const env of ENVS) {
      const k = YAML.parse(plain.get(`kubernetes/overlays/${env}/kustomization.yaml`)!);
      expect(k.components).toBeUndefined();
      // The GitOps overlay is the plain one plus its components: nothing else moved.
      const { components, ...rest } = YAML.parse(gitops.files.get(`kubernetes/overlays/${env}/kustomization.yaml`)!);
      expect(components).toBeDefined();
      expect(rest).toEqual(k);
    }
    expect(YAML.parse(plain.get('kubernetes/components/migrate/kustomization.yaml')!)).toEqual({
      apiVersion: 'kustomize.config.k8s.io/v1alpha1', kind: 'Component', resources: ['job.yaml'],
    });
    expect(YAML.parse(plain.get('kubernetes/components/migrate/job.yaml')!).metadata.annotations).toBeUndefined();
  });

  it('--gitops none renders exactly what no gitops answer renders', () => {
    expect(renderToMemory({ database: 'postgres', gitops: 'none', repoUrl: '' }, ['kustomize'])).toEqual(plain);
  });
});

// ---------- the CI deploy: partials in minimal pipelines ----------

function renderPartial(template: string, ctx: RenderContext): string {
  const filename = join(templatesDir, template);
  const fn = ejs.compile(readFileSync(filename, 'utf8'), { ...EJS_OPTIONS, filename, destructuredLocals: [...CONTEXT_KEYS] });
  return fn(ctx as unknown as ejs.Data) as string;
}

const CLOUDS = ['aws', 'gcp', 'azure'] as const;
type CloudId = (typeof CLOUDS)[number];
const ctxFor = (cloud: CloudId, database: 'postgres' | 'none' = 'postgres'): RenderContext =>
  buildContext(answersWith({ ...GITOPS, cloud, database }), '0.0.0-test');

function githubHarness(ctx: RenderContext): string {
  const env = renderPartial(`ci/github/partials/cloud/${ctx.cloud.id}/env.yml.ejs`, ctx);
  return `name: harness
on:
  push:
    branches: [main]
permissions:
  contents: read
env:
  APP_NAME: ${ctx.q.yaml(ctx.app.name)}
${env}jobs:
  deploy-staging:
    runs-on: ubuntu-24.04
    timeout-minutes: 20
    environment:
      name: staging
    permissions:
      contents: write
      id-token: write
    env:
      TARGET_ENV: staging
      IMAGE: registry.example.com/${ctx.app.name}
      DIGEST: ${digest('a')}
    steps:
      - uses: ${ctx.uses.checkout}
        with:
          persist-credentials: false
${renderPartial('ci/github/partials/deploy-gitops.yml.ejs', ctx)}`;
}

function gitlabHarness(ctx: RenderContext): string {
  return `deploy-staging:
  image: ${ctx.q.yaml(ctx.ciTooling.images.gcloud)}
  timeout: 20 minutes
  id_tokens:
${renderPartial(`ci/gitlab/partials/cloud/${ctx.cloud.id}/id-tokens.yml.ejs`, ctx)}  variables:
    TARGET_ENV: staging
  script:
${renderPartial('ci/gitlab/partials/deploy-gitops.yml.ejs', ctx)}`;
}

const commitStep = (ctx: RenderContext): string => {
  const wf = YAML.parse(githubHarness(ctx)) as Workflow;
  return wf.jobs['deploy-staging']!.steps.find((s) => s.name === 'Commit the release')!.run!;
};
const gitlabCommitScript = (ctx: RenderContext): string => {
  const script = (YAML.parse(gitlabHarness(ctx))['deploy-staging'].script as string[]);
  return script[script.length - 1]!;
};

/** Shell without its comment lines (which may name commands for the humans reading them). */
const code = (script: string): string => script.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
const CLUSTER_ACCESS = /kubectl|kubelogin|kubeconfig|get-credentials|aks-set-context/;

describe('CI partials', () => {
  it.each(CLOUDS)('GitHub (%s): the deploy steps pass actionlint in a minimal workflow, with no cluster credentials', async (cloud) => {
    const ctx = ctxFor(cloud);
    const src = githubHarness(ctx);
    expect(await lintWorkflow(src, 'harness.yml')).toEqual([]);
    const steps = (YAML.parse(src) as Workflow).jobs['deploy-staging']!.steps;
    const clusterActions = (['setupKubectl', 'gkeCredentials', 'aksSetContext', 'useKubelogin'] as const).map((k) => ctx.uses[k].split(' ')[0]);
    expect(steps.filter((s) => clusterActions.includes(s.uses ?? ''))).toEqual([]);
    expect(steps.map((s) => code(s.run ?? '')).join('\n')).not.toMatch(CLUSTER_ACCESS);
    const commit = steps.find((s) => s.name === 'Commit the release')!;
    expect(commit.env).toEqual({ GITOPS_PUSH_TOKEN: '${{ secrets.GITOPS_PUSH_TOKEN || github.token }}' });
    expect(commit.run).not.toContain('${{');
  });

  it.each(CLOUDS)('GitLab (%s): the script lines are valid GitLab CI, and no cluster credentials', (cloud) => {
    const ctx = ctxFor(cloud);
    const doc = YAML.parse(gitlabHarness(ctx));
    expect(validateGitlabSchema(doc)).toEqual([]);
    expect((doc['deploy-staging'].script as string[]).map(code).join('\n')).not.toMatch(CLUSTER_ACCESS);
  });

  it.each(CLOUDS)('ShellCheck finds nothing in the commit scripts (%s)', { skip: !hasCommand('shellcheck') }, (cloud) => {
    for (const database of ['postgres', 'none'] as const) {
      expect(shellcheck(commitStep(ctxFor(cloud, database)), 'bash')).toBe('');
      expect(shellcheck(gitlabCommitScript(ctxFor(cloud, database)), 'sh')).toBe('');
    }
  });
});

// ---------- the commit, for real: a clone of a bare remote ----------

const IDENTITY: Record<CloudId, Record<string, string>> = {
  aws: { APP_IDENTITY: 'arn:aws:iam::123456789012:role/shop-app-staging' },
  gcp: { APP_IDENTITY: 'shop-app-sta@acme-shop-staging.iam.gserviceaccount.com', APP_PROJECT: 'acme-shop-staging' },
  azure: { APP_IDENTITY: '11111111-2222-3333-4444-555555555555', APP_TENANT: '66666666-7777-8888-9999-000000000000' },
};

interface Remote { bare: string; home: string; cloud: CloudId }

/** A bare remote holding the rendered GitOps kit on main, and a HOME with no git configuration of ours. */
function remoteWithKit(cloud: CloudId): Remote {
  const files = renderToMemory({ ...GITOPS, cloud }, ['kustomize']);
  const seed = repoWith(Object.fromEntries(files));
  const bare = join(tempDir('infra-kit-remote-'), 'shop.git');
  const home = tempDir('infra-kit-home-');
  git(home, 'init', '--quiet', '--bare', '--initial-branch=main', bare);
  git(seed, 'init', '--quiet', '--initial-branch=main');
  git(seed, 'add', '.');
  git(seed, 'commit', '--quiet', '-m', 'kit');
  git(seed, 'push', '--quiet', bare, 'main');
  return { bare, home, cloud };
}

/** Git for the test's own setup: a neutral HOME, and a developer identity for their commits. */
const setupHome = tempDir('infra-kit-home-');
function git(cwd: string, ...args: string[]): string {
  const env = { PATH: process.env.PATH!, HOME: setupHome, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'Dev', GIT_COMMITTER_EMAIL: 'dev@example.com' };
  return execFileSync('git', args, { cwd, encoding: 'utf8', env });
}

/** What the runner's checkout leaves: a shallow clone (GitHub: on branch main; GitLab: a detached HEAD). */
function checkout(r: Remote, detached = false): string {
  const work = join(tempDir('infra-kit-work-'), 'shop');
  git(r.home, 'clone', '--quiet', '--depth', '1', '--branch', 'main', `file://${r.bare}`, work);
  if (detached) git(work, 'checkout', '--quiet', '--detach');
  return work;
}

/** Someone else pushes to main: a commit changing `path`. */
function upstreamCommit(r: Remote, path: string, content: string): string {
  const other = checkout(r);
  mkdirSync(join(other, path, '..'), { recursive: true });
  writeFileSync(join(other, path), content);
  git(other, 'add', '.');
  git(other, 'commit', '--quiet', '-m', `edit ${path}`);
  git(other, 'push', '--quiet', 'origin', 'HEAD:main');
  return git(other, 'rev-parse', 'HEAD').trim();
}

function runGithubCommit(r: Remote, work: string, env: 'staging' | 'production', dig: string, database: 'postgres' | 'none' = 'postgres', extra: Record<string, string> = {}) {
  const summary = join(tempDir(), 'summary.md');
  writeFileSync(summary, '');
  const res = spawnSync('bash', ['--noprofile', '--norc', '-e', '-c', commitStep(ctxFor(r.cloud, database))], {
    cwd: work, encoding: 'utf8',
    env: {
      PATH: process.env.PATH!, HOME: r.home, GIT_CONFIG_NOSYSTEM: '1',
      APP_NAME: N, TARGET_ENV: env, IMAGE: `registry.example.com/acme/${N}`, DIGEST: dig, ...IDENTITY[r.cloud],
      GITHUB_SERVER_URL: 'https://github.com', GITHUB_REPOSITORY: 'acme/shop', GITHUB_RUN_ID: '4242', GITHUB_STEP_SUMMARY: summary,
      GITOPS_PUSH_TOKEN: 'ghs_not-a-real-token', ...extra,
    },
  });
  return { ...res, summary: readFileSync(summary, 'utf8') };
}

const remoteFile = (r: Remote, path: string): string => git(r.home, `--git-dir=${r.bare}`, 'show', `main:${path}`);
const remoteLog = (r: Remote, n = 1): string => git(r.home, `--git-dir=${r.bare}`, 'log', `-${n}`, '--format=%H %P|%an|%s|%b', 'main');

describe('the GitOps deploy commit, run against a bare remote', () => {
  it.each(CLOUDS)('%s: writes the release with the digest and identity, commits it alone and pushes; the overlay then runs that digest', (cloud) => {
    const r = remoteWithKit(cloud);
    const before = git(r.home, `--git-dir=${r.bare}`, 'rev-parse', 'main').trim();
    const res = runGithubCommit(r, checkout(r), 'staging', digest('a'));
    expect(res.status, res.stderr).toBe(0);
    const [head, author, subject, body] = remoteLog(r).split('|');
    expect(head!.split(' ')[1]).toBe(before);
    expect(author).toBe('github-actions[bot]');
    expect(subject).toBe(`deploy(staging): ${digest('a')} [skip ci]`);
    expect(body!.trim()).toBe('Run: https://github.com/acme/shop/actions/runs/4242');
    expect(git(r.home, `--git-dir=${r.bare}`, 'show', '--name-only', '--format=', 'main').trim()).toBe('kubernetes/overlays/staging/release/kustomization.yaml');
    expect(YAML.parse(remoteFile(r, 'kubernetes/overlays/staging/release/kustomization.yaml')).images)
      .toEqual([{ name: N, newName: `registry.example.com/acme/${N}`, digest: digest('a') }]);
    expect(res.summary).toContain(`registry.example.com/acme/${N}@${digest('a')}`);

    // What Argo CD builds from main now.
    const synced = checkout(r);
    const staging = build(synced, 'staging');
    const pinned = `registry.example.com/acme/${N}@${digest('a')}`;
    expect(mainImage(staging.find((o) => o.kind === 'Deployment'))).toBe(pinned);
    expect(mainImage(staging.find((o) => o.kind === 'Job'))).toBe(pinned);
    const sa = staging.find((o) => o.kind === 'ServiceAccount')!;
    expect(Object.values(annotations(sa))).toEqual([IDENTITY[cloud].APP_IDENTITY]);
    const store = staging.find((o) => o.kind === 'SecretStore')!.spec.provider;
    if (cloud === 'gcp') expect(store.gcpsm.projectID).toBe(IDENTITY.gcp.APP_PROJECT);
    if (cloud === 'azure') expect(store.azurekv.tenantId).toBe(IDENTITY.azure.APP_TENANT);
    expect(staging.filter((o) => o.kind === 'Namespace')).toEqual([]);
    expect(mainImage(build(synced, 'production').find((o) => o.kind === 'Deployment'))).toBe(`${N}:0.1.0`);
  });

  it('a rollback (SKIP_MIGRATIONS=true) leaves the migration hook out for its digest; the next deploy brings it back', () => {
    const r = remoteWithKit('aws');
    expect(runGithubCommit(r, checkout(r), 'staging', digest('d'), 'postgres', { SKIP_MIGRATIONS: 'true' }).status).toBe(0);
    const rolledBack = build(checkout(r), 'staging');
    expect(rolledBack.filter((o) => o.kind === 'Job')).toEqual([]);
    expect(mainImage(rolledBack.find((o) => o.kind === 'Deployment'))).toBe(`registry.example.com/acme/${N}@${digest('d')}`);
    expect(runGithubCommit(r, checkout(r), 'staging', digest('e')).status).toBe(0);
    expect(mainImage(build(checkout(r), 'staging').find((o) => o.kind === 'Job'))).toBe(`registry.example.com/acme/${N}@${digest('e')}`);
  });

  it('main moved since the checkout: rebases the release commit onto it and pushes, history stays linear', () => {
    const r = remoteWithKit('aws');
    const work = checkout(r);
    const upstream = upstreamCommit(r, 'docs/notes.md', 'merged meanwhile\n');
    const res = runGithubCommit(r, work, 'production', digest('b'));
    expect(res.status, res.stderr).toBe(0);
    const [head, , subject] = remoteLog(r).split('|');
    expect(head!.split(' ')).toHaveLength(2); // one parent: no merge commit
    expect(head!.split(' ')[1]).toBe(upstream);
    expect(subject).toBe(`deploy(production): ${digest('b')} [skip ci]`);
    expect(remoteFile(r, 'docs/notes.md')).toBe('merged meanwhile\n');
    expect(YAML.parse(remoteFile(r, 'kubernetes/overlays/production/release/kustomization.yaml')).images[0].digest).toBe(digest('b'));
  });

  it('the same digest again: nothing to commit, nothing pushed', () => {
    const r = remoteWithKit('aws');
    expect(runGithubCommit(r, checkout(r), 'staging', digest('c')).status).toBe(0);
    const head = remoteLog(r);
    const again = runGithubCommit(r, checkout(r), 'staging', digest('c'));
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain('nothing to commit');
    expect(remoteLog(r)).toBe(head);
  });

  it('a hand edit of the same release file meanwhile: stops without overwriting it', () => {
    const r = remoteWithKit('aws');
    const work = checkout(r);
    const upstream = upstreamCommit(r, 'kubernetes/overlays/staging/release/kustomization.yaml', 'kind: Component\n# pinned by hand\n');
    const res = runGithubCommit(r, work, 'staging', digest('d'));
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('could not push');
    expect(remoteLog(r).split(' ')[0]).toBe(upstream);
  });

  it('rejects a malformed digest before writing anything', () => {
    const r = remoteWithKit('aws');
    const work = checkout(r);
    const res = runGithubCommit(r, work, 'staging', 'sha256:abc');
    expect(res.status).not.toBe(0);
    expect(res.stderr).toContain('is not sha256:<64 lowercase hex>');
    expect(git(work, 'status', '--porcelain')).toBe('');
  });

  it('rejects an image outside the one rule (templates/ci/partials/check-image-digest.sh.ejs) before writing anything', () => {
    const r = remoteWithKit('aws');
    const work = checkout(r);
    for (const image of [`registry.example.com/acme/other-app`, `registry.example.com/acme/${N}:1.0`, `Registry.example.com/acme/${N}`, `reg:x/acme/${N}`, `registry.example.com/acme/${N}\nregistry.example.com/acme/${N}`]) {
      const res = runGithubCommit(r, work, 'staging', digest('a'), 'postgres', { IMAGE: image });
      expect(res.status, image).not.toBe(0);
      expect(res.stderr, image).toContain(`IMAGE '${image}' is not <registry>[:port]/<path>/${N}`);
      expect(git(work, 'status', '--porcelain'), image).toBe('');
    }
  });

  it('GitLab: from a detached checkout, with the project token, rebases onto a moved main and pushes', () => {
    const r = remoteWithKit('aws');
    const work = checkout(r, true);
    const upstream = upstreamCommit(r, 'README.md', 'meanwhile\n');
    // The job pushes to ${CI_SERVER_URL}/${CI_PROJECT_PATH}.git: here, that URL leads to the bare remote.
    writeFileSync(join(r.home, '.gitconfig'), `[url "file://${r.bare}"]\n\tinsteadOf = https://gitlab.example.com/acme/shop.git\n`);
    const res = spawnSync('sh', ['-e', '-c', gitlabCommitScript(ctxFor('aws'))], {
      cwd: work, encoding: 'utf8',
      env: {
        PATH: process.env.PATH!, HOME: r.home, GIT_CONFIG_NOSYSTEM: '1',
        APP_NAME: N, TARGET_ENV: 'staging', IMAGE: `registry.example.com/acme/${N}`, DIGEST: digest('e'), ...IDENTITY.aws,
        CI_SERVER_URL: 'https://gitlab.example.com', CI_PROJECT_PATH: 'acme/shop', CI_JOB_URL: 'https://gitlab.example.com/acme/shop/-/jobs/7',
        GITLAB_USER_NAME: 'Release Approver', GITLAB_USER_EMAIL: 'approver@example.com', GITOPS_PUSH_TOKEN: 'glpat-not-a-real-token',
      },
    });
    expect(res.status, res.stderr).toBe(0);
    const [head, author, subject, body] = remoteLog(r).split('|');
    expect(head!.split(' ')[1]).toBe(upstream);
    expect(author).toBe('Release Approver');
    expect(subject).toBe(`deploy(staging): ${digest('e')} [skip ci]`);
    expect(body!.trim()).toBe('Job: https://gitlab.example.com/acme/shop/-/jobs/7');
    expect(existsSync(join(work, '.git'))).toBe(true);
  });
});

// ---------- once the lead wires the partials into ci.yml / gitlab-ci.yml ----------

function renderedCi(overrides: Partial<Answers>): Map<string, string> | undefined {
  try {
    return renderToMemory(overrides, ['ci']);
  } catch {
    return undefined; // another helper's template mid-edit: the wiring checks wait
  }
}
const githubCi = renderedCi(GITOPS);
const gitlabCi = renderedCi({ ...GITOPS, ci: 'gitlab' });
const wired = githubCi?.get('.github/workflows/ci.yml')?.includes('release/kustomization.yaml') ?? false;
const wiredGitlab = gitlabCi?.get('.gitlab-ci.yml')?.includes('release/kustomization.yaml') ?? false;

describe('the wired workflows (skipped until ci.yml / gitlab-ci.yml include the GitOps partials)', () => {
  it.skipIf(!wired)('GitHub: ci.yml and rollback.yml pass actionlint; deploy jobs commit with contents: write and never touch the cluster', async () => {
    for (const path of ['.github/workflows/ci.yml', '.github/workflows/rollback.yml']) {
      const src = githubCi!.get(path)!;
      expect(await lintWorkflow(src, path), path).toEqual([]);
      const wf = YAML.parse(src) as Workflow;
      for (const [id, job] of Object.entries(wf.jobs).filter(([id]) => id.startsWith('deploy-') || id === 'rollback')) {
        expect(job.permissions, id).toMatchObject({ contents: 'write', 'id-token': 'write' });
        expect(job.steps.map((s) => code(s.run ?? '')).join('\n'), id).not.toMatch(CLUSTER_ACCESS);
        expect(job.steps.some((s) => s.name === 'Commit the release'), id).toBe(true);
      }
    }
  });

  it.skipIf(!wiredGitlab)('GitLab: deploy and rollback jobs commit the release and never touch the cluster', () => {
    const doc = YAML.parse(gitlabCi!.get('.gitlab-ci.yml')!);
    expect(validateGitlabSchema(doc)).toEqual([]);
    expect(JSON.stringify(doc['.deploy'])).toContain('release/kustomization.yaml');
    for (const id of ['.deploy', '.rollback']) expect(code(jobShell(doc[id])), id).not.toMatch(CLUSTER_ACCESS);
  });
});
