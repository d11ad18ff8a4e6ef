/**
 * Azure across the orchestrator × CI × database matrix: the Terraform (parsed HCL: wiring, structure, secrets,
 * tags, the compose VM's hardening, the deploy identity's run-command-only role, GitLab federated subjects),
 * the CI vm-deploy partials (run for real against a stub `az` that executes the Run Command script), and the
 * deploy.sh helpers of templates/deploy/partials/azure.sh.ejs (ShellCheck, functions only).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import ejs from 'ejs';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { clouds } from '../src/catalog/index.js';
import { CONTEXT_KEYS, buildContext } from '../src/render/context.js';
import { EJS_OPTIONS } from '../src/render/render.js';
import { templatesDir } from '../src/paths.js';
import { backendOf, first, moduleCallProblems, requiredProviders, resolve, secretProblems, strings, structureProblems, type Block, type TfDir } from '../src/check/terraform-hcl.js';
import { answersWith, tempDir } from './helpers/render.js';
import { cloudRules, expectModulesDocumented, useTerraformKit } from './helpers/terraform-checks.js';
import { hasCommand, terraformBinary } from './helpers/validators.js';
import { runSh, shellcheck, stubs } from './helpers/ci-shell.js';

const rule = cloudRules.azure;
const ENVIRONMENTS = ['staging', 'production'] as const;
const OPEN_SOURCES = ['0.0.0.0/0', '::/0', '*', 'Internet', 'Any'];

/** Render one template (a partial, which no file table outputs) with the engine's ejs settings. */
function renderTemplate(template: string, overrides: Partial<Answers>, data: object = {}): string {
  const ctx = buildContext(answersWith({ cloud: 'azure', ...overrides }), '0.0.0-test');
  return ejs.render(readFileSync(join(templatesDir, template), 'utf8'), { ...ctx, ...data }, {
    ...EJS_OPTIONS, filename: join(templatesDir, template), destructuredLocals: CONTEXT_KEYS.filter((k) => k in ctx),
  }) as string;
}

const cells = (['kubernetes', 'compose'] as const).flatMap((orchestrator) =>
  (['github', 'gitlab'] as const).flatMap((ci) => (['none', 'postgres'] as const).map((database) => ({ orchestrator, ci, database }))));

