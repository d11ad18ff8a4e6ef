/**
 * Google Cloud, every cell of orchestrator (kubernetes | compose) × CI (github | gitlab) × database: the Terraform
 * parses and wires up (src/check/terraform-hcl.ts on the HCL parsed by @cdktf/hcl2json), the compose VM is
 * hardened, the compose deploy identity reaches one VM only, GitLab's Workload Identity trust is scoped to the
 * project / branch / (protected) environment; the VM's shell helpers and the CI deploy steps run with stubs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ejs from 'ejs';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { clouds } from '../src/catalog/index.js';
import { backendOf, first, moduleCallProblems, requiredProviders, resolve, secretProblems, strings, structureProblems, type Block, type TfDir } from '../src/check/terraform-hcl.js';
import { templatesDir } from '../src/paths.js';
import { buildContext } from '../src/render/context.js';
import { gitlabJobs, jobShell, type GitlabDoc } from './helpers/ci-gitlab.js';
import { runBash, usesOf, type Workflow } from './helpers/ci-github.js';
import { shellcheck, stubs } from './helpers/ci-shell.js';
import { answersWith, renderToMemory } from './helpers/render.js';
import { expectModulesDocumented, useTerraformKit } from './helpers/terraform-checks.js';
import { hasCommand, parseYamlDocs, terraformBinary } from './helpers/validators.js';

const ENVS = ['staging', 'production'] as const;
const IAP_RANGE = '35.235.240.0/20';
const cells = (['kubernetes', 'compose'] as const).flatMap((orchestrator) =>
  (['github', 'gitlab'] as const).flatMap((ci) => (['none', 'postgres'] as const).map((database) => ({ orchestrator, ci, database }))));
const res = (dir: TfDir, type: string, name: string): Block => dir.resources[type]?.[name] ?? expect.fail(`no ${type}.${name}`);
const values = (node: unknown): string[] => [...strings(node)].map(([, v]) => v);

describe.each(cells)('gcp terraform: $orchestrator $ci $database', ({ orchestrator, ci, database }) => {
  const overrides: Partial<Answers> = { cloud: 'gcp', orchestrator, ci, database, name: 'shop-api', region: 'europe-north1' };
  const compose = orchestrator === 'compose';
  const postgres = database === 'postgres';
  const oidc = `${ci}-oidc`;
  const kit = useTerraformKit(overrides);
  const { get } = kit;
  const env = (e: string) => get(`terraform/environments/${e}`);

  it('every .tf parses; the modules are the orchestrator\'s and the CI provider\'s only', () => {
    const modules = ['app-identity', compose ? 'vm' : 'cluster', 'deploy-role', oidc, 'network', 'registry', 'state-backend', ...(postgres ? ['database'] : [])];
    const roots = ['terraform/bootstrap', ...ENVS.map((e) => `terraform/environments/${e}`)];
    expect([...kit.dirs.keys()].sort()).toEqual([...modules.map((m) => `terraform/modules/${m}`), ...roots].sort());
    expect([...kit.dirs.values()].reduce((n, d) => n + d.files.length, 0)).toBe([...kit.out.files.keys()].filter((p) => p.endsWith('.tf')).length);
    expectModulesDocumented(kit);
  });

  it('module calls resolve to declared inputs and real outputs; typed, described, pinned; no credentials', () => {
    expect(moduleCallProblems(kit.dirs)).toEqual([]);
    expect([...kit.dirs].flatMap(([dir, config]) => structureProblems(dir, config))).toEqual([]);
    expect(secretProblems(kit.dirs)).toEqual([]);
    const { name, source, version } = clouds.gcp.terraformProvider;
    for (const [dir, config] of kit.dirs) expect(requiredProviders(config), dir).toEqual({ [name]: { source, version } });
    expect(Object.keys(get('terraform/bootstrap').modules).sort()).toEqual([`${ci}_oidc`, 'registry', 'state_backend']);
    for (const e of ENVS) {
      expect(Object.keys(env(e).modules).sort()).toEqual(['app_identity', ...(postgres ? ['database'] : []), 'deploy_role', 'network', compose ? 'vm' : 'cluster'].sort());
      expect(backendOf(env(e))).toEqual([{ type: 'gcs', args: { prefix: `shop-api/${e}` } }]);
    }
    expect(backendOf(get('terraform/bootstrap'))).toEqual([]);
  });

  it('tfvars examples parse and name only declared variables', async () => {
    const { parse } = await import('@cdktf/hcl2json');
    for (const root of ['terraform/bootstrap', 'terraform/environments/staging']) {
      const example = (await parse('x.tfvars', kit.out.files.get(`${root}/terraform.tfvars.example`)!)) as Block;
      for (const key of Object.keys(example)) expect(get(root).variables, `${root}: ${key}`).toHaveProperty(key);
    }
  });

  it.skipIf(!terraformBinary)('terraform fmt -check: canonical formatting', () => {
    const fmt = spawnSync(terraformBinary!, ['fmt', '-check', '-diff', '-recursive', join(kit.out.dir, 'terraform')], { encoding: 'utf8' });
    expect(fmt.stdout).toBe('');
    expect(fmt.status).toBe(0);
  });

  if (compose) {
    it('VM: Ubuntu 24.04, Shielded, no external IP, OS Login only, serial port off, CMEK disk, app SA with cloud-platform scope', () => {
      const vm = get('terraform/modules/vm');
      const instance = res(vm, 'google_compute_instance', 'this');
      expect(first(instance, 'shielded_instance_config')).toEqual({ enable_secure_boot: true, enable_vtpm: true, enable_integrity_monitoring: true });
      const nics = instance.network_interface as Block[];
      expect(nics).toHaveLength(1);
      expect(nics[0]).toEqual({ subnetwork: '${var.subnet_id}' }); // no access_config: no external IP
      expect(instance.metadata).toMatchObject({ 'enable-oslogin': 'TRUE', 'block-project-ssh-keys': 'true', 'serial-port-enable': 'FALSE' });
      const disk = first(instance, 'boot_disk');
      expect(disk.kms_key_self_link).toBe('${google_kms_crypto_key.disk.id}');
      expect(first(disk, 'initialize_params').image).toBe('ubuntu-os-cloud/ubuntu-2404-lts-amd64');
      expect(res(vm, 'google_kms_crypto_key_iam_member', 'compute').member).toBe('${local.compute_service_agent}');
      expect(vm.locals.compute_service_agent).toContain('@compute-system.iam.gserviceaccount.com');
      expect(instance.service_account).toEqual([{ email: '${var.service_account_email}', scopes: ['https://www.googleapis.com/auth/cloud-platform'] }]);
      expect(instance).toMatchObject({ deletion_protection: '${var.deletion_protection}', can_ip_forward: false });
      const roles = Object.values(vm.resources.google_project_iam_member ?? {}).map((m) => m.role).sort();
      expect(roles).toEqual(['roles/logging.logWriter', 'roles/monitoring.metricWriter']);
    });

    it('VM firewall: the app port only from ingress_cidrs (no rule when empty, 0.0.0.0/0 rejected), SSH only from IAP', () => {
      const vm = get('terraform/modules/vm');
      const app = res(vm, 'google_compute_firewall', 'app');
      expect(app).toMatchObject({ count: '${length(var.ingress_cidrs) > 0 ? 1 : 0}', direction: 'INGRESS', source_ranges: '${var.ingress_cidrs}', allow: [{ protocol: 'tcp', ports: ['${tostring(var.app_port)}'] }] });
      const ssh = res(vm, 'google_compute_firewall', 'iap_ssh');
      expect(ssh).toMatchObject({ direction: 'INGRESS', source_ranges: ['${local.iap_range}'], allow: [{ protocol: 'tcp', ports: ['22'] }] });
      expect(vm.locals.iap_range).toBe(IAP_RANGE);
      for (const rule of [app, ssh]) expect(rule.target_service_accounts).toEqual(['${var.service_account_email}']);
      expect(Object.keys(vm.resources.google_compute_firewall!).sort()).toEqual(['app', 'iap_ssh']);
      for (const dir of ['terraform/modules/vm', 'terraform/modules/network', ...ENVS.map((e) => `terraform/environments/${e}`)]) {
        expect(values(get(dir).resources).filter((v) => v === '0.0.0.0/0' || v === '::/0'), dir).toEqual([]);
      }
      for (const variables of [vm.variables, env('staging').variables]) {
        expect(variables.ingress_cidrs).toMatchObject({ type: '${list(string)}', default: [] });
        expect(String(first(variables.ingress_cidrs, 'validation').condition)).toContain('"0.0.0.0/0"');
      }
      expect(env('production').modules.vm?.ingress_cidrs).toBe('${var.ingress_cidrs}');
    });

    it('cloud-init installs docker.io, docker-compose-v2, jq, curl, unattended-upgrades and creates /opt/<app>', () => {
      const instance = res(get('terraform/modules/vm'), 'google_compute_instance', 'this');
      expect((instance.metadata as Block)['user-data']).toBe('${templatefile("${path.module}/cloud-init.yaml.tftpl", { app_name = var.app_name })}');
      const src = kit.out.files.get('terraform/modules/vm/cloud-init.yaml.tftpl') ?? expect.fail('no cloud-init template');
      expect(src.startsWith('#cloud-config\n')).toBe(true);
      // templatefile() substitutes ${app_name}; no other template sequence may appear.
      expect(src.match(/[$%]\{[^}]*\}/g)?.every((m) => m === '${app_name}')).toBe(true);
      const config = parseYaml(src.replaceAll('${app_name}', 'shop-api')) as { packages: string[]; runcmd: string[][]; write_files: { path: string; content: string }[] };
      expect(config.packages).toEqual(['docker.io', 'docker-compose-v2', 'jq', 'curl', 'unattended-upgrades']);
      expect(config.runcmd).toContainEqual(['install', '-d', '-m', '0750', '-o', 'root', '-g', 'root', '/opt/shop-api']);
      expect(config.write_files.find((f) => f.path === '/etc/apt/apt.conf.d/20auto-upgrades')?.content).toContain('APT::Periodic::Unattended-Upgrade "1";');
      expect(JSON.parse(config.write_files.find((f) => f.path === '/etc/docker/daemon.json')!.content)).toMatchObject({ 'no-new-privileges': true });
    });

    it('environments: the VM is <app>-<env> on the private subnet, runs as the app identity; production is bigger and protected', () => {
      const settings = (e: string) => {
        const call = env(e).modules.vm!;
        expect(call).toMatchObject({ name: '${local.vm_name}', app_name: '${local.name}', subnet_id: '${module.network.subnet_id}', service_account_email: '${module.app_identity.email}', app_port: answersWith(overrides).port });
        expect(env(e).locals.vm_name).toBe('${local.name}-${local.environment}');
        return { machine: resolve(env(e), call.machine_type), protect: resolve(env(e), call.deletion_protection) };
      };
      const [staging, production] = [settings('staging'), settings('production')];
      expect([staging.protect, production.protect]).toEqual([false, true]);
      expect(production.machine).not.toBe(staging.machine);
      // The app identity is the VM's account: no Kubernetes binding, reads the registry and its own secrets.
      const identity = get('terraform/modules/app-identity');
      expect(identity.resources.google_service_account_iam_member).toBeUndefined();
      expect(Object.keys(identity.variables).sort()).toEqual(['environment', 'name', 'store_entries']);
      expect(res(identity, 'google_secret_manager_secret_iam_member', 'app_reads')).toMatchObject({ role: 'roles/secretmanager.secretAccessor', member: 'serviceAccount:${google_service_account.this.email}' });
      const pull = res(env('staging'), 'google_artifact_registry_repository_iam_member', 'app_pull');
      expect(pull).toMatchObject({ repository: '${local.name}', role: 'roles/artifactregistry.reader', member: 'serviceAccount:${module.app_identity.email}' });
      if (postgres) {
        expect(env('staging').modules.app_identity?.store_entries).toEqual(['${local.name}-${local.environment}-database-url']);
        expect(env('staging').modules.database?.network_id).toBe('${module.network.network_id}');
      }
      expect(String(env('staging').outputs.vm_zone?.description)).toContain('GCP_ZONE');
    });

    it('the VM zone has one source of truth: <region>-b in Terraform (no zone variable to override) = GCP_ZONE in CI', () => {
      const ciFiles = renderToMemory(overrides, ['ci']);
      const ciVars = ci === 'github'
        ? (parseYamlDocs(ciFiles.get('.github/workflows/ci.yml')!)[0] as Workflow).env as Record<string, string>
        : (parseYamlDocs(ciFiles.get('.gitlab-ci.yml')!)[0] as GitlabDoc).variables as Record<string, string>;
      for (const e of ENVS) {
        const root = env(e);
        // No variable, no tfvars line can move the VM away from the zone CI deploys to.
        expect(Object.keys(root.variables).filter((v) => /zone/.test(v)), e).toEqual([]);
        expect(kit.out.files.get(`terraform/environments/${e}/terraform.tfvars.example`)).not.toMatch(/^\s*#?\s*zone\s*=/m);
        expect(root.locals.zone).toBe('${var.region}-b');
        expect(root.modules.vm?.zone).toBe('${local.zone}');
        expect(String(root.outputs.vm_zone?.description)).toContain('<region>-b');
        // The rendered zone (region default + "-b") is exactly the zone CI reaches the VM in.
        const zone = String(root.locals.zone).replace('${var.region}', String(root.variables.region?.default));
        expect(zone).toBe('europe-north1-b');
        expect(ciVars.GCP_ZONE).toBe(zone);
      }
    });

    it('deploy identity: osAdminLogin and the IAP tunnel on that one VM, serviceAccountUser on its account, read-only lookups; nothing on a cluster', () => {
      const role = get('terraform/modules/deploy-role');
      expect(res(role, 'google_compute_instance_iam_member', 'os_admin_login')).toMatchObject({ instance_name: '${var.instance_name}', zone: '${var.instance_zone}', role: 'roles/compute.osAdminLogin' });
      expect(res(role, 'google_iap_tunnel_instance_iam_member', 'tunnel')).toMatchObject({ instance: '${var.instance_name}', zone: '${var.instance_zone}', role: 'roles/iap.tunnelResourceAccessor' });
      expect(res(role, 'google_service_account_iam_member', 'vm_account_user')).toMatchObject({ service_account_id: '${var.vm_service_account_name}', role: 'roles/iam.serviceAccountUser' });
      const lookup = res(role, 'google_project_iam_custom_role', 'vm_lookup');
      expect([...(lookup.permissions as string[])].sort()).toEqual(['compute.instances.get', 'compute.instances.getGuestAttributes', 'compute.projects.get']);
      // The only project-level grant is that read-only custom role.
      expect(Object.values(role.resources.google_project_iam_member ?? {}).map((m) => m.role)).toEqual(['${google_project_iam_custom_role.vm_lookup.name}']);
      expect(JSON.stringify(role.resources)).not.toMatch(/roles\/container\.|roles\/compute\.(admin|instanceAdmin)|roles\/owner|roles\/editor/);
      for (const e of ENVS) {
        expect(env(e).modules.deploy_role).toMatchObject({ instance_name: '${module.vm.instance_name}', instance_zone: '${module.vm.zone}', vm_service_account_name: '${module.app_identity.name}' });
      }
    });
  } else {
    it('kubernetes path: the cluster, node pull and Workload Identity binding stay; no VM anywhere', () => {
      expect(env('staging').modules.cluster?.name).toBe('${local.cluster_name}');
      expect(res(env('staging'), 'google_artifact_registry_repository_iam_member', 'nodes_pull').member).toBe('serviceAccount:${module.cluster.node_service_account_email}');
      expect(res(get('terraform/modules/app-identity'), 'google_service_account_iam_member', 'workload_identity').role).toBe('roles/iam.workloadIdentityUser');
      expect(res(get('terraform/modules/deploy-role'), 'google_project_iam_member', 'cluster_viewer').role).toBe('roles/container.clusterViewer');
      expect([...kit.out.files.keys()].some((p) => p.includes('modules/vm/'))).toBe(false);
    });
  }

  if (ci === 'gitlab') {
    it('GitLab trust: the pool accepts only the project\'s tokens; push from main only; deploys per environment, production protected', () => {
      const mod = get('terraform/modules/gitlab-oidc');
      const provider = res(mod, 'google_iam_workload_identity_pool_provider', 'gitlab');
      expect(provider.attribute_condition).toBe('assertion.project_path == ${jsonencode(var.gitlab_project_path)}');
      expect(Object.keys(provider.attribute_mapping as Block).sort()).toEqual(['attribute.environment', 'attribute.project_path', 'attribute.protected_environment', 'attribute.ref', 'attribute.ref_type', 'google.subject']);
      expect((provider.attribute_mapping as Block)['attribute.protected_environment']).toContain('assertion.environment_protected == "true"');
      expect(first(provider, 'oidc').issuer_uri).toBe('${var.gitlab_url}');
      expect(mod.variables.gitlab_url?.default).toBe('https://gitlab.com');
      expect(res(mod, 'google_service_account_iam_member', 'push').member).toBe('principal://iam.googleapis.com/${google_iam_workload_identity_pool.gitlab.name}/subject/project_path:${var.gitlab_project_path}:ref_type:branch:ref:${var.branch}');
      expect(mod.variables.branch?.default).toBe('main');
      // The environments find the pool by the ID bootstrap gives it, and trust (protected) environments.
      for (const e of ENVS) {
        expect(String(env(e).locals.gitlab_pool_id).replace('local.name', 'var.name')).toBe(mod.locals.pool_id);
        expect(env(e).data.google_iam_workload_identity_pool?.gitlab?.workload_identity_pool_id).toBe('${local.gitlab_pool_id}');
        expect(env(e).modules.deploy_role?.require_protected_environment).toBe('${local.environment == "production"}');
        expect(env(e).variables).not.toHaveProperty('github_repository');
      }
      const role = get('terraform/modules/deploy-role');
      expect(res(role, 'google_service_account_iam_member', 'gitlab').member).toBe('principalSet://iam.googleapis.com/${var.workload_identity_pool_name}/attribute.${local.trusted_attribute}/${var.environment}');
      expect(role.locals.trusted_attribute).toBe('${var.require_protected_environment ? "protected_environment" : "environment"}');
      expect(values([...kit.dirs.values()].map((d) => d.raw)).some((v) => v.includes('repo:${var.github_repository}'))).toBe(false);
    });
  } else {
    it('GitHub trust: the deploy account trusts repo:<repository>:environment:<env>', () => {
      expect(res(get('terraform/modules/deploy-role'), 'google_service_account_iam_member', 'github').member).toContain('/subject/repo:${var.github_repository}:environment:${var.environment}');
      expect(String(env('staging').locals.github_pool_id).replace('local.name', 'var.name')).toBe(get('terraform/modules/github-oidc').locals.pool_id);
    });
  }

  it('outputs name the CI variables of this provider', () => {
    const descriptions = (dir: string) => Object.values(get(dir).outputs).map((o) => String(o.description)).join('\n');
    const where = ci === 'github' ? 'GitHub' : 'GitLab CI/CD';
    for (const v of ['GCP_WORKLOAD_IDENTITY_PROVIDER', 'GCP_PUSH_SERVICE_ACCOUNT', 'GCP_PROJECT_ID']) expect(descriptions('terraform/bootstrap')).toMatch(new RegExp(`${where}[^\\n]*${v}`));
    for (const e of ENVS) expect(descriptions(`terraform/environments/${e}`)).toMatch(new RegExp(`${ci === 'github' ? 'GitHub' : 'GitLab'}[^\\n]*GCP_DEPLOY_SERVICE_ACCOUNT|GCP_DEPLOY_SERVICE_ACCOUNT[^\\n]*${ci === 'github' ? 'GitHub' : 'GitLab'}`));
  });
});

// ---------- the VM's shell helpers (templates/deploy/partials/gcp.sh.ejs) ----------

const METADATA = 'http://metadata.google.internal/computeMetadata/v1';
function renderHelpers(database: 'none' | 'postgres'): string {
  const ctx = buildContext(answersWith({ cloud: 'gcp', orchestrator: 'compose', database, name: 'shop-api' }), '0.0.0-test');
  const filename = join(templatesDir, 'deploy/partials/gcp.sh.ejs');
  return ejs.render(readFileSync(filename, 'utf8'), ctx as unknown as ejs.Data, { filename, strict: true, destructuredLocals: Object.keys(ctx), escape: (s: unknown) => String(s) } as ejs.Options) as string;
}

/** Sources the helpers in bash with stub curl/docker (real jq, base64) and runs `call`; returns the log too. */
function runHelpers(src: string, call: string, secret: { fail?: boolean; value?: string } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'infra-kit-gcp-sh-'));
  const log = join(dir, 'log');
  writeFileSync(join(dir, 'helpers.sh'), src);
  const payload = Buffer.from(secret.value ?? 'postgresql://app@10.0.0.5/shop_api?sslmode=require').toString('base64');
  const bin = stubs({
    curl: `for a; do url="$a"; done
headers="$(cat)"
echo "curl $* stdin=[$headers]" >> "${log}"
case "$url" in
  ${METADATA}/instance/service-accounts/default/token) echo '{"access_token":"ya29.token","expires_in":3599}' ;;
  ${METADATA}/project/project-id) printf acme-staging ;;
  https://secretmanager.googleapis.com/*) ${secret.fail ? 'exit 22' : `echo '{"payload":{"data":"${payload}"}}'`} ;;
  *) exit 22 ;;
esac`,
    docker: `echo "docker $* stdin=[$(cat)]" >> "${log}"`,
  });
  const script = `set -euo pipefail\nsource "${join(dir, 'helpers.sh')}"\necho sourced >> "${log}"\n${call}\n`;
  // stdin ignored and no rc files: Node's stdio sockets would make bash read ~/.bashrc.
  const r = spawnSync('bash', ['--noprofile', '--norc', '-c', script], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] });
  return { ...r, dir, calls: readFileSync(log, 'utf8').trim().split('\n') };
}

