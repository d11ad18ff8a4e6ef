/**
 * `infra-kit check` for Kubernetes, Terraform and cross-file consistency: for each checker a GOOD sample with
 * no finding, failing samples that each trigger one rule only, and every declared rule covered.
 */
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { consistencyChecker } from '../src/check/consistency.js';
import { kubernetesChecker, kubernetesCheckerWith, loadKubernetes, type Obj } from '../src/check/kubernetes.js';
import { describe as describeObject } from '../src/check/kubernetes-rules.js';
import { openRepo } from '../src/check/run.js';
import { terraformChecker } from '../src/check/terraform.js';
import type { Checker } from '../src/check/types.js';
import { renderToDir, tempDir } from './helpers/render.js';
import { findings, repoWith } from './helpers/rule-samples.js';
import { hasCommand } from './helpers/validators.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/check/', import.meta.url));
const fixture = (path: string): string => readFileSync(join(FIXTURES, path), 'utf8');
/** Every file under a fixture folder, by path relative to it. */
const tree = (dir: string): Record<string, string> =>
  Object.fromEntries((readdirSync(join(FIXTURES, dir), { recursive: true }) as string[]).filter((p) => statSync(join(FIXTURES, dir, p)).isFile()).map((p) => [p.split(sep).join('/'), fixture(join(dir, p))]));

type Sample = [rule: string, label: string, files: Record<string, string>, when?: boolean];

/** GOOD passes, each sample fails its rule and no other, every declared rule has a sample. */
function ruleTests(checker: Checker, good: Record<string, string>, samples: Sample[]): void {
  it('a good sample has no finding', async () => {
    expect(await findings(checker, good)).toEqual([]);
  });
  for (const [rule, label, files, when = true] of samples) {
    it.skipIf(!when)(`${rule}: ${label}`, async () => {
      const found = await findings(checker, files);
      expect(found.map((f) => f.rule), JSON.stringify(found)).toContain(rule);
      expect([...new Set(found.map((f) => f.rule))], JSON.stringify(found)).toEqual([rule]);
    });
  }
  it('every rule the checker declares has a failing sample here', () => {
    expect(Object.keys(checker.rules).sort()).toEqual([...new Set(samples.map(([r]) => r))].sort());
  });
}

/** Apply text edits to one file of a sample, failing loudly when an edit does not apply. */
function edit(files: Record<string, string>, path: string, ...pairs: [string | RegExp, string][]): Record<string, string> {
  let text = files[path] ?? '';
  for (const [from, to] of pairs) {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`edit of ${path} did not apply: ${String(from)}`);
    text = next;
  }
  return { ...files, [path]: text };
}

// ---------- Kubernetes ----------

const LABELS = `    app.kubernetes.io/name: api
    app.kubernetes.io/instance: api
    app.kubernetes.io/component: server
    app.kubernetes.io/part-of: shop
    app.kubernetes.io/managed-by: kustomize`;
const meta = (name: string) => `metadata:\n  name: ${name}\n  namespace: shop\n  labels:\n${LABELS}\n`;

const APP = fixture('kubernetes/app.yaml');
const K8S = { 'deploy/app.yaml': APP };
/** Keys the K rules and the consistency checker read, for the shape fuzzing below. */
const KEYS = ['metadata', 'labels', 'name', 'namespace', 'spec', 'template', 'jobTemplate', 'containers', 'initContainers', 'securityContext', 'capabilities', 'drop', 'add',
  'resources', 'requests', 'limits', 'env', 'valueFrom', 'ports', 'containerPort', 'port', 'targetPort', 'selector', 'matchLabels', 'podSelector', 'policyTypes', 'ingress',
  'readinessProbe', 'livenessProbe', 'httpGet', 'path', 'volumes', 'hostPath', 'strategy', 'rollingUpdate', 'topologySpreadConstraints', 'affinity', 'data', 'image', 'runAsUser'];
