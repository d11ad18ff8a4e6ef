/**
 * Kustomize piece: render, build each overlay with the real `kubectl kustomize`, validate every object
 * with kubernetes-models (+ the unknown-field walk) and check the HARDENING K rules on the parsed objects,
 * with the checkers `infra-kit check` runs (src/check/kubernetes.ts); the kit's shared names are checked here.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { checkKubernetes, schemaProblems, type Obj } from '../src/check/kubernetes.js';
import { answersWith, renderToDir } from './helpers/render.js';
import { kubectlKustomize, parseYamlDocs } from './helpers/validators.js';

type Env = 'staging' | 'production';
interface Want { name: string; port: number; healthPath: string; postgres: boolean; env: Env }

const ENVS: readonly Env[] = ['staging', 'production'];

/** The K rules as "Kxx message", then the kit's shared names as "KIT message". */
function checkKubernetesKit(objects: readonly Obj[], want: Want): string[] {
  const deployments = objects.filter((o) => o.kind === 'Deployment');
  const dep = deployments[0];
  if (deployments.length !== 1 || !dep) return [`KIT expected one Deployment, found ${deployments.length}`];
  const opts = { production: want.env === 'production', port: want.port, healthPath: want.healthPath };
  const out = checkKubernetes(objects, opts).map((p) => `${p.rule} ${p.message}`);
  const app: Obj | undefined = (dep.spec?.template?.spec?.containers ?? []).find((c: Obj) => c.name === 'app');
  return app ? [...out, ...checkKitNames(objects, dep, app, want)] : [...out, 'KIT no container named app'];
}

/** The names and wiring every piece relies on (contract.md), as "KIT message". */
function checkKitNames(objects: readonly Obj[], dep: Obj, app: Obj, want: Want): string[] {
  const out: string[] = [];
  const fail = (msg: string): void => void out.push(`KIT ${msg}`);
  const podLabels: Obj = dep.spec?.template?.metadata?.labels ?? {};
  const same = (sel: Obj | undefined): boolean => JSON.stringify(sortKeys(sel)) === JSON.stringify(sortKeys(dep.spec?.selector?.matchLabels));
  const n = want.name;
  const find = (kind: string): Obj | undefined => objects.find((o) => o.kind === kind);
  const names = objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();
  // With postgres the overlays also sync the Secret N-database from the cloud's secret store (external-secrets).
  const secrets = want.postgres ? [`ExternalSecret/${n}-database`, `SecretStore/${n}`] : [];
  // The ConfigMap is generated (name + content hash): a changed setting or feature flag rolls the pods.
  const expected = [`ConfigMap/${find('ConfigMap')?.metadata?.name}`, `Deployment/${n}`, ...secrets, `HorizontalPodAutoscaler/${n}`, `Namespace/${n}`,
    `NetworkPolicy/${n}`, `PodDisruptionBudget/${n}`, `Service/${n}`, `ServiceAccount/${n}`].sort();
  if (JSON.stringify(names) !== JSON.stringify(expected)) fail(`objects are ${names.join(' ')}`);
  if (!new RegExp(`^${n}-config-[a-z0-9]{10}$`).test(find('ConfigMap')?.metadata?.name ?? '')) fail('the ConfigMap is not the generated N-config-<hash>');
  for (const o of objects) if (o.kind !== 'Namespace' && o.metadata?.namespace !== want.name) fail(`${o.kind} not in namespace ${want.name}`);
  const selector: Obj = dep.spec?.selector?.matchLabels ?? {};
  if (selector['app.kubernetes.io/name'] !== n || Object.entries(selector).some(([k, v]) => podLabels[k] !== v)) fail('Deployment selector does not match its pods');
  if (!same(find('Service')?.spec?.selector)) fail('Service selector differs from the Deployment selector');
  if (!same(find('PodDisruptionBudget')?.spec?.selector?.matchLabels)) fail('PDB selector differs from the Deployment selector');
  if (!same(find('NetworkPolicy')?.spec?.podSelector?.matchLabels)) fail('NetworkPolicy selector differs from the Deployment selector');
  const svcPort = find('Service')?.spec?.ports?.[0];
  if (svcPort?.port !== 80 || svcPort?.targetPort !== 'http') fail('Service is not port 80 → targetPort http');
  if (app.image !== `${want.name}:0.1.0`) fail(`image is ${app.image}, not ${want.name}:0.1.0`);
  const configName = app.envFrom?.[0]?.configMapRef?.name;
  if (configName !== find('ConfigMap')?.metadata?.name || find('ConfigMap')?.data?.PORT !== String(want.port)) fail('PORT does not come from the ConfigMap N-config-<hash>');
  const db = (app.env ?? []).find((e: Obj) => e.name === 'DATABASE_URL');
  const dbRef = JSON.stringify(db?.valueFrom?.secretKeyRef);
  if (want.postgres && dbRef !== JSON.stringify({ key: 'url', name: `${want.name}-database` })) fail('DATABASE_URL is not from Secret N-database key url');
  if (!want.postgres && db) fail('DATABASE_URL set without a database');
  return out;
}

