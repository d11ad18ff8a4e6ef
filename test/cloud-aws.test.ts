/**
 * AWS: Terraform for both orchestrators (EKS, or one Docker Compose VM per environment) and both CI providers
 * (GitHub or GitLab OIDC trust), checked on the HCL parsed by src/check/terraform-hcl.ts and by `infra-kit
 * check`; the VM deploy shell (deploy/partials/aws.sh.ejs) and the CI vm-deploy partials run for real against
 * stub `aws`/`docker` commands, and the command they send to the VM is executed locally.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import ejs from 'ejs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Answers } from '../src/answers/schema.js';
import { runChecks } from '../src/check/run.js';
import { backendOf, first, moduleCallProblems, resolve, secretProblems, strings, structureProblems, type Block, type TfDir } from '../src/check/terraform-hcl.js';
import { templatesDir } from '../src/paths.js';
import { buildContext, type RenderContext } from '../src/render/context.js';
import { shellcheck, stubs } from './helpers/ci-shell.js';
import { answersWith } from './helpers/render.js';
import { expectModulesDocumented, useTerraformKit } from './helpers/terraform-checks.js';
import { hasCommand } from './helpers/validators.js';

const terraformBin = '/usr/local/bin/terraform';
const ENVIRONMENTS = ['staging', 'production'] as const;
const NAME = 'shop-api';

type Cell = { orchestrator: 'kubernetes' | 'compose'; ci: 'github' | 'gitlab'; database: 'none' | 'postgres' };
const cells: Cell[] = (['kubernetes', 'compose'] as const).flatMap((orchestrator) =>
  (['github', 'gitlab'] as const).flatMap((ci) => (['none', 'postgres'] as const).map((database) => ({ orchestrator, ci, database }))),
);

const res = (dir: TfDir, type: string, name: string): Block => dir.resources[type]?.[name] ?? expect.fail(`no ${type}.${name}`);
/** Every policy-document statement of a directory, with the data source it belongs to. */
const statements = (dir: TfDir): (Block & { doc: string })[] =>
  Object.entries(dir.data.aws_iam_policy_document ?? {}).flatMap(([doc, d]) => ((d.statement ?? []) as Block[]).map((s) => ({ ...s, doc })));
const conditions = (s: Block): Block[] => (s.condition ?? []) as Block[];
/** The RE2 pattern of a `can(regex("…", var.x))` validation, as a JS RegExp (the patterns used are in the common subset). */
const validationRegex = (variable: Block): RegExp => {
  const src = String(first(variable, 'validation').condition);
  const m = /regex\("((?:[^"\\]|\\.)*)"/.exec(src) ?? expect.fail(`no regex in ${src}`);
  return new RegExp(JSON.parse(`"${m[1]}"`) as string);
};