describe.each(['none', 'postgres'] as const)('deploy/partials/gcp.sh.ejs (database %s)', (database) => {
  const src = renderHelpers(database);

  it('defines only functions: sourcing it runs nothing', () => {
    const r = runHelpers(src, 'declare -F | cut -d" " -f3 | sort | tr "\\n" " " >&2');
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['sourced']);
    expect(r.stderr).toBe('fetch_secrets gcp_metadata gcp_token registry_login ');
  });

  it('passes ShellCheck (bash)', { skip: !hasCommand('shellcheck') }, () => {
    expect(shellcheck(src, 'bash')).toBe('');
  });

  it('registry_login: the metadata token goes to docker login through stdin only, for the image\'s Artifact Registry host', () => {
    const r = runHelpers(src, 'registry_login europe-north1-docker.pkg.dev/acme/shop-api/shop-api@sha256:abc');
    expect(r.stderr).toBe('');
    const docker = r.calls.find((c) => c.startsWith('docker'))!;
    expect(docker).toBe('docker login --username oauth2accesstoken --password-stdin europe-north1-docker.pkg.dev stdin=[ya29.token]');
    expect(r.calls.filter((c) => c.startsWith('curl')).every((c) => c.includes('--header Metadata-Flavor: Google'))).toBe(true);
    expect(runHelpers(src, 'registry_login docker.io/library/nginx@sha256:abc').status).not.toBe(0);
  });

  it('fetch_secrets: a 0600 file with DATABASE_URL from Secret Manager (when postgres), the token never on a command line', () => {
    const r = runHelpers(src, 'umask 022; fetch_secrets staging "$DIR/secrets.env"');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const file = join(r.dir, 'secrets.env');
    {
      expect(statSync(file).mode & 0o777).toBe(0o600);
      const content = readFileSync(file, 'utf8');
      if (database === 'none') {
        expect(content).toBe('');
        expect(r.calls).toEqual(['sourced']);
        return;
      }
      expect(content).toBe('DATABASE_URL=postgresql://app@10.0.0.5/shop_api?sslmode=require\n');
      const access = r.calls.find((c) => c.includes('secretmanager'))!;
      expect(access).toContain('https://secretmanager.googleapis.com/v1/projects/acme-staging/secrets/shop-api-staging-database-url/versions/latest:access');
      expect(access).toContain('--header @- ');
      expect(access).toContain('stdin=[Authorization: Bearer ya29.token]');
      expect(r.calls.filter((c) => c.startsWith('curl') && c.split('stdin=')[0]!.includes('ya29'))).toEqual([]);
    }
  });

  it.skipIf(database === 'none')('fetch_secrets fails (non-zero, message) when the secret cannot be read or is not one line', () => {
    for (const [secret, message] of [[{ fail: true }, 'cannot read the secret shop-api-production-database-url'], [{ value: 'a\nb' }, 'must be one non-empty line']] as const) {
      const r = runHelpers(src, 'fetch_secrets production "$DIR/secrets.env"; echo not-reached', secret);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain(message);
      expect(r.stdout).not.toContain('not-reached');
    }
  });
});

