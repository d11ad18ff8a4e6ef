/**
 * Terraform (HARDENING TF01–TF08): every .tf parsed (terraform-hcl.ts: hcl-fast.ts, else @cdktf/hcl2json), module
 * calls checked against the modules they call, then the structural rules on the parsed HCL; `terraform fmt -check`
 * when the binary is on PATH. Only literal values fail a rule: an expression (`var.x`) is the module's caller's business.
 */
import { execFile } from 'node:child_process';
import { posix } from 'node:path';
import { NON_PRODUCTION } from './kubernetes-rules.js';
import { backendOf, first, hashicorpSyntaxError, moduleCallFindings, moduleDir, parseTree, resolve, secretFindings, strings, structureFindings, type Block, type TfDir, type TfProblem } from './terraform-hcl.js';
import { SYNTAX_RULE, type Checker, type Finding, type Repo, type Rule } from './types.js';

const rules: Record<string, Rule> = {
  'TF-SYNTAX': SYNTAX_RULE,
  'TF-MODULE': { level: 'MUST', why: 'terraform rejects a module call with a missing source, an undeclared argument or a missing required input', fix: 'pass exactly the variables the module declares, every one without a default included' },
  TF01: { level: 'MUST', why: 'unpinned Terraform and providers change behaviour between two applies', fix: 'a versions.tf with required_version and every provider in required_providers with source and version' },
  TF02: { level: 'MUST', why: 'local or unlocked state is lost, leaked or corrupted by two concurrent applies', fix: 'a remote backend with encryption and locking (s3: encrypt = true, use_lockfile = true); the state bucket versioned and private' },
  TF03: { level: 'MUST', why: 'credentials in .tf files end up in git and in plan output', fix: 'use OIDC or the provider\'s default credential chain; mark secret variables and outputs sensitive = true' },
  TF04: { level: 'MUST', why: 'an untyped or undescribed interface is guessed at by every caller', fix: 'give every variable a type and a description, every output a description' },
  TF05: { level: 'MUST', why: 'the standard module layout is what tools and readers expect', fix: 'each module: main.tf, variables.tf, outputs.tf, versions.tf and README.md' },
  TF06: { level: 'MUST', why: 'a public control plane, unencrypted secrets or missing audit logs expose the whole cluster', fix: 'private or CIDR-restricted API endpoint (never 0.0.0.0/0), private nodes, secrets encryption and audit logs on' },
  TF07: { level: 'MUST', why: 'mutable tags let a pushed image be replaced; unscanned images ship known CVEs', fix: 'ECR: image_tag_mutability = "IMMUTABLE" and scan_on_push; Artifact Registry: immutable_tags; ACR: no admin user, Defender for Containers' },
  TF08: { level: 'MUST', why: 'a public, unencrypted or unbacked-up database loses or leaks the data', fix: 'storage encrypted, not publicly accessible, backups on, deletion protection in production' },
  'TF-FMT': { level: 'SHOULD', why: 'non-canonical formatting makes every later diff noisy', fix: 'run `terraform fmt -recursive`' },
};

type Fail = (rule: string, message: string, block?: readonly string[]) => void;
const isFalse = (v: unknown): boolean => v === false || v === 'false' || v === undefined || v === null;
const hasOpenCidr = (node: unknown): boolean => [...strings(node)].some(([, v]) => v === '0.0.0.0/0' || v === '::/0');
const STATE_STORES = ['aws_s3_bucket', 'google_storage_bucket', 'azurerm_storage_account'];
const DATABASES = ['aws_db_instance', 'aws_rds_cluster', 'google_sql_database_instance', 'azurerm_postgresql_flexible_server', 'azurerm_mysql_flexible_server'];

/** A directory that keeps Terraform state: a bucket/account in a dir named for state, or named `tfstate`. */
const isStateDir = (dir: string, c: TfDir): boolean =>
  STATE_STORES.some((t) => c.resources[t]) && (/state/i.test(dir) || [...strings(c.raw)].some(([, v]) => v.includes('tfstate')));

/** TF02 for a root: its backend, or it is the bootstrap that creates the state store (local state by design). */
function checkRoot(dir: string, c: TfDir, dirs: Map<string, TfDir>, fail: Fail): void {
  const backends = backendOf(c);
  if (backends.length === 0 && !c.terraform.some((t) => t.cloud)) {
    const called = Object.values(c.modules).map((m) => moduleDir(dir, m.source));
    const bootstrap = [dir, ...called].some((d) => d !== undefined && dirs.has(d) && isStateDir(d, dirs.get(d)!));
    if (!bootstrap) fail('TF02', 'no remote backend: the state stays on the machine that ran apply', ['terraform']);
  }
  for (const { type, args } of backends) {
    const at = ['backend', type];
    if (type === 'local') fail('TF02', 'backend "local" keeps state on one machine', at);
    if (type === 's3' && args.encrypt !== true) fail('TF02', 'backend "s3" without encrypt = true', at);
    if (type === 's3' && args.use_lockfile !== true && !args.dynamodb_table) fail('TF02', 'backend "s3" without locking (use_lockfile = true)', at);
  }
}