describe.each(cells)('aws terraform: $orchestrator × $ci × $database', (cell) => {
  const overrides: Partial<Answers> = { cloud: 'aws', name: NAME, ...cell };
  const compose = cell.orchestrator === 'compose';
  const gitlab = cell.ci === 'gitlab';
  const postgres = cell.database === 'postgres';
  const roots = ['terraform/bootstrap', ...ENVIRONMENTS.map((e) => `terraform/environments/${e}`)];
  const kit = useTerraformKit(overrides);
  const { get } = kit;

  it('every .tf and tfvars example parses; the modules are the ones of this orchestrator and CI provider; TF05 layout with README tables', async () => {
    const examples = [...kit.out.files].filter(([path]) => path.endsWith('.tfvars.example'));
    expect(examples.map(([path]) => path).sort()).toEqual(roots.map((r) => `${r}/terraform.tfvars.example`).sort());
    for (const [path, src] of examples) {
      const vars = (await parse(path, src)) as Record<string, unknown>;
      // Every example value is a variable the root declares.
      for (const key of Object.keys(vars)) expect(get(path.replace(/\/terraform\.tfvars\.example$/, '')).variables, `${path}: ${key}`).toHaveProperty(key);
    }
    const modules = ['app-identity', compose ? 'vm' : 'cluster', 'deploy-role', gitlab ? 'gitlab-oidc' : 'github-oidc', 'network', 'registry', 'state-backend', ...(postgres ? ['database'] : [])];
    expect([...kit.dirs.keys()].sort()).toEqual([...modules.map((m) => `terraform/modules/${m}`), ...roots].sort());
    expectModulesDocumented(kit);
  });

  it('module calls resolve with declared inputs; pinned versions; typed, described interfaces; no credentials', () => {
    expect(moduleCallProblems(kit.dirs)).toEqual([]);
    expect([...kit.dirs].flatMap(([dir, config]) => structureProblems(dir, config))).toEqual([]);
    expect(secretProblems(kit.dirs)).toEqual([]);
    expect(Object.keys(get('terraform/bootstrap').modules).sort()).toEqual([gitlab ? 'gitlab_oidc' : 'github_oidc', 'registry', 'state_backend']);
    for (const env of ENVIRONMENTS) {
      const root = get(`terraform/environments/${env}`);
      expect(Object.keys(root.modules).sort()).toEqual(['app_identity', compose ? 'vm' : 'cluster', ...(postgres ? ['database'] : []), 'deploy_role', 'network'].sort());
      expect(backendOf(root)).toEqual([{ type: 's3', args: expect.objectContaining({ key: `${NAME}/${env}/terraform.tfstate`, encrypt: true, use_lockfile: true }) }]);
    }
    expect(backendOf(get('terraform/bootstrap'))).toEqual([]);
  });

  it('infra-kit check finds nothing in the rendered Terraform (any level)', async () => {
    const report = await runChecks(kit.out.dir);
    expect(report.findings.map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`)).toEqual([]);
  });

  it.skipIf(!existsSync(terraformBin))('terraform fmt -check: canonical formatting', () => {
    const fmt = spawnSync(terraformBin, ['fmt', '-check', '-diff', '-recursive', join(kit.out.dir, 'terraform')], { encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } });
    expect(fmt.stdout).toBe('');
    expect(fmt.status).toBe(0);
  });

  it('CI trust: OIDC subjects of this provider only, scoped to the main branch (push) and the environment or protected branch (deploy)', () => {
    const oidc = get(`terraform/modules/${cell.ci}-oidc`);
    const deploy = get('terraform/modules/deploy-role');
    const subOf = (dir: TfDir, doc: string) => statements(dir).filter((s) => s.doc === doc).flatMap(conditions).filter((c) => String(c.variable).endsWith(':sub')).flatMap((c) => c.values as string[]);
    const audOf = (dir: TfDir, doc: string) => statements(dir).filter((s) => s.doc === doc).flatMap(conditions).filter((c) => String(c.variable).endsWith(':aud')).flatMap((c) => c.values as string[]);
    if (gitlab) {
      const sub = 'project_path:${var.gitlab_project_path}:ref_type:branch:ref:${var.branch}';
      expect(subOf(oidc, 'push_trust')).toEqual([sub]);
      expect(subOf(deploy, 'trust')).toEqual([sub]);
      for (const dir of [oidc, deploy]) {
        expect(dir.locals.issuer).toBe('${trimprefix(var.gitlab_url, "https://")}');
        expect(dir.variables.branch?.default).toBe('main');
        expect(dir.variables.gitlab_url?.default).toBe('https://gitlab.com');
        const path = validationRegex(dir.variables.gitlab_project_path ?? expect.fail('no gitlab_project_path'));
        for (const ok of ['my-group/shop-api', 'a/b/c', 'Group.x/p_1']) expect(ok).toMatch(path);
        for (const bad of ['shop-api', 'a//b', 'a/b/', '/a/b', 'a/b:ref_type:branch', 'a/*']) expect(bad).not.toMatch(path);
      }
      expect(audOf(oidc, 'push_trust')).toEqual(['${var.gitlab_url}']);
      expect(audOf(deploy, 'trust')).toEqual(['${var.gitlab_url}']);
      expect(res(oidc, 'aws_iam_openid_connect_provider', 'gitlab')).toMatchObject({ url: '${var.gitlab_url}', client_id_list: ['${var.gitlab_url}'] });
      // The deploy role's README says the environment is GitLab's to enforce (the sub has none).
      expect(kit.out.files.get('terraform/modules/deploy-role/README.md')).toMatch(/protected environment/);
      for (const env of ENVIRONMENTS) {
        const root = get(`terraform/environments/${env}`);
        expect(root.data.aws_iam_openid_connect_provider?.gitlab?.url).toBe('${var.gitlab_url}');
        expect(root.modules.deploy_role).toMatchObject({ gitlab_project_path: '${var.gitlab_project_path}', name: '${local.name}-gitlab-deploy-${local.environment}' });
      }
    } else {
      expect(subOf(oidc, 'push_trust')).toEqual(['repo:${var.github_repository}:ref:refs/heads/${var.branch}']);
      expect(subOf(deploy, 'trust')).toEqual(['repo:${var.github_repository}:environment:${var.environment}']);
      expect(audOf(deploy, 'trust')).toEqual(['sts.amazonaws.com']);
    }
    // No trace of the other provider anywhere.
    const other = gitlab ? /github|token\.actions/ : /gitlab|project_path/;
    const hcl = [...kit.dirs.values()].flatMap((d) => [...strings(d.raw)].map(([, v]) => v));
    expect(hcl.filter((v) => other.test(v))).toEqual([]);
  });

  it('outputs name the CI variables the CI partials read (AWS_PUSH_ROLE_ARN, AWS_DEPLOY_ROLE_ARN)', () => {
    const descriptions = (dir: string) => Object.values(get(dir).outputs).map((o) => String(o.description)).join('\n');
    const push = get('terraform/bootstrap').outputs[`${cell.ci}_push_role_arn`] ?? expect.fail('no push role output');
    expect(push.description).toContain('AWS_PUSH_ROLE_ARN');
    expect(push.description).toContain(gitlab ? 'GitLab CI/CD variable' : 'GitHub Actions');
    for (const env of ENVIRONMENTS) expect(descriptions(`terraform/environments/${env}`)).toContain('AWS_DEPLOY_ROLE_ARN');
    // The CI partials of this provider read exactly these variables.
    const partials = join(templatesDir, 'ci', cell.ci, 'partials/cloud/aws');
    const read = (f: string) => readFileSync(join(partials, f), 'utf8');
    expect(read(gitlab ? 'registry-login.yml.ejs' : 'push-login.yml.ejs')).toContain('AWS_PUSH_ROLE_ARN');
    for (const f of ['cluster-login.yml.ejs', 'vm-deploy.yml.ejs']) expect(read(f)).toContain('AWS_DEPLOY_ROLE_ARN');
    if (gitlab) {
      // Audience: the jobs ask for $CI_SERVER_URL, the roles accept var.gitlab_url (https://gitlab.com by default).
      expect(YAML.parse(read('id-tokens.yml.ejs'))).toEqual({ AWS_ID_TOKEN: { aud: '$CI_SERVER_URL' } });
    }
  });

  it('deploy role: compose may only SendCommand AWS-RunShellScript to the instance tagged Name=<app>-<env> and read results; kubernetes keeps EKS', () => {
    const deploy = get('terraform/modules/deploy-role');
    const granted = statements(deploy).filter((s) => s.doc !== 'trust');
    const actions = [...new Set(granted.flatMap((s) => s.actions as string[]))].sort();
    if (!compose) {
      expect(actions).toEqual(['eks:DescribeCluster']);
      expect(deploy.resources.aws_eks_access_policy_association?.this).toBeDefined();
      return;
    }
    expect(actions).toEqual(['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations', 'ssm:SendCommand']);
    expect(Object.keys(deploy.resources).sort()).toEqual(['aws_iam_role', 'aws_iam_role_policy']);
    const send = granted.filter((s) => (s.actions as string[]).includes('ssm:SendCommand'));
    for (const s of send) expect(s.actions).toEqual(['ssm:SendCommand']);
    expect(send.flatMap((s) => s.resources as string[]).sort()).toEqual([
      'arn:${local.partition}:ec2:${local.region}:${data.aws_caller_identity.current.account_id}:instance/*',
      'arn:${local.partition}:ssm:${local.region}::document/AWS-RunShellScript',
    ]);
    // The instance statement only holds with the Name tag; nothing is allowed without a condition on "*" but reads.
    const onInstances = send.find((s) => String(s.resources).includes(':instance/')) ?? expect.fail('no instance statement');
    expect(conditions(onInstances)).toEqual([{ test: 'StringEquals', variable: 'ssm:resourceTag/Name', values: ['${var.instance_name}'] }]);
    for (const s of granted.filter((g) => (g.resources as string[]).includes('*'))) expect(s.actions).toEqual(['ssm:GetCommandInvocation', 'ssm:ListCommandInvocations']);
    expect(validationRegex(deploy.variables.instance_name!).test('shop-api-*')).toBe(false);
    // …and the tag it names is the VM's Name: <app>-<environment>.
    const vm = get('terraform/modules/vm');
    expect(res(vm, 'aws_instance', 'this').tags).toEqual({ Name: '${var.name}' });
    for (const env of ENVIRONMENTS) {
      const root = get(`terraform/environments/${env}`);
      expect(root.modules.deploy_role?.instance_name).toBe('${module.vm.instance_name}');
      expect(root.modules.vm?.name).toBe('${local.vm_name}');
      expect(root.locals.vm_name).toBe('${local.name}-${local.environment}');
      expect(root.locals.environment).toBe(env);
    }
  });

  it.runIf(compose)('VM hardening: IMDSv2 (hop 1), encrypted gp3 root with a CMK, no public IP, no key, private subnet, no open ingress', () => {
    const vm = get('terraform/modules/vm');
    const instance = res(vm, 'aws_instance', 'this');
    const metadata = first(instance, 'metadata_options');
    expect(resolve(vm, metadata.http_tokens)).toBe('required');
    expect(metadata).toMatchObject({ http_endpoint: 'enabled', http_put_response_hop_limit: 1 });
    expect(first(instance, 'root_block_device')).toMatchObject({ volume_type: 'gp3', encrypted: true, kms_key_id: '${aws_kms_key.disk.arn}' });
    expect(res(vm, 'aws_kms_key', 'disk').enable_key_rotation).toBe(true);
    expect(instance).toMatchObject({ associate_public_ip_address: false, monitoring: true, subnet_id: '${var.subnet_id}', iam_instance_profile: '${aws_iam_instance_profile.this.name}' });
    expect(instance).not.toHaveProperty('key_name');
    expect(res(vm, 'aws_iam_instance_profile', 'this').role).toBe('${var.role_name}');
    // Canonical's Ubuntu 24.04, by owner.
    const ami = vm.data.aws_ami?.ubuntu ?? expect.fail('no AMI lookup');
    expect(ami.owners).toEqual(['099720109477']);
    expect(JSON.stringify(ami.filter)).toContain('ubuntu-noble-24.04-amd64-server-');
    // Ingress: only the app port, only from var.ingress_cidrs (default empty, 0.0.0.0/0 rejected); no inline rules.
    expect(Object.keys(vm.resources.aws_vpc_security_group_ingress_rule ?? {})).toEqual(['app']);
    expect(res(vm, 'aws_vpc_security_group_ingress_rule', 'app')).toMatchObject({ for_each: '${toset(var.ingress_cidrs)}', cidr_ipv4: '${each.value}', from_port: '${var.app_port}', to_port: '${var.app_port}' });
    expect(res(vm, 'aws_security_group', 'this')).not.toHaveProperty('ingress');
    expect([...strings(vm.resources.aws_vpc_security_group_ingress_rule)].some(([, v]) => v === '0.0.0.0/0')).toBe(false);
    for (const dir of [vm, get('terraform/environments/staging')]) {
      const cidrs = dir.variables.ingress_cidrs ?? expect.fail('no ingress_cidrs');
      expect(cidrs.default).toEqual([]);
      expect(String(first(cidrs, 'validation').condition)).toContain('cidr != "0.0.0.0/0"');
    }
    // Egress: 443/80 out, the database port to the VPC only.
    expect(Object.keys(vm.resources.aws_vpc_security_group_egress_rule ?? {}).sort()).toEqual(['database', 'web']);
    expect(res(vm, 'aws_vpc_security_group_egress_rule', 'database').cidr_ipv4).toBe('${data.aws_vpc.this.cidr_block}');
    // The instance role pulls from one repository, and gets the SSM agent's managed policy.
    const pull = statements(vm).filter((s) => s.doc === 'pull');
    expect(pull.map((s) => s.resources)).toEqual([['*'], ['arn:${local.partition}:ecr:${local.region}:${local.account_id}:repository/${var.ecr_repository_name}']]);
    expect(pull[0]!.actions).toEqual(['ecr:GetAuthorizationToken']);
    expect(res(vm, 'aws_iam_role_policy_attachment', 'ssm').policy_arn).toContain('AmazonSSMManagedInstanceCore');
  });

  it.runIf(compose)('cloud-init installs docker.io, docker-compose-v2, jq, curl, the AWS CLI; automatic updates on; /opt/<app>; no SSH', () => {
    const vm = get('terraform/modules/vm');
    const text = String(vm.locals.cloud_init);
    expect(text.startsWith('#cloud-config\n')).toBe(true);
    const init = YAML.parse(text) as { packages: string[]; runcmd: string[][]; write_files: { path: string; content: string }[]; ssh_pwauth: boolean };
    expect(init.packages).toEqual(expect.arrayContaining(['docker.io', 'docker-compose-v2', 'jq', 'curl', 'unattended-upgrades']));
    expect(init.runcmd).toContainEqual(['snap', 'install', 'aws-cli', '--classic']);
    expect(init.runcmd).toContainEqual(['install', '-d', '-m', '0750', '-o', 'root', '-g', 'root', '/opt/${var.app_name}']);
    expect(init.runcmd).toContainEqual(['systemctl', 'disable', '--now', 'ssh.socket', 'ssh.service']);
    expect(init.ssh_pwauth).toBe(false);
    const auto = init.write_files.find((f) => f.path === '/etc/apt/apt.conf.d/20auto-upgrades')?.content ?? '';
    expect(auto).toContain('APT::Periodic::Unattended-Upgrade "1";');
    expect(JSON.parse(init.write_files.find((f) => f.path === '/etc/docker/daemon.json')!.content)).toMatchObject({ 'no-new-privileges': true });
    expect(res(vm, 'aws_instance', 'this').user_data).toBe('${local.cloud_init}');
    expect(get('terraform/environments/staging').modules.vm?.app_name).toBe('${local.name}');
  });

  it.runIf(compose)('compose wiring: the VM runs as the app identity (EC2-trusted), the database admits the VM, production differs from staging', () => {
    const identity = get('terraform/modules/app-identity');
    const trust = statements(identity).find((s) => s.doc === 'trust') ?? expect.fail('no trust');
    expect(trust).toMatchObject({ actions: ['sts:AssumeRole'], principals: [{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }] });
    expect(Object.keys(identity.variables).sort()).toEqual(['name', 'store_entries']);
    const settings = (env: string) => {
      const root = get(`terraform/environments/${env}`);
      const vm = root.modules.vm ?? expect.fail('no vm call');
      expect(vm).toMatchObject({ role_name: '${module.app_identity.role_name}', subnet_id: '${module.network.private_subnet_ids[0]}', app_port: answersWith(overrides).port, ingress_cidrs: '${var.ingress_cidrs}' });
      if (postgres) {
        expect(vm.database_port).toBe(5432);
        expect(root.modules.database?.allowed_security_group_id).toBe('${module.vm.security_group_id}');
        expect(root.modules.app_identity?.store_entries).toEqual(['${local.name}/${local.environment}/database-url']);
      } else {
        expect(vm).not.toHaveProperty('database_port');
      }
      return { protection: resolve(root, vm.termination_protection), type: resolve(root, vm.instance_type) };
    };
    expect(settings('production').protection).toBe(true);
    expect(settings('staging').protection).toBe(false);
    expect(settings('production').type).not.toBe(settings('staging').type);
    const outputs = get('terraform/environments/production').outputs;
    expect(outputs.app_identity?.description).toContain('instance profile');
    expect(Object.keys(outputs)).not.toContain('cluster_name');
  });

  it.runIf(!compose)('kubernetes keeps IRSA and the EKS cluster', () => {
    const identity = get('terraform/modules/app-identity');
    expect(Object.keys(identity.variables).sort()).toEqual(['name', 'namespace', 'oidc_issuer_url', 'oidc_provider_arn', 'service_account', 'store_entries']);
    const root = get('terraform/environments/production');
    expect(root.outputs.app_identity?.description).toContain('eks.amazonaws.com/role-arn');
    expect(root.locals.cluster_name).toBe('${local.name}-${local.environment}');
    if (postgres) expect(root.modules.database?.allowed_security_group_id).toBe('${module.cluster.cluster_security_group_id}');
  });
});

// ---------- the VM's shell helpers and the CI deploy, run against stubs ----------

function renderPartial(template: string, ctx: RenderContext): string {
  const filename = join(templatesDir, template);
  return ejs.render(readFileSync(filename, 'utf8'), ctx as unknown as ejs.Data, {
    filename, strict: true, destructuredLocals: Object.keys(ctx), escape: (s: unknown) => String(s),
  } as ejs.Options) as string;
}
const contextOf = (o: Partial<Answers>) => buildContext(answersWith({ cloud: 'aws', name: NAME, orchestrator: 'compose', ...o }), '0.0.0-test');
const IMAGE = `123456789012.dkr.ecr.eu-west-1.amazonaws.com/${NAME}`;
const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** Runs `body` in bash after sourcing the partial, with stub commands first on PATH. */
function inBash(partial: string, body: string, bin: string, cwd?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'infra-kit-aws-sh-'));
  writeFileSync(join(dir, 'cloud.sh'), partial);
  writeFileSync(join(dir, 'run.sh'), `set -euo pipefail\n. ${JSON.stringify(join(dir, 'cloud.sh'))}\n${body}\n`);
  return spawnSync('bash', ['--noprofile', '--norc', join(dir, 'run.sh')], { encoding: 'utf8', cwd: cwd ?? dir, env: { PATH: `${bin}:${process.env.PATH}`, HOME: dir } });
}

describe.each(['none', 'postgres'] as const)('deploy/partials/aws.sh.ejs (database %s)', (database) => {
  const partial = renderPartial('deploy/partials/aws.sh.ejs', contextOf({ database }));
  const log = join(mkdtempSync(join(tmpdir(), 'infra-kit-aws-log-')), 'calls');
  const secret = 'postgres://app:p$ss w0rd@db.internal:5432/shop_api?sslmode=require';
  const bin = stubs({
    aws: `echo "aws $*" >> "${log}"
case "$*" in
  *"ecr get-login-password --region eu-west-1"*) printf 'registry-password-xyz\\n' ;;
  *"--secret-id ${NAME}/staging/database-url"*) printf '%s\\n' '${secret}' ;;
  *"--secret-id ${NAME}/production/database-url"*) printf 'None\\n' ;;
  *) echo "AccessDeniedException" >&2; exit 254 ;;
esac`,
    docker: `echo "docker $*" >> "${log}"; echo "stdin=$(cat)" >> "${log}"`,
  });
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
  const fresh = () => writeFileSync(log, '');

  it.skipIf(!hasCommand('shellcheck'))('passes ShellCheck (bash)', () => {
    expect(shellcheck(partial, 'bash')).toBe('');
  });

  it('defines registry_login and fetch_secrets and does nothing when sourced', () => {
    fresh();
    const r = inBash(partial, 'declare -F | awk \'{print $3}\'', bin);
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split('\n')).toEqual(expect.arrayContaining(['fetch_secrets', 'registry_login']));
    expect(calls()).toEqual([]);
  });

  it('registry_login: docker login to the ECR host with the password on stdin only; other registries refused', () => {
    fresh();
    const r = inBash(partial, `registry_login ${IMAGE}`, bin);
    expect(r.status).toBe(0);
    expect(calls()).toEqual([
      'aws ecr get-login-password --region eu-west-1',
      'docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com',
      'stdin=registry-password-xyz',
    ]);
    expect(r.stdout + r.stderr).not.toContain('registry-password-xyz');
    fresh();
    const bad = inBash(partial, 'registry_login ghcr.io/acme/shop-api', bin);
    expect(bad.status).not.toBe(0);
    expect(calls()).toEqual([]);
  });

  it('fetch_secrets: KEY=value lines from the store, file 0600; fails when the store cannot be read', () => {
    fresh();
    const dir = mkdtempSync(join(tmpdir(), 'infra-kit-aws-env-'));
    const file = join(dir, 'secrets.env');
    const r = inBash(partial, `umask 022\nfetch_secrets staging ${file}`, bin);
    expect(r.status, r.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    if (database === 'none') {
      expect(readFileSync(file, 'utf8')).toBe('');
      expect(calls()).toEqual([]);
      return;
    }
    expect(readFileSync(file, 'utf8')).toBe(`DATABASE_URL=${secret}\n`);
    expect(calls()).toEqual([`aws secretsmanager get-secret-value --region eu-west-1 --secret-id ${NAME}/staging/database-url --query SecretString --output text`]);
    expect(r.stdout + r.stderr).not.toContain('p$ss');
    // An empty entry, an unreadable store (access denied) and a bad environment name all fail.
    expect(inBash(partial, `fetch_secrets production ${file}`, bin).status).not.toBe(0);
    const denied = stubs({ aws: 'echo "AccessDeniedException" >&2; exit 254' });
    expect(inBash(partial, `fetch_secrets staging ${file}`, denied).status).not.toBe(0);
    fresh();
    expect(inBash(partial, `fetch_secrets ../staging ${file}`, bin).status).not.toBe(0);
    expect(calls()).toEqual([]);
  });
});

describe.each(['github', 'gitlab'] as const)('ci/%s/partials/cloud/aws/vm-deploy.yml.ejs', (ci) => {
  const ctx = contextOf({ ci });
  const src = renderPartial(`ci/${ci}/partials/cloud/aws/vm-deploy.yml.ejs`, ctx);
  const items = YAML.parse(src) as unknown[];
  /** The shell the job runs: GitHub's run: steps (the IMAGE/DIGEST check, then the deploy), or GitLab's script lines joined. */
  const runs = ci === 'github' ? (items as Block[]).filter((s) => s.run).map((s) => String(s.run)) : [];
  const script = ci === 'github' ? runs.join('\n') : (items as string[]).join('\n');
  const shell = ci === 'github' ? 'bash' : 'sh';

  it('logs in as the environment deploy role by OIDC, no ${{ }} in the script', () => {
    if (ci === 'github') {
      const steps = items as Block[];
      expect(steps[0]!.name).toBe('Check IMAGE and DIGEST'); // before any cloud call
      expect(steps[1]).toEqual({ uses: ctx.uses.awsCredentials.split('  #')[0], with: { 'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}', 'aws-region': '${{ env.AWS_REGION }}' } });
      expect(script).not.toContain('${{');
    } else {
      expect(script).toContain('AWS_ROLE_ARN="${AWS_DEPLOY_ROLE_ARN}"');
      expect(script).toContain('printf \'%s\' "${AWS_ID_TOKEN}" > "${AWS_WEB_IDENTITY_TOKEN_FILE}"');
    }
  });

  it.skipIf(!hasCommand('shellcheck'))(`passes ShellCheck (${shell})`, () => {
    expect(shellcheck(script, shell)).toBe('');
  });

  /** A checkout with deploy/ files, stub aws + sleep; returns the run, the aws calls and the parameters sent. */
  function run(opts: { status?: string; instances?: string; env?: Record<string, string> } = {}) {
    const work = mkdtempSync(join(tmpdir(), 'infra-kit-aws-ci-'));
    mkdirSync(join(work, 'deploy'));
    const files = {
      'compose.yaml': 'services:\n  app:\n    image: "${IMAGE:?}"\n    environment: { Q: "it\'s \\"quoted\\" $$HOME ünïcode" }\n',
      'deploy.sh': '#!/bin/sh\nprintf \'%s\\n\' "$@" > "$(dirname "$0")/called"\nexit "${FAIL_DEPLOY:-0}"\n',
      'staging.env': 'FEATURE_X=on\nGREETING=hello $USER `id`\n',
    };
    for (const [f, c] of Object.entries(files)) writeFileSync(join(work, 'deploy', f), c);
    const log = join(work, 'aws.log');
    const bin = stubs({
      sleep: ':',
      aws: `echo "$*" >> "${log}"
case "$*" in
  *"ssm send-command"*)
    echo "role=\${AWS_ROLE_ARN:-} token=$(cat "\${AWS_WEB_IDENTITY_TOKEN_FILE:-/dev/null}" 2>/dev/null)" >> "${log}"
    for a in "$@"; do case "$a" in file://*) cp "\${a#file://}" "${work}/params.json" ;; esac; done
    echo cmd-123 ;;
  *"list-command-invocations"*"InstanceId"*) printf '%s\\n' "${opts.instances ?? 'i-0abc'}" ;;
  *"list-command-invocations"*)
    n=$(grep -c list-command-invocations "${log}")
    if [ -z "${opts.instances ?? 'i-0abc'}" ]; then echo; elif [ "$n" -lt 3 ]; then echo InProgress; else echo "${opts.status ?? 'Success'}"; fi ;;
  *"--query Status"*) echo "${opts.status ?? 'Success'}" ;;
  *StandardOutputContent*) echo "remote: deployed" ;;
  *StandardErrorContent*) echo "remote: warnings" ;;
  *) exit 254 ;;
