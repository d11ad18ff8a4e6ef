/**
 * Terraform (AWS): every rendered .tf parses (@cdktf/hcl2json), and the HARDENING TF rules and the module
 * wiring hold on the parsed HCL. The small checkers here move to src/check/ later.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { renderToDir, tempDir } from './helpers/render.js';

type Block = Record<string, unknown>;

/** One Terraform directory (module or root): its .tf files merged the way Terraform merges them. */
interface TfDir {
  files: string[];
  raw: unknown[];
  variables: Record<string, Block>;
  outputs: Record<string, Block>;
  modules: Record<string, Block>;
  locals: Record<string, unknown>;
  resources: Record<string, Record<string, Block>>;
  terraform: Block[];
  providers: Block[];
  /** Provider local names used by resources and data sources (`aws_s3_bucket` → `aws`). */
  providersUsed: Set<string>;
}

const blocksByName = (section: unknown): [string, Block][] =>
  Object.entries((section ?? {}) as Record<string, Block[]>).map(([name, blocks]) => [name, blocks[0]!]);

async function parseTree(files: Map<string, string>): Promise<Map<string, TfDir>> {
  const dirs = new Map<string, TfDir>();
  for (const [path, src] of files) {
    if (!path.endsWith('.tf')) continue;
    const json = (await parse(path, src)) as Record<string, unknown>;
    const dir = posix.dirname(path);
    const d = dirs.get(dir) ?? { files: [], raw: [], variables: {}, outputs: {}, modules: {}, locals: {}, resources: {}, terraform: [], providers: [], providersUsed: new Set<string>() };
    dirs.set(dir, d);
    d.files.push(posix.basename(path));
    d.raw.push(json);
    for (const [name, block] of blocksByName(json.variable)) d.variables[name] = block;
    for (const [name, block] of blocksByName(json.output)) d.outputs[name] = block;
    for (const [name, block] of blocksByName(json.module)) d.modules[name] = block;
    for (const locals of (json.locals ?? []) as Block[]) Object.assign(d.locals, locals);
    for (const [type, byName] of Object.entries((json.resource ?? {}) as Record<string, unknown>)) {
      d.resources[type] = { ...d.resources[type], ...Object.fromEntries(blocksByName(byName)) };
    }
    for (const type of [...Object.keys(json.resource ?? {}), ...Object.keys(json.data ?? {})]) d.providersUsed.add(type.split('_')[0]!);
    d.terraform.push(...((json.terraform ?? []) as Block[]));
    d.providers.push(...Object.values((json.provider ?? {}) as Record<string, Block[]>).flat());
  }
  return dirs;
}

/** Every string value under `node`, with the key it sits under. */
function* strings(node: unknown, key = ''): Generator<[string, string]> {
  if (typeof node === 'string') yield [key, node];
  else if (Array.isArray(node)) for (const item of node) yield* strings(item, key);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) yield* strings(v, k);
}

const META_ARGS = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on']);

/**
 * Module wiring: each call's source is a parsed directory, every argument is a declared variable, every
 * required variable (no default) is passed, and every `module.<call>.<output>` reference names a real output.
 */
function moduleCallProblems(dirs: Map<string, TfDir>): string[] {
  const problems: string[] = [];
  for (const [dir, config] of dirs) {
    const targets = new Map<string, TfDir>();
    for (const [call, args] of Object.entries(config.modules)) {
      const where = `${dir}: module "${call}"`;
      const target = dirs.get(posix.normalize(posix.join(dir, String(args.source))));
      if (!target) {
        problems.push(`${where}: source ${String(args.source)} is not a module directory`);
        continue;
      }
      targets.set(call, target);
      for (const arg of Object.keys(args)) {
        if (!META_ARGS.has(arg) && !(arg in target.variables)) problems.push(`${where}: passes undeclared variable "${arg}"`);
      }
      for (const [name, variable] of Object.entries(target.variables)) {
        if (!('default' in variable) && !(name in args)) problems.push(`${where}: misses required variable "${name}"`);
      }
    }
    for (const [, value] of strings(config.raw)) {
      for (const [, call, output] of value.matchAll(/\bmodule\.([\w-]+)\.([\w-]+)/g)) {
        const target = targets.get(call!);
        if (target && !(output! in target.outputs)) problems.push(`${dir}: module.${call}.${output} is not an output of ${call}`);
      }
    }
  }
  return problems;
}

const SECRET_NAME = /(password|secret|token|private_key|access_key)/i;

