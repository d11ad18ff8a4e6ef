/**
 * docker-compose files (HARDENING DC01–DC05): the compose-spec JSON schema through ajv, then the rules on the
 * parsed object. The validator (compiled at build time, see json-schemas.ts) loads only when the repo has compose files.
 */
import { posix } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { schemaValidator } from './json-schemas.js';
import { SYNTAX_RULE, type Checker, type Finding, type Repo, type Rule } from './types.js';
import { deepestErrors, isObject, isPinnedImage, parseYamlFile, pointerPath } from './yaml-file.js';

/** The service-level key that documents why a service has no healthcheck (e.g. a distroless image). */
export const HEALTHCHECK_EXEMPT = 'x-healthcheck-exempt';

const rules: Record<string, Rule> = {
  'DC-SYNTAX': SYNTAX_RULE,
  DC01: { level: 'MUST', why: 'a secret written in the compose file ends up in git; .env must stay out of git', fix: 'use ${VAR:?see .env.example} or env_file: .env, keep .env in .gitignore and the names in .env.example' },
  DC02: { level: 'MUST', why: 'without a healthcheck compose starts dependants against a database that is not ready, and a hung service looks up', fix: `add a healthcheck (or \`${HEALTHCHECK_EXEMPT}: "<reason>"\` when the image has no shell, e.g. distroless); depend on databases with condition: service_healthy` },
  DC03: { level: 'MUST', why: 'an unpinned image changes under you between two `docker compose pull`s', fix: 'pin every image to an exact version tag (or a digest); services with build: are exempt' },
  DC04: { level: 'MUST', why: 'no-new-privileges, dropped capabilities and a read-only app filesystem limit what a compromised process can do', fix: 'security_opt: ["no-new-privileges:true"], cap_drop: [ALL] (cap_add only what the image needs), read_only: true + tmpfs for services built here or run from `image: ${IMAGE}` (a production compose), never privileged' },
  DC05: { level: 'SHOULD', why: 'a runaway container should not starve the laptop; a database published on 0.0.0.0 is reachable from the network', fix: 'set deploy.resources.limits.memory (or mem_limit), keep database data in named volumes, publish database ports on 127.0.0.1 only' },
};

// ---------- the compose-spec schema ----------

type SchemaError = NonNullable<ValidateFunction['errors']>[number];

/** Schema errors against the compose-spec schema (json-schemas.ts); formats as VALIDATORS.md says (Go durations). */
export function composeSchemaErrors(data: unknown): SchemaError[] {
  const validate = schemaValidator('compose');
  return validate(data) ? [] : (validate.errors ?? []);
}

/** The schema's verdict, one line per error; [] when valid. */
export function validateComposeSchema(data: unknown): string[] {
  return composeSchemaErrors(data).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

// ---------- reading services ----------

type Service = Record<string, unknown>;
const SECRET_KEY = /PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|ACCESS_KEY|CREDENTIAL/i;
/** Images of stateful backing services: they get service_healthy dependants, loopback ports, named volumes. */
const DATABASE_IMAGE = /(^|\/)(postgres|postgis|mysql|mariadb|mongo|mongodb|redis|valkey|keydb|cockroach(db)?|mssql|clickhouse|cassandra|couchdb|neo4j|timescaledb|elasticsearch|opensearch)([:@/]|$)/;
const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

export const isDatabaseService = (svc: Service): boolean => typeof svc.image === 'string' && DATABASE_IMAGE.test(svc.image.replace(/^[\w.-]+\.[\w.-]+(:\d+)?\//, ''));

function environment(svc: Service): [string, string | undefined][] {
  const env = svc.environment;
  if (Array.isArray(env)) return env.map((e) => String(e)).map((e) => (e.includes('=') ? [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)] : [e, undefined]));
  return isObject(env) ? Object.entries(env).map(([k, v]) => [k, v === null || v === undefined ? undefined : String(v)]) : [];
}

/** A literal secret: non-empty, not interpolated (`${VAR}`, `${VAR:?msg}`), or with a literal `${VAR:-default}`. */
function literalSecret(value: string): boolean {
  if (value.trim() === '' || /\$\{[A-Za-z_]\w*:?-[^}]+\}/.test(value)) return value.trim() !== '';
  return !/(^|[^$])\$\{?[A-Za-z_]/.test(value);
}

/** Every string in a parsed value. */
const strings = (v: unknown): string[] => (typeof v === 'string' ? [v] : Array.isArray(v) ? v.flatMap(strings) : isObject(v) ? Object.values(v).flatMap(strings) : []);

/** A URL with an inline password that is not interpolated (`postgres://u:hunter2@db/x`). */
const credentialUrl = (value: string) => /:\/\/[^:/@\s]+:([^@\s]+)@/.exec(value)?.[1]?.includes('$') === false;

function hasHealthcheck(svc: Service): boolean {
  const hc = svc.healthcheck;
  if (!isObject(hc) || hc.disable === true) return false;
  return !(Array.isArray(hc.test) && hc.test[0] === 'NONE');
}

function dependsOn(svc: Service): [string, string | undefined][] {
  const d = svc.depends_on;
  if (Array.isArray(d)) return d.map((n) => [String(n), undefined]);
  return isObject(d) ? Object.entries(d).map(([n, v]) => [n, isObject(v) && typeof v.condition === 'string' ? v.condition : undefined]) : [];
}

/** Published ports and the host address each binds (undefined: every interface). */
function publishedPorts(svc: Service): { spec: string; host: string | undefined }[] {
  return (Array.isArray(svc.ports) ? svc.ports : []).map((p) => {
    if (isObject(p)) return { spec: JSON.stringify(p), host: typeof p.host_ip === 'string' ? p.host_ip : undefined };
    const spec = String(p);
    const v6 = /^\[([^\]]+)\]:/.exec(spec);
    const parts = spec.split(':');
    return { spec, host: v6 ? v6[1] : parts.length === 3 ? parts[0] : undefined };
  });
}

const memoryLimit = (svc: Service) => {
  const limits = (svc.deploy as { resources?: { limits?: Record<string, unknown> } } | undefined)?.resources?.limits;
  return svc.mem_limit !== undefined || (isObject(limits) && limits.memory !== undefined);
};

const bindMountedData = (svc: Service): string[] =>
  (Array.isArray(svc.volumes) ? svc.volumes : [])
    .map((v) => (isObject(v) ? (v.type === 'bind' ? String(v.source) : '') : String(v).split(':').length > 1 ? String(v).split(':')[0]! : ''))
    .filter((src) => /^[./~]/.test(src));

/** `image: ${IMAGE}` / `${IMAGE:?msg}`: the whole reference comes from the deploy, i.e. the image CI built here. */
const deployedFromVariable = (image: unknown): boolean => typeof image === 'string' && /^\$\{[A-Za-z_]\w*(:?[?-][^}]*)?\}$/.test(image.trim());