esac`,
    });
    const env = { PATH: `${bin}:${process.env.PATH}`, HOME: work, APP_NAME: NAME, TARGET_ENV: 'staging', IMAGE, DIGEST, AWS_REGION: 'eu-west-1',
      AWS_DEPLOY_ROLE_ARN: 'arn:aws:iam::123456789012:role/shop-api-gitlab-deploy-staging', AWS_ID_TOKEN: 'jwt-abc', CI_JOB_ID: '42', ...opts.env };
    const file = join(work, 'job.sh');
    writeFileSync(file, script);
    const r = spawnSync(shell, shell === 'bash' ? ['--noprofile', '--norc', '-eo', 'pipefail', file] : ['-e', file], { encoding: 'utf8', cwd: work, env });
    const params = existsSync(join(work, 'params.json')) ? (JSON.parse(readFileSync(join(work, 'params.json'), 'utf8')) as { commands: string[]; executionTimeout: string[] }) : undefined;
    return { r, work, files, calls: existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [], params };
  }

  it('sends AWS-RunShellScript to the tagged instance; the command, run, writes the three files byte for byte and runs deploy.sh', () => {
    const { r, calls, params, files } = run();
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const send = calls.find((c) => c.includes('send-command')) ?? expect.fail('no send-command');
    expect(send).toContain('--document-name AWS-RunShellScript');
    expect(send).toContain(`--targets Key=tag:Name,Values=${NAME}-staging`);
    if (ci === 'gitlab') expect(calls).toContain('role=arn:aws:iam::123456789012:role/shop-api-gitlab-deploy-staging token=jwt-abc');
    expect(r.stdout).toContain('remote: deployed');
    expect(r.stderr).toContain('remote: warnings');
    // Execute what the VM would, with /opt redirected to a temp dir.
    const root = mkdtempSync(join(tmpdir(), 'infra-kit-aws-vm-'));
    const remote = (params ?? expect.fail('no parameters')).commands.join('\n').replaceAll(`/opt/${NAME}`, `${root}/opt/${NAME}`);
    expect(params!.executionTimeout).toEqual(['1800']); // at least two --wait-timeout rounds of deploy.sh (the new image, then restoring the old one)
    const vm = spawnSync('sh', ['-c', remote], { encoding: 'utf8' });
    expect(vm.status, vm.stderr).toBe(0);
    for (const [f, c] of Object.entries(files)) expect(readFileSync(join(root, 'opt', NAME, f), 'utf8'), f).toBe(c);
    expect(readFileSync(join(root, 'opt', NAME, 'called'), 'utf8')).toBe(`staging\n${IMAGE}@${DIGEST}\n`);
    expect(statSync(join(root, 'opt', NAME)).mode & 0o777).toBe(0o750);
    // A failing deploy.sh fails the remote script (set -eu).
    expect(spawnSync('sh', ['-c', remote], { encoding: 'utf8', env: { ...process.env, FAIL_DEPLOY: '3' } }).status).not.toBe(0);
  });

  it('fails the job when the command fails, times out, or no instance carries the tag; prints the remote output', () => {
    const failed = run({ status: 'Failed' });
    expect(failed.r.status).not.toBe(0);
    expect(failed.r.stdout).toContain('remote: deployed');
    expect(run({ status: 'TimedOut' }).r.status).not.toBe(0);
    const none = run({ instances: '' });
    expect(none.r.status).not.toBe(0);
    expect(none.r.stdout).toContain(`no instance tagged Name=${NAME}-staging`);
  });

  it.each([
    ['a digest that is not sha256:<64 hex>', { DIGEST: 'latest' }],
    ['an image with shell syntax', { IMAGE: `${IMAGE};reboot` }],
    ['an image with a quote', { IMAGE: `${IMAGE}"` }],
    // The rule deploy.sh applies on the VM (check-image-digest.sh.ejs): lowercase, this app's repository, no tag.
    ['an uppercase image', { IMAGE: IMAGE.toUpperCase() }],
    ['another app\'s repository', { IMAGE: IMAGE.replace(/shop-api$/, 'other-app') }],
    ['an image with a tag', { IMAGE: `${IMAGE}:1.2.3` }],
    ['a second line in IMAGE', { IMAGE: `${IMAGE}\n${IMAGE}` }],
  ])('refuses %s before calling AWS, naming the bad value', (_label, env) => {
    const { r, calls } = run({ env });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch('DIGEST' in env ? /DIGEST 'latest' is not sha256:<64 lowercase hex>/ : /IMAGE '[\s\S]*' is not <registry>\[:port\]\/<path>\/shop-api/);
    expect(calls).toEqual([]);
  });

  it('runs the same deploy script as the other CI provider', () => {
    const otherCi = ci === 'github' ? 'gitlab' : 'github';
    const other = YAML.parse(renderPartial(`ci/${otherCi}/partials/cloud/aws/vm-deploy.yml.ejs`, contextOf({ ci: otherCi }))) as unknown[];
    // [the IMAGE/DIGEST check, the deploy]: GitHub's two run: steps, GitLab's first and last script lines.
    const pair = (c: string, list: unknown[]) => (c === 'github' ? (list as Block[]).filter((s) => s.run).map((s) => String(s.run)) : [(list as string[])[0]!, (list as string[]).at(-1)!]);
    expect(pair(ci, items).map((t) => t.trim())).toEqual(pair(otherCi, other).map((t) => t.trim()));
    expect(pair(ci, items)[0]).toContain("grep -Eqx 'sha256:[0-9a-f]{64}'");
  });
});
