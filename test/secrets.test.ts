/**
 * Secrets never in Git, never in an image (issue 11). Checked on what infra-kit writes:
 *  - no secret value in any generated file across a sample of the matrix, with canaries planted in the
 *    environment, the target repo's .env and the migration command (rejected: see migrations.test.ts too);
 *  - the SecretStore/ExternalSecret build with kubectl and name what Terraform creates (HCL parsed by
 *    @cdktf/hcl2json, expressions evaluated by `terraform console`): the ServiceAccount, the identity, the
 *    store entry, and a read grant for that identity only;
 *  - the deploy scripts give the ServiceAccount exactly the identity Terraform names;
 *  - gitleaks / pre-commit configuration, .gitignore, and yamllint --strict on every YAML file.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Answers } from '../src/answers/schema.js';
import { clouds, stacks, type CloudId } from '../src/catalog/index.js';
import { parseTree, type Block, type TfDir } from '../src/check/terraform-hcl.js';
import { runCli } from './helpers/cli.js';
import { renderToDir, renderToMemory, tempDir } from './helpers/render.js';
import { hasCommand, kubectlKustomize, parseYamlDocs } from './helpers/validators.js';

type Obj = Record<string, any>;
const CLOUDS = Object.keys(clouds) as CloudId[];
const ENVS = ['staging', 'production'] as const;
const CANARY = 'CANARY7f3c1e9a';
const YAMLLINT = new URL('./fixtures/yamllint.yml', import.meta.url).pathname;

/** Every file under dir, relative paths. */
const walk = (dir: string): string[] =>
  (readdirSync(dir, { recursive: true }) as string[]).filter((f) => statSync(join(dir, f)).isFile()).map((f) => f.split('\\').join('/'));

/** Secret-looking values in one generated file: inline URL passwords, credential keys with literal values, key material. */
function secretValues(path: string, text: string): string[] {
  const found: string[] = [];
  if (/\b(AKIA|ASIA)[0-9A-Z]{16}\b/.test(text)) found.push('AWS access key ID');
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) found.push('private key');
  // The CI test database's fixed throwaway password is the one documented literal (see .gitleaks.toml).
  const allowed = (v: string) => v === '' || /^(\$|%s)/.test(v) || v === 'ci-throwaway-password';
  for (const [, pass] of text.matchAll(/[a-z][a-z0-9+.-]*:\/\/[^\s:@/'"`]+:([^\s@/'"`]+)@/g)) if (!allowed(pass!)) found.push(`URL password ${pass}`);
  if (/\.ya?ml$/.test(path)) {
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(visit);
      else if (node && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (typeof v === 'string' && /(^|_)(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY)$/i.test(k) && !allowed(v)) found.push(`${k}: ${v}`);
          visit(v);
        }
      }
    };
    parseYamlDocs(text, path).forEach(visit);
  }
  return found;
}

