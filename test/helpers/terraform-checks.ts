/**
 * Terraform checkers on the HCL parsed by @cdktf/hcl2json: directory model, module wiring, secrets and the
 * structural TF rules, then what each cloud must satisfy. The checkers move to src/check/ later; the
 * per-cloud expectations at the end assert with vitest and stay with the tests.
 */
import { posix } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { expect } from 'vitest';
import type { CloudId } from '../../src/catalog/index.js';

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
}

const blocksByName = (section: unknown): [string, Block][] =>
  Object.entries((section ?? {}) as Record<string, Block[]>).map(([name, blocks]) => [name, blocks[0]!]);

const byType = (section: unknown, into: Record<string, Record<string, Block>>): void => {
  for (const [type, byName] of Object.entries((section ?? {}) as Record<string, unknown>)) {
    into[type] = { ...into[type], ...Object.fromEntries(blocksByName(byName)) };
  }
};

export async function parseTree(files: Map<string, string>): Promise<Map<string, TfDir>> {
  const dirs = new Map<string, TfDir>();
  for (const [path, src] of files) {
    if (!path.endsWith('.tf')) continue;
    const json = (await parse(path, src)) as Record<string, unknown>;
    const dir = posix.dirname(path);
    const d = dirs.get(dir) ?? { files: [], raw: [], variables: {}, outputs: {}, modules: {}, locals: {}, resources: {}, data: {}, terraform: [], providers: [], providersUsed: new Set<string>() };
    dirs.set(dir, d);
    d.files.push(posix.basename(path));
    d.raw.push(json);
    for (const [name, block] of blocksByName(json.variable)) d.variables[name] = block;
    for (const [name, block] of blocksByName(json.output)) d.outputs[name] = block;
    for (const [name, block] of blocksByName(json.module)) d.modules[name] = block;
    for (const locals of (json.locals ?? []) as Block[]) Object.assign(d.locals, locals);
    byType(json.resource, d.resources);
    byType(json.data, d.data);
    for (const type of [...Object.keys(json.resource ?? {}), ...Object.keys(json.data ?? {})]) d.providersUsed.add(type.split('_')[0]!);
    d.terraform.push(...((json.terraform ?? []) as Block[]));
    d.providers.push(...Object.values((json.provider ?? {}) as Record<string, Block[]>).flat());
  }
  return dirs;
}

/** Every string value under `node`, with the key it sits under. */
export function* strings(node: unknown, key = ''): Generator<[string, string]> {
  if (typeof node === 'string') yield [key, node];
  else if (Array.isArray(node)) for (const item of node) yield* strings(item, key);
  else if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) yield* strings(v, k);
}

const META_ARGS = new Set(['source', 'version', 'providers', 'count', 'for_each', 'depends_on']);

/**
 * Module wiring: each call's source is a parsed directory, every argument is a declared variable, every
 * required variable (no default) is passed, and every `module.<call>.<output>` reference names a real output.
 */
