/**
 * HARDENING K01–K12 on parsed Kubernetes objects (a built overlay, or the plain manifests of a repo), with
 * Pod Security "restricted" as the reference. Pure: objects in, problems out; kubernetes.ts finds and builds.
 */

// Parsed manifests are untyped JSON; every field read below is tested before use.
export type Obj = Record<string, any>;

export interface KubeProblem {
  readonly rule: string;
  /** Starts with the object, `Kind/name: …`, since built output has no source line. */
  readonly message: string;
  readonly object: Obj;
}

/** What the caller knows beyond the objects: the kit's answers in tests, the overlay name in `check`. */
export interface KubeExpect {
  /** K08/K10 production rules apply (default: true). */
  readonly production?: boolean;
  /** The app's container port: the main container declares it and NetworkPolicies allow exactly it. */
  readonly port?: number;
  /** Every httpGet probe of the main container uses this path. */
  readonly healthPath?: string;
  /**
   * Namespaces the repo declares with Pod Security restricted outside this build, e.g. `kubernetes/base/
   * namespace.yaml` when a GitOps overlay leaves the Namespace to a cluster admin: K12 holds for them.
   */
  readonly restrictedNamespaces?: ReadonlySet<string>;
}

/** Paths and names of environments that are not production: K08, the zone spread of K10 and TF08's deletion protection do not apply. */
export const NON_PRODUCTION = /(^|[/_.-])(staging|stage|stg|dev|development|test|testing|qa|preview|local|sandbox|ci)($|[/_.-])/i;
const SECRETISH = /PASSWORD|SECRET|TOKEN|DATABASE_URL|API_KEY|PRIVATE_KEY/i;
const SWITCH = /^(on|off|true|false)$/i;
/** `scheme://user:password@host`: a credential whatever the variable is called. */
const CREDENTIAL_URL = /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;
/** k8s recommended labels, minus `version`: the running version is the image digest, a label would go stale. */
const RECOMMENDED = ['name', 'instance', 'component', 'part-of', 'managed-by'].map((l) => `app.kubernetes.io/${l}`);
const LONG_RUNNING = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod']);
/** PSS restricted allows adding this one capability back, nothing else. */
const ADDABLE = new Set(['NET_BIND_SERVICE']);

/** Hand-written manifests can hold anything: read lists and maps defensively, never crash on a shape. */
export const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x): x is Obj => !!x && typeof x === 'object') : []);
export const map = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** True for `repo:tag` (tag not `latest`) or `repo@sha256:…`. */
export function imagePinned(image: unknown): boolean {
  if (typeof image !== 'string') return false;
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const last = image.slice(image.lastIndexOf('/') + 1);
  const tag = last.includes(':') ? last.slice(last.lastIndexOf(':') + 1) : '';
  return tag !== '' && tag !== 'latest';
}

export const describe = (o: Obj): string => `${String(o.kind)}/${String(o.metadata?.name ?? '?')}`;

/** The pod template of a workload (its spec and labels), or undefined for other kinds. */
export function podOf(o: Obj): { spec: Obj; labels: Obj } | undefined {
  if (o.kind === 'Pod') return { spec: map(o.spec), labels: map(o.metadata?.labels) };
  const template: Obj | undefined = o.kind === 'CronJob' ? o.spec?.jobTemplate?.spec?.template : o.spec?.template;
  if (!template || !['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'].includes(String(o.kind))) return undefined;
  return { spec: map(template.spec), labels: map(template.metadata?.labels) };
}

/** The container the app runs in: the one named `app`, else the first. */
export const mainContainer = (pod: Obj): Obj | undefined => list(pod.containers).find((c) => c.name === 'app') ?? list(pod.containers)[0];

/** A matchLabels selector (non-empty unless `empty` is allowed) that selects these pod labels. */
function selects(sel: Obj | undefined, labels: Obj, empty = false): boolean {
  if (!sel || typeof sel !== 'object' || sel.matchExpressions) return false;
  const entries = Object.entries(map(sel.matchLabels));
  return (empty || entries.length > 0) && entries.every(([k, v]) => labels[k] === v);
}

