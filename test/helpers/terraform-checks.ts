/**
 * Per-cloud Terraform expectations: what each cloud's state store, cluster, registry and database must look
 * like, asserted with vitest on the HCL parsed by src/check/terraform-hcl.ts (where the generic checkers
 * that `infra-kit check` runs now live).
 */
import { posix } from 'node:path';
import { beforeAll, expect } from 'vitest';
import type { Answers } from '../../src/answers/schema.js';
import type { CloudId } from '../../src/catalog/index.js';
import { first, parseTree, type Block, type TfDir } from '../../src/check/terraform-hcl.js';
import { renderToDir } from './render.js';

/** The terraform piece rendered to a temp dir and parsed once per describe block (in its beforeAll). */
export interface TerraformKit {
  readonly out: { dir: string; files: Map<string, string> };
  readonly dirs: Map<string, TfDir>;
  /** The parsed folder, or a failed assertion naming it. */
  get(dir: string): TfDir;
}

export function useTerraformKit(overrides: Partial<Answers>): TerraformKit {
  let out: TerraformKit['out'] | undefined;
  let dirs: TerraformKit['dirs'] | undefined;
  beforeAll(async () => {
    out = renderToDir(overrides, ['terraform']);
    dirs = await parseTree(out.files);
  });
  const ready = <T,>(value: T | undefined): T => value ?? expect.fail('the terraform kit is read before its beforeAll ran');
  return {
    get out() {
      return ready(out);
    },
    get dirs() {
      return ready(dirs);
    },
    get: (dir) => ready(dirs).get(dir) ?? expect.fail(`${dir} not rendered`),
  };
}

/** TF05 on a rendered kit: each module has the four .tf files and a README listing every input and output. */
export function expectModulesDocumented(kit: TerraformKit): void {
  for (const [dir, config] of kit.dirs) {
    if (!dir.startsWith('terraform/modules/')) continue;
    expect(config.files.sort(), dir).toEqual(['main.tf', 'outputs.tf', 'variables.tf', 'versions.tf']);
    const readme = kit.out.files.get(`${dir}/README.md`) ?? expect.fail(`${dir}/README.md missing`);
    for (const name of [...Object.keys(config.variables), ...Object.keys(config.outputs)]) expect(readme, `${dir} README`).toContain(`| \`${name}\` |`);
  }
}

// ---------- per-cloud expectations (test-only: they assert with vitest's expect) ----------

/** azurerm resource types without a `tags` argument (checked against the provider schema). */
const AZURE_UNTAGGABLE = new Set(['federated_identity_credential', 'management_lock', 'monitor_diagnostic_setting', 'nat_gateway_public_ip_association',
  'network_security_rule', 'postgresql_flexible_server_active_directory_administrator', 'postgresql_flexible_server_configuration',
  'postgresql_flexible_server_database', 'role_assignment', 'role_definition', 'security_center_subscription_pricing', 'storage_container', 'storage_management_policy', 'subnet',
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