export function moduleCallProblems(dirs: Map<string, TfDir>): string[] {
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
/** Provider and backend arguments that carry credentials (aws, google, azurerm, s3, gcs, azurerm backends). */
const CREDENTIAL_ARGS = ['access_key', 'secret_key', 'token', 'credentials', 'access_token', 'client_secret', 'client_certificate', 'client_certificate_password', 'sas_token'];

/** TF03: no literal credentials; secret-looking and sensitive-derived outputs are marked sensitive. */
export function secretProblems(dirs: Map<string, TfDir>): string[] {
  const problems: string[] = [];
  for (const [dir, config] of dirs) {
    for (const [key, value] of strings(config.raw)) {
      if (SECRET_NAME.test(key) && !key.endsWith('_id') && !value.startsWith('${')) problems.push(`${dir}: literal value for ${key}`);
      if (/\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(value)) problems.push(`${dir}: AWS access key ID literal`);
      if (/-----BEGIN [A-Z ]*PRIVATE KEY-----|"private_key_id"/.test(value)) problems.push(`${dir}: private key literal`);
    }
    const backends = config.terraform.flatMap((t) => Object.values((t.backend ?? {}) as Record<string, Block[]>).flat());
    for (const [kind, block] of [...config.providers.map((p) => ['provider', p] as const), ...backends.map((b) => ['backend', b] as const)]) {
      for (const key of CREDENTIAL_ARGS) if (key in block) problems.push(`${dir}: ${kind} sets ${key}`);
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
export function structureProblems(dir: string, config: TfDir): string[] {
  const problems: string[] = [];
  if (!config.terraform.some((t) => typeof t.required_version === 'string' && t.required_version !== '')) problems.push(`${dir}: no required_version`);
  const required = requiredProviders(config);
  for (const [name, p] of Object.entries(required)) if (!p.source || !p.version) problems.push(`${dir}: provider ${name} without source and version`);
  for (const name of config.providersUsed) if (!(name in required)) problems.push(`${dir}: provider ${name} used but not in required_providers`);
  for (const [name, v] of Object.entries(config.variables)) {
    if (!v.type || !v.description) problems.push(`${dir}: variable ${name} lacks type or description`);
  }
  for (const [name, o] of Object.entries(config.outputs)) if (!o.description) problems.push(`${dir}: output ${name} lacks description`);
  return problems;
}

export const requiredProviders = (config: TfDir): Record<string, Block> =>
  Object.assign({}, ...config.terraform.flatMap((t) => (t.required_providers ?? []) as Block[])) as Record<string, Block>;

/** The one backend block of a root: its type and arguments. */
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

// ---------- per-cloud expectations (test-only: they assert with vitest's expect) ----------

/** azurerm resource types without a `tags` argument (checked against the provider schema). */
const AZURE_UNTAGGABLE = new Set(['federated_identity_credential', 'management_lock', 'monitor_diagnostic_setting', 'nat_gateway_public_ip_association',
  'postgresql_flexible_server_active_directory_administrator', 'postgresql_flexible_server_configuration', 'postgresql_flexible_server_database',
  'role_assignment', 'security_center_subscription_pricing', 'storage_container', 'storage_management_policy', 'subnet',
  'subnet_nat_gateway_association', 'subnet_network_security_group_association'].map((t) => `azurerm_${t}`));

const TAG_KEYS = ['app', 'environment', 'managed-by'];
const res = (dir: TfDir, type: string, name: string): Block => dir.resources[type]?.[name] ?? expect.fail(`no ${type}.${name}`);

/** What differs per cloud: the backend, the resources each rule looks at, the CI variable names. */
export interface CloudRules {
  regionVariable: string;
  /** GitHub variables (contract names table) the bootstrap and environment outputs tell the user to set. */
  ciVariables: { bootstrap: string[]; environment: string[] };
  backend(args: Block, name: string, env: string): void;
  stateStore(mod: TfDir): void;
  cluster(mod: TfDir): void;
  registry(mod: TfDir): void;
  database(mod: TfDir): void;
  /** Argument names of the environment's database module call: deletion protection, HA, backup retention. */
  dbCall: [string, string, string];
  /** TF09: tags/labels problems of one root and the modules it calls. */
  tagProblems(rootDir: string, dirs: Map<string, TfDir>): string[];
}

const defaultTagProblems = (key: 'default_tags' | 'default_labels') => (rootDir: string, dirs: Map<string, TfDir>): string[] => {
  const provider = dirs.get(rootDir)?.providers[0] ?? {};
  const tags = (key === 'default_tags' ? first(provider, 'default_tags').tags : provider.default_labels) as Block | undefined;
  return JSON.stringify(Object.keys(tags ?? {}).sort()) === JSON.stringify(TAG_KEYS) ? [] : [`provider ${key} are ${Object.keys(tags ?? {})}`];
};

export const cloudRules: Record<CloudId, CloudRules> = {
  aws: {
    regionVariable: 'region',
    ciVariables: { bootstrap: ['AWS_PUSH_ROLE_ARN'], environment: ['AWS_DEPLOY_ROLE_ARN'] },
    backend: (args, name, env) => {
      expect(Object.keys(args).sort()).toEqual(['encrypt', 'key', 'kms_key_id', 'region', 'use_lockfile']);
      expect(args).toMatchObject({ key: `${name}/${env}/terraform.tfstate`, encrypt: true, use_lockfile: true, kms_key_id: `alias/${name}-tfstate` });
    },
    stateStore: (mod) => {
      expect(res(mod, 'aws_s3_bucket_versioning', 'this').versioning_configuration).toEqual([{ status: 'Enabled' }]);
      expect(res(mod, 'aws_s3_bucket_public_access_block', 'this')).toMatchObject({ block_public_acls: true, block_public_policy: true, ignore_public_acls: true, restrict_public_buckets: true });
      expect(first(res(mod, 'aws_s3_bucket_server_side_encryption_configuration', 'this'), 'rule')).toHaveProperty('apply_server_side_encryption_by_default');
      expect(res(mod, 'aws_kms_alias', 'this').name).toBe('alias/${var.name}-tfstate');
    },
    cluster: (mod) => {
      const eks = res(mod, 'aws_eks_cluster', 'this');
      expect(first(eks, 'encryption_config').resources).toEqual(['secrets']);
      expect(eks.enabled_cluster_log_types).toContain('audit');
      expect(first(eks, 'vpc_config')).toMatchObject({ endpoint_private_access: true, endpoint_public_access: '${length(var.api_allowed_cidrs) > 0}' });
      expect(res(mod, 'aws_eks_node_group', 'default').subnet_ids).toBe('${var.private_subnet_ids}');
    },
    registry: (mod) => {
      const ecr = res(mod, 'aws_ecr_repository', 'this');
      expect(ecr.image_tag_mutability).toBe('IMMUTABLE');
      expect(ecr.image_scanning_configuration).toEqual([{ scan_on_push: true }]);
    },
    database: (mod) => {
      const db = res(mod, 'aws_db_instance', 'this');
      expect(db).toMatchObject({ storage_encrypted: true, publicly_accessible: false, backup_retention_period: '${var.backup_retention_days}', manage_master_user_password: true });
      expect(db).not.toHaveProperty('password');
    },
    dbCall: ['deletion_protection', 'multi_az', 'backup_retention_days'],
    tagProblems: defaultTagProblems('default_tags'),
  },
  gcp: {
    regionVariable: 'region',
    ciVariables: { bootstrap: ['GCP_WORKLOAD_IDENTITY_PROVIDER', 'GCP_PUSH_SERVICE_ACCOUNT', 'GCP_PROJECT_ID'], environment: ['GCP_DEPLOY_SERVICE_ACCOUNT'] },
    backend: (args, name, env) => expect(args).toEqual({ prefix: `${name}/${env}` }),
    stateStore: (mod) => {
      const bucket = res(mod, 'google_storage_bucket', 'this');
      expect(bucket).toMatchObject({ uniform_bucket_level_access: true, public_access_prevention: 'enforced', versioning: [{ enabled: true }] });
      expect(first(bucket, 'encryption').default_kms_key_name).toBe('${google_kms_crypto_key.this.id}');
    },
    cluster: (mod) => {
      const gke = res(mod, 'google_container_cluster', 'this');
      expect(first(gke, 'private_cluster_config')).toEqual({ enable_private_nodes: true, enable_private_endpoint: '${length(var.api_allowed_cidrs) == 0}' });
      expect(first(gke, 'master_authorized_networks_config').gcp_public_cidrs_access_enabled).toBe(false);
      expect(first(gke, 'database_encryption')).toEqual({ state: 'ENCRYPTED', key_name: '${google_kms_crypto_key.secrets.id}' });
      expect(first(gke, 'logging_config').enable_components).toContain('APISERVER');
      expect(first(gke, 'workload_identity_config').workload_pool).toMatch(/\.svc\.id\.goog$/);
      expect(gke.datapath_provider).toBe('ADVANCED_DATAPATH');
      const node = first(res(mod, 'google_container_node_pool', 'default'), 'node_config');
      expect(first(node, 'workload_metadata_config').mode).toBe('GKE_METADATA');
      expect(node.service_account).toBe('${google_service_account.nodes.email}');
    },
    registry: (mod) => {
      const repo = res(mod, 'google_artifact_registry_repository', 'this');
      expect(first(repo, 'docker_config').immutable_tags).toBe(true);
      expect(first(repo, 'vulnerability_scanning_config').enablement_config).toBe('INHERITED');
      expect(repo.kms_key_name).toBeTruthy();
    },
    database: (mod) => {
      const sql = res(mod, 'google_sql_database_instance', 'this');
      const settings = first(sql, 'settings');
      expect(first(settings, 'ip_configuration')).toMatchObject({ ipv4_enabled: false, ssl_mode: 'ENCRYPTED_ONLY' });
      expect(first(settings, 'backup_configuration')).toMatchObject({ enabled: true, point_in_time_recovery_enabled: true });
      expect(sql.deletion_protection).toBe('${var.deletion_protection}');
      expect(sql).not.toHaveProperty('root_password');
    },
    dbCall: ['deletion_protection', 'high_availability', 'backup_retention_days'],
    tagProblems: defaultTagProblems('default_labels'),
  },
  azure: {
    regionVariable: 'location',
    ciVariables: { bootstrap: ['AZURE_CLIENT_ID', 'AZURE_TENANT_ID', 'AZURE_SUBSCRIPTION_ID'], environment: ['AZURE_DEPLOY_CLIENT_ID'] },
    backend: (args, name, env) =>
      expect(args).toEqual({ resource_group_name: `${name}-shared`, container_name: 'tfstate', key: `${name}/${env}/terraform.tfstate`, use_azuread_auth: true }),
    stateStore: (mod) => {
      const account = res(mod, 'azurerm_storage_account', 'this');
      expect(account).toMatchObject({ min_tls_version: 'TLS1_2', allow_nested_items_to_be_public: false, shared_access_key_enabled: false, https_traffic_only_enabled: true });
      expect(first(account, 'blob_properties').versioning_enabled).toBe(true);
      expect(res(mod, 'azurerm_storage_container', 'tfstate').container_access_type).toBe('private');
    },
    cluster: (mod) => {
      const aks = res(mod, 'azurerm_kubernetes_cluster', 'this');
      expect(aks).toMatchObject({ private_cluster_enabled: '${length(var.api_allowed_cidrs) == 0}', local_account_disabled: true, oidc_issuer_enabled: true, workload_identity_enabled: true });
      expect(first(aks, 'key_management_service').key_vault_key_id).toBe('${azurerm_key_vault_key.secrets.id}');
      expect(first(aks, 'default_node_pool')).toMatchObject({ vnet_subnet_id: '${var.subnet_id}', node_public_ip_enabled: false });
      expect(first(aks, 'network_profile').network_policy).toBe('cilium');
      expect(JSON.stringify(res(mod, 'azurerm_monitor_diagnostic_setting', 'this').dynamic)).toContain('"kube-audit-admin"');
    },
    registry: (mod) => {
      expect(res(mod, 'azurerm_container_registry', 'this')).toMatchObject({ admin_enabled: false, anonymous_pull_enabled: false, name: '${replace(var.name, "-", "")}acr' });
      expect(res(mod, 'azurerm_security_center_subscription_pricing', 'containers')).toMatchObject({ resource_type: 'Containers', tier: 'Standard' });
    },
    database: (mod) => {
      const pg = res(mod, 'azurerm_postgresql_flexible_server', 'this');
      expect(pg).toMatchObject({ public_network_access_enabled: false, backup_retention_days: '${var.backup_retention_days}' });
      expect(first(pg, 'authentication')).toMatchObject({ active_directory_auth_enabled: true, password_auth_enabled: false });
      expect(pg).not.toHaveProperty('administrator_password');
    },
    dbCall: ['deletion_protection', 'high_availability', 'backup_retention_days'],
    tagProblems: (rootDir, dirs) => {
      const root = dirs.get(rootDir)!;
      const problems = JSON.stringify(Object.keys((root.locals.tags ?? {}) as Block).sort()) === JSON.stringify(TAG_KEYS) ? [] : ['local.tags keys'];
      const called = [...Object.values(root.modules)].map((call) => {
        if (call.tags !== '${local.tags}') problems.push(`module ${String(call.source)} gets no tags`);
        return dirs.get(posix.normalize(posix.join(rootDir, String(call.source))));
      });
      for (const dir of [root, ...called]) {
        for (const [type, byName] of Object.entries(dir?.resources ?? {})) {
          for (const [name, r] of Object.entries(byName)) if (!AZURE_UNTAGGABLE.has(type) && !r.tags) problems.push(`${type}.${name} has no tags`);
        }
      }
      return problems;
    },
  },
};