/** TF02 (state store), TF06 (cluster), TF07 (registry), TF08 (database) on the resources of one directory. */
function checkResources(c: TfDir, state: boolean, fail: Fail, repoHas: (type: string) => boolean): void {
  const each = (type: string, fn: (r: Block, at: string[]) => void): void => {
    for (const [name, r] of Object.entries(c.resources[type] ?? {})) fn(r, ['resource', type, name]);
  };
  const any = (type: string, test: (r: Block) => boolean = () => true): boolean => Object.values(c.resources[type] ?? {}).some(test);
  if (state) {
    each('aws_s3_bucket', (r, at) => {
      if (!any('aws_s3_bucket_versioning', (v) => first(v, 'versioning_configuration').status === 'Enabled') && first(r, 'versioning').enabled !== true) fail('TF02', 'state bucket not versioned', at);
      const block = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'];
      if (!any('aws_s3_bucket_public_access_block', (b) => block.every((k) => b[k] === true))) fail('TF02', 'state bucket without a full public access block', at);
      if (!any('aws_s3_bucket_server_side_encryption_configuration')) fail('TF02', 'state bucket without default encryption', at);
    });
    each('google_storage_bucket', (r, at) => {
      if (first(r, 'versioning').enabled !== true) fail('TF02', 'state bucket not versioned', at);
      if (r.public_access_prevention !== 'enforced') fail('TF02', 'state bucket without public_access_prevention = "enforced"', at);
    });
    each('azurerm_storage_account', (r, at) => {
      if (first(r, 'blob_properties').versioning_enabled !== true) fail('TF02', 'state account without blob versioning', at);
      if (r.allow_nested_items_to_be_public !== false) fail('TF02', 'state account allows public blobs', at);
    });
  }
  each('aws_eks_cluster', (r, at) => {
    const vpc = first(r, 'vpc_config');
    if (hasOpenCidr(vpc.public_access_cidrs) || (vpc.endpoint_public_access !== false && vpc.public_access_cidrs === undefined)) fail('TF06', 'API endpoint open to 0.0.0.0/0', at);
    if (!JSON.stringify(first(r, 'encryption_config').resources ?? '').includes('secrets')) fail('TF06', 'secrets not encrypted (encryption_config)', at);
    if (!JSON.stringify(r.enabled_cluster_log_types ?? '').includes('audit')) fail('TF06', 'audit log not enabled', at);
  });
  each('aws_eks_node_group', (r, at) => {
    if (/public/i.test(String(r.subnet_ids))) fail('TF06', 'nodes in public subnets', at);
  });
  each('google_container_cluster', (r, at) => {
    const priv = first(r, 'private_cluster_config');
    if (isFalse(priv.enable_private_nodes)) fail('TF06', 'nodes not private (private_cluster_config.enable_private_nodes)', at);
    if (hasOpenCidr(r.master_authorized_networks_config) || (priv.enable_private_endpoint !== true && !r.master_authorized_networks_config)) fail('TF06', 'API endpoint open to 0.0.0.0/0', at);
    if (first(r, 'database_encryption').state !== 'ENCRYPTED') fail('TF06', 'secrets not encrypted (database_encryption)', at);
    if (r.logging_service === 'none') fail('TF06', 'logging disabled', at);
  });
  each('azurerm_kubernetes_cluster', (r, at) => {
    const ranges = first(r, 'api_server_access_profile').authorized_ip_ranges;
    if (hasOpenCidr(ranges) || (isFalse(r.private_cluster_enabled) && ranges === undefined)) fail('TF06', 'API endpoint open to 0.0.0.0/0', at);
    if (!r.key_management_service) fail('TF06', 'secrets not encrypted (key_management_service)', at);
    if (first(r, 'default_node_pool').node_public_ip_enabled === true) fail('TF06', 'nodes have public IPs', at);
    if (!any('azurerm_monitor_diagnostic_setting', (d) => JSON.stringify(d).includes('kube-audit'))) fail('TF06', 'no diagnostic setting sends kube-audit logs', at);
  });
  each('aws_ecr_repository', (r, at) => {
    if (!String(r.image_tag_mutability ?? '').startsWith('IMMUTABLE')) fail('TF07', 'tags are mutable', at);
    if (first(r, 'image_scanning_configuration').scan_on_push !== true && !repoHas('aws_ecr_registry_scanning_configuration')) fail('TF07', 'images not scanned on push', at);
  });
  each('google_artifact_registry_repository', (r, at) => {
    if (String(r.format ?? '').toUpperCase() !== 'DOCKER') return;
    if (first(r, 'docker_config').immutable_tags !== true) fail('TF07', 'tags are mutable (docker_config.immutable_tags)', at);
    if (first(r, 'vulnerability_scanning_config').enablement_config === 'DISABLED') fail('TF07', 'vulnerability scanning disabled', at);
  });
  each('azurerm_container_registry', (r, at) => {
    if (r.admin_enabled === true || r.anonymous_pull_enabled === true) fail('TF07', 'admin user or anonymous pull enabled', at);
    if (!repoHas('azurerm_security_center_subscription_pricing')) fail('TF07', 'no Defender for Containers (azurerm_security_center_subscription_pricing): images not scanned', at);
  });
  for (const type of ['aws_db_instance', 'aws_rds_cluster']) {
    each(type, (r, at) => {
      if (r.storage_encrypted !== true && !String(r.storage_encrypted ?? '').startsWith('${')) fail('TF08', 'storage not encrypted', at);
      if (r.publicly_accessible === true) fail('TF08', 'publicly accessible', at);
      if (r.backup_retention_period === undefined || r.backup_retention_period === 0) fail('TF08', 'no backups (backup_retention_period)', at);
      if (r.deletion_protection === undefined) fail('TF08', 'deletion_protection not set', at);
    });
  }
  each('google_sql_database_instance', (r, at) => {
    const settings = first(r, 'settings');
    if (first(settings, 'ip_configuration').ipv4_enabled !== false) fail('TF08', 'public IP enabled (ip_configuration.ipv4_enabled)', at);
    if (first(settings, 'backup_configuration').enabled !== true) fail('TF08', 'backups off', at);
  });
  for (const type of ['azurerm_postgresql_flexible_server', 'azurerm_mysql_flexible_server']) {
    each(type, (r, at) => {
      if (r.public_network_access_enabled !== false) fail('TF08', 'public network access enabled', at);
      if (!any('azurerm_management_lock')) fail('TF08', 'no management lock protects it from deletion', at);
    });
  }
}