/** TF03: no literal credentials; secret-looking and sensitive-derived outputs are marked sensitive. */
function secretProblems(dirs: Map<string, TfDir>): string[] {
  const problems: string[] = [];
  for (const [dir, config] of dirs) {
    for (const [key, value] of strings(config.raw)) {
      if (SECRET_NAME.test(key) && !key.endsWith('_id') && !value.startsWith('${')) problems.push(`${dir}: literal value for ${key}`);
      if (/\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(value)) problems.push(`${dir}: AWS access key ID literal`);
    }
    for (const provider of config.providers) {
      for (const key of ['access_key', 'secret_key', 'token']) if (key in provider) problems.push(`${dir}: provider sets ${key}`);
    }
    for (const [name, output] of Object.entries(config.outputs)) {
      const fromSensitive = [...String(output.value).matchAll(/\bmodule\.([\w-]+)\.([\w-]+)/g)].some(([, call, out]) => {
        const target = dirs.get(posix.normalize(posix.join(dir, String(config.modules[call!]?.source))));
        return target?.outputs[out!]?.sensitive === true;
      });
      if ((SECRET_NAME.test(name) || fromSensitive) && output.sensitive !== true) problems.push(`${dir}: output ${name} not sensitive`);
    }
    for (const [name, variable] of Object.entries(config.variables)) {
      if (SECRET_NAME.test(name) && variable.sensitive !== true) problems.push(`${dir}: variable ${name} not sensitive`);
    }
  }
  return problems;
}

/** TF01 + TF04 for one directory. */
function structureProblems(dir: string, config: TfDir): string[] {
  const problems: string[] = [];
  if (!config.terraform.some((t) => typeof t.required_version === 'string' && t.required_version !== '')) problems.push(`${dir}: no required_version`);
  const required = Object.assign({}, ...config.terraform.flatMap((t) => (t.required_providers ?? []) as Block[])) as Record<string, Block>;
  for (const [name, p] of Object.entries(required)) if (!p.source || !p.version) problems.push(`${dir}: provider ${name} without source and version`);
  for (const name of config.providersUsed) if (!(name in required)) problems.push(`${dir}: provider ${name} used but not in required_providers`);
  for (const [name, v] of Object.entries(config.variables)) {
    if (!v.type || !v.description) problems.push(`${dir}: variable ${name} lacks type or description`);
  }
  for (const [name, o] of Object.entries(config.outputs)) if (!o.description) problems.push(`${dir}: output ${name} lacks description`);
  return problems;
}

/** Resolve `${local.x}` against the directory's locals; other values as they are. */
const resolve = (config: TfDir, value: unknown): unknown => {
  const ref = typeof value === 'string' ? /^\$\{local\.(\w+)\}$/.exec(value) : null;
  return ref ? config.locals[ref[1]!] : value;
};

const MODULES = ['network', 'cluster', 'registry', 'state-backend', 'github-oidc', 'deploy-role'];
const ENVIRONMENTS = ['staging', 'production'] as const;
const terraformBin = '/usr/local/bin/terraform';

const cells: { label: string; overrides: Partial<Answers> }[] = [
  { label: 'defaults', overrides: {} },
  { label: 'postgres, shop-api, us-east-2', overrides: { database: 'postgres', name: 'shop-api', region: 'us-east-2' } },
];