describe('no secret value appears in any generated file', () => {
  const sample: Partial<Answers>[] = Object.keys(stacks).flatMap((stack) =>
    CLOUDS.flatMap((cloud) => (['github', 'gitlab'] as const).map((ci, i) => ({ stack: stack as Answers['stack'], cloud, ci, database: i === 0 ? 'postgres' : 'none' } as const))),
  );

  it.each(sample)('%o: no inline password, credential literal or key material', (cell) => {
    for (const [path, text] of renderToMemory(cell)) expect(secretValues(path, text), path).toEqual([]);
  });

  it('the scan finds what it looks for (planted values)', () => {
    expect(secretValues('a.yml', 'env:\n  POSTGRES_PASSWORD: hunter2\n')).toEqual(['POSTGRES_PASSWORD: hunter2']);
    expect(secretValues('a.md', 'postgres://app:hunter2@db/x')).toEqual(['URL password hunter2']);
    expect(secretValues('a.tf', 'access_key = "AKIAABCDEFGHIJKLMNOP"')).toEqual(['AWS access key ID']);
    expect(secretValues('a.yml', 'url: "postgres://${U}:${P}@db/x"\nPOSTGRES_PASSWORD: ""\n')).toEqual([]);
  });

  const canaryCells: string[][] = [
    ['--stack', 'node', '--cloud', 'aws', '--ci', 'github', '--database', 'postgres'],
    ['--stack', 'python', '--cloud', 'gcp', '--ci', 'gitlab', '--database', 'postgres'],
    ['--stack', 'go', '--cloud', 'azure', '--ci', 'github', '--database', 'postgres'],
  ];
  it.each(canaryCells)('canaries in the environment and in the repo never reach a generated file (%s %s …)', async (...flags) => {
    const repo = join(tempDir(), 'repo');
    mkdirSync(join(repo, 'config'), { recursive: true });
    const planted = {
      '.env': `POSTGRES_PASSWORD=${CANARY}\nDATABASE_URL=postgres://app:${CANARY}@db/app\nAPI_TOKEN=${CANARY}\n`,
      'package.json': JSON.stringify({ name: 'canary-app', dependencies: { pg: '8.0.0' }, config: { apiKey: CANARY } }),
      'config/secrets.yml': `password: ${CANARY}\n`,
    };
    for (const [path, text] of Object.entries(planted)) writeFileSync(join(repo, path), text);
    const env = { POSTGRES_PASSWORD: CANARY, DATABASE_URL: `postgres://u:${CANARY}@h/db`, AWS_SECRET_ACCESS_KEY: CANARY, GITHUB_TOKEN: CANARY, GOOGLE_APPLICATION_CREDENTIALS: CANARY, ARM_CLIENT_SECRET: CANARY };
    const res = await runCli(['new', '.', '--yes', ...flags], { cwd: repo, env });
    expect(res.exitCode, String(res.stderr)).toBe(0);
    const written = walk(repo).filter((f) => !(f in planted));
    expect(written).toEqual(expect.arrayContaining(['docker-compose.yml', 'kubernetes/components/migrate/job.yaml', '.gitleaks.toml']));
    for (const f of written) expect(readFileSync(join(repo, f), 'utf8'), f).not.toContain(CANARY);
  });

  it('a migration command carrying a credential is rejected: exit 2, one line, nothing written', async () => {
    for (const command of [`flyway -password=${CANARY} migrate`, `migrate -database postgres://u:${CANARY}@db/x up`, `PGPASSWORD=${CANARY} alembic upgrade head`, `alembic -x token=${CANARY} upgrade head`]) {
      const dir = tempDir();
      const res = await runCli(['new', 'out', '--yes', '--database', 'postgres', '--migrate-command', command], { cwd: dir });
      expect(res.exitCode, command).toBe(2);
      expect(String(res.stderr).trim().split('\n'), command).toHaveLength(1);
      expect(walk(dir), command).toEqual([]);
    }
  });
});

// ---------- the store objects against Terraform ----------

/** An HCL value as @cdktf/hcl2json prints it, back in HCL syntax (template strings keep their raw text). */
const hcl = (v: unknown): string => (Array.isArray(v) ? `[${v.map(hcl).join(', ')}]` : `"${String(v)}"`);

/** Evaluate HCL expressions with `terraform console`, `local.` and `var.` name/environment set. */
function tfEval(locals: Record<string, string>, exprs: Record<string, unknown>): Record<string, unknown> {
  const dir = tempDir();
  const vars = Object.entries(locals).map(([k, v]) => `variable ${JSON.stringify(k)} {\n  default = ${JSON.stringify(v)}\n}`);
  const lines = [...Object.entries(locals).map(([k, v]) => `  ${k} = ${JSON.stringify(v)}`), ...Object.entries(exprs).map(([k, v]) => `  out_${k} = ${hcl(v)}`)];
  writeFileSync(join(dir, 'main.tf'), `${vars.join('\n')}\nlocals {\n${lines.join('\n')}\n}\n`);
  const res = spawnSync('terraform', ['console'], { cwd: dir, input: `jsonencode({${Object.keys(exprs).map((k) => `${k} = local.out_${k}`).join(', ')}})\n`, encoding: 'utf8' });
  expect(res.status, res.stderr).toBe(0);
  return JSON.parse(JSON.parse(res.stdout.trim().split('\n').at(-1)!)) as Record<string, unknown>;
}