function sortKeys(o: Obj | undefined): Obj | undefined {
  return o && Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

// ---------- tests ----------

const cells: { label: string; overrides: Partial<Answers> }[] = [
  { label: 'defaults', overrides: {} },
  { label: 'postgres shop-api', overrides: { database: 'postgres', name: 'shop-api', port: 8080, healthPath: '/health/ready' } },
];

const built = new Map<string, Obj[]>();

beforeAll(() => {
  for (const cell of cells) {
    const { dir } = renderToDir(cell.overrides, ['kustomize']);
    for (const env of ENVS) built.set(`${cell.label} ${env}`, parseYamlDocs(kubectlKustomize(join(dir, 'kubernetes/overlays', env))) as Obj[]);
  }
});

function wantFor(overrides: Partial<Answers>, env: Env): Want {
  const a = answersWith(overrides);
  return { name: a.name, port: a.port, healthPath: a.healthPath, postgres: a.database === 'postgres', env };
}

describe.each(cells)('kustomize ($label)', ({ label, overrides }) => {
  it.each(ENVS)('%s: every object is a valid Kubernetes object with no unknown field', (env) => {
    const objects = built.get(`${label} ${env}`) ?? [];
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      // CRDs (external-secrets.io…) are unknown to kubernetes-models; every built-in kind must validate.
      const builtIn = /^(v1|(apps|batch|policy|autoscaling|[a-z.]*\.k8s\.io)\/v[0-9a-z]+)$/.test(o.apiVersion) && !/\.x-k8s\.io\//.test(o.apiVersion);
      if (builtIn) expect(schemaProblems(o), `${o.kind} ${o.metadata?.name}`).toEqual({ errors: [], unknown: [] });
    }
  });

  it.each(ENVS)('%s: meets the K rules and the shared names', (env) => {
    expect(checkKubernetesKit(built.get(`${label} ${env}`) ?? [], wantFor(overrides, env))).toEqual([]);
  });
});

describe('the checks can fail', () => {
  const base = (): Obj[] => structuredClone(built.get('postgres shop-api production') ?? []);
  const want = wantFor(cells[1]!.overrides, 'production');
  const dep = (objs: Obj[]): Obj => objs.find((o) => o.kind === 'Deployment')!;
  const app = (objs: Obj[]): Obj => dep(objs).spec.template.spec.containers[0];
  const cases: [string, string, (objs: Obj[]) => void][] = [
    ['runAsNonRoot removed', 'K01', (o) => delete dep(o).spec.template.spec.securityContext.runAsNonRoot],
    ['root filesystem writable', 'K02', (o) => (app(o).securityContext.readOnlyRootFilesystem = false)],
    ['no memory limit', 'K03', (o) => delete app(o).resources.limits],
    ['probe on another path', 'K04', (o) => (app(o).readinessProbe.httpGet.path = '/')],
    ['image latest', 'K05', (o) => (app(o).image = 'shop-api:latest')],
    ['token mounted', 'K06', (o) => (dep(o).spec.template.spec.automountServiceAccountToken = true)],
    ['NetworkPolicy allows every port', 'K07', (o) => o.find((x) => x.kind === 'NetworkPolicy')!.spec.ingress.push({})],
    ['no PDB', 'K08', (o) => o.splice(o.findIndex((x) => x.kind === 'PodDisruptionBudget'), 1)],
    ['literal DATABASE_URL', 'K09', (o) => (app(o).env[0] = { name: 'DATABASE_URL', value: 'postgres://u:p@db/x' })],
    ['soft zone spread in production', 'K10', (o) => (dep(o).spec.template.spec.topologySpreadConstraints[0].whenUnsatisfiable = 'ScheduleAnyway')],
    ['namespace not restricted', 'K12', (o) => delete o.find((x) => x.kind === 'Namespace')!.metadata.labels['pod-security.kubernetes.io/enforce']],
    ['Service selects other pods', 'KIT', (o) => (o.find((x) => x.kind === 'Service')!.spec.selector['app.kubernetes.io/name'] = 'other')],
  ];

  it('passes the unmodified objects', () => expect(checkKubernetesKit(base(), want)).toEqual([]));
  it.each(cases)('%s → %s', (_label, id, mutate) => {
    const objects = base();
    mutate(objects);
    expect(checkKubernetesKit(objects, want).some((v) => v.startsWith(`${id} `))).toBe(true);
  });

  it('kubernetes-models rejects a Deployment without a selector', () => {
    const broken = dep(base());
    delete broken.spec.selector;
    expect(schemaProblems(broken)?.errors).toEqual(['data/spec must have required property selector']);
  });

  it('the unknown-field walk catches a typo', () => {
    const broken = dep(base());
    app([broken]).securityContext.readOnlyRootFileSystem = true;
    expect(schemaProblems(broken)?.unknown).toEqual(['Deployment.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem']);
  });
});
