/**
 * Kubernetes (HARDENING K*): every kustomize overlay is built with the real `kubectl kustomize`, plain
 * manifests outside kustomize dirs are parsed as they are; each object is validated with kubernetes-models
 * (plus a walk for unknown fields, which its schemas let through), then the K rules (kubernetes-rules.ts).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix, relative, sep } from 'node:path';
import { checkKubernetes, describe, NON_PRODUCTION, type KubeExpect, type Obj } from './kubernetes-rules.js';
import { schemaProblems } from './kubernetes-schema.js';
import { SYNTAX_RULE, type Checker, type Finding, type Repo, type Rule } from './types.js';

export { checkKubernetes, imagePinned, mainContainer, podOf, type KubeExpect, type KubeProblem, type Obj } from './kubernetes-rules.js';
export { schemaProblems } from './kubernetes-schema.js';

const rules: Record<string, Rule> = {
  'K-SYNTAX': SYNTAX_RULE,
  'K-SCHEMA': { level: 'MUST', why: 'the API server rejects a wrong type, and silently drops a misspelt field (a typo in securityContext disables it)', fix: 'fix the field named in the message (`kubectl explain <kind>.<field>`)' },
  K01: { level: 'MUST', why: 'a pod running as root, or without the default seccomp filter, turns an app bug into a node compromise', fix: 'pod securityContext: runAsNonRoot: true, runAsUser/runAsGroup 10001, seccompProfile.type: RuntimeDefault' },
  K02: { level: 'MUST', why: 'privilege escalation, capabilities and a writable root filesystem are what exploits use', fix: 'container securityContext: allowPrivilegeEscalation: false, capabilities.drop: [ALL], readOnlyRootFilesystem: true' },
  K03: { level: 'MUST', why: 'without requests the scheduler overcommits; without a memory limit one leak starves the node', fix: 'set resources.requests.cpu, resources.requests.memory and resources.limits.memory on every container' },
  K04: { level: 'MUST', why: 'without probes a hung or starting pod receives traffic and is never restarted', fix: 'add readinessProbe and livenessProbe (httpGet on the health path and app port), and a startupProbe for slow starts' },
  K05: { level: 'MUST', why: 'an untagged or :latest image changes under a running Deployment', fix: 'set an explicit tag or digest (kustomize `images:` newTag/digest in the overlay)' },
  K06: { level: 'MUST', why: 'a mounted token lets anyone in the pod call the Kubernetes API as its ServiceAccount', fix: 'a dedicated ServiceAccount, and automountServiceAccountToken: false on the pod' },
  K07: { level: 'MUST', why: 'without a NetworkPolicy any pod in the cluster can reach every port of the app', fix: 'a NetworkPolicy selecting the pods, policyTypes [Ingress], allowing only the app port' },
  K08: { level: 'MUST', why: 'without a PDB a node drain takes every replica down; without an HPA load spikes are dropped', fix: 'add a PodDisruptionBudget and a HorizontalPodAutoscaler for the workload' },
  K09: { level: 'MUST', why: 'host namespaces and hostPath escape the container; secrets in manifests end up in git', fix: 'drop hostNetwork/hostPID/hostIPC/hostPath; read secrets with secretKeyRef from a Secret created out of band' },
  K10: { level: 'SHOULD', why: 'maxUnavailable > 0 drops capacity on every rollout; pods in one zone die with it', fix: 'rollingUpdate.maxUnavailable: 0, and a zone topologySpreadConstraint (DoNotSchedule) in production' },
  K11: { level: 'SHOULD', why: 'recommended labels let tools and people find what belongs to the app', fix: 'add app.kubernetes.io/name, instance, component, part-of and managed-by labels' },
  K12: { level: 'SHOULD', why: 'only the namespace label makes the API server enforce Pod Security restricted', fix: 'label the namespace pod-security.kubernetes.io/enforce: restricted' },
};

const KUSTOMIZATION = /(^|\/)(kustomization\.ya?ml|Kustomization)$/;

/** Objects of one deploy unit: a built overlay, or every plain manifest of the repo. */
export interface KubeUnit {
  /** Built overlay: its kustomization file (findings point there, line 0). Plain manifests: undefined. */
  readonly overlay?: string;
  readonly objects: Obj[];
  /** Source file and line of each plain-manifest object. */
  readonly where: Map<Obj, { file: string; line: number }>;
  readonly production: (o: Obj) => boolean;
  /** Only these objects are reported (a Component built on an overlay: the objects it adds). Default: all. */
  readonly report?: Set<Obj>;
}