// ---------- .gitignore ----------

/** Whether a .gitignore (given as text) ignores the file `.env` in its own folder. */
export function ignoresDotEnv(gitignore: string): boolean {
  let ignored = false;
  for (const raw of gitignore.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const negated = line.startsWith('!');
    const pattern = line.replace(/^!/, '').replace(/^\//, '').replace(/\/$/, '');
    if (pattern.includes('/')) continue;
    const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
    if (re.test('.env')) ignored = !negated;
  }
  return ignored;
}

function dotEnvIgnored(repo: Repo, composeFile: string): boolean {
  for (let dir = posix.dirname(composeFile); ; dir = posix.dirname(dir)) {
    const ignore = dir === '.' ? '.gitignore' : `${dir}/.gitignore`;
    if (repo.files.includes(ignore) && ignoresDotEnv(repo.read(ignore))) return true;
    if (dir === '.') return false;
  }
}

const envFiles = (svc: Service): string[] =>
  ([] as unknown[]).concat(svc.env_file ?? []).map((e) => (isObject(e) ? String(e.path) : String(e)));

// ---------- the checker ----------

/** The base compose file next to `file` (`compose.yaml`, `docker-compose.yml`…); none when `file` is the base. */
const BASE_FILE = /(^|\/)(docker-)?compose\.ya?ml$/;
function overlayBase(repo: Repo, file: string): Map<string, Service> {
  if (BASE_FILE.test(file)) return new Map();
  const dir = posix.dirname(file);
  const base = repo.files.find((f) => BASE_FILE.test(f) && posix.dirname(f) === dir);
  const services = base ? (parseYamlFile(repo.read(base)).value as { services?: unknown } | undefined)?.services : undefined;
  return new Map(Object.entries(isObject(services) ? services : {}).filter((e): e is [string, Service] => isObject(e[1])));
}

export const COMPOSE_FILE = /(^|\/)(docker-compose|compose)([.-][^/]*)?\.ya?ml$/;

function checkFile(repo: Repo, file: string, findings: Finding[]): void {
  const src = repo.read(file);
  const yaml = parseYamlFile(src);
  const at = (line: number, rule: string, message: string) => findings.push({ file, line, rule, message });
  for (const e of yaml.errors) at(e.line, 'DC-SYNTAX', e.message);
  if (yaml.errors.length > 0) return;
  if (!isObject(yaml.value)) {
    at(1, 'DC-SYNTAX', 'a compose file is a mapping with `services:`');
    return;
  }
  for (const e of deepestErrors(composeSchemaErrors(yaml.value)).slice(0, 20)) {
    const path = [...pointerPath(e.instancePath), ...(typeof e.params.additionalProperty === 'string' ? [e.params.additionalProperty] : [])];
    at(yaml.line(path), 'DC-SYNTAX', `${e.instancePath || '/'} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`);
  }
  const services = Object.entries(isObject(yaml.value.services) ? yaml.value.services : {}).filter((e): e is [string, Service] => isObject(e[1]));
  // An override file (compose.override.yaml, docker-compose.prod.yml…) only changes what the base file defines:
  // for services of the base, what it leaves out is judged in the base, what it sets is judged here.
  const base = overlayBase(repo, file);
  const partial = (name: string) => base.has(name);
  const databases = new Set([...base, ...services].filter(([, svc]) => isDatabaseService(svc)).map(([n]) => n));
  const readsDotEnv = services.some(([, s]) => envFiles(s).some((p) => posix.basename(p) === '.env')) || strings(yaml.value).some((v) => /(^|[^$])\$\{[A-Za-z_]/.test(v));
  if (readsDotEnv && !dotEnvIgnored(repo, file)) at(0, 'DC01', '.env (read by compose) is not in a .gitignore');
  for (const [name, svc] of services) {
    const line = (...path: string[]) => yaml.line(['services', name, ...path]);
    for (const [key, value] of environment(svc)) {
      if (value === undefined) continue;
      if ((SECRET_KEY.test(key) && literalSecret(value)) || credentialUrl(value)) at(line('environment', key), 'DC01', `${name}: environment ${key} holds a literal secret`);
    }
    const exempt = svc[HEALTHCHECK_EXEMPT];
    if (exempt !== undefined && (typeof exempt !== 'string' || exempt.trim() === '')) at(line(HEALTHCHECK_EXEMPT), 'DC02', `${name}: ${HEALTHCHECK_EXEMPT} must give the reason as text`);
    else if (!hasHealthcheck(svc) && exempt === undefined && (!partial(name) || svc.healthcheck !== undefined)) at(line(), 'DC02', `${name}: no healthcheck (nor ${HEALTHCHECK_EXEMPT}: "<reason>")`);
    for (const [dep, condition] of dependsOn(svc)) {
      if (databases.has(dep) && condition !== 'service_healthy') at(line('depends_on'), 'DC02', `${name}: depends on database ${dep} without condition: service_healthy`);
    }
    const built = svc.build !== undefined || base.get(name)?.build !== undefined;
    // A production compose (deploy/compose.yaml) runs this repo's image by digest: `image: ${IMAGE:?…}`.
    const ownImage = built || deployedFromVariable(svc.image) || deployedFromVariable(base.get(name)?.image);
    if (!built && typeof svc.image === 'string' && !svc.image.includes('$') && !isPinnedImage(svc.image)) at(line('image'), 'DC03', `${name}: image ${svc.image} is not pinned to a version`);
    const securityOpt = (Array.isArray(svc.security_opt) ? svc.security_opt : []).map(String);
    if (!securityOpt.some((o) => /^no-new-privileges([:=]true)?$/.test(o)) && (!partial(name) || svc.security_opt !== undefined)) at(line('security_opt'), 'DC04', `${name}: no security_opt no-new-privileges:true`);
    if (!(Array.isArray(svc.cap_drop) && svc.cap_drop.some((c) => String(c).toUpperCase() === 'ALL')) && (!partial(name) || svc.cap_drop !== undefined)) at(line('cap_drop'), 'DC04', `${name}: capabilities not dropped (cap_drop: [ALL])`);
    if (ownImage && (partial(name) ? svc.read_only === false : svc.read_only !== true)) at(line('read_only'), 'DC04', `${name}: ${built ? 'built here' : 'runs the image given at deploy time'} but its filesystem is writable (read_only: true)`);
    if (svc.privileged === true) at(line('privileged'), 'DC04', `${name}: runs privileged`);
    if (!memoryLimit(svc) && !partial(name)) at(line('deploy'), 'DC05', `${name}: no memory limit`);
    if (databases.has(name)) {
      for (const p of publishedPorts(svc)) if (!p.spec.includes('$') && !LOOPBACK.test(p.host ?? '')) at(line('ports'), 'DC05', `${name}: database port ${p.spec} is published on every interface`);
      for (const src of bindMountedData(svc)) at(line('volumes'), 'DC05', `${name}: data in a bind mount (${src}), not a named volume`);
    }
  }
}


export const composeChecker: Checker = {
  name: 'compose',
  rules,
  async check(repo: Repo): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const file of repo.files.filter((f) => COMPOSE_FILE.test(f))) {
      try {
        checkFile(repo, file, findings);
      } catch (error) {
        // A file shaped in a way our rules did not foresee: say so rather than abort the whole run.
        repo.skip(`compose rules on ${file} (${(error as Error).message})`);
      }
    }
    return findings;
  },
};
