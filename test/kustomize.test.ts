/**
 * Kustomize piece: render, build each overlay with the real `kubectl kustomize`, validate every object
 * with kubernetes-models, and check the HARDENING K rules on the parsed objects.
 * The rule checks below are small on purpose; a later issue moves them into src/check/.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { answersWith, renderToDir } from './helpers/render.js';
import { kubectlKustomize, parseYamlDocs } from './helpers/validators.js';

// Parsed Kubernetes objects are untyped JSON; the checks below test every field they read.
type Obj = Record<string, any>;
type Env = 'staging' | 'production';
interface Want { name: string; port: number; healthPath: string; postgres: boolean; env: Env }

const ENVS: readonly Env[] = ['staging', 'production'];
const SECRETISH = /PASSWORD|SECRET|TOKEN|DATABASE_URL|API_KEY|PRIVATE_KEY/i;
const RECOMMENDED = ['name', 'instance', 'component', 'part-of', 'managed-by'].map((l) => `app.kubernetes.io/${l}`);

// ---------- rule checks (→ src/check/) ----------

/** True for `repo:tag` (tag not `latest`) or `repo@sha256:…`. */
function imagePinned(image: unknown): boolean {
  if (typeof image !== 'string') return false;
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.lastIndexOf(':') + 1) : '';
  return tag !== '' && tag !== 'latest';
}