export interface KubeLoad {
  readonly units: KubeUnit[];
  /** YAML errors and failed builds. */
  readonly findings: Finding[];
  /** Set when kubectl is not on PATH: what went unchecked. */
  readonly skipped?: string;
  /** Namespaces some manifest of the repo declares with Pod Security restricted (see KubeExpect). */
  readonly restrictedNamespaces?: ReadonlySet<string>;
}

const loads = new WeakMap<Repo, Promise<KubeLoad>>();

/** Every Kubernetes object of the repo, built once per repo (the consistency checker reads them too). */
export function loadKubernetes(repo: Repo, kubectl = 'kubectl'): Promise<KubeLoad> {
  if (kubectl !== 'kubectl') return load(repo, kubectl);
  let loaded = loads.get(repo);
  if (!loaded) loads.set(repo, (loaded = load(repo, kubectl)));
  return loaded;
}

async function load(repo: Repo, kubectl: string): Promise<KubeLoad> {
  const kfiles = repo.files.filter((f) => KUSTOMIZATION.test(f));
  const plain = repo.files.filter((f) => /\.ya?ml$/.test(f) && !KUSTOMIZATION.test(f) && looksLikeManifest(repo.read(f)));
  if (kfiles.length === 0 && plain.length === 0) return { units: [], findings: [] };
  const YAML = await import('yaml');
  const findings: Finding[] = [];
  const parse = (file: string): { value: unknown; line: number }[] => {
    const lineCounter = new YAML.LineCounter();
    const docs = YAML.parseAllDocuments(repo.read(file), { lineCounter });
    const bad = docs.flatMap((d) => d.errors)[0];
    if (bad) {
      findings.push({ file, line: lineCounter.linePos(bad.pos[0]).line, rule: 'K-SYNTAX', message: bad.message.split('\n')[0]! });
      return [];
    }
    return docs.map((d) => ({ value: d.toJS() as unknown, line: lineCounter.linePos(d.contents?.range[0] ?? 0).line }));
  };

  // Kustomize: build the overlays, i.e. the kustomize dirs no other kustomization uses and that are not Components.
  const dirs = new Map<string, string>();
  const components = new Set<string>();
  const referenced = new Set<string>();
  const parsed: [string, unknown][] = [];
  for (const file of kfiles) {
    const k = parse(file)[0]?.value as Obj | undefined;
    const dir = posix.dirname(file);
    parsed.push([dir, k]);
    if (k?.kind === 'Component') components.add(dir);
    dirs.set(dir, file);
    for (const ref of [...list(k?.resources), ...list(k?.bases), ...list(k?.components)]) {
      if (!REMOTE.test(ref)) referenced.add(posix.normalize(posix.join(dir, ref)));
    }
  }
  const overlays = [...dirs].filter(([dir]) => !components.has(dir) && !referenced.has(dir));
  // A Component no kustomization uses is added at deploy time (CI's migration Job) or opt-in (monitoring):
  // build it the way it is used, on top of an overlay (production's, if there is one), and report only the
  // objects it adds. Those that keep their resources in their own folder go into one build, with the origin
  // annotations kustomize writes to tell which added what; when they only add resources, that build is also the
  // overlay's (its objects are the ones from elsewhere): one kubectl run instead of 1 + N. A combined build
  // that fails is split up, down to one Component, so the error names its culprit.
  const extras = [...dirs].filter(([dir]) => components.has(dir) && !referenced.has(dir));
  // Hosts are app overlays (an `overlays/` folder) before other roots such as `kubernetes/argocd`.
  const byPreference = [...overlays.filter(([dir]) => /(^|\/)overlays\//.test(dir)), ...overlays];
  const host = byPreference.find(([dir]) => !NON_PRODUCTION.test(dir)) ?? byPreference[0];
  const tree = treeKey(repo, parsed);
  const kustomization = (dir: string): Obj | undefined => parsed.find(([d]) => d === dir)?.[1] as Obj | undefined;
  // The Components get the overlay's image tags too, as the deploy-time kustomization pins them for both.
  const images = (on: string): unknown => kustomization(on)?.images ?? [];
  const run = (job: Job): Promise<Job & Built> => cachedBuild(kubectl, repo.root, job, tree, images(job.on)).then((r) => ({ ...job, ...r }));
  // `failed`: this job's build, already run and failed (as part of a build with the overlay): not run again.
  const attempt = async (job: Job, failed?: Job & Built): Promise<(Job & Built)[]> => {
    const b = failed ?? (await run(job));
    if (b.error === undefined || b.missing) return [b];
    if (job.withHost) {
      const components = { ...job, withHost: false };
      return (await Promise.all([attempt({ dirs: [job.on], files: [dirs.get(job.on)!], on: '' }), attempt(components, { ...b, ...components })])).flat();
    }
    if (job.dirs.length > 1) return (await Promise.all(job.dirs.map((dir, i) => attempt({ dirs: [dir], files: [job.files[i]!], on: job.on })))).flat();
    return [b];
  };
  // Origins tell Components apart only when each keeps its resources in its own folder; any other is built alone.
  const together = extras.filter(([dir]) => ownFolder(kustomization(dir)));
  const alone = extras.filter((e) => !together.includes(e));
  const withHost = alone.length === 0 && together.length > 0 && together.every(([dir]) => onlyOwnResources(kustomization(dir)));
  const jobs: Job[] = overlays.filter(([dir]) => !(withHost && dir === host?.[0])).map(([dir, file]) => ({ dirs: [dir], files: [file], on: '' }));
  if (host && together.length > 0) jobs.push({ dirs: together.map(([dir]) => dir), files: together.map(([, file]) => file), on: host[0], withHost });
  if (host) for (const [dir, file] of alone) jobs.push({ dirs: [dir], files: [file], on: host[0] });
  const built = (await Promise.all(jobs.map((job) => attempt(job)))).flat();
  const units: KubeUnit[] = [];
  const key = (o: Obj): string => `${String(o.kind)}/${String(o.metadata?.namespace)}/${String(o.metadata?.name)}`;
  const own = new Map<string, Set<string>>();
  for (const b of built) {
    if (b.missing) continue;
    if (b.error !== undefined) {
      findings.push({ file: b.files[0]!, line: 0, rule: 'K-SYNTAX', message: `kubectl kustomize ${b.on ? `${b.on} + ${b.dirs[0]!}` : b.dirs[0]!}: ${b.error}` });
      continue;
    }
    const objects = YAML.parseAllDocuments(b.out).map((d) => d.toJS() as unknown).filter(isObject);
    const production = !NON_PRODUCTION.test(b.on || b.dirs[0]!);
    if (!b.on) {
      own.set(b.dirs[0]!, new Set(objects.map(key)));
      units.push({ overlay: b.files[0]!, objects, where: new Map(), production: () => production });
      continue;
    }
    const origin = new Map(objects.map((o) => [o, takeOrigin(o, b.from, b.root)]));
    // The Component an object came from: the innermost folder holding its origin (Components may nest).
    const ownerOf = (o: Obj): string | undefined =>
      b.dirs.filter((d) => inDir(origin.get(o), d)).reduce<string | undefined>((best, d) => (best === undefined || d.length > best.length ? d : best), undefined);
    const fromComponent = (o: Obj): boolean => ownerOf(o) !== undefined;
    if (b.withHost) {
      const overlay = objects.filter((o) => !fromComponent(o));
      own.set(b.on, new Set(overlay.map(key)));
      units.push({ overlay: dirs.get(b.on)!, objects: overlay, where: new Map(), production: () => production });
    }
    const base = own.get(b.on);
    if (!base) continue;
    const added = objects.filter((o) => !base.has(key(o)));
    for (const [i, dir] of b.dirs.entries()) {
      // Built alone, a Component owns all it adds; together, the origins decide (one without any: the first's).
      const mine = b.dirs.length === 1 ? added : added.filter((o) => ownerOf(o) === dir || (i === 0 && !fromComponent(o)));
      units.push({ overlay: b.files[i]!, objects, where: new Map(), production: () => production, report: new Set(mine) });
    }
  }
  const missing = new Set(built.filter((b) => b.missing).flatMap((b) => (b.withHost ? [...b.dirs, b.on] : b.dirs))).size;
  const skipped = missing > 0 ? `${kubectl} (not on PATH: ${missing} kustomize dir${missing === 1 ? '' : 's'} not built or checked)` : undefined;

  // Plain manifests: every YAML file outside the kustomize dirs whose documents are Kubernetes objects.
  const inKustomize = (f: string): boolean => [...dirs.keys()].some((d) => d === '.' || f.startsWith(`${d}/`));
  const where = new Map<Obj, { file: string; line: number }>();
  for (const file of plain.filter((f) => !inKustomize(f))) {
    for (const { value, line } of parse(file)) if (isObject(value)) where.set(value, { file, line });
  }
  if (where.size > 0) units.push({ objects: [...where.keys()], where, production: (o) => !NON_PRODUCTION.test(where.get(o)!.file) });
  // A build may leave the Namespace out (GitOps: a cluster admin creates it); its declaration still counts.
  const restrictedNamespaces = new Set<string>();
  for (const file of plain.filter((f) => /^kind:\s*Namespace\s*$/m.test(repo.read(f)))) {
    for (const doc of YAML.parseAllDocuments(repo.read(file))) {
      const o = doc.toJS() as Obj | null;
      if (o?.kind === 'Namespace' && o.metadata?.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted') restrictedNamespaces.add(String(o.metadata.name));
    }
  }
  return { units, findings, restrictedNamespaces, ...(skipped ? { skipped } : {}) };
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const isObject = (v: unknown): v is Obj => !!v && typeof v === 'object' && typeof (v as Obj).apiVersion === 'string' && typeof (v as Obj).kind === 'string';
/** Classifies a YAML file (templated Helm files and other YAML are left alone); the rules read the parsed objects. */
const looksLikeManifest = (text: string): boolean => /^apiVersion:/m.test(text) && /^kind:/m.test(text) && !text.includes('{{');

/**
 * A build is a short run that allocates a lot (kustomize parses its built-in OpenAPI document for every
 * strategic-merge patch): Go's collector costs a third of it. Off, with a memory ceiling that turns it back on.
 */
const GO_SHORT_RUN = { GOGC: 'off', GOMEMLIMIT: '512MiB' };

/** One kubectl run: an overlay alone (`on` empty), or Components built on top of overlay `on`. */
interface Job {
  readonly dirs: readonly string[];
  /** Each dir's kustomization file (findings point there). */
  readonly files: readonly string[];
  readonly on: string;
  /** The build is also overlay `on`'s own (its Components only add resources: see onlyOwnResources). */
  readonly withHost?: boolean;
}
/**
 * kubectl's output, or its error. Origin annotations' paths are relative to `from`, and lead into `root`, the
 * repo it was built for: a build shared by identical trees (cachedBuild) resolves them against its own root.
 */
type Built = { out: string; from: string; root: string; error?: string; missing?: boolean };
const ORIGIN = 'config.kubernetes.io/origin';

/** The repo path a wrapped build's object came from (its origin annotation, then removed), if it has one. */
function takeOrigin(o: Obj, from: string, root: string): string | undefined {
  const annotations = o.metadata?.annotations as Record<string, unknown> | undefined;
  const text = annotations?.[ORIGIN];
  if (typeof text !== 'string') return undefined;
  delete annotations![ORIGIN];
  if (Object.keys(annotations!).length === 0) delete o.metadata!.annotations;
  // `path: <resource file>`, or for a generated object `configuredIn: <kustomization file>`.
  const path = /^(?:path|configuredIn): (.+)$/m.exec(text)?.[1]?.trim().replace(/^(['"])(.*)\1$/, '$2');
  return path === undefined ? undefined : relative(root, join(from, path)).split(sep).join('/');
}
/** A Component whose resources all lie in its own folder: kustomize's origin annotations then name it. */
const ownFolder = (k: Obj | undefined): boolean => !!k && list(k.resources).every((r) => !REMOTE.test(r) && !r.startsWith('/') && !posix.normalize(r).startsWith('..'));
/** A Component that only adds resources from its own folder: it changes nothing of the overlay it is built on. */
const onlyOwnResources = (k: Obj | undefined): boolean => ownFolder(k) && Object.keys(k!).every((f) => ['apiVersion', 'kind', 'resources'].includes(f));
const inDir = (path: string | undefined, dir: string): boolean => path !== undefined && path.startsWith(`${dir}/`);

const builds = new Map<string, Promise<Built>>();
const REMOTE = /:\/\/|^(github\.com|gitlab\.com|git@)|\?ref=/;

/**
 * A key for everything kubectl can read to build these kustomizations: the files under their common folder,
 * or undefined when a kustomization names a remote or a path outside that folder. With it, a process that
 * checks many copies of one tree (the matrix test: ~100 kits, 18 distinct trees) builds each tree once.
 */
function treeKey(repo: Repo, kustomizations: [string, unknown][]): string | undefined {
  let common = kustomizations[0]?.[0].split('/') ?? [];
  for (const [dir] of kustomizations) {
    const parts = dir.split('/');
    common = common.slice(0, [...common, ''].findIndex((p, i) => parts[i] !== p));
  }
  const top = common.join('/').replace(/^\.$/, '');
  const inside = (p: string): boolean => top === '' ? !p.startsWith('..') && !p.startsWith('/') : p === top || p.startsWith(`${top}/`);
  const values = (v: unknown): string[] => (typeof v === 'string' ? [v] : v && typeof v === 'object' ? Object.values(v).flatMap(values) : []);
  for (const [dir, k] of kustomizations) {
    for (const v of values(k)) if (REMOTE.test(v) || v.startsWith('/') || (v.includes('..') && !inside(posix.normalize(posix.join(dir, v))))) return undefined;
  }
  const hash = createHash('sha256');
  for (const f of repo.files) if (inside(f)) hash.update(`${f}\0${repo.read(f)}\0`);
  return hash.digest('hex');
}

function cachedBuild(kubectl: string, root: string, job: Job, tree: string | undefined, images: unknown): Promise<Built> {
  if (tree === undefined) return build(kubectl, root, job, images);
  const key = `${kubectl}\0${tree}\0${JSON.stringify([job.dirs, job.on, job.on ? images : null])}`;
  let built = builds.get(key);
  if (!built) {
    builds.set(key, (built = build(kubectl, root, job, images)));
    if (builds.size > 256) builds.delete(builds.keys().next().value!);
  }
  return built;
}

/**
 * `kubectl kustomize dir`, or for Components on an overlay: a throwaway kustomization (outside the repo) of
 * the overlay plus the Components, with the overlay's `images`, that records each object's origin.
 */
function build(kubectl: string, root: string, job: Job, images: unknown): Promise<Built> {
  const wrapper = job.on ? mkdtempSync(join(tmpdir(), 'infra-kit-kustomize-')) : undefined;
  const rel = (d: string): string => relative(wrapper!, join(root, d)).split(sep).join('/');
  if (wrapper) {
    const k = { kind: 'Kustomization', resources: [rel(job.on)], components: job.dirs.map(rel), images, buildMetadata: ['originAnnotations'] };
    writeFileSync(join(wrapper, 'kustomization.yaml'), JSON.stringify(k));
  }
  return new Promise((resolve) => {
    const env = { ...process.env, ...GO_SHORT_RUN };
    execFile(kubectl, ['kustomize', wrapper ?? join(root, job.dirs[0]!)], { maxBuffer: 64 * 1024 * 1024, timeout: 120_000, env }, (error, stdout, stderr) => {
      if (wrapper) rmSync(wrapper, { recursive: true, force: true });
      const from = wrapper ?? root;
      if (!error) return resolve({ out: stdout, from, root });
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return resolve({ out: '', from, root, missing: true });
      // kubectl logs `… "command failed" err="<message>"`: keep the message, with repo paths made relative.
      const text = String(stderr || error.message);
      const line = /err="(.*)"/.exec(text)?.[1] ?? text.split('\n').find((l) => l.trim() !== '') ?? 'failed';
      resolve({ out: '', from, root, error: line.split(`${root}/`).join('').split(wrapper ? `${rel('.')}/` : `${root}/`).join('') });
    });
  });
}

/** The checker; `kubectl` is the binary to run (tests pass a missing one). Without it, `skipped` says what went unchecked. */
export function kubernetesCheckerWith(kubectl: string): Checker {
  return {
    name: 'kubernetes',
    rules,
    async check(repo: Repo): Promise<Finding[]> {
      const { units, findings: out, skipped, restrictedNamespaces } = await loadKubernetes(repo, kubectl);
      if (skipped) repo.skip(skipped);
      const findings = [...out];
      // Overlays share most objects (staging and production differ in a few patches): each distinct one is validated once.
      const schemas = new Map<string, ReturnType<typeof schemaProblems>>();
      const schemaOf = (o: Obj): ReturnType<typeof schemaProblems> => {
        const key = JSON.stringify(o);
        if (!schemas.has(key)) schemas.set(key, schemaProblems(o));
        return schemas.get(key);
      };
      for (const unit of units) {
        const at = (o: Obj, rule: string, message: string): void => {
          const src = unit.where.get(o);
          findings.push(src ? { file: src.file, line: src.line, rule, message } : { file: unit.overlay!, line: 0, rule, message });
        };
        const reported = (o: Obj): boolean => !unit.report || unit.report.has(o);
        for (const o of unit.objects.filter(reported)) {
          const schema = schemaOf(o);
          for (const e of schema?.errors ?? []) at(o, 'K-SCHEMA', `${describe(o)}: ${e}`);
          for (const f of schema?.unknown ?? []) at(o, 'K-SCHEMA', `${describe(o)}: unknown field ${f}`);
        }
        const byProduction = [true, false].map((p) => unit.objects.filter((o) => unit.production(o) === p));
        const expect = (production: boolean): KubeExpect => ({ production, ...(restrictedNamespaces ? { restrictedNamespaces } : {}) });
        // Objects of both kinds of environment are checked against all objects, with their own production flag.
        for (const [i, group] of byProduction.entries()) {
          if (group.length === 0) continue;
          const mine = new Set(group.filter(reported));
          for (const p of checkKubernetes(unit.objects, expect(i === 0))) if (mine.has(p.object)) at(p.object, p.rule, p.message);
        }
      }
      // The same problem found twice (one object in two units) is reported once.
      const seen = new Set<string>();
      return findings.filter((f) => !seen.has(JSON.stringify(f)) && !!seen.add(JSON.stringify(f)));
    },
  };
}

export const kubernetesChecker = kubernetesCheckerWith('kubectl');
