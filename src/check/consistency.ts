/**
 * Cross-file consistency: the app port, health path, UID and image name must agree between the Dockerfile,
 * docker-compose, Kubernetes (built overlays or plain manifests) and CI. Only what is present is compared: a
 * hand-written repo may have any subset, and a source that is ambiguous (two EXPOSE ports, two services
 * with a build) gives no value rather than a guess.
 */
import { loadKubernetes } from './kubernetes.js';
import { list, mainContainer, map, podOf, type Obj } from './kubernetes-rules.js';
import type { Checker, Finding, Repo, Rule } from './types.js';
import { parseYamlFile } from './yaml-file.js';

const rules: Record<string, Rule> = {
  CON01: { level: 'MUST', why: 'a port that differs between files means probes, the Service or compose reach a port the app does not listen on (DF14)', fix: 'use one port everywhere: EXPOSE, compose ports, containerPort, probes, Service targetPort' },
  CON02: { level: 'MUST', why: 'a health path that differs between files makes one of the probes fail and restart or drop a healthy app', fix: 'use one health path in HEALTHCHECK, compose healthcheck, Kubernetes probes and the CI smoke test' },
  CON03: { level: 'SHOULD', why: 'a different UID in Kubernetes or compose than in the image breaks file permissions baked into it', fix: 'run as the Dockerfile USER everywhere (runAsUser, compose user)' },
  CON04: { level: 'SHOULD', why: 'CI pushes one image name and the manifests deploy another: the deploy does not ship what was built', fix: 'use one image name in CI (APP_NAME / IMAGE_NAME), compose image and the Kubernetes container image' },
};

type Prop = 'port' | 'health' | 'uid' | 'image';
const RULE: Record<Prop, string> = { port: 'CON01', health: 'CON02', uid: 'CON03', image: 'CON04' };
const NOUN: Record<Prop, string> = { port: 'port', health: 'health path', uid: 'UID', image: 'image name' };

/** One value as one file states it. */
interface Seen {
  readonly value: string;
  readonly file: string;
  readonly line: number;
  readonly what: string;
}
type See = (prop: Prop, value: unknown, file: string, line: number, what: string) => void;

