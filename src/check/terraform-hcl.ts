/**
 * Terraform on the parsed HCL (hcl-fast.ts, else @cdktf/hcl2json): the directory model Terraform itself uses
 * (every .tf of a dir merged), module wiring, secrets and structure (TF01, TF03, TF04). Each problem names
 * its directory and, when it has one, the block it is about so that `check` can point at file:line.
 */
import { posix } from 'node:path';
import { parseHclFast, Unsupported } from './hcl-fast.js';

export type Block = Record<string, unknown>;

/** One Terraform directory (module or root): its .tf files merged the way Terraform merges them. */
export interface TfDir {
  files: string[];
  raw: unknown[];
  variables: Record<string, Block>;
  outputs: Record<string, Block>;
  modules: Record<string, Block>;
  locals: Record<string, unknown>;
  resources: Record<string, Record<string, Block>>;
  data: Record<string, Record<string, Block>>;
  terraform: Block[];
  providers: Block[];
  /** Provider local names used by resources and data sources (`aws_s3_bucket` → `aws`). */
  providersUsed: Set<string>;
  /** The file (repo path) declaring each block, keyed `resource aws_s3_bucket this`, `module network`, … */
  declaredIn: Map<string, string>;
}

/** A problem in a directory, optionally about one block (`['module', 'network']`). */
export interface TfProblem {
  readonly dir: string;
  readonly message: string;
  readonly block?: readonly string[];
}

const blocksByName = (section: unknown): [string, Block][] =>
  Object.entries((section ?? {}) as Record<string, Block[]>).map(([name, blocks]) => [name, blocks[0]!]);

/**
 * Parsed files by path and source: a process checking many copies of one file parses it once. hcl-fast.ts reads
 * the common subset of HCL in a few ms; any other file goes to HashiCorp's parser (@cdktf/hcl2json, Go compiled to
 * wasm, loaded only then), whose verdict and messages stand.
 */
const parsed = new Map<string, Promise<Record<string, unknown>>>();
async function parseFile(path: string, src: string): Promise<Record<string, unknown>> {
  const key = `${path}\0${src}`;
  let json = parsed.get(key);
  if (!json) {
    json = (async () => {
      try {
        return parseHclFast(src);
      } catch (error) {
        if (!(error instanceof Unsupported)) throw error;
        return hashicorpParse(path, src);
      }
    })();
    parsed.set(key, json);
    if (parsed.size > 2000) parsed.delete(parsed.keys().next().value!);
  }
  // A copy: callers may keep what they read, never change the cached tree.
  return structuredClone(await json);
}

/** HashiCorp's parser (Go compiled to wasm, loaded on first use). */
async function hashicorpParse(path: string, src: string): Promise<Record<string, unknown>> {
  const { parse } = await import('@cdktf/hcl2json');
  return (await parse(path, src)) as Record<string, unknown>;
}

/** HashiCorp's parser's message about a file, undefined when it parses (a second opinion on a rejected file). */
export function hashicorpSyntaxError(path: string, src: string): Promise<string | undefined> {
  return hashicorpParse(path, src).then(
    () => undefined,
    (error: unknown) => String((error as Error).message ?? error),
  );
}