/** Violations of the K rules (and the kit's shared names) in one built overlay, as "Kxx message". */
function checkKubernetes(objects: readonly Obj[], want: Want): string[] {
  const out: string[] = [];
  const fail = (id: string, msg: string): void => void out.push(`${id} ${msg}`);
  const all = (kind: string): Obj[] => objects.filter((o) => o.kind === kind);
  const deployments = all('Deployment');
  const dep = deployments[0];
  if (deployments.length !== 1 || !dep) return [`KIT expected one Deployment, found ${deployments.length}`];
  const pod: Obj = dep.spec?.template?.spec ?? {};
  const podLabels: Obj = dep.spec?.template?.metadata?.labels ?? {};
  const selects = (sel: Obj | undefined): boolean =>
    !!sel && Object.keys(sel).length > 0 && Object.entries(sel).every(([k, v]) => podLabels[k] === v);

  const psc: Obj = pod.securityContext ?? {};
  if (psc.runAsNonRoot !== true) fail('K01', 'pod runAsNonRoot is not true');
  for (const f of ['runAsUser', 'runAsGroup']) if (!Number.isInteger(psc[f]) || psc[f] === 0) fail('K01', `pod ${f} is not a non-zero number`);
  if (psc.seccompProfile?.type !== 'RuntimeDefault') fail('K01', 'pod seccompProfile is not RuntimeDefault');

  const containers: Obj[] = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  for (const c of containers) {
    const sc: Obj = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) fail('K02', `${c.name}: allowPrivilegeEscalation is not false`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) fail('K02', `${c.name}: capabilities do not drop ALL`);
    if ((sc.capabilities?.add ?? []).length > 0) fail('K02', `${c.name}: capabilities added`);
    if (sc.readOnlyRootFilesystem !== true) fail('K02', `${c.name}: root filesystem is writable`);
    if (sc.privileged === true) fail('K02', `${c.name}: privileged`);
    const r: Obj = c.resources ?? {};
    if (!r.requests?.cpu || !r.requests?.memory || !r.limits?.memory) fail('K03', `${c.name}: missing cpu/memory requests or memory limit`);
    if (!imagePinned(c.image)) fail('K05', `${c.name}: image ${c.image} is untagged or latest`);
    for (const e of c.env ?? []) if (SECRETISH.test(e.name) && e.valueFrom?.secretKeyRef === undefined) fail('K09', `${c.name}: ${e.name} is not from a Secret`);
  }

  const app: Obj | undefined = (pod.containers ?? []).find((c: Obj) => c.name === 'app');
  if (!app) return [...out, 'KIT no container named app'];
  if (app.ports?.find((p: Obj) => p.name === 'http')?.containerPort !== want.port) fail('K04', `port http is not ${want.port}`);
  for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
    const get: Obj | undefined = app[probe]?.httpGet;
    if (get?.path !== want.healthPath || (get.port !== 'http' && get.port !== want.port)) fail('K04', `${probe} is not GET ${want.healthPath} on the app port`);
  }

  const sa = all('ServiceAccount').find((s) => s.metadata?.name === pod.serviceAccountName);
  if (pod.automountServiceAccountToken !== false) fail('K06', 'pod mounts a service account token');
  if (!sa || sa.metadata.name === 'default' || sa.automountServiceAccountToken !== false) fail('K06', 'no dedicated ServiceAccount without token automount');

  const policies = all('NetworkPolicy').filter((p) => selects(p.spec?.podSelector?.matchLabels) && (p.spec?.policyTypes ?? []).includes('Ingress'));
  if (policies.length === 0) fail('K07', 'no Ingress NetworkPolicy selects the pods');
  for (const p of policies) {
    const rules: Obj[] = p.spec.ingress ?? [];
    if (rules.length === 0) fail('K07', `${p.metadata.name}: no ingress rule lets traffic reach port ${want.port}`);
    for (const rule of rules) {
      const ports = (rule.ports ?? []).map((x: Obj) => x.port);
      if (ports.length !== 1 || ports[0] !== want.port) fail('K07', `${p.metadata.name}: allows ports [${ports}], not exactly ${want.port}`);
    }
  }

  if (!all('PodDisruptionBudget').some((p) => selects(p.spec?.selector?.matchLabels))) fail('K08', 'no PodDisruptionBudget selects the pods');
  const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: dep.metadata?.name };
  if (!all('HorizontalPodAutoscaler').some((h) => JSON.stringify(h.spec?.scaleTargetRef) === JSON.stringify(target))) fail('K08', 'no HPA targets the Deployment');

  for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (pod[f]) fail('K09', `pod sets ${f}`);
  if ((pod.volumes ?? []).some((v: Obj) => v.hostPath)) fail('K09', 'pod mounts a hostPath');
  if (all('Secret').length > 0) fail('K09', 'a Secret is rendered into the manifests');
  for (const cm of all('ConfigMap')) for (const key of Object.keys(cm.data ?? {})) if (SECRETISH.test(key)) fail('K09', `ConfigMap key ${key} looks secret`);

  if (dep.spec?.strategy?.rollingUpdate?.maxUnavailable !== 0) fail('K10', 'rolling update maxUnavailable is not 0');
  const zoneSpread = (pod.topologySpreadConstraints ?? []).find((t: Obj) => t.topologyKey === 'topology.kubernetes.io/zone' && selects(t.labelSelector?.matchLabels));
  if (want.env === 'production' && zoneSpread?.whenUnsatisfiable !== 'DoNotSchedule') fail('K10', 'production pods are not spread strictly across zones');

  for (const o of objects) {
    const labels: Obj = o.metadata?.labels ?? {};
    const missing = RECOMMENDED.filter((l) => !labels[l]);
    if (missing.length > 0) fail('K11', `${o.kind} ${o.metadata?.name}: missing ${missing.join(', ')}`);
  }
  if (RECOMMENDED.some((l) => !podLabels[l])) fail('K11', 'pod template lacks recommended labels');

  const ns = all('Namespace').find((n) => n.metadata?.name === want.name);
  if (ns?.metadata?.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') fail('K12', `namespace ${want.name} does not enforce restricted`);

  return [...out, ...checkKitNames(objects, dep, app, want)];
}