const k8s = (...pairs: [string | RegExp, string][]) => edit(K8S, 'deploy/app.yaml', ...pairs);

/** The same app as a kustomize base (untagged image) with a production overlay that pins the tag. */
const KUSTOMIZE = {
  'k8s/base/app.yaml': APP.replace('registry.example.com/api:1.4.2', 'api'),
  'k8s/base/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [app.yaml]\n',
  'k8s/overlays/production/kustomization.yaml':
    'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../../base]\nimages:\n  - name: api\n    newTag: "1.4.2"\n',
};
const kubectl = hasCommand('kubectl');

describe('infra-kit check: Kubernetes rules', () => {
  ruleTests(kubernetesChecker, K8S, [
    ['K-SYNTAX', 'a manifest that is not YAML', k8s(['kind: Service\n', 'kind: Service\n  bad: [\n'])],
    ['K-SYNTAX', 'an overlay kubectl cannot build', edit(KUSTOMIZE, 'k8s/overlays/production/kustomization.yaml', [/$/, 'patches:\n  - path: missing-patch.yaml\n']), kubectl],
    ['K-SCHEMA', 'a misspelt field', k8s(['revisionHistoryLimit', 'revisionHistoryLimits'])],
    ['K-SCHEMA', 'a wrong type', k8s(['revisionHistoryLimit: 5', 'revisionHistoryLimit: five'])],
    ['K-SCHEMA', 'a removed API version', k8s(['apiVersion: policy/v1\n', 'apiVersion: policy/v1beta1\n'])],
    ['K01', 'runAsNonRoot false', k8s(['runAsNonRoot: true', 'runAsNonRoot: false'])],
    ['K02', 'privilege escalation allowed', k8s(['allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true'])],
    ['K03', 'no memory limit', k8s(['            limits: { memory: 256Mi }\n', ''])],
    ['K04', 'no readiness probe', k8s([/ {10}readinessProbe:\n.*\n/, ''])],
    ['K05', 'image :latest', k8s(['api:1.4.2', 'api:latest'])],
    ['K06', 'service account token mounted', k8s(['      automountServiceAccountToken: false', '      automountServiceAccountToken: true'])],
    ['K07', 'a NetworkPolicy rule open to every port', k8s(['    - ports:\n        - port: 8080\n', '    - from:\n        - podSelector: {}\n'])],
    ['K08', 'no PodDisruptionBudget in production', k8s([/---\napiVersion: policy\/v1[\s\S]*?---\n/, '---\n'])],
    ['K09', 'a secret as a literal env value', k8s(['              valueFrom:\n                secretKeyRef: { name: api-database, key: url }', '              value: postgres://u:p@db/x'])],
    ['K09', 'a password in a URL under any name', k8s(['          env:\n', '          env:\n            - name: UPSTREAM\n              value: https://bot:hunter2@api.example.com\n'])],
    ['K09', 'host network', k8s(['      serviceAccountName: api\n', '      serviceAccountName: api\n      hostNetwork: true\n'])],
    ['K10', 'rolling update may drop a pod', k8s(['maxUnavailable: 0', 'maxUnavailable: 1'])],
    ['K11', 'a Service without the recommended labels', k8s([/kind: Service\n(metadata:\n {2}name: api\n {2}namespace: shop\n) {2}labels:\n(.*\n){5}/, 'kind: Service\n$1'])],
    ['K12', 'the namespace does not enforce restricted', k8s(['    pod-security.kubernetes.io/enforce: restricted\n', ''])],
  ]);

  it('a staging manifest needs no PDB/HPA and no strict zone spread (K08, K10 are production rules)', async () => {
    const staging = { 'deploy/staging/app.yaml': APP.replace(/---\napiVersion: policy\/v1[\s\S]*$/, '').replace('DoNotSchedule', 'ScheduleAnyway') };
    expect(await findings(kubernetesChecker, staging)).toEqual([]);
    const production = { 'deploy/production/app.yaml': staging['deploy/staging/app.yaml'] };
    expect((await findings(kubernetesChecker, production)).map((f) => f.rule).sort()).toEqual(['K08', 'K08', 'K10']);
  });

  it('points at the manifest line of the object', async () => {
    const [finding] = await findings(kubernetesChecker, k8s(['api:1.4.2', 'api:latest']));
    expect(finding).toMatchObject({ file: 'deploy/app.yaml', line: APP.split('\n').indexOf('kind: Deployment'), rule: 'K05' });
    expect(finding!.message).toBe('Deployment/api: container app: image registry.example.com/api:latest is untagged or latest');
  });

  it('never crashes on hand-written manifests of any shape (fast-check)', async () => {
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, fc.constantFrom(null, true, 0, 8080, 'http', 'ALL', '/healthz', 'api', []), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.constantFrom(...KEYS), tie('node'), { maxKeys: 4 })),
    })).node;
    const kinds = fc.constantFrom(['apps/v1', 'Deployment'], ['v1', 'Pod'], ['batch/v1', 'CronJob'], ['v1', 'Service'], ['networking.k8s.io/v1', 'NetworkPolicy'], ['v1', 'Namespace'], ['v1', 'Secret']);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(kinds, value), { minLength: 1, maxLength: 4 }), async (docs) => {
        const text = docs.map(([[apiVersion, kind], body]) => YAML.stringify({ apiVersion, kind, ...(body && typeof body === 'object' && !Array.isArray(body) ? body : { spec: body }) })).join('---\n');
        const repo = openRepo(repoWith({ 'deploy/app.yaml': text, Dockerfile: 'FROM a:1\nEXPOSE 8080\n' }));
        for (const checker of [kubernetesChecker, consistencyChecker]) for (const f of await checker.check(repo)) expect(checker.rules).toHaveProperty([f.rule]);
      }),
      { numRuns: 300 },
    );
  });

  it('leaves other YAML, Helm templates and unknown kinds (CRDs) alone', async () => {
    const other = {
      'ci.yml': 'on: push\njobs: {}\n',
      'chart/templates/x.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n',
      'crd.yaml': `apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\n${meta('api')}spec:\n  endpoints: [{ port: http }]\n`,
    };
    expect(await findings(kubernetesChecker, other)).toEqual([]);
  });

  it.skipIf(!kubectl)('builds the overlays (not the base alone) with kubectl kustomize and finds nothing in a good one', async () => {
    expect(await findings(kubernetesChecker, KUSTOMIZE)).toEqual([]);
    const latest = edit(KUSTOMIZE, 'k8s/overlays/production/kustomization.yaml', ['"1.4.2"', 'latest']);
    expect(await findings(kubernetesChecker, latest)).toEqual([
      { file: 'k8s/overlays/production/kustomization.yaml', line: 0, rule: 'K05', message: 'Deployment/api: container app: image api:latest is untagged or latest' },
    ]);
  });

  it.skipIf(!kubectl)('builds a Component no overlay uses on top of the production overlay, reporting only what it adds', async () => {
    const JOB = `apiVersion: batch/v1
kind: Job
${meta('api-migrate')}spec:
  template:
    metadata:
      labels:
${LABELS.replace(/^/gm, '    ')}
    spec:
      restartPolicy: Never
      serviceAccountName: api
      automountServiceAccountToken: false
      securityContext: { runAsNonRoot: true, runAsUser: 10001, runAsGroup: 10001, seccompProfile: { type: RuntimeDefault } }
      containers:
        - name: migrate
          image: api
          securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: [ALL] } }
          resources: { requests: { cpu: 50m, memory: 64Mi }, limits: { memory: 128Mi } }
`;
    const withJob = {
      ...KUSTOMIZE,
      'k8s/overlays/staging/kustomization.yaml': KUSTOMIZE['k8s/overlays/production/kustomization.yaml'],
      'k8s/components/migrate/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [job.yaml]\n',
      'k8s/components/migrate/job.yaml': JOB,
    };
    expect(await findings(kubernetesChecker, withJob)).toEqual([]);
    const escalating = edit(withJob, 'k8s/components/migrate/job.yaml', ['allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true']);
    expect(await findings(kubernetesChecker, escalating)).toEqual([
      { file: 'k8s/components/migrate/kustomization.yaml', line: 0, rule: 'K02', message: 'Job/api-migrate: container migrate: allowPrivilegeEscalation is not false' },
    ]);
    // Two such Components are built together (one kubectl run); each finding names the Component that added the object.
    const seed = { 'k8s/components/seed/kustomization.yaml': withJob['k8s/components/migrate/kustomization.yaml'], 'k8s/components/seed/job.yaml': JOB.replace('api-migrate', 'api-seed').replace('name: migrate', 'name: seed') };
    const both = { ...withJob, ...seed, 'k8s/components/seed/job.yaml': seed['k8s/components/seed/job.yaml'].replace('memory: 128Mi', 'cpu: 1') };
    const seedFinding = [{ file: 'k8s/components/seed/kustomization.yaml', line: 0, rule: 'K03', message: 'Job/api-seed: container seed: missing cpu/memory requests or memory limit' }];
    expect(await findings(kubernetesChecker, both)).toEqual(seedFinding);
    // The same tree in another folder reuses that build (per process): its origins still lead into this repo.
    expect(await findings(kubernetesChecker, both)).toEqual(seedFinding);
    // A Component that patches the overlay cannot share the overlay's build: the overlay is checked as it is.
    const patch = '  - patch: |-\n      - op: replace\n        path: /spec/template/spec/containers/0/securityContext/allowPrivilegeEscalation\n        value: true\n    target:\n      kind: Deployment\n';
    const patching = { ...withJob, 'k8s/components/debug/kustomization.yaml': `apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\npatches:\n${patch}` };
    expect(await findings(kubernetesChecker, patching)).toEqual([]);
    // A Component taking its resources from another folder is built alone: its findings are its own.
    const shared = { ...withJob, 'k8s/shared/kustomization.yaml': 'resources: [job.yaml]\n', 'k8s/shared/job.yaml': JOB.replace('api-migrate', 'api-b').replace('allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true'), 'k8s/components/z/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\nresources: [../../shared]\n' };
    expect((await findings(kubernetesChecker, shared)).map((f) => `${f.file} ${f.rule} ${f.message.split(':')[0]}`)).toEqual(['k8s/components/z/kustomization.yaml K02 Job/api-b']);
    // Nested Components: an object belongs to the innermost one, reported once.
    const nested = { ...withJob, 'k8s/components/migrate/sub/kustomization.yaml': withJob['k8s/components/migrate/kustomization.yaml'], 'k8s/components/migrate/sub/job.yaml': shared['k8s/shared/job.yaml'] };
    expect((await findings(kubernetesChecker, nested)).map((f) => `${f.file} ${f.rule} ${f.message.split(':')[0]}`)).toEqual(['k8s/components/migrate/sub/kustomization.yaml K02 Job/api-b']);
    // Without kubectl, the count of unbuilt folders includes an overlay whose build its Components share.
    const noKubectl = openRepo(repoWith(withJob));
    await kubernetesCheckerWith('/nonexistent/kubectl').check(noKubectl);
    expect(noKubectl.skipped).toEqual(['/nonexistent/kubectl (not on PATH: 3 kustomize dirs not built or checked)']);
    // Components that cannot be combined (both add Job/api-migrate) are built one by one: each is still checked.
    const clash = { ...escalating, ...seed, 'k8s/components/seed/job.yaml': JOB };
    expect(await findings(kubernetesChecker, clash)).toEqual([
      { file: 'k8s/components/migrate/kustomization.yaml', line: 0, rule: 'K02', message: 'Job/api-migrate: container migrate: allowPrivilegeEscalation is not false' },
    ]);
  });

  it.skipIf(!kubectl)('a rendered kit: one build serves the production overlay and its deploy-time Components, the overlay exactly as kubectl builds it alone', async () => {
    const monitoring = 'kubernetes/components/monitoring/kustomization.yaml: PrometheusRule/demo-app, ServiceMonitor/demo-app';
    const cells = [
      // The migration Job is deploy-time under CI deploys; under GitOps an overlay includes it (an Argo CD hook).
      { cell: { database: 'postgres' as const }, extras: ['kubernetes/components/migrate/kustomization.yaml: Job/demo-app-migrate', monitoring] },
      { cell: { database: 'postgres' as const, gitops: 'argocd' as const, repoUrl: 'https://github.com/acme/shop.git' }, extras: [monitoring] },
    ];
    for (const { cell, extras } of cells) {
      const { dir } = renderToDir(cell);
      const units = (await loadKubernetes(openRepo(dir))).units;
      const alone = (overlay: string) => YAML.parseAllDocuments(execFileSync('kubectl', ['kustomize', join(dir, overlay)], { encoding: 'utf8' })).map((d) => d.toJS() as Obj);
      for (const env of ['staging', 'production']) {
        expect(units.find((u) => u.overlay === `kubernetes/overlays/${env}/kustomization.yaml`)?.objects, `${env} ${JSON.stringify(cell)}`).toEqual(alone(`kubernetes/overlays/${env}`));
      }
      const added = units.filter((u) => u.report).map((u) => `${u.overlay}: ${[...u.report!].map(describeObject).join(', ')}`);
      expect(added, JSON.stringify(cell)).toEqual(extras);
    }
  });

  it('without kubectl: nothing reported for the kustomize dirs, and the report says they were not checked', async () => {
    const checker = kubernetesCheckerWith('/nonexistent/kubectl');
    const repo = openRepo(repoWith(edit(KUSTOMIZE, 'k8s/overlays/production/kustomization.yaml', ['"1.4.2"', 'latest'])));
    expect(await checker.check(repo)).toEqual([]);
    expect(repo.skipped).toEqual(['/nonexistent/kubectl (not on PATH: 1 kustomize dir not built or checked)']);
  });
});