export function checkKubernetes(objects: readonly Obj[], want: KubeExpect = {}): KubeProblem[] {
  const out: KubeProblem[] = [];
  const production = want.production ?? true;
  const all = (kind: string): Obj[] => objects.filter((o) => o.kind === kind);
  for (const w of objects) {
    const pod = podOf(w);
    if (!pod) continue;
    const fail = (rule: string, msg: string): void => void out.push({ rule, message: `${describe(w)}: ${msg}`, object: w });
    const spec = pod.spec;
    const containers = [...list(spec.initContainers), ...list(spec.containers)];
    const psc = map(spec.securityContext);
    // A field holds when the pod sets it or every container does (PSS reads them the same way).
    const effective = (field: string): unknown[] => containers.map((c) => map(c.securityContext)[field] ?? psc[field]);
    if (containers.length === 0 || !effective('runAsNonRoot').every((v) => v === true)) fail('K01', 'runAsNonRoot is not true');
    for (const f of ['runAsUser', 'runAsGroup']) if (!effective(f).every((v) => Number.isInteger(v) && v !== 0)) fail('K01', `${f} is not a non-zero number`);
    if (!effective('seccompProfile').every((v) => (v as Obj | undefined)?.type === 'RuntimeDefault')) fail('K01', 'seccompProfile is not RuntimeDefault');

    for (const c of containers) {
      const sc = map(c.securityContext);
      const name = `container ${String(c.name)}`;
      if (sc.allowPrivilegeEscalation !== false) fail('K02', `${name}: allowPrivilegeEscalation is not false`);
      if (!strings(sc.capabilities?.drop).includes('ALL')) fail('K02', `${name}: capabilities do not drop ALL`);
      const added = strings(sc.capabilities?.add).filter((cap) => !ADDABLE.has(cap));
      if (added.length > 0) fail('K02', `${name}: adds capabilities ${added.join(', ')}`);
      if (sc.readOnlyRootFilesystem !== true) fail('K02', `${name}: root filesystem is writable`);
      if (sc.privileged === true) fail('K02', `${name}: privileged`);
      const r = map(c.resources);
      if (!r.requests?.cpu || !r.requests?.memory || !r.limits?.memory) fail('K03', `${name}: missing cpu/memory requests or memory limit`);
      if (!imagePinned(c.image)) fail('K05', `${name}: image ${String(c.image)} is untagged or latest`);
      for (const e of list(c.env)) {
        if (SECRETISH.test(String(e.name)) && e.valueFrom?.secretKeyRef === undefined) fail('K09', `${name}: ${String(e.name)} is not from a Secret`);
        else if (CREDENTIAL_URL.test(String(e.value ?? ''))) fail('K09', `${name}: ${String(e.name)} holds a URL with a password`);
      }
    }

    const app = mainContainer(spec);
    if (LONG_RUNNING.has(String(w.kind)) && app) {
      for (const c of list(spec.containers)) for (const probe of ['livenessProbe', 'readinessProbe']) if (!c[probe]) fail('K04', `container ${String(c.name)}: no ${probe}`);
      const ports = list(app.ports);
      if (want.port !== undefined && !ports.some((p) => p.containerPort === want.port)) fail('K04', `container ${String(app.name)} does not declare port ${want.port}`);
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        const get: Obj | undefined = app[probe]?.httpGet;
        if (!get) continue;
        const portOk = want.port === undefined || get.port === want.port || ports.some((p) => p.name === get.port && p.containerPort === want.port);
        if ((want.healthPath !== undefined && get.path !== want.healthPath) || !portOk) fail('K04', `${probe} is not GET ${want.healthPath ?? get.path} on the app port`);
      }
      checkNetworkPolicy(all('NetworkPolicy'), pod.labels, ports, want.port, fail);
    }

    const saName = spec.serviceAccountName ?? spec.serviceAccount;
    const sa = all('ServiceAccount').find((s) => s.metadata?.name === saName);
    if (spec.automountServiceAccountToken === true || (spec.automountServiceAccountToken !== false && sa?.automountServiceAccountToken !== false)) fail('K06', 'mounts a service account token');
    if (!saName || saName === 'default') fail('K06', 'runs under the default ServiceAccount, not a dedicated one');

    if (production && (w.kind === 'Deployment' || w.kind === 'StatefulSet')) {
      if (!all('PodDisruptionBudget').some((p) => selects(p.spec?.selector, pod.labels))) fail('K08', 'no PodDisruptionBudget selects the pods');
      if (!all('HorizontalPodAutoscaler').some((h) => h.spec?.scaleTargetRef?.kind === w.kind && h.spec?.scaleTargetRef?.name === w.metadata?.name)) fail('K08', 'no HorizontalPodAutoscaler targets it');
    }

    for (const f of ['hostNetwork', 'hostPID', 'hostIPC']) if (spec[f]) fail('K09', `sets ${f}`);
    if (list(spec.volumes).some((v) => v.hostPath)) fail('K09', 'mounts a hostPath');

    if (w.kind === 'Deployment') {
      const rolling = w.spec?.strategy?.rollingUpdate;
      if (w.spec?.strategy?.type === 'Recreate' || rolling?.maxUnavailable !== 0) fail('K10', 'rolling update maxUnavailable is not 0');
    }
    if (production && (w.kind === 'Deployment' || w.kind === 'StatefulSet')) {
      const zone = 'topology.kubernetes.io/zone';
      const spread = list(spec.topologySpreadConstraints).some((t) => t.topologyKey === zone && t.whenUnsatisfiable === 'DoNotSchedule' && selects(t.labelSelector, pod.labels));
      const anti = list(spec.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution).some((t) => t.topologyKey === zone);
      if (!spread && !anti) fail('K10', 'production pods are not spread strictly across zones');
    }
    const missing = RECOMMENDED.filter((l) => !pod.labels[l]);
    if (missing.length > 0) fail('K11', `pod template lacks ${missing.join(', ')}`);
  }
  return [...out, ...objectProblems(objects, want.restrictedNamespaces)];
}