/** The names and wiring every piece relies on (contract.md), as "KIT message". */
function checkKitNames(objects: readonly Obj[], dep: Obj, app: Obj, want: Want): string[] {
  const out: string[] = [];
  const fail = (msg: string): void => void out.push(`KIT ${msg}`);
  const podLabels: Obj = dep.spec?.template?.metadata?.labels ?? {};
  const same = (sel: Obj | undefined): boolean => JSON.stringify(sortKeys(sel)) === JSON.stringify(sortKeys(dep.spec?.selector?.matchLabels));
  const n = want.name;
  const names = objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();
  const expected = [`ConfigMap/${n}-config`, `Deployment/${n}`, `HorizontalPodAutoscaler/${n}`, `Namespace/${n}`,
    `NetworkPolicy/${n}`, `PodDisruptionBudget/${n}`, `Service/${n}`, `ServiceAccount/${n}`];
  if (JSON.stringify(names) !== JSON.stringify(expected)) fail(`objects are ${names.join(' ')}`);
  for (const o of objects) if (o.kind !== 'Namespace' && o.metadata?.namespace !== want.name) fail(`${o.kind} not in namespace ${want.name}`);
  const selector: Obj = dep.spec?.selector?.matchLabels ?? {};
  if (selector['app.kubernetes.io/name'] !== n || Object.entries(selector).some(([k, v]) => podLabels[k] !== v)) fail('Deployment selector does not match its pods');
  const find = (kind: string): Obj | undefined => objects.find((o) => o.kind === kind);
  if (!same(find('Service')?.spec?.selector)) fail('Service selector differs from the Deployment selector');
  if (!same(find('PodDisruptionBudget')?.spec?.selector?.matchLabels)) fail('PDB selector differs from the Deployment selector');
  if (!same(find('NetworkPolicy')?.spec?.podSelector?.matchLabels)) fail('NetworkPolicy selector differs from the Deployment selector');
  const svcPort = find('Service')?.spec?.ports?.[0];
  if (svcPort?.port !== 80 || svcPort?.targetPort !== 'http') fail('Service is not port 80 → targetPort http');
  if (app.image !== `${want.name}:0.1.0`) fail(`image is ${app.image}, not ${want.name}:0.1.0`);
  const configName = app.envFrom?.[0]?.configMapRef?.name;
  if (configName !== `${want.name}-config` || find('ConfigMap')?.data?.PORT !== String(want.port)) fail('PORT does not come from ConfigMap N-config');
  const db = (app.env ?? []).find((e: Obj) => e.name === 'DATABASE_URL');
  const dbRef = JSON.stringify(db?.valueFrom?.secretKeyRef);
  if (want.postgres && dbRef !== JSON.stringify({ key: 'url', name: `${want.name}-database` })) fail('DATABASE_URL is not from Secret N-database key url');
  if (!want.postgres && db) fail('DATABASE_URL set without a database');
  return out;
}

function sortKeys(o: Obj | undefined): Obj | undefined {
  return o && Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1)));
}

// ---------- validators ----------

/** kubernetes-models class for an object: module path from apiVersion, class from kind. */
async function modelOf(o: Obj): Promise<{ validate(): void }> {
  const spec = `kubernetes-models/${o.apiVersion}/${o.kind}`;
  const mod = (await import(/* @vite-ignore */ spec)) as Record<string, new (d: Obj) => { validate(): void }>;
  const Model = mod[o.kind];
  if (!Model) throw new Error(`no kubernetes-models class for ${o.apiVersion} ${o.kind}`);
  return new Model(o);
}

/**
 * kubernetes-models' validator ignores unknown fields, so a typo (`readOnlyRootFileSystem`) would pass.
 * Walk each object against the model's TypeScript declaration instead: every key must be a declared property.
 */