// ---------- Terraform ----------

const TF = tree('terraform/good');
const VERSIONS = TF['modules/registry/versions.tf']!;
const tf = (path: string, ...pairs: [string | RegExp, string][]) => edit(TF, path, ...pairs);
const [EKS, RDS] = [fixture('terraform/eks.tf'), fixture('terraform/rds.tf')];
const terraform = hasCommand('terraform');

describe('infra-kit check: Terraform rules', () => {
  ruleTests(terraformChecker, TF, [
    ['TF-SYNTAX', 'an unclosed block', tf('modules/registry/main.tf', [/}\n$/, ''])],
    ['TF-MODULE', 'an argument the module does not declare', tf('infra/production/main.tf', ['  name = "api"\n', '  name = "api"\n  nmae = "x"\n'])],
    ['TF-MODULE', 'a module source that does not exist', tf('infra/production/main.tf', ['../../modules/registry"', '../../modules/gone"'], ['module.registry.repository_url', '"x"'])],
    ['TF01', 'no required_version', tf('modules/registry/versions.tf', ['  required_version = ">= 1.10"\n', ''])],
    ['TF02', 'an unencrypted s3 backend', tf('infra/production/versions.tf', ['encrypt      = true', 'encrypt      = false'])],
    ['TF02', 'a root without a remote backend', tf('infra/production/versions.tf', [/ {2}backend "s3" \{[\s\S]*?\n {2}\}\n/, ''])],
    ['TF03', 'a literal access key in the provider', tf('infra/production/main.tf', ['  region = "eu-west-1"\n', '  region     = "eu-west-1"\n  access_key = "AKIAABCDEFGHIJKLMNOP"\n'])],
    ['TF04', 'a variable without a description', tf('modules/registry/variables.tf', ['  type        = string\n  description = "Repository name."\n', '  type = string\n'])],
    ['TF05', 'a module without a README', Object.fromEntries(Object.entries(TF).filter(([p]) => !p.endsWith('README.md')))],
    ['TF06', 'an EKS API open to 0.0.0.0/0', { ...TF, 'modules/registry/cluster.tf': EKS }],
    ['TF07', 'mutable image tags', tf('modules/registry/main.tf', ['"IMMUTABLE"', '"MUTABLE"'])],
    ['TF08', 'a publicly accessible database', { ...TF, 'modules/registry/db.tf': RDS }],
    ['TF-FMT', 'misaligned arguments', tf('modules/registry/main.tf', ['  name                 = var.name', '  name = var.name']), terraform],
  ]);

  it('points at the block: file and line', async () => {
    const found = await findings(terraformChecker, tf('modules/registry/main.tf', ['"IMMUTABLE"', '"MUTABLE"']));
    expect(found).toEqual([{ file: 'modules/registry/main.tf', line: 1, rule: 'TF07', message: 'tags are mutable' }]);
    const syntax = await findings(terraformChecker, tf('modules/registry/main.tf', ['  name                 = var.name', '  name = = var.name']));
    expect(syntax).toEqual([expect.objectContaining({ file: 'modules/registry/main.tf', line: 2, rule: 'TF-SYNTAX' })]);
  });

  it('when terraform cannot parse what the check read, HashiCorp\'s parser is asked, and the report says fmt did not run', async () => {
    // A stand-in terraform that rejects everything (exit 2), as it would a file the fast HCL path should not have read.
    const bin = tempDir();
    writeFileSync(join(bin, 'terraform'), '#!/bin/sh\necho "Error: Invalid expression" >&2\nexit 2\n', { mode: 0o755 });
    const saved = process.env.PATH;
    process.env.PATH = `${bin}:${saved ?? ''}`;
    try {
      // A file of its own: terraform fmt's verdicts on the shared samples are remembered per process.
      const repo = openRepo(repoWith({ ...TF, 'modules/registry/locals.tf': `locals {\n  run = "${process.hrtime.bigint()}"\n}\n` }));
      const found = await terraformChecker.check(repo);
      expect(found.filter((f) => f.rule === 'TF-SYNTAX' || f.rule === 'TF-FMT')).toEqual([]);
      expect(repo.skipped).toEqual([expect.stringMatching(/^terraform fmt \(terraform cannot parse/)]);
    } finally {
      process.env.PATH = saved;
    }
  });

  it.skipIf(!terraform)('a file that does not parse does not hide another one that terraform fmt would change', async () => {
    const both = edit(tf('modules/registry/main.tf', [/}\n$/, '']), 'infra/production/main.tf', ['  name = "api"', '  name =    "api"']);
    expect((await findings(terraformChecker, both)).map((f) => `${f.file} ${f.rule}`)).toEqual(['modules/registry/main.tf TF-SYNTAX', 'infra/production/main.tf TF-FMT']);
  });

  it('a bootstrap root that creates the state bucket may keep local state; a production database call needs deletion protection', async () => {
    const bootstrap = {
      ...TF,
      'infra/bootstrap/main.tf': 'provider "aws" {\n  region = "eu-west-1"\n}\n\nresource "aws_s3_bucket" "state" {\n  bucket = "api-tfstate"\n}\n',
      'infra/bootstrap/versions.tf': VERSIONS,
    };
    const rules = (await findings(terraformChecker, bootstrap)).map((f) => `${f.rule} ${f.message}`);
    expect(rules).toEqual(['TF02 state bucket not versioned', 'TF02 state bucket without a full public access block', 'TF02 state bucket without default encryption']);
    const db = { ...TF, 'modules/registry/db.tf': RDS.replace('= true\n  backup', '= false\n  backup'), 'modules/registry/variables.tf': `${TF['modules/registry/variables.tf']}\nvariable "deletion_protection" {\n  type        = bool\n  description = "d"\n  default     = true\n}\n` };
    expect(await findings(terraformChecker, db)).toEqual([]);
    const off = edit(db, 'infra/production/main.tf', ['  name = "api"\n', '  name                = "api"\n  deletion_protection = false\n']);
    expect((await findings(terraformChecker, off)).map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`)).toEqual(['infra/production/main.tf:6 TF08 module "registry": deletion_protection is false in production']);
  });
});

// ---------- Consistency ----------

const CONSISTENT: Record<string, string> = {
  Dockerfile: `FROM golang:1.25.0 AS build
FROM gcr.io/distroless/static-debian12:nonroot
USER 10001:10001
EXPOSE 8080
HEALTHCHECK CMD ["/app", "probe", "http://127.0.0.1:8080/healthz"]
`,
  'compose.yaml': `services:
  api:
    build: .
    image: api:dev
    user: "10001"
    ports: ["127.0.0.1:8080:8080"]
    healthcheck:
      test: ["CMD", "/app", "probe", "http://127.0.0.1:8080/healthz"]
  db:
    image: postgres:17.6
    ports: ["127.0.0.1:5432:5432"]
`,
  'deploy/app.yaml': APP,
  '.github/workflows/ci.yml': 'on: push\nenv:\n  APP_NAME: api\n  HEALTH_PATH: /healthz\njobs: {}\n',
};
const con = (path: string, ...pairs: [string | RegExp, string][]) => edit(CONSISTENT, path, ...pairs);

describe('infra-kit check: cross-file consistency', () => {
  ruleTests(consistencyChecker, CONSISTENT, [
    ['CON01', 'compose publishes another port', con('compose.yaml', ['127.0.0.1:8080:8080', '127.0.0.1:9090:9090'])],
    ['CON01', 'the Kubernetes container listens elsewhere', con('deploy/app.yaml', ['containerPort: 8080', 'containerPort: 9090'], ['- port: 8080', '- port: 9090'])],
    ['CON02', 'the probes use another path', con('deploy/app.yaml', [/path: \/healthz/g, 'path: /ready'])],
    ['CON02', 'the CI smoke test uses another path', con('.github/workflows/ci.yml', ['/healthz', '/health'])],
    ['CON03', 'compose runs as another UID', con('compose.yaml', ['user: "10001"', 'user: "1000"'])],
    ['CON04', 'CI pushes another image name', con('.github/workflows/ci.yml', ['APP_NAME: api', 'APP_NAME: web'])],
  ]);

  it('names both places: the deviating line and the reference', async () => {
    const found = await findings(consistencyChecker, con('compose.yaml', ['127.0.0.1:8080:8080', '127.0.0.1:9090:9090']));
    expect(found).toEqual([{ file: 'compose.yaml', line: 6, rule: 'CON01', message: 'port 9090 (compose service api ports) differs from 8080 (Dockerfile EXPOSE, Dockerfile:4)' }]);
  });

  it('compares only what is present: a Dockerfile alone is consistent; Dockerfile + manifests are compared', async () => {
    expect(await findings(consistencyChecker, { Dockerfile: CONSISTENT.Dockerfile! })).toEqual([]);
    const pair = { Dockerfile: CONSISTENT.Dockerfile!.replace('EXPOSE 8080', 'EXPOSE 3000').replace(':8080/', ':3000/'), 'deploy/app.yaml': APP };
    expect((await findings(consistencyChecker, pair)).map((f) => `${f.file}:${f.line} ${f.rule}`)).toEqual([`deploy/app.yaml:${APP.split('\n').indexOf('kind: Deployment')} CON01`]);
  });
});