/** The module call app_identity of an environment root, with `var.*` written as the module sees them. */
const identityCall = (dirs: Map<string, TfDir>, env: string): Block => dirs.get(`terraform/environments/${env}`)!.modules.app_identity!;

describe.skipIf(!hasCommand('kubectl') || !hasCommand('terraform')).each(CLOUDS)('the SecretStore and ExternalSecret (%s) read what Terraform creates', (cloud) => {
  const overrides: Partial<Answers> = { cloud, database: 'postgres', name: 'shop-api-payments', region: clouds[cloud].defaultRegion };
  const N = overrides.name!;

  it.each(ENVS)('%s: objects build, point at the app ServiceAccount and at the entry only its identity may read', async (env) => {
    const { dir, files } = renderToDir(overrides, ['kustomize', 'terraform']);
    const objects = parseYamlDocs(kubectlKustomize(join(dir, 'kubernetes/overlays', env))) as Obj[];
    const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name) ?? expect.fail(`no ${kind}/${name}`);
    const store = find('SecretStore', N);
    const external = find('ExternalSecret', `${N}-database`);
    const sa = find('ServiceAccount', N);
    expect([store.apiVersion, external.apiVersion]).toEqual(['external-secrets.io/v1', 'external-secrets.io/v1']);
    expect([store.metadata.namespace, external.metadata.namespace]).toEqual([N, N]);
    expect(external.spec.secretStoreRef).toEqual({ kind: 'SecretStore', name: N });
    // The Secret it writes is the one the Deployment reads.
    const dbEnv = find('Deployment', N).spec.template.spec.containers[0].env.find((e: Obj) => e.name === 'DATABASE_URL');
    expect({ name: external.spec.target.name, key: external.spec.data[0].secretKey }).toEqual(dbEnv.valueFrom.secretKeyRef);
    expect(Object.keys(sa.metadata.annotations)).toEqual([clouds[cloud].workloadIdentityAnnotation]);
    const provider = store.spec.provider[{ aws: 'aws', gcp: 'gcpsm', azure: 'azurekv' }[cloud]];
    const saRef = cloud === 'aws' ? provider.auth.jwt.serviceAccountRef : cloud === 'gcp' ? provider.auth.workloadIdentity.serviceAccountRef : provider.serviceAccountRef;
    expect(saRef).toEqual({ name: sa.metadata.name });

    // Terraform: the identity trusts exactly this ServiceAccount and owns the entry the ExternalSecret reads.
    const dirs = await parseTree(files);
    const call = identityCall(dirs, env);
    const names = tfEval({ name: N, environment: env }, { namespace: call.namespace, sa: call.service_account, entries: call.store_entries ?? [], vault: call.key_vault_name ?? '' });
    expect([names.namespace, names.sa]).toEqual([store.metadata.namespace, sa.metadata.name]);
    const key = external.spec.data[0].remoteRef.key;
    if (cloud === 'azure') {
      expect(key).toBe('database-url');
      expect(provider.vaultUrl).toBe(`https://${String(names.vault)}.vault.azure.net`);
      expect(provider.authType).toBe('WorkloadIdentity');
    } else {
      expect(names.entries).toEqual([key]);
    }
    if (cloud === 'aws') expect(provider).toMatchObject({ service: 'SecretsManager', region: overrides.region });
    if (cloud === 'gcp') expect(provider.auth.workloadIdentity).toMatchObject({ clusterLocation: overrides.region, clusterName: `${N}-${env}` });
    readGrants(dirs.get('terraform/modules/app-identity')!, cloud);
    // Containers only: no resource anywhere writes a value.
    for (const d of dirs.values()) {
      for (const type of ['aws_secretsmanager_secret_version', 'google_secret_manager_secret_version', 'azurerm_key_vault_secret']) expect(d.resources[type]).toBeUndefined();
    }
  });
});