/** Parse every .tf of `files` (path → source). A file that does not parse goes to `onError`, or throws without it. */
export async function parseTree(files: Map<string, string>, onError?: (path: string, message: string) => void): Promise<Map<string, TfDir>> {
  const dirs = new Map<string, TfDir>();
  // All at once (files that need HashiCorp's parser are then in flight together); used in file order.
  const tf = [...files].filter(([path]) => path.endsWith('.tf'));
  const results = await Promise.all(tf.map(([path, src]) => parseFile(path, src).then((json) => ({ json }), (error: unknown) => ({ error }))));
  for (const [i, [path]] of tf.entries()) {
    const result = results[i]!;
    if ('error' in result) {
      if (!onError) throw result.error;
      onError(path, String((result.error as Error).message ?? result.error));
      continue;
    }
    const json = result.json;
    const dir = posix.dirname(path);
    const d = dirs.get(dir) ?? { files: [], raw: [], variables: {}, outputs: {}, modules: {}, locals: {}, resources: {}, data: {}, terraform: [], providers: [], providersUsed: new Set<string>(), declaredIn: new Map<string, string>() };
    dirs.set(dir, d);
    d.files.push(posix.basename(path));
    d.raw.push(json);
    for (const [kind, into] of [['variable', d.variables], ['output', d.outputs], ['module', d.modules]] as const) {
      for (const [name, block] of blocksByName(json[kind])) {
        into[name] = block;
        d.declaredIn.set(`${kind} ${name}`, path);
      }
    }
    for (const locals of (json.locals ?? []) as Block[]) Object.assign(d.locals, locals);
    for (const [kind, into] of [['resource', d.resources], ['data', d.data]] as const) {
      for (const [type, byName] of Object.entries((json[kind] ?? {}) as Record<string, unknown>)) {
        into[type] = { ...into[type], ...Object.fromEntries(blocksByName(byName)) };
        for (const name of Object.keys(byName as object)) d.declaredIn.set(`${kind} ${type} ${name}`, path);
        d.providersUsed.add(type.split('_')[0]!);
      }
    }
    for (const t of (json.terraform ?? []) as Block[]) {
      if (!d.declaredIn.has('terraform') || t.required_version || t.required_providers) d.declaredIn.set('terraform', path);
      for (const type of Object.keys((t.backend ?? {}) as object)) d.declaredIn.set(`backend ${type}`, path);
    }
    d.terraform.push(...((json.terraform ?? []) as Block[]));
    d.providers.push(...Object.values((json.provider ?? {}) as Record<string, Block[]>).flat());
  }
  return dirs;
}

/** Every string value under `node`, with the key it sits under. */
export function strings(node: unknown, key = '', out: [string, string][] = []): [string, string][] {
  // A plain recursion into one array: nested generators cost ~10 ms of a cold check.
  if (typeof node === 'string') out.push([key, node]);
  else if (Array.isArray(node)) for (const item of node) strings(item, key, out);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) strings(v, k, out);
  return out;
}

/** The directory a module call's source names, when it is a local path. */
export const moduleDir = (dir: string, source: unknown): string | undefined =>
  typeof source === 'string' && /^\.\.?\//.test(source) ? posix.normalize(posix.join(dir, source)) : undefined;

const META_ARGS = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on']);

/**
 * Module wiring: each local call's source is a parsed directory, every argument is a declared variable, every
 * required variable (no default) is passed, and every `module.<call>.<output>` reference names a real output.
 */
export function moduleCallFindings(dirs: Map<string, TfDir>): TfProblem[] {
  const problems: TfProblem[] = [];
  for (const [dir, config] of dirs) {
    const targets = new Map<string, TfDir>();
    for (const [call, args] of Object.entries(config.modules)) {
      const at = (message: string): void => void problems.push({ dir, message: `module "${call}": ${message}`, block: ['module', call] });
      const local = moduleDir(dir, args.source);
      if (local === undefined) continue; // registry or git module: its interface is not in the repo
      const target = dirs.get(local);
      if (!target) {
        at(`source ${String(args.source)} is not a module directory`);
        continue;
      }
      targets.set(call, target);
      for (const arg of Object.keys(args)) if (!META_ARGS.has(arg) && !(arg in target.variables)) at(`passes undeclared variable "${arg}"`);
      for (const [name, variable] of Object.entries(target.variables)) if (!('default' in variable) && !(name in args)) at(`misses required variable "${name}"`);
    }
    for (const [, value] of strings(config.raw)) {
      for (const [, call, output] of value.matchAll(/\bmodule\.([\w-]+)\.([\w-]+)/g)) {
        const target = targets.get(call!);
        if (target && !(output! in target.outputs)) problems.push({ dir, message: `module.${call}.${output} is not an output of ${call}`, block: ['module', call!] });
      }
    }
  }
  return problems;
}

const SECRET_NAME = /(password|secret|token|private_key|access_key)/i;
/** Arguments whose names look secret but hold a setting, e.g. IMDSv2's `http_tokens = "required"`. */
const NOT_SECRETS = new Set(['http_tokens']);
/** Provider and backend arguments that carry credentials (aws, google, azurerm, s3, gcs, azurerm backends). */
const CREDENTIAL_ARGS = ['access_key', 'secret_key', 'token', 'credentials', 'access_token', 'client_secret', 'client_certificate', 'client_certificate_password', 'sas_token'];