type Fail = (rule: string, msg: string) => void;

/** K07: a NetworkPolicy selects the pods for Ingress, and every rule allows only the app's port(s). */
function checkNetworkPolicy(policies: Obj[], labels: Obj, ports: Obj[], port: number | undefined, fail: Fail): void {
  const mine = policies.filter((p) => selects(p.spec?.podSelector, labels, true) && (p.spec?.policyTypes === undefined || strings(p.spec.policyTypes).includes('Ingress')));
  if (mine.length === 0) return fail('K07', 'no Ingress NetworkPolicy selects the pods');
  const declared = (x: unknown): boolean =>
    port !== undefined ? x === port || ports.some((p) => p.name === x && p.containerPort === port) : ports.some((p) => p.containerPort === x || p.name === x);
  const rules = mine.flatMap((p) => list(p.spec.ingress).map((r) => ({ p, r })));
  if (ports.length > 0 && rules.length === 0) fail('K07', 'no ingress rule lets traffic reach the app port');
  for (const { p, r } of rules) {
    const allowed = list(r.ports).map((x) => x.port as unknown);
    if (allowed.length === 0 || !allowed.every(declared)) fail('K07', `NetworkPolicy ${String(p.metadata?.name)} allows ports [${allowed.length > 0 ? allowed.join(', ') : 'all'}], not only the app port`);
  }
}

/** K09 (literal secrets), K11 (labels on every object), K12 (namespaces enforce restricted). */
function objectProblems(objects: readonly Obj[], restricted: ReadonlySet<string> = new Set()): KubeProblem[] {
  const out: KubeProblem[] = [];
  const fail = (o: Obj, rule: string, msg: string): void => void out.push({ rule, message: `${describe(o)}: ${msg}`, object: o });
  for (const o of objects) {
    if (o.kind === 'Secret' && Object.keys({ ...map(o.data), ...map(o.stringData) }).length > 0) fail(o, 'K09', 'a Secret with literal data is in the manifests');
    if (o.kind === 'ConfigMap') {
      for (const [key, value] of Object.entries(map(o.data))) {
        // A switch (on/off, true/false) holds no secret whatever its name, e.g. FEATURE_PASSWORDLESS_LOGIN.
        if (SECRETISH.test(key) && !SWITCH.test(String(value))) fail(o, 'K09', `key ${key} looks secret`);
        else if (CREDENTIAL_URL.test(String(value))) fail(o, 'K09', `key ${key} holds a URL with a password`);
      }
    }
    const missing = RECOMMENDED.filter((l) => !map(o.metadata?.labels)[l]);
    if (missing.length > 0) fail(o, 'K11', `missing labels ${missing.join(', ')}`);
    if (o.kind === 'Namespace' && o.metadata?.labels?.['pod-security.kubernetes.io/enforce'] !== 'restricted') fail(o, 'K12', 'does not enforce Pod Security restricted');
  }
  const declared = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata?.name));
  const reported = new Set<string>();
  for (const w of objects.filter((o) => podOf(o))) {
    const ns = String(w.metadata?.namespace ?? 'default');
    if (declared.has(ns) || restricted.has(ns) || reported.has(ns)) continue;
    reported.add(ns);
    fail(w, 'K12', `its namespace ${ns} is not declared here with pod-security.kubernetes.io/enforce: restricted`);
  }
  return out;
}