/** The module grants read on the store to its own identity, and nobody else. */
function readGrants(mod: TfDir, cloud: CloudId): void {
  const r = mod.resources;
  if (cloud === 'aws') {
    const doc = mod.data.aws_iam_policy_document!;
    expect(r.aws_iam_role_policy?.read_store?.role).toBe('${aws_iam_role.this.id}');
    expect(JSON.stringify(doc.read_store)).toContain('${[for entry in aws_secretsmanager_secret.this : entry.arn]}');
    const deny = (doc.only_app_reads!.statement as Block[])[0]!;
    expect(deny).toMatchObject({ effect: 'Deny', actions: ['secretsmanager:GetSecretValue'] });
    expect((deny.condition as Block[])[0]).toMatchObject({ test: 'StringNotEquals', variable: 'aws:PrincipalArn', values: ['${aws_iam_role.this.arn}'] });
    expect(r.aws_secretsmanager_secret_policy?.this?.policy).toBe('${data.aws_iam_policy_document.only_app_reads.json}');
    expect(r.aws_secretsmanager_secret?.this?.kms_key_id).toBe('${aws_kms_key.store[0].arn}');
  } else if (cloud === 'gcp') {
    expect(Object.keys(r).filter((t) => t.startsWith('google_secret_manager_secret_iam'))).toEqual(['google_secret_manager_secret_iam_member']);
    expect(r.google_secret_manager_secret_iam_member).toEqual({
      app_reads: expect.objectContaining({ role: 'roles/secretmanager.secretAccessor', member: 'serviceAccount:${google_service_account.this.email}' }),
    });
    expect(r.google_service_account_iam_member?.workload_identity?.member).toBe('serviceAccount:${var.workload_pool}[${var.namespace}/${var.service_account}]');
  } else {
    expect(r.azurerm_key_vault?.this).toMatchObject({ rbac_authorization_enabled: true, purge_protection_enabled: true });
    const onVault = Object.values(r.azurerm_role_assignment ?? {}).filter((a) => String(a.scope).includes('azurerm_key_vault'));
    expect(onVault).toEqual([expect.objectContaining({ role_definition_name: 'Key Vault Secrets User', principal_id: '${azurerm_user_assigned_identity.this.principal_id}' })]);
    expect(r.azurerm_federated_identity_credential?.this?.subject).toBe('system:serviceaccount:${var.namespace}:${var.service_account}');
  }
}

// ---------- the deploy sets the identity Terraform names ----------