/** TF08 in production roots: a database module called, or a database declared, with deletion protection off. */
function checkProductionRoot(dir: string, c: TfDir, dirs: Map<string, TfDir>, fail: Fail): void {
  for (const [call, args] of Object.entries(c.modules)) {
    const target = dirs.get(moduleDir(dir, args.source) ?? '');
    if (target && DATABASES.some((t) => target.resources[t]) && resolve(c, args.deletion_protection) === false) fail('TF08', `module "${call}": deletion_protection is false in production`, ['module', call]);
  }
  for (const type of DATABASES) {
    for (const [name, r] of Object.entries(c.resources[type] ?? {})) if (resolve(c, r.deletion_protection) === false) fail('TF08', 'deletion_protection is false in production', ['resource', type, name]);
  }
}

/** The line of a block (`resource "aws_s3_bucket" "this" {`) in its file: locating only, the rules read the parsed HCL. */
function lineOf(src: string, block: readonly string[]): number {
  const [kind, ...labels] = block;
  const pattern = new RegExp(`^\\s*${kind}${labels.map((l) => `\\s+"${l.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`).join('')}\\s*\\{`, 'm');
  const match = pattern.exec(src);
  return match ? src.slice(0, match.index + match[0].search(/\S/)).split('\n').length : 0;
}

/** Whether a file's content is canonical, as terraform fmt said: each distinct content is asked once per process. */
const canonical = new Map<string, boolean>();

/** `terraform fmt -check` on `files`; 'unparsable' when one of them does not parse (exit 2: fmt then lists nothing). */
function fmtCheck(repo: Repo, files: string[]): Promise<Finding[] | 'unparsable'> {
  const finding = (file: string): Finding => ({ file, line: 0, rule: 'TF-FMT', message: 'not in canonical format (terraform fmt)' });
  const ask = files.filter((f) => !canonical.has(repo.read(f)));
  const known = files.filter((f) => canonical.get(repo.read(f)) === false).map(finding);
  if (ask.length === 0) return Promise.resolve(known);
  return new Promise((done) => {
    execFile('terraform', ['fmt', '-check', '-list=true', '-no-color', ...ask.map((f) => `./${f}`)], { cwd: repo.root, timeout: 60_000 }, (error, stdout) => {
      // Not on PATH: the report says fmt did not run.
      const code: unknown = (error as { code?: unknown } | null)?.code;
      if (code === 'ENOENT') {
        repo.skip(`terraform (not on PATH: fmt -check not run on ${files.length} .tf files)`);
        return done([]);
      }
      if (code === 2) return done('unparsable');
      const listed = new Set(stdout.split('\n').map((l) => posix.normalize(l.trim())).filter((l) => l !== '.'));
      if (code === undefined || code === 3) for (const f of ask) canonical.set(repo.read(f), !listed.has(f));
      if (canonical.size > 5000) canonical.clear();
      done([...known, ...ask.filter((f) => listed.has(f)).map(finding)]);
    });
  });
}

export const terraformChecker: Checker = {
  name: 'terraform',
  rules,
  async check(repo: Repo): Promise<Finding[]> {
    const paths = repo.files.filter((f) => f.endsWith('.tf'));
    if (paths.length === 0) return [];
    const findings: Finding[] = [];
    // fmt runs while the HCL parses; it is asked again, about the files that parse, only if one does not.
    const early = fmtCheck(repo, paths);
    const syntax = (file: string, message: string): void => {
      const pos = /:(\d+),\d+/.exec(message);
      findings.push({ file, line: pos ? Number(pos[1]) : 0, rule: 'TF-SYNTAX', message: message.replace(/^parse config: \[|\]$/g, '').replace(/^\S+:\d+,[\d-]+: /, '').split('\n')[0]! });
    };
    const dirs = await parseTree(new Map(paths.map((p) => [p, repo.read(p)])), syntax);
    const bad = new Set(findings.map((f) => f.file));
    const fmt = early.then(async (first) => {
      if (first !== 'unparsable') return first;
      // terraform cannot parse a file that the parse above read (its fast path may have taken one it should not
      // have): HashiCorp's own parser names it.
      if (bad.size === 0) {
        for (const path of paths) {
          const message = await hashicorpSyntaxError(path, repo.read(path));
          if (message === undefined) continue;
          syntax(path, message);
          bad.add(path);
        }
      }
      const again = bad.size > 0 ? await fmtCheck(repo, paths.filter((p) => !bad.has(p))) : 'unparsable';
      if (again !== 'unparsable') return again;
      repo.skip('terraform fmt (terraform cannot parse a .tf file that HashiCorp\'s HCL parser reads)');
      return [];
    });
    const at = (dir: string, rule: string, message: string, block?: readonly string[]): void => {
      const c = dirs.get(dir)!;
      const main = c.files.includes('main.tf') ? 'main.tf' : c.files[0]!;
      const file = (block && c.declaredIn.get(block.join(' '))) ?? `${dir === '.' ? '' : `${dir}/`}${main}`;
      findings.push({ file, line: block ? lineOf(repo.read(file), block) : 0, rule, message });
    };
    const add = (rule: string) => (p: TfProblem): void => at(p.dir, rule, p.message, p.block);
    moduleCallFindings(dirs).forEach(add('TF-MODULE'));
    secretFindings(dirs).forEach(add('TF03'));
    const called = new Set([...dirs].flatMap(([dir, c]) => Object.values(c.modules).map((m) => moduleDir(dir, m.source))));
    const types = new Set([...dirs.values()].flatMap((c) => Object.keys(c.resources)));
    for (const [dir, c] of dirs) {
      const fail: Fail = (rule, message, block) => at(dir, rule, message, block);
      for (const p of structureFindings(dir, c)) at(dir, p.rule, p.message, p.block);
      const extras = repo.files.filter((f) => posix.dirname(f) === dir && /(\.tfvars(\.example)?|\.terraform\.lock\.hcl)$/.test(f));
      const root = !called.has(dir) && (backendOf(c).length > 0 || c.providers.length > 0 || extras.length > 0 || c.terraform.some((t) => t.cloud));
      if (root) {
        checkRoot(dir, c, dirs, fail);
        if (!NON_PRODUCTION.test(dir)) checkProductionRoot(dir, c, dirs, fail);
      } else {
        const missing = ['main.tf', 'variables.tf', 'outputs.tf', 'versions.tf', 'README.md'].filter((f) => !repo.files.includes(dir === '.' ? f : `${dir}/${f}`));
        if (missing.length > 0) fail('TF05', `module lacks ${missing.join(', ')}`);
      }
      checkResources(c, isStateDir(dir, c), fail, (type) => types.has(type));
    }
    const formatting = await fmt;
    return [...findings, ...formatting];
  },
};