describe.each(cells)('terraform piece: $label', ({ overrides }) => {
  let out: { dir: string; files: Map<string, string> };
  let dirs: Map<string, TfDir>;
  const postgres = overrides.database === 'postgres';
  const get = (dir: string): TfDir => dirs.get(dir) ?? expect.fail(`${dir} not rendered`);

  beforeAll(async () => {
    out = renderToDir(overrides, ['terraform']);
    dirs = await parseTree(out.files);
  });

  it('renders the modules, the bootstrap root and both environment roots, and every .tf and tfvars example parses', async () => {
    const expected = [...MODULES, ...(postgres ? ['database'] : [])].map((m) => `terraform/modules/${m}`);
    expect([...dirs.keys()].sort()).toEqual([...expected, 'terraform/bootstrap', ...ENVIRONMENTS.map((e) => `terraform/environments/${e}`)].sort());
    expect([...dirs.values()].reduce((n, d) => n + d.files.length, 0)).toBe([...out.files.keys()].filter((p) => p.endsWith('.tf')).length);
    for (const [path, src] of out.files) if (path.endsWith('.tfvars.example')) await expect(parse(path, src)).resolves.toBeTypeOf('object');
    const ignored = out.files.get('terraform/.gitignore')?.split('\n') ?? [];
    expect(ignored).toEqual(expect.arrayContaining(['*.tfstate', '*.tfvars', '.terraform/']));
  });

  it('TF05: each module has main.tf, variables.tf, outputs.tf, versions.tf and a README.md listing its inputs and outputs', () => {
    for (const [dir, config] of dirs) {
      if (!dir.startsWith('terraform/modules/')) continue;
      expect(config.files.sort(), dir).toEqual(['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf']);
      const readme = out.files.get(`${dir}/README.md`) ?? expect.fail(`${dir}/README.md missing`);
      for (const name of [...Object.keys(config.variables), ...Object.keys(config.outputs)]) expect(readme, `${dir} README`).toContain(`| \`${name}\` |`);
    }
  });

  it('TF01 + TF04: required_version, constrained providers, typed and described variables, described outputs', () => {
    expect([...dirs].flatMap(([dir, config]) => structureProblems(dir, config))).toEqual([]);
    const aws = get('terraform/modules/cluster').terraform.flatMap((t) => (t.required_providers ?? []) as Block[])[0]?.aws as Block;
    expect(aws).toEqual({ source: 'hashicorp/aws', version: '~> 6.0' });
  });

  it('module calls: sources exist, arguments are declared variables, required variables are passed, outputs exist', () => {
    expect(moduleCallProblems(dirs)).toEqual([]);
    expect(Object.keys(get('terraform/bootstrap').modules).sort()).toEqual(['github_oidc', 'registry', 'state_backend']);
    for (const env of ENVIRONMENTS) {
      const calls = Object.keys(get(`terraform/environments/${env}`).modules).sort();
      expect(calls).toEqual(['cluster', ...(postgres ? ['database'] : []), 'deploy_role', 'network']);
    }
  });

  it('TF02: each environment stores its state in S3, encrypted with the state key and locked; the bucket is versioned and private', () => {
    const name = String(get('terraform/bootstrap').locals.name);
    expect(name).toBe(overrides.name ?? 'demo-app');
    for (const env of ENVIRONMENTS) {
      const root = get(`terraform/environments/${env}`);
      const s3 = root.terraform.flatMap((t) => ((t.backend as Block | undefined)?.s3 ?? []) as Block[]);
      expect(s3).toHaveLength(1);
      expect(s3[0]).toMatchObject({ key: `${name}/${env}/terraform.tfstate`, encrypt: true, use_lockfile: true, kms_key_id: `alias/${name}-tfstate` });
      expect(s3[0]).not.toHaveProperty('dynamodb_table');
      expect(root.locals.environment).toBe(env);
    }
    const backend = get('terraform/modules/state-backend').resources;
    expect(backend.aws_s3_bucket_versioning?.this?.versioning_configuration).toEqual([{ status: 'Enabled' }]);
    expect(backend.aws_s3_bucket_public_access_block?.this).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
    expect(backend.aws_s3_bucket_server_side_encryption_configuration?.this).toBeDefined();
    expect(backend.aws_kms_alias?.this?.name).toBe('alias/${var.name}-tfstate');
  });

  it('TF03: no literal credentials or secrets; secret outputs are sensitive', () => {
    expect(secretProblems(dirs)).toEqual([]);
    if (postgres) {
      const db = get('terraform/modules/database').resources.aws_db_instance?.this ?? expect.fail('no aws_db_instance');
      expect(db.manage_master_user_password).toBe(true);
      expect(db).not.toHaveProperty('password');
      expect(get('terraform/environments/production').outputs.database_master_user_secret_arn?.sensitive).toBe(true);
    }
  });

  it('TF06 + TF07: private-by-default API with 0.0.0.0/0 rejected, encrypted secrets, audit logs, private nodes; immutable scanned registry', () => {
    const cluster = get('terraform/modules/cluster');
    const eks = cluster.resources.aws_eks_cluster?.this ?? expect.fail('no aws_eks_cluster');
    expect((eks.encryption_config as Block[])[0]?.resources).toEqual(['secrets']);
    expect(eks.enabled_cluster_log_types).toContain('audit');
    expect((eks.vpc_config as Block[])[0]).toMatchObject({ endpoint_private_access: true, endpoint_public_access: '${length(var.api_allowed_cidrs) > 0}' });
    const cidrs = cluster.variables.api_allowed_cidrs ?? expect.fail('no api_allowed_cidrs');
    expect(cidrs.default).toEqual([]);
    expect(String((cidrs.validation as Block[])[0]?.condition)).toContain('"0.0.0.0/0"');
    expect(cluster.resources.aws_eks_node_group?.default?.subnet_ids).toBe('${var.private_subnet_ids}');
    const ecr = get('terraform/modules/registry').resources.aws_ecr_repository?.this ?? expect.fail('no aws_ecr_repository');
    expect(ecr.image_tag_mutability).toBe('IMMUTABLE');
    expect(ecr.image_scanning_configuration).toEqual([{ scan_on_push: true }]);
  });

  it('TF08: the database module exists only with postgres; encrypted, private, backed up, deletion-protected in production', () => {
    expect(out.files.has('terraform/modules/database/main.tf')).toBe(postgres);
    if (!postgres) return;
    const db = get('terraform/modules/database').resources.aws_db_instance?.this ?? expect.fail('no aws_db_instance');
    expect(db).toMatchObject({ storage_encrypted: true, publicly_accessible: false, backup_retention_period: '${var.backup_retention_days}' });
    const settings = (env: string) => {
      const root = get(`terraform/environments/${env}`);
      const call = root.modules.database ?? expect.fail(`${env}: no database module`);
      return { deletion: resolve(root, call.deletion_protection), multiAz: resolve(root, call.multi_az), backups: resolve(root, call.backup_retention_days) };
    };
    expect(settings('production')).toEqual({ deletion: true, multiAz: true, backups: 30 });
    expect(settings('staging')).toMatchObject({ deletion: false, multiAz: false });
  });

  it('TF09: providers tag every resource with app, environment and managed-by; user values arrive quoted', () => {
    for (const root of ['terraform/bootstrap', ...ENVIRONMENTS.map((e) => `terraform/environments/${e}`)]) {
      const tags = ((get(root).providers[0]?.default_tags as Block[])[0]?.tags ?? {}) as Block;
      expect(Object.keys(tags).sort(), root).toEqual(['app', 'environment', 'managed-by']);
      expect(get(root).variables.region?.default).toBe(overrides.region ?? 'eu-west-1');
    }
  });

  it.skipIf(!existsSync(terraformBin))('terraform fmt -check: rendered files are canonically formatted', () => {
    const fmt = spawnSync(terraformBin, ['fmt', '-check', '-diff', '-recursive', join(out.dir, 'terraform')], { encoding: 'utf8' });
    expect(fmt.stdout).toBe('');
    expect(fmt.status).toBe(0);
  });
});