/** Stubs for the cloud CLIs and kubectl (`apply -k` prints the build); calls are logged to $LOG. */
function stubBin(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
  const stubs: Record<string, string> = {
    aws: 'echo "aws $*" >> "$LOG"; echo "arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions"',
    // FAKE_ID: what the identity lookup answers (a test sets a hostile one).
    az: 'echo "az $*" >> "$LOG"; case "$2" in show) [ "$1" = identity ] && echo "${FAKE_ID:-11111111-2222-3333-4444-555555555555}" || echo 99999999-8888-7777-6666-555555555555 ;; esac',
    kubectl: `echo "kubectl $*" >> "$LOG"; case "$1" in apply) exec ${kubectl} kustomize "$3" ;; esac`,
  };
  for (const [name, body] of Object.entries(stubs)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  return bin;
}

describe.skipIf(!hasCommand('kubectl') || !hasCommand('terraform')).each(CLOUDS)('the GitHub deploy job (%s) annotates the ServiceAccount with the identity Terraform creates', (cloud) => {
  it('App identity, then Deploy: the built ServiceAccount and SecretStore carry this environment’s values', async () => {
    const overrides: Partial<Answers> = { cloud, database: 'postgres', name: 'shop-api-payments-and-more', region: clouds[cloud].defaultRegion };
    const { dir, files } = renderToDir(overrides);
    const wf = YAML.parse(files.get('.github/workflows/ci.yml')!) as { env: Record<string, string>; jobs: Record<string, { env: Record<string, string>; steps: Obj[] }> };
    const job = wf.jobs['deploy-staging']!;
    const bin = stubBin(dir);
    const log = join(dir, 'log');
    const githubEnv = join(dir, 'github-env');
    writeFileSync(githubEnv, '');
    const base = { PATH: `${bin}:${process.env.PATH}`, ...wf.env, ...job.env, IMAGE: 'registry.example/shop', DIGEST: `sha256:${'a'.repeat(64)}`, LOG: log, GITHUB_ENV: githubEnv, RUNNER_TEMP: tempDir(), GITHUB_WORKSPACE: dir, GITHUB_STEP_SUMMARY: join(dir, 'summary'), GOOGLE_CLOUD_PROJECT: 'acme-staging' };
    const run = (name: string, extra: Record<string, string> = {}) => {
      const step = job.steps.find((s) => s.name === name) ?? expect.fail(`no step ${name}`);
      return spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], { cwd: dir, encoding: 'utf8', env: { ...base, ...extra } });
    };
    const identity = run('App identity');
    expect(identity.stderr).toBe('');
    const exported = Object.fromEntries(readFileSync(githubEnv, 'utf8').trim().split('\n').map((l) => l.split('=', 2) as [string, string]));
    const deploy = run('Deploy', exported);
    expect(deploy.stderr).toBe('');
    const objects = parseYamlDocs(deploy.stdout) as Obj[];
    const annotation = objects.find((o) => o.kind === 'ServiceAccount')!.metadata.annotations[clouds[cloud].workloadIdentityAnnotation];

    const dirs = await parseTree(files);
    const call = identityCall(dirs, 'staging');
    if (cloud === 'aws') {
      const { role } = tfEval({ name: overrides.name!, environment: 'staging' }, { role: call.name });
      expect(annotation).toBe(`arn:aws:iam::123456789012:role/${String(role)}`);
    } else if (cloud === 'gcp') {
      const local = dirs.get('terraform/modules/app-identity')!.locals.account_id;
      const { account } = tfEval({ name: overrides.name!, environment: 'staging' }, { account: local });
      expect(annotation).toBe(`${String(account)}@acme-staging.iam.gserviceaccount.com`);
      expect(objects.find((o) => o.kind === 'SecretStore')!.spec.provider.gcpsm.projectID).toBe('acme-staging');
    } else {
      const { identityName } = tfEval({ name: overrides.name!, environment: 'staging' }, { identityName: call.name });
      expect(annotation).toBe('11111111-2222-3333-4444-555555555555');
      expect(readFileSync(log, 'utf8')).toContain(`az identity show --resource-group ${overrides.name}-staging --name ${String(identityName)} `);
      expect(objects.find((o) => o.kind === 'SecretStore')!.spec.provider.azurekv.tenantId).toBe('99999999-8888-7777-6666-555555555555');
      // The deploy identity may read that identity (and only its client ID): a Reader role on it.
      expect(dirs.get('terraform/environments/staging')!.resources.azurerm_role_assignment?.deploy_reads_app_identity).toMatchObject({ scope: '${module.app_identity.id}', role_definition_name: 'Reader' });
    }
    // A value that is not an identity never reaches the kustomization.
    const bad = run('App identity', { GOOGLE_CLOUD_PROJECT: 'x"; evil: "y', APP_NAME: 'a b', FAKE_ID: 'x"; evil: "y' });
    expect(bad.status).not.toBe(0);
  });
});

// ---------- scanning config, ignore lines, YAML style ----------