// ---------- CI: the compose deploy steps (templates/ci/*/partials/cloud/gcp/vm-deploy.yml.ejs) ----------

const IMAGE = 'europe-north1-docker.pkg.dev/acme/shop-api/shop-api';
const DIGEST = `sha256:${'b'.repeat(64)}`;
/** A gcloud stub that logs its arguments and fails `compute ssh` when FAIL_SSH is set. */
const gcloudStub = (log: string) => stubs({ gcloud: `printf '%s\\n' "gcloud $*" >> "${log}"\ncase "$1 $2" in "compute ssh") [ -z "\${FAIL_SSH:-}" ] ;; esac` });
/** `sh -e` like GitLab's runner, with exactly this environment (runSh would put the real PATH, and gcloud, back). */
function runPosix(script: string, env: Record<string, string>) {
  const file = join(mkdtempSync(join(tmpdir(), 'infra-kit-gcp-sh-')), 'job.sh');
  writeFileSync(file, script);
  return spawnSync('sh', ['-e', file], { encoding: 'utf8', env: { TMPDIR: mkdtempSync(join(tmpdir(), 'infra-kit-gcp-tmp-')), ...env } });
}
const logOf = (dir: string) => {
  try {
    return readFileSync(join(dir, 'log'), 'utf8');
  } catch {
    return '';
  }
};