function unknownFieldsChecker(kinds: readonly Obj[]): (o: Obj) => string[] {
  const probe = join(fileURLToPath(new URL('.', import.meta.url)), '__kinds__.ts');
  const src = kinds.map((k, i) => `import type { ${k.kind} as T${i} } from 'kubernetes-models/${k.apiVersion}/${k.kind}'; export declare const k${i}: T${i};`).join('\n');
  const options: ts.CompilerOptions = { module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: true, skipLibCheck: true, types: [] };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (f, lang, ...rest) => (f === probe ? ts.createSourceFile(f, src, lang) : getSourceFile.call(host, f, lang, ...rest));
  host.fileExists = (f) => f === probe || fileExists.call(host, f);
  host.readFile = (f) => (f === probe ? src : readFile.call(host, f));
  const program = ts.createProgram([probe], options, host);
  const checker = program.getTypeChecker();
  const file = program.getSourceFile(probe);
  const exported = file ? checker.getExportsOfModule(checker.getSymbolAtLocation(file)!) : [];
  const typeOf = new Map(kinds.map((k, i) => [`${k.apiVersion} ${k.kind}`, exported.find((s) => s.name === `k${i}`)]));

  const walk = (value: unknown, type: ts.Type, path: string, out: string[]): void => {
    if (value === null || typeof value !== 'object') return;
    const t = checker.getNonNullableType(type);
    if (Array.isArray(value)) {
      const item = t.getNumberIndexType();
      if (item) value.forEach((v, i) => walk(v, item, `${path}[${i}]`, out));
      return;
    }
    const map = t.getStringIndexType();
    for (const [key, v] of Object.entries(value)) {
      const prop = t.getProperty(key);
      if (prop) walk(v, checker.getTypeOfSymbol(prop), `${path}.${key}`, out);
      else if (map) walk(v, map, `${path}.${key}`, out);
      else out.push(`${path}.${key}`);
    }
  };
  return (o) => {
    const symbol = typeOf.get(`${o.apiVersion} ${o.kind}`);
    if (!symbol) return [`${o.kind}: no declared type`];
    const out: string[] = [];
    walk(o, checker.getTypeOfSymbol(symbol), o.kind, out);
    return out;
  };
}

// ---------- tests ----------

const cells: { label: string; overrides: Partial<Answers> }[] = [
  { label: 'defaults', overrides: {} },
  { label: 'postgres shop-api', overrides: { database: 'postgres', name: 'shop-api', port: 8080, healthPath: '/health/ready' } },
];

const built = new Map<string, Obj[]>();
let unknownFields: (o: Obj) => string[] = () => [];

beforeAll(() => {
  for (const cell of cells) {
    const { dir } = renderToDir(cell.overrides, ['kustomize']);
    for (const env of ENVS) built.set(`${cell.label} ${env}`, parseYamlDocs(kubectlKustomize(join(dir, 'kubernetes/overlays', env))) as Obj[]);
  }
  const kinds = new Map([...built.values()].flat().map((o) => [`${o.apiVersion} ${o.kind}`, o]));
  unknownFields = unknownFieldsChecker([...kinds.values()]);
});

function wantFor(overrides: Partial<Answers>, env: Env): Want {
  const a = answersWith(overrides);
  return { name: a.name, port: a.port, healthPath: a.healthPath, postgres: a.database === 'postgres', env };
}

describe.each(cells)('kustomize ($label)', ({ label, overrides }) => {
  it.each(ENVS)('%s: every object is a valid Kubernetes object with no unknown field', async (env) => {
    const objects = built.get(`${label} ${env}`) ?? [];
    expect(objects.length).toBeGreaterThan(0);
    for (const o of objects) {
      await expect(modelOf(o).then((m) => m.validate()), `${o.kind} ${o.metadata?.name}`).resolves.toBeUndefined();
      expect(unknownFields(o), `${o.kind} ${o.metadata?.name}`).toEqual([]);
    }
  });

  it.each(ENVS)('%s: meets the K rules and the shared names', (env) => {
    expect(checkKubernetes(built.get(`${label} ${env}`) ?? [], wantFor(overrides, env))).toEqual([]);
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

  it('passes the unmodified objects', () => expect(checkKubernetes(base(), want)).toEqual([]));
  it.each(cases)('%s → %s', (_label, id, mutate) => {
    const objects = base();
    mutate(objects);
    expect(checkKubernetes(objects, want).some((v) => v.startsWith(`${id} `))).toBe(true);
  });

  it('kubernetes-models rejects a Deployment without a selector', async () => {
    const broken = dep(base());
    delete broken.spec.selector;
    await expect(modelOf(broken).then((m) => m.validate())).rejects.toThrow();
  });

  it('the unknown-field walk catches a typo', () => {
    const broken = dep(base());
    app([broken]).securityContext.readOnlyRootFileSystem = true;
    expect(unknownFields(broken)).toEqual(['Deployment.spec.template.spec.containers[0].securityContext.readOnlyRootFileSystem']);
  });
});