describe('gitleaks, pre-commit and .gitignore', () => {
  const files = renderToMemory({ database: 'postgres', name: 'shop-api' }, ['compose', 'ci']);

  it('.gitleaks.toml extends the default rules and allows only placeholders in .env.example', () => {
    const config = parseToml(files.get('.gitleaks.toml')!) as { extend: { useDefault: boolean }; allowlists: { paths: string[]; regexes: string[]; condition: string; regexTarget: string }[] };
    expect(config.extend.useDefault).toBe(true);
    const [placeholders, throwaway] = config.allowlists;
    expect(placeholders).toMatchObject({ condition: 'AND', regexTarget: 'line' });
    expect(new RegExp(placeholders!.paths[0]!).test('.env.example')).toBe(true);
    expect(new RegExp(placeholders!.paths[0]!).test('.env')).toBe(false);
    const line = new RegExp(placeholders!.regexes[0]!);
    for (const l of files.get('.env.example')!.split('\n').filter((x) => x.includes('PASSWORD'))) expect(line.test(l), l).toBe(true);
    for (const l of ['POSTGRES_PASSWORD=hunter2', 'API_TOKEN=ghp_abcdefghijklmnop', 'X=<a> b']) expect(line.test(l), l).toBe(false);
    expect(throwaway).toMatchObject({ condition: 'AND', regexes: ['ci-throwaway-password'] });
    expect(files.get('.github/workflows/ci.yml')).toContain('ci-throwaway-password');
  });

  it('.pre-commit-config.yaml pins gitleaks to a release commit, named by its tag', () => {
    const text = files.get('.pre-commit-config.yaml')!;
    const config = YAML.parse(text) as { repos: { repo: string; rev: string; hooks: { id: string }[] }[] };
    expect(config.repos).toEqual([{ repo: 'https://github.com/gitleaks/gitleaks', rev: expect.stringMatching(/^[0-9a-f]{40}$/), hooks: [{ id: 'gitleaks' }] }]);
    expect(text).toMatch(/rev: [0-9a-f]{40} {2}# frozen: v\d+\.\d+\.\d+\n/);
  });

  it('pre-commit itself accepts the config', { skip: !hasCommand('pre-commit') }, () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.pre-commit-config.yaml'), files.get('.pre-commit-config.yaml')!);
    const ok = spawnSync('pre-commit', ['validate-config', '.pre-commit-config.yaml'], { cwd: dir, encoding: 'utf8' });
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    writeFileSync(join(dir, 'bad.yaml'), 'repos:\n  - repo: x\n    hooks: [{}]\n');
    expect(spawnSync('pre-commit', ['validate-config', 'bad.yaml'], { cwd: dir }).status).not.toBe(0);
  });

  it('.gitignore keeps .env, dumps and Terraform state and plans out of Git, and .env.example in', () => {
    const all = renderToMemory({ database: 'postgres' });
    expect(all.get('.gitignore')!.split('\n')).toEqual(expect.arrayContaining(['.env', '.env.*', '!.env.example', '*.dump']));
    expect(all.get('terraform/.gitignore')!.split('\n')).toEqual(expect.arrayContaining(['*.tfstate', '*.tfvars', 'tfplan']));
  });
});

describe.skipIf(!hasCommand('yamllint'))('every rendered YAML file passes yamllint --strict', () => {
  const cells: Partial<Answers>[] = CLOUDS.flatMap((cloud) => (['github', 'gitlab'] as const).map((ci) => ({ cloud, ci, database: 'postgres' as const, name: 'shop-api' })));
  it.each(cells)('%o', (cell) => {
    const { dir, files } = renderToDir(cell);
    const yamls = [...files.keys()].filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.infra-kit/'));
    expect(yamls).toEqual(expect.arrayContaining(['kubernetes/overlays/staging/database-secret.yaml', 'kubernetes/components/migrate/job.yaml', '.pre-commit-config.yaml']));
    const res = spawnSync('yamllint', ['--strict', '-f', 'parsable', '-c', YAMLLINT, ...yamls], { cwd: dir, encoding: 'utf8' });
    expect(res.stdout).toBe('');
    expect(res.status).toBe(0);
  });
});