describe('terraform checkers catch what they claim to', () => {
  const tree = (files: Record<string, string>) => parseTree(new Map(Object.entries(files)));
  const module = 'variable "name" {\n  type        = string\n  description = "n"\n}\n\noutput "id" {\n  description = "i"\n  value       = var.name\n}\n';

  it('flags an undeclared argument, a missing required variable, a missing source and an unknown output', async () => {
    const dirs = await tree({
      'terraform/modules/m/variables.tf': module,
      'terraform/root/main.tf': 'module "a" {\n  source = "../modules/m"\n  nmae   = "x"\n}\n\nmodule "b" {\n  source = "../modules/gone"\n}\n\noutput "o" {\n  description = "o"\n  value       = module.a.idd\n}\n',
    });
    expect(moduleCallProblems(dirs)).toEqual([
      'terraform/root: module "a": passes undeclared variable "nmae"',
      'terraform/root: module "a": misses required variable "name"',
      'terraform/root: module "b": source ../modules/gone is not a module directory',
      'terraform/root: module.a.idd is not an output of a',
    ]);
  });

  it('flags a literal password, provider keys and an unmarked secret output', async () => {
    const dirs = await tree({
      'terraform/root/main.tf':
        'provider "aws" {\n  access_key = "AKIAABCDEFGHIJKLMNOP"\n}\n\nresource "aws_db_instance" "x" {\n  password = "hunter2"\n}\n\noutput "db_secret" {\n  description = "s"\n  value       = "x"\n}\n',
    });
    const problems = secretProblems(dirs);
    expect(problems).toEqual(expect.arrayContaining(['terraform/root: literal value for password', 'terraform/root: provider sets access_key', 'terraform/root: output db_secret not sensitive']));
    expect(structureProblems('terraform/root', dirs.get('terraform/root')!)).toEqual(
      expect.arrayContaining(['terraform/root: no required_version', 'terraform/root: provider aws used but not in required_providers']),
    );
  });

  it.skipIf(!existsSync(terraformBin))('terraform fmt -check rejects misaligned attributes', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'main.tf'), 'locals {\n  a = 1\n  long_name = 2\n}\n');
    expect(spawnSync(terraformBin, ['fmt', '-check', dir], { encoding: 'utf8' }).status).not.toBe(0);
  });
});