/** Port and path of the URL (or bash /dev/tcp request) a health-check command calls. */
function probeTarget(command: string): { port?: string; path?: string } {
  const url = /https?:\/\/[^/\s'"]*?(?::(\d+))?(\/[^\s'",)\\]*)/.exec(command);
  if (url) return { ...(url[1] ? { port: url[1] } : {}), ...(url[2] ? { path: url[2] } : {}) };
  const tcp = /\/dev\/tcp\/[^/\s]+\/(\d+)/.exec(command);
  const get = /GET (\/[^\s'"\\]*)/.exec(command);
  return { ...(tcp ? { port: tcp[1] } : {}), ...(get ? { path: get[1] } : {}) };
}

/** `registry.example.com/team/api:1.2@sha256:…` → `api`. */
const imageName = (ref: unknown): string | undefined => (typeof ref === 'string' && ref !== '' ? ref.split('@')[0]!.split('/').pop()!.split(':')[0] : undefined);

async function fromDockerfile(repo: Repo, see: See): Promise<void> {
  const all = repo.files.filter((f) => /(^|\/)(Dockerfile|[^/]+\.Dockerfile|Dockerfile\.[^/]+)$/.test(f) && !f.endsWith('.ejs'));
  const file = all.length === 1 ? all[0] : all.find((f) => f === 'Dockerfile');
  if (!file) return;
  const { DockerfileParser } = await import('dockerfile-ast');
  const df = DockerfileParser.parse(repo.read(file));
  const finalStart = df.getFROMs().at(-1)?.getRange().start.line ?? 0;
  const final = df.getInstructions().filter((i) => i.getRange().start.line >= finalStart);
  const line = (i: { getRange(): { start: { line: number } } }): number => i.getRange().start.line + 1;
  const exposed = final.filter((i) => i.getKeyword() === 'EXPOSE').flatMap((i) => i.getArguments().map((a) => ({ i, port: a.getValue().split('/')[0] })));
  if (exposed.length === 1) see('port', exposed[0]!.port, file, line(exposed[0]!.i), 'Dockerfile EXPOSE');
  const user = final.filter((i) => i.getKeyword() === 'USER').at(-1);
  if (user) see('uid', user.getArgumentsContent()?.split(':')[0], file, line(user), 'Dockerfile USER');
  const health = final.filter((i) => i.getKeyword() === 'HEALTHCHECK').at(-1);
  if (health) {
    const target = probeTarget(health.getArgumentsContent() ?? '');
    see('port', target.port, file, line(health), 'Dockerfile HEALTHCHECK');
    see('health', target.path, file, line(health), 'Dockerfile HEALTHCHECK');
  }
}

/** A YAML file's mapping and the line of any path in it (yaml-file.ts: the parse is shared with the other checkers). */
function parseYaml(repo: Repo, file: string): { data: Obj; lineOf: (path: (string | number)[]) => number } | undefined {
  const yaml = parseYamlFile(repo.read(file));
  const data = yaml.value;
  if (!data || typeof data !== 'object') return undefined;
  return { data: data as Obj, lineOf: (path) => yaml.line(path) };
}

function fromCompose(repo: Repo, see: See): void {
  const file = ['compose.yaml', 'compose.yml', 'docker-compose.yml', 'docker-compose.yaml'].find((f) => repo.files.includes(f));
  const parsed = file ? parseYaml(repo, file) : undefined;
  if (!file || !parsed) return;
  const built = Object.entries(map(parsed.data.services)).filter(([, s]) => s && typeof s === 'object' && (s as Obj).build !== undefined) as [string, Obj][];
  if (built.length !== 1) return;
  const [name, svc] = built[0]!;
  const at = (...path: (string | number)[]): number => parsed.lineOf(['services', name, ...path]);
  const ports: unknown[] = Array.isArray(svc.ports) ? svc.ports : [];
  if (ports.length === 1) {
    const p = ports[0];
    const target = typeof p === 'object' && p ? (p as Obj).target : String(p).split('/')[0]!.split(':').pop();
    see('port', target, file, at('ports', 0), `compose service ${name} ports`);
  }
  if (svc.user !== undefined) see('uid', String(svc.user).split(':')[0], file, at('user'), `compose service ${name} user`);
  see('image', imageName(svc.image), file, at('image'), `compose service ${name} image`);
  const test = svc.healthcheck?.test;
  if (test !== undefined) {
    const target = probeTarget(Array.isArray(test) ? test.join(' ') : String(test));
    see('port', target.port, file, at('healthcheck', 'test'), `compose service ${name} healthcheck`);
    see('health', target.path, file, at('healthcheck', 'test'), `compose service ${name} healthcheck`);
  }
}

function fromCi(repo: Repo, see: See): void {
  const files = repo.files.filter((f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f) || f === '.gitlab-ci.yml');
  for (const file of files) {
    const parsed = parseYaml(repo, file);
    const key = file === '.gitlab-ci.yml' ? 'variables' : 'env';
    const vars = parsed?.data[key];
    if (!parsed || !vars || typeof vars !== 'object') continue;
    const value = (name: string): unknown => (vars[name] && typeof vars[name] === 'object' ? vars[name].value : vars[name]);
    for (const name of ['APP_NAME', 'IMAGE_NAME']) see('image', imageName(value(name)), file, parsed.lineOf([key, name]), `CI ${key} ${name}`);
    see('health', value('HEALTH_PATH'), file, parsed.lineOf([key, 'HEALTH_PATH']), `CI ${key} HEALTH_PATH`);
    for (const name of ['PORT', 'APP_PORT']) see('port', value(name), file, parsed.lineOf([key, name]), `CI ${key} ${name}`);
  }
}

async function fromKubernetes(repo: Repo, see: See): Promise<void> {
  for (const unit of (await loadKubernetes(repo)).units) {
    const workloads = unit.objects.filter((o) => (!unit.report || unit.report.has(o)) && (o.kind === 'Deployment' || o.kind === 'StatefulSet'));
    const w = workloads.length === 1 ? workloads[0]! : undefined;
    const pod = w && podOf(w);
    const app = pod && mainContainer(pod.spec);
    if (!w || !pod || !app) continue;
    const where = unit.where.get(w) ?? { file: unit.overlay!, line: 0 };
    const name = `${String(w.kind)}/${String(w.metadata?.name)}`;
    const k8s = (prop: Prop, value: unknown, what: string): void => see(prop, value, where.file, where.line, what.startsWith('Service/') ? what : `${name} ${what}`);
    const ports = list(app.ports);
    const byName = (p: unknown): unknown => (typeof p === 'string' ? ports.find((x) => x.name === p)?.containerPort : p);
    const appPort = ports.find((p) => p.name === 'http') ?? (ports.length === 1 ? ports[0] : undefined);
    k8s('port', appPort?.containerPort, 'containerPort');
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const get: Obj | undefined = app[probe]?.httpGet;
      k8s('port', byName(get?.port), `${probe} port`);
      k8s('health', get?.path, `${probe} path`);
    }
    k8s('uid', app.securityContext?.runAsUser ?? pod.spec.securityContext?.runAsUser, 'runAsUser');
    k8s('image', imageName(app.image), 'image');
    const services = unit.objects.filter((o) => o.kind === 'Service' && Object.keys(map(o.spec?.selector)).length > 0 && Object.entries(map(o.spec?.selector)).every(([k, v]) => pod.labels[k] === v));
    for (const svc of services) {
      const svcPorts = list(svc.spec?.ports);
      const port = svcPorts.find((p) => p.name === 'http') ?? (svcPorts.length === 1 ? svcPorts[0] : undefined);
      if (port) k8s('port', byName(port.targetPort ?? port.port), `Service/${String(svc.metadata?.name)} targetPort`);
    }
  }
}

export const consistencyChecker: Checker = {
  name: 'consistency',
  rules,
  async check(repo: Repo): Promise<Finding[]> {
    const seen: Record<Prop, Seen[]> = { port: [], health: [], uid: [], image: [] };
    const see: See = (prop, value, file, line, what) => {
      if (value !== undefined && value !== null && value !== '') seen[prop].push({ value: String(value), file, line, what });
    };
    await fromDockerfile(repo, see);
    fromCompose(repo, see);
    fromCi(repo, see);
    await fromKubernetes(repo, see);
    const findings: Finding[] = [];
    for (const prop of Object.keys(seen) as Prop[]) {
      const all = seen[prop];
      if (new Set(all.map((s) => s.value)).size <= 1) continue;
      // The Dockerfile is the reference when it states the value (it is what the image does); else the majority.
      const counts = new Map<string, number>();
      for (const s of all) counts.set(s.value, (counts.get(s.value) ?? 0) + 1);
      const ref = all.find((s) => s.what.startsWith('Dockerfile')) ?? all.find((s) => counts.get(s.value) === Math.max(...counts.values()))!;
      // One finding per place and value, naming every field there that states it.
      const off = new Map<string, Seen[]>();
      for (const s of all.filter((x) => x.value !== ref.value)) off.set(`${s.file}:${s.line}:${s.value}`, [...(off.get(`${s.file}:${s.line}:${s.value}`) ?? []), s]);
      for (const [first, ...rest] of off.values()) {
        const what = [first!.what, ...rest.map((r) => r.what)].join(', ');
        const message = `${NOUN[prop]} ${first!.value} (${what}) differs from ${ref.value} (${ref.what}, ${ref.file}${ref.line ? `:${ref.line}` : ''})`;
        findings.push({ file: first!.file, line: first!.line, rule: RULE[prop], message });
      }
    }
    return findings;
  },
};