describe.each(cells)('azure terraform: $orchestrator × $ci × $database', ({ orchestrator, ci, database }) => {
  const compose = orchestrator === 'compose';
  const postgres = database === 'postgres';
  const oidc = `${ci}-oidc`;
  const roots = ['terraform/bootstrap', ...ENVIRONMENTS.map((e) => `terraform/environments/${e}`)];
  const kit = useTerraformKit({ cloud: 'azure', orchestrator, ci, database, name: 'shop-api' });
  const { get } = kit;
  const res = (dir: string, type: string, name: string): Block => get(dir).resources[type]?.[name] ?? expect.fail(`${dir}: no ${type}.${name}`);

  it('renders exactly the modules this cell needs; every .tf and tfvars example parses; modules follow TF05', async () => {
    const modules = ['app-identity', compose ? 'vm' : 'cluster', 'deploy-role', oidc, 'network', 'registry', 'state-backend', ...(postgres ? ['database'] : [])];
    expect([...kit.dirs.keys()].sort()).toEqual([...modules.map((m) => `terraform/modules/${m}`), ...roots].sort());
    for (const [path, src] of kit.out.files) if (path.endsWith('.tfvars.example')) await expect(parse(path, src)).resolves.toBeTypeOf('object');
    expectModulesDocumented(kit);
  });

  it('module calls resolve; pinned versions, typed interface, remote backend, no credentials, tags everywhere', () => {
    expect(moduleCallProblems(kit.dirs)).toEqual([]);
    expect([...kit.dirs].flatMap(([dir, config]) => structureProblems(dir, config))).toEqual([]);
    const { name, source, version } = clouds.azure.terraformProvider;
    for (const [dir, config] of kit.dirs) expect(requiredProviders(config), dir).toEqual({ [name]: { source, version } });
    expect(secretProblems(kit.dirs)).toEqual([]);
    expect(Object.keys(get('terraform/bootstrap').modules).sort()).toEqual([oidc.replace('-', '_'), 'registry', 'state_backend']);
    for (const env of ENVIRONMENTS) {
      const root = get(`terraform/environments/${env}`);
      expect(Object.keys(root.modules).sort()).toEqual(['app_identity', compose ? 'vm' : 'cluster', ...(postgres ? ['database'] : []), 'deploy_role', 'network'].sort());
      const backends = backendOf(root);
      expect(backends.map((b) => b.type)).toEqual(['azurerm']);
      rule.backend(backends[0]!.args, 'shop-api', env);
    }
    for (const root of roots) {
      const problems = rule.tagProblems(root, kit.dirs);
      expect(problems, root).toEqual([]);
    }
  });

  it('CI trust: the push and deploy identities trust only this CI provider, on main / the environment', () => {
    const text = [...kit.dirs.values()].flatMap((d) => [...strings(d.raw)].map(([, v]) => v)).join('\n');
    const credential = (dir: string, name: string) => res(dir, 'azurerm_federated_identity_credential', name);
    if (ci === 'gitlab') {
      const subject = 'project_path:${var.gitlab_project_path}:ref_type:branch:ref:${var.branch}';
      for (const [dir, name] of [[`terraform/modules/${oidc}`, 'push'], ['terraform/modules/deploy-role', 'gitlab']] as const) {
        expect(credential(dir, name)).toMatchObject({ issuer: '${var.gitlab_url}', subject, audience: ['api://AzureADTokenExchange'] });
        const vars = get(dir).variables;
        expect(vars.gitlab_url?.default).toBe('https://gitlab.com');
        expect(vars.branch?.default).toBe('main');
        expect(String(first(vars.gitlab_project_path, 'validation').condition)).toContain('var.gitlab_project_path');
      }
      expect(text).not.toContain('token.actions.githubusercontent.com');
      // The audience the federated credentials accept is the one the GitLab jobs request.
      const idTokens = YAML.parse(renderTemplate('ci/gitlab/partials/cloud/azure/id-tokens.yml.ejs', { ci })) as Record<string, { aud: string }>;
      expect(idTokens.AZURE_ID_TOKEN?.aud).toBe('api://AzureADTokenExchange');
      for (const root of roots) expect(get(root).variables.gitlab_project_path, root).toBeDefined();
      for (const env of ENVIRONMENTS) expect(get(`terraform/environments/${env}`).modules.deploy_role?.name).toBe('${local.name}-gitlab-deploy-${local.environment}');
    } else {
      expect(credential(`terraform/modules/${oidc}`, 'push').subject).toBe('repo:${var.github_repository}:ref:refs/heads/${var.branch}');
      expect(credential('terraform/modules/deploy-role', 'github').subject).toBe('repo:${var.github_repository}:environment:${var.environment}');
      expect(text).not.toContain('project_path:');
    }
    // Each CI variable is named by an output description that also names this CI provider (and not the other).
    const [where, other] = ci === 'gitlab' ? ['GitLab CI/CD variable', 'GitHub'] : ['GitHub', 'GitLab'];
    const naming = (dir: string, v: string) => Object.values(get(dir).outputs).map((o) => String(o.description)).filter((d) => d.includes(v));
    for (const v of rule.ciVariables.bootstrap) expect(naming('terraform/bootstrap', v), v).toEqual([expect.stringContaining(where)]);
    for (const env of ENVIRONMENTS) expect(naming(`terraform/environments/${env}`, 'AZURE_DEPLOY_CLIENT_ID')).toEqual([expect.stringContaining(where)]);
    for (const root of roots) expect(Object.values(get(root).outputs).map((o) => String(o.description)).join('\n'), root).not.toContain(other);
  });

  it('the deploy identity: namespace-scoped on AKS; on compose a custom role that may only run commands on the VM', () => {
    const mod = get('terraform/modules/deploy-role');
    const assignments = mod.resources.azurerm_role_assignment ?? {};
    if (!compose) {
      expect(Object.keys(assignments).sort()).toEqual(['credentials', 'namespace']);
      expect(mod.resources.azurerm_role_definition).toBeUndefined();
      return;
    }
    const role = res('terraform/modules/deploy-role', 'azurerm_role_definition', 'run_command');
    const permissions = first(role, 'permissions');
    expect((permissions.actions as string[]).sort()).toEqual([
      'Microsoft.Compute/virtualMachines/instanceView/read', 'Microsoft.Compute/virtualMachines/read',
      'Microsoft.Compute/virtualMachines/runCommand/action', 'Microsoft.Compute/virtualMachines/runCommands/read',
    ]);
    expect(permissions.data_actions).toBeUndefined();
    expect(role.assignable_scopes).toEqual(['${local.vm_resource_group_id}']);
    expect(Object.keys(assignments)).toEqual(['run_command']);
    expect(assignments.run_command).toMatchObject({ scope: '${var.vm_id}', role_definition_id: '${azurerm_role_definition.run_command.role_definition_resource_id}' });
    for (const env of ENVIRONMENTS) {
      const root = get(`terraform/environments/${env}`);
      expect(root.modules.deploy_role?.vm_id).toBe('${module.vm.id}');
      expect(root.resources.azurerm_role_assignment?.deploy_reads_app_identity).toBeUndefined();
    }
  });

  it.runIf(compose)('the VM: private, key-only, Trusted Launch, app identity, NSG open only to ingress_cidrs, cloud-init', () => {
    const dir = 'terraform/modules/vm';
    const vm = res(dir, 'azurerm_linux_virtual_machine', 'this');
    expect(vm).toMatchObject({ disable_password_authentication: true, secure_boot_enabled: true, vtpm_enabled: true, encryption_at_host_enabled: '${var.encryption_at_host}' });
    expect(vm).not.toHaveProperty('admin_password');
    expect(first(vm, 'admin_ssh_key').public_key).toBe('${var.admin_ssh_public_key}');
    expect(get(dir).variables.encryption_at_host?.default).toBe(true);
    expect(first(vm, 'source_image_reference')).toMatchObject({ publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' });
    expect(first(vm, 'identity')).toEqual({ type: 'UserAssigned', identity_ids: ['${var.identity_id}'] });
    expect(first(vm, 'boot_diagnostics')).toEqual({}); // managed storage account
    expect(Object.keys(get(dir).resources).filter((t) => /public_ip|tls_private_key|bastion/.test(t))).toEqual([]);
    expect(first(res(dir, 'azurerm_network_interface', 'this'), 'ip_configuration')).not.toHaveProperty('public_ip_address_id');
    // Every allow rule, in every module: never the internet; the VM's only rule takes var.ingress_cidrs (default []).
    for (const config of kit.dirs.values()) {
      for (const r of Object.values(config.resources.azurerm_network_security_rule ?? {})) {
        if (r.access !== 'Allow') continue;
        expect(r).not.toHaveProperty('source_address_prefix');
        expect(r.source_address_prefixes).toBe('${var.ingress_cidrs}');
        expect(r.destination_port_range).toBe('${tostring(var.app_port)}');
      }
    }
    const cidrs = get(dir).variables.ingress_cidrs!;
    expect(cidrs.default).toEqual([]);
    expect(String(first(cidrs, 'validation').condition)).toMatch(/cidrhost\(c, 0\).*> 0/);
    expect(OPEN_SOURCES.some((s) => [...strings(get(dir).raw)].some(([k, v]) => k.startsWith('source_address') && v === s))).toBe(false);
    const cloudInit = `${String(get(dir).locals.cloud_init)}\n${String(get(dir).locals.config_files)}`;
    for (const p of ['"docker.io"', '"docker-compose-v2"', '"jq"', '"curl"', '"unattended-upgrades"', '/opt/${var.app_name}', '/etc/${var.app_name}/identity']) expect(cloudInit).toContain(p);
    expect(vm.custom_data).toBe('${base64encode("#cloud-config\\n${local.cloud_init}")}');
    expect(res(dir, 'azurerm_management_lock', 'this')).toMatchObject({ count: '${var.delete_protection ? 1 : 0}', lock_level: 'CanNotDelete' });
  });

  it.runIf(compose)('the environment wires the VM: app identity = VM identity (AcrPull, vault), private subnet, production differs', () => {
    const settings = (env: string) => {
      const root = get(`terraform/environments/${env}`);
      const call = root.modules.vm ?? expect.fail('no vm module');
      expect(call).toMatchObject({ identity_id: '${module.app_identity.id}', identity_client_id: '${module.app_identity.client_id}', subnet_id: '${module.network.nodes_subnet_id}', ingress_cidrs: '${var.ingress_cidrs}' });
      expect(root.resources.azurerm_role_assignment?.app_pull).toMatchObject({ role_definition_name: 'AcrPull', principal_id: '${module.app_identity.principal_id}', scope: '${data.azurerm_container_registry.shared.id}' });
      expect(root.modules.app_identity).not.toHaveProperty('oidc_issuer_url');
      expect('key_vault_name' in root.modules.app_identity!).toBe(postgres);
      if (postgres) expect(root.modules.database).toMatchObject({ vnet_id: '${module.network.vnet_id}', subnet_id: '${module.network.database_subnet_id}' });
      expect(root.modules.network?.database_subnet).toBe(postgres);
      return [resolve(root, call.vm_size), resolve(root, call.delete_protection), resolve(root, call.os_disk_type)];
    };
    const [stagingSize, stagingLock] = settings('staging');
    const [productionSize, productionLock, productionDisk] = settings('production');
    expect(stagingSize).not.toBe(productionSize);
    expect([stagingLock, productionLock, productionDisk]).toEqual([false, true, 'Premium_LRS']);
    expect(res('terraform/modules/app-identity', 'azurerm_user_assigned_identity', 'this')).toBeDefined();
    expect(get('terraform/modules/app-identity').resources.azurerm_federated_identity_credential).toBeUndefined();
  });

  it.skipIf(!terraformBinary)('terraform fmt -check', () => {
    const fmt = spawnSync(terraformBinary!, ['fmt', '-check', '-diff', '-recursive', join(kit.out.dir, 'terraform')], { encoding: 'utf8' });
    expect(fmt.stdout).toBe('');
    expect(fmt.status).toBe(0);
  });
});

/** A stub `az` that runs the Run Command script locally (its /opt/<app> redirected under $STUB_ROOT) and answers like Azure. */
const AZ_STUB = `printf '%s\\n' "$*" >> "$STUB_ROOT/az.log"
for a in "$@"; do case "$a" in @*) script="\${a#@}" ;; esac; done
[ "$1 $2 $3" = "vm run-command invoke" ] || exit 0
sed "s|^dir='/opt/|dir='$STUB_ROOT/opt/|" "$script" > "$STUB_ROOT/remote.sh"
out="$(bash "$STUB_ROOT/remote.sh" 2>"$STUB_ROOT/stderr")" || true
printf 'Enable succeeded: \\n[stdout]\\n%s\\n\\n[stderr]\\n%s\\n' "$out" "$(cat "$STUB_ROOT/stderr")"`;

describe('CI vm-deploy partials (compose): az vm run-command ships deploy/ and fails the job when deploy.sh fails', () => {
  const github = YAML.parse(renderTemplate('ci/github/partials/cloud/azure/vm-deploy.yml.ejs', { orchestrator: 'compose' })) as Block[];
  const gitlab = (YAML.parse(`script:\n${renderTemplate('ci/gitlab/partials/cloud/azure/vm-deploy.yml.ejs', { orchestrator: 'compose', ci: 'gitlab' })}`) as { script: string[] }).script;
  // The IMAGE/DIGEST check (GitHub's first step, GitLab's first line), then the Run Command deploy: as the job runs them.
  const scripts = { github: `${github[0]?.run}\n${github[2]?.run}`, gitlab: `${gitlab[0]}\n${gitlab.at(-1)}` };

  it('GitHub: IMAGE/DIGEST check, azure/login as the environment deploy identity, then the run-command step; GitLab: check, then az login with the ID token', () => {
    expect(github[0]!.name).toBe('Check IMAGE and DIGEST');
    expect(github[1]).toMatchObject({ uses: expect.stringMatching(/^azure\/login@[0-9a-f]{40}/), with: { 'client-id': '${{ vars.AZURE_DEPLOY_CLIENT_ID }}', 'tenant-id': '${{ vars.AZURE_TENANT_ID }}', 'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}' } });
    expect(github).toHaveLength(3);
    expect(gitlab[0]).toContain("grep -Eqx 'sha256:[0-9a-f]{64}'");
    expect(gitlab[1]).toContain('--username "${AZURE_DEPLOY_CLIENT_ID}" --tenant "${AZURE_TENANT_ID}" --federated-token "${AZURE_ID_TOKEN}"');
    for (const script of Object.values(scripts)) expect(script).toContain('az vm run-command invoke -g "${APP_NAME}-${TARGET_ENV}" -n "${APP_NAME}-${TARGET_ENV}"');
  });

  describe.each(['github', 'gitlab'] as const)('%s script', (ci) => {
    const run = (exit: number, digest = `sha256:${'a'.repeat(64)}`, image = 'shopapiacr.azurecr.io/shop-api') => {
      const root = tempDir();
      const work = join(root, 'work');
      mkdirSync(join(work, 'deploy'), { recursive: true });
      const files = { 'compose.yaml': "services:\n  app:\n    image: 'x'\nEOF\n", 'staging.env': 'A=1\nB="two words"\n', 'deploy.sh': `#!/bin/bash\necho "args: $*"\nexit ${exit}\n` };
      for (const [f, content] of Object.entries(files)) writeFileSync(join(work, 'deploy', f), content);
      const result = spawnSync('sh', ['-e', '-c', scripts[ci]], {
        cwd: work, encoding: 'utf8',
        env: { PATH: `${stubs({ az: AZ_STUB })}:${process.env.PATH}`, STUB_ROOT: root, APP_NAME: 'shop-api', TARGET_ENV: 'staging', IMAGE: image, DIGEST: digest },
      });
      return { root, files, result, az: (() => { try { return readFileSync(join(root, 'az.log'), 'utf8'); } catch { return ''; } })() };
    };

    it('copies the three files byte for byte to /opt/<app> and runs deploy.sh <env> <image>@<digest>', () => {
      const { root, files, result, az } = run(0);
      expect(result.stderr + result.stdout).toContain('deploy-exit-status=0');
      expect(result.status, result.stderr).toBe(0);
      expect(az).toContain('vm run-command invoke -g shop-api-staging -n shop-api-staging --command-id RunShellScript --scripts @');
      for (const [f, content] of Object.entries(files)) expect(readFileSync(join(root, 'opt/shop-api', f), 'utf8')).toBe(content);
      expect(statSync(join(root, 'opt/shop-api/deploy.sh')).mode & 0o777).toBe(0o750);
      expect(result.stdout).toContain(`args: staging shopapiacr.azurecr.io/shop-api@sha256:${'a'.repeat(64)}`);
    });

    it('fails the job when deploy.sh fails on the VM, and refuses a malformed digest before calling Azure', () => {
      const failed = run(3);
      expect(failed.result.status).not.toBe(0);
      expect(failed.result.stdout).toContain('deploy.sh failed on VM shop-api-staging (exit status 3)');
      const bad = run(0, "sha256:abc'; reboot; '");
      expect(bad.result.status).not.toBe(0);
      expect(bad.result.stderr).toContain("DIGEST 'sha256:abc'; reboot; '' is not sha256:<64 lowercase hex>");
      expect(bad.az).toBe('');
    });

    it('refuses what deploy.sh on the VM refuses (uppercase, another app, a tag) and accepts a registry port, as it does', () => {
      for (const image of ['ShopApiAcr.azurecr.io/shop-api', 'shopapiacr.azurecr.io/other-app', 'shopapiacr.azurecr.io/shop-api:1.0']) {
        const bad = run(0, undefined, image);
        expect(bad.result.status, image).not.toBe(0);
        expect(bad.result.stderr, image).toContain(`IMAGE '${image}' is not <registry>[:port]/<path>/shop-api`);
        expect(bad.az, image).toBe('');
      }
      const ported = run(0, undefined, 'registry.example.com:5000/team/shop-api');
      expect(ported.result.status, ported.result.stderr).toBe(0);
    });

    it.skipIf(!hasCommand('shellcheck'))('passes ShellCheck (sh)', () => {
      expect(shellcheck(scripts[ci], 'sh')).toBe('');
    });
  });
});

describe('deploy.sh helpers (templates/deploy/partials/azure.sh.ejs)', () => {
  describe.each(['none', 'postgres'] as const)('database %s', (database) => {
    const src = renderTemplate('deploy/partials/azure.sh.ejs', { orchestrator: 'compose', database, name: 'shop-api' });

    it('defines registry_login and fetch_secrets (and nothing runs when sourced)', () => {
      // No PATH: any command run at the top level would fail and show on stderr.
      const probe = spawnSync('/bin/bash', ['--norc', '--noprofile', '-euc', `${src}\ndeclare -F`], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
      expect(probe.stderr).toBe('');
      expect(probe.stdout.trim().split('\n').map((l) => l.replace('declare -f ', '')).sort()).toEqual(['azure_imds_token', 'fetch_secrets', 'registry_login']);
      expect(src).toContain('/etc/shop-api/identity');
      expect(src).toContain('--password-stdin');
      expect(src).toContain('--username 00000000-0000-0000-0000-000000000000');
      expect(src.includes('/secrets/database-url')).toBe(database === 'postgres');
    });

    it.skipIf(!hasCommand('shellcheck'))('passes ShellCheck (bash)', () => {
      expect(shellcheck(src, 'bash')).toBe('');
    });
  });
});