describe.each(['github', 'gitlab'] as const)('compose deploy on GCP (%s)', (ci) => {
  const files = renderToMemory({ cloud: 'gcp', orchestrator: 'compose', ci, name: 'shop-api', region: 'europe-north1' }, ['ci']);
  /** The deploy script of deploy-staging and the env/variables it runs with. */
  let script: string;
  let vars: Record<string, string>;
  let run: (script: string, env: Record<string, string>) => { status: number | null; stderr: string; stdout: string };

  if (ci === 'github') {
    const wf = parseYamlDocs(files.get('.github/workflows/ci.yml')!)[0] as Workflow;
    const job = wf.jobs['deploy-staging']!;
    const auth = job.steps.findIndex((s) => s.uses === usesOf('gcpAuth'));
    const check = job.steps.findIndex((s) => s.name === 'Check IMAGE and DIGEST');
    const step = job.steps.find((s) => s.name === 'Deploy on the VM')!;
    // The two run: steps in order (the job fails at the first failing step, like `sh -e` here).
    script = `${job.steps[check]!.run!}\n${step.run!}`;
    vars = { ...(wf.env as Record<string, string>), TARGET_ENV: 'staging', IMAGE, DIGEST, GCP_PROJECT_ID: 'acme-staging', GOOGLE_GHA_CREDS_PATH: '/tmp/creds.json' };
    run = (s, e) => runBash(s, { TMPDIR: mkdtempSync(join(tmpdir(), 'infra-kit-gcp-tmp-')), ...e });
    it('logs in as the environment\'s deploy service account, then deploys; the zone is the Terraform default', () => {
      expect(job.steps[auth]!.with).toEqual({ workload_identity_provider: '${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}', service_account: '${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}' });
      expect(job.steps.indexOf(step)).toBeGreaterThan(auth);
      expect(check, 'IMAGE and DIGEST are checked before any cloud call').toBeGreaterThan(-1);
      expect(check).toBeLessThan(auth);
      expect(wf.env).toMatchObject({ GCP_REGION: 'europe-north1', GCP_ZONE: 'europe-north1-b' });
      expect(step.env).toEqual({ GCP_PROJECT_ID: '${{ vars.GCP_PROJECT_ID }}' });
    });
  } else {
    const doc = parseYamlDocs(files.get('.gitlab-ci.yml')!)[0] as GitlabDoc;
    const job = gitlabJobs(doc).get('deploy-staging')!;
    script = jobShell(job);
    vars = { ...(doc.variables as Record<string, string>), ...(job.variables as Record<string, string>), IMAGE, DIGEST, GCP_PROJECT_ID: 'acme-staging', GCP_ID_TOKEN: 'eyJ.token', GCP_WORKLOAD_IDENTITY_PROVIDER: 'projects/1/locations/global/workloadIdentityPools/shop-api-gitlab/providers/gitlab', GCP_DEPLOY_SERVICE_ACCOUNT: 'shop-api-deploy-sta@acme-staging.iam.gserviceaccount.com' };
    run = (s, e) => runPosix(s, e);
    it('asks for a GCP ID token; the zone is the Terraform default', () => {
      expect(Object.keys(job.id_tokens ?? {})).toEqual(['GCP_ID_TOKEN']);
      expect(doc.variables).toMatchObject({ GCP_REGION: 'europe-north1', GCP_ZONE: 'europe-north1-b' });
    });
  }

  it('copies the three files and runs deploy.sh as root on <app>-<env> through IAP, host key checked', () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-kit-gcp-ci-'));
    const r = run(script, { ...vars, PATH: `${gcloudStub(join(dir, 'log'))}:/usr/bin:/bin` });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const calls = logOf(dir).trim().split(/\n(?=gcloud )/);
    const flags = '--zone europe-north1-b --project acme-staging --tunnel-through-iap --strict-host-key-checking=yes --ssh-key-expire-after=30m --quiet';
    const login = ci === 'github' ? ['gcloud auth login --cred-file=/tmp/creds.json --quiet'] : [expect.stringMatching(/^gcloud iam workload-identity-pools create-cred-config projects\/1\/.* --service-account=shop-api-deploy-sta@/), expect.stringMatching(/^gcloud auth login --cred-file=\S+ --quiet$/)];
    expect(calls.slice(0, -2)).toEqual(login);
    expect(calls.at(-2)).toBe(`gcloud compute scp ${flags} deploy/compose.yaml deploy/deploy.sh deploy/staging.env shop-api-staging:`);
    const ssh = calls.at(-1)!;
    expect(ssh.startsWith(`gcloud compute ssh shop-api-staging ${flags} --command set -e\n`)).toBe(true);
    const remote = ssh.slice(ssh.indexOf('--command ') + 10).split('\n').map((l) => l.trim());
    expect(remote).toEqual([
      'set -e',
      "sudo install -d -m 0750 -o root -g root '/opt/shop-api'",
      "sudo install -m 0600 -o root -g root compose.yaml 'staging.env' '/opt/shop-api/'",
      "sudo install -m 0700 -o root -g root deploy.sh '/opt/shop-api/'",
      "rm -f compose.yaml deploy.sh 'staging.env'",
      `sudo '/opt/shop-api/deploy.sh' 'staging' '${IMAGE}@${DIGEST}'`,
    ]);
  });

  it('a failing deploy on the VM fails the job; a bad digest or image stops before any gcloud call', () => {
    const dir = mkdtempSync(join(tmpdir(), 'infra-kit-gcp-ci-'));
    const path = `${gcloudStub(join(dir, 'log'))}:/usr/bin:/bin`;
    expect(run(script, { ...vars, PATH: path, FAIL_SSH: '1' }).status).not.toBe(0);
    // The rule deploy.sh applies on the VM (check-image-digest.sh.ejs): lowercase, this app's repository, no tag.
    const bads: Record<string, string>[] = [
      { DIGEST: 'latest' }, { DIGEST: `sha256:${'B'.repeat(64)}` }, { IMAGE: `${IMAGE}';reboot;'` }, { IMAGE: 'shop-api' },
      { IMAGE: IMAGE.toUpperCase() }, { IMAGE: IMAGE.replace(/shop-api$/, 'other-app') }, { IMAGE: `${IMAGE}:1.0` },
    ];
    for (const bad of bads) {
      const clean = mkdtempSync(join(tmpdir(), 'infra-kit-gcp-ci-'));
      const r = run(script, { ...vars, ...bad, PATH: `${gcloudStub(join(clean, 'log'))}:/usr/bin:/bin` });
      expect(r.status, JSON.stringify(bad)).not.toBe(0);
      expect(r.stderr, JSON.stringify(bad)).toMatch(/^(DIGEST|IMAGE) '[\s\S]*' is not /);
      expect(logOf(clean), JSON.stringify(bad)).toBe('');
    }
    // A registry port is fine on the VM, so here too.
    const ported = mkdtempSync(join(tmpdir(), 'infra-kit-gcp-ci-'));
    const withPort = run(script, { ...vars, IMAGE: IMAGE.replace('.dev/', '.dev:443/'), PATH: `${gcloudStub(join(ported, 'log'))}:/usr/bin:/bin` });
    expect(withPort.status, withPort.stderr).toBe(0);
  });

  it('the deploy script passes ShellCheck', { skip: !hasCommand('shellcheck') }, () => {
    expect(shellcheck(script, ci === 'github' ? 'bash' : 'sh')).toBe('');
  });
});