/** TF03: no literal credentials; secret-looking and sensitive-derived outputs are marked sensitive. */
export function secretFindings(dirs: Map<string, TfDir>): TfProblem[] {
  const problems: TfProblem[] = [];
  for (const [dir, config] of dirs) {
    const at = (message: string, block?: string[]): void => void problems.push({ dir, message, ...(block ? { block } : {}) });
    for (const [key, value] of strings(config.raw)) {
      if (SECRET_NAME.test(key) && !key.endsWith('_id') && !NOT_SECRETS.has(key) && !value.startsWith('${')) at(`literal value for ${key}`);
      if (/\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(value)) at('AWS access key ID literal');
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----|"private_key_id"/.test(value)) at('private key literal');
    }
    const backends = config.terraform.flatMap((t) => Object.values((t.backend ?? {}) as Record<string, Block[]>).flat());
    for (const [kind, block] of [...config.providers.map((p) => ['provider', p] as const), ...backends.map((b) => ['backend', b] as const)]) {
      for (const key of CREDENTIAL_ARGS) if (key in block) at(`${kind} sets ${key}`);
    }
    for (const [name, output] of Object.entries(config.outputs)) {
      const fromSensitive = [...String(output.value).matchAll(/\bmodule\.([\w-]+)\.([\w-]+)/g)].some(([, call, out]) => {
        const target = dirs.get(moduleDir(dir, config.modules[call!]?.source) ?? '');
        return target?.outputs[out!]?.sensitive === true;
      });
      if ((SECRET_NAME.test(name) || fromSensitive) && output.sensitive !== true) at(`output ${name} not sensitive`, ['output', name]);
    }
    for (const [name, variable] of Object.entries(config.variables)) {
      if (SECRET_NAME.test(name) && variable.sensitive !== true) at(`variable ${name} not sensitive`, ['variable', name]);
    }
  }
  return problems;
}

/** TF01 (versions pinned) and TF04 (typed, described interface) for one directory, tagged with their rule. */
export function structureFindings(dir: string, config: TfDir): (TfProblem & { rule: 'TF01' | 'TF04' })[] {
  const problems: (TfProblem & { rule: 'TF01' | 'TF04' })[] = [];
  const at = (rule: 'TF01' | 'TF04', message: string, block?: string[]): void => void problems.push({ dir, rule, message, ...(block ? { block } : {}) });
  if (!config.terraform.some((t) => typeof t.required_version === 'string' && t.required_version !== '')) at('TF01', 'no required_version', ['terraform']);
  const required = requiredProviders(config);
  for (const [name, p] of Object.entries(required)) if (!p.source || !p.version) at('TF01', `provider ${name} without source and version`, ['terraform']);
  for (const name of config.providersUsed) if (!(name in required)) at('TF01', `provider ${name} used but not in required_providers`, ['terraform']);
  for (const [name, v] of Object.entries(config.variables)) if (!v.type || !v.description) at('TF04', `variable ${name} lacks type or description`, ['variable', name]);
  for (const [name, o] of Object.entries(config.outputs)) if (!o.description) at('TF04', `output ${name} lacks description`, ['output', name]);
  return problems;
}

const text = (p: TfProblem): string => `${p.dir}: ${p.message}`;
/** The same checks as `dir: message` lines (what the tests compare). */
export const moduleCallProblems = (dirs: Map<string, TfDir>): string[] => moduleCallFindings(dirs).map(text);
export const secretProblems = (dirs: Map<string, TfDir>): string[] => secretFindings(dirs).map(text);
export const structureProblems = (dir: string, config: TfDir): string[] => structureFindings(dir, config).map(text);

export const requiredProviders = (config: TfDir): Record<string, Block> =>
  Object.assign({}, ...config.terraform.flatMap((t) => (t.required_providers ?? []) as Block[])) as Record<string, Block>;

/** The backend blocks of a root: type and arguments. */
export function backendOf(config: TfDir): { type: string; args: Block }[] {
  return config.terraform.flatMap((t) => Object.entries((t.backend ?? {}) as Record<string, Block[]>).flatMap(([type, blocks]) => blocks.map((args) => ({ type, args }))));
}

/** Resolve `${local.x}` against the directory's locals; other values as they are. */
export const resolve = (config: TfDir, value: unknown): unknown => {
  const ref = typeof value === 'string' ? /^\$\{local\.(\w+)\}$/.exec(value) : null;
  return ref ? config.locals[ref[1]!] : value;
};

/** First nested block of a parsed block (`a.b[0]`), for readable assertions. */
export const first = (block: unknown, key: string): Block => (((block as Block | undefined)?.[key] ?? []) as Block[])[0] ?? {};
