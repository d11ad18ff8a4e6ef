/**
 * Terraform (AWS, GCP, Azure): every rendered .tf parses (@cdktf/hcl2json), and the HARDENING TF rules, the
 * module wiring and the names other pieces rely on hold on the parsed HCL. Checkers: src/check/terraform-hcl.ts
 * (what `infra-kit check` runs); per-cloud expectations: helpers/terraform-checks.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '@cdktf/hcl2json';
import { describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { clouds, type CloudId } from '../src/catalog/index.js';
import { answersWith, renderToDir, renderToMemory, tempDir } from './helpers/render.js';
import { backendOf, first, moduleCallProblems, parseTree, requiredProviders, resolve, secretProblems, strings, structureProblems, type Block, type TfDir } from '../src/check/terraform-hcl.js';
import { cloudRules as rules, expectModulesDocumented, useTerraformKit } from './helpers/terraform-checks.js';
import { kubectlKustomize, parseYamlDocs } from './helpers/validators.js';

const MODULES = ['app-identity', 'cluster', 'deploy-role', 'github-oidc', 'network', 'registry', 'state-backend'];
const ENVIRONMENTS = ['staging', 'production'] as const;
const terraformBin = '/usr/local/bin/terraform';

const cells: { label: string; overrides: Partial<Answers> }[] = [
  { label: 'aws defaults', overrides: {} },
  { label: 'aws postgres shop-api us-east-2', overrides: { database: 'postgres', name: 'shop-api', region: 'us-east-2' } },
  { label: 'gcp defaults', overrides: { cloud: 'gcp' } },
  { label: 'gcp postgres shop-api europe-north1', overrides: { cloud: 'gcp', database: 'postgres', name: 'shop-api', region: 'europe-north1' } },
  { label: 'azure defaults', overrides: { cloud: 'azure' } },
  { label: 'azure postgres shop-api northeurope', overrides: { cloud: 'azure', database: 'postgres', name: 'shop-api', region: 'northeurope' } },
];

describe.each(cells)('terraform piece: $label', ({ overrides }) => {
  const answers = answersWith(overrides);
  const cloud = clouds[answers.cloud];
  const rule = rules[answers.cloud];
  const postgres = answers.database === 'postgres';
  const roots = ['terraform/bootstrap', ...ENVIRONMENTS.map((e) => `terraform/environments/${e}`)];
  const kit = useTerraformKit(overrides);
  const { get } = kit;

  it('renders the modules, the bootstrap root and both environment roots, and every .tf and tfvars example parses', async () => {
    const expected = [...MODULES, ...(postgres ? ['database'] : [])].map((m) => `terraform/modules/${m}`);
    expect([...kit.dirs.keys()].sort()).toEqual([...expected, ...roots].sort());
    expect([...kit.dirs.values()].reduce((n, d) => n + d.files.length, 0)).toBe([...kit.out.files.keys()].filter((p) => p.endsWith('.tf')).length);
    for (const [path, src] of kit.out.files) if (path.endsWith('.tfvars.example')) await expect(parse(path, src)).resolves.toBeTypeOf('object');
    const ignored = kit.out.files.get('terraform/.gitignore')?.split('\n') ?? [];
    expect(ignored).toEqual(expect.arrayContaining(['*.tfstate', '*.tfvars', '.terraform/']));
  });

  it('TF05: each module has main.tf, variables.tf, outputs.tf, versions.tf and a README.md listing its inputs and outputs', () => {
    expectModulesDocumented(kit);
  });

  it("TF01 + TF04: required_version, the catalog's pinned provider everywhere, typed and described variables, described outputs", () => {
    expect([...kit.dirs].flatMap(([dir, config]) => structureProblems(dir, config))).toEqual([]);
    const { name, source, version } = cloud.terraformProvider;
    for (const [dir, config] of kit.dirs) expect(requiredProviders(config), dir).toEqual({ [name]: { source, version } });
  });

  it('module calls: sources exist, arguments are declared variables, required variables are passed, outputs exist', () => {
    expect(moduleCallProblems(kit.dirs)).toEqual([]);
    expect(Object.keys(get('terraform/bootstrap').modules).sort()).toEqual(['github_oidc', 'registry', 'state_backend']);
    for (const env of ENVIRONMENTS) {
      const calls = Object.keys(get(`terraform/environments/${env}`).modules).sort();
      expect(calls).toEqual(['app_identity', 'cluster', ...(postgres ? ['database'] : []), 'deploy_role', 'network']);
    }
  });

  it("TF02: each environment keeps its state in the bootstrap's store (partial backend, locking native), which is versioned and private", () => {
    const name = String(get('terraform/bootstrap').locals.name);
    expect(name).toBe(answers.name);
    expect(backendOf(get('terraform/bootstrap'))).toEqual([]);
    for (const env of ENVIRONMENTS) {
      const root = get(`terraform/environments/${env}`);
      const backends = backendOf(root);
      expect(backends.map((b) => b.type)).toEqual([{ aws: 's3', gcp: 'gcs', azure: 'azurerm' }[answers.cloud]]);
      rule.backend(backends[0]!.args, name, env);
      expect(root.locals.environment).toBe(env);
      expect(root.locals.cluster_name).toBe('${local.name}-${local.environment}');
    }
    rule.stateStore(get('terraform/modules/state-backend'));
  });

  it('TF03: no literal credentials or secrets, no password anywhere; secret outputs are sensitive', () => {
    expect(secretProblems(kit.dirs)).toEqual([]);
    if (postgres) rule.database(get('terraform/modules/database'));
  });

  it('TF06 + TF07: private-by-default API with 0.0.0.0/0 rejected, encrypted secrets, logs, private nodes; immutable scanned registry', () => {
    const cluster = get('terraform/modules/cluster');
    rule.cluster(cluster);
    const cidrs = cluster.variables.api_allowed_cidrs ?? expect.fail('no api_allowed_cidrs');
    expect(cidrs.default).toEqual([]);
    expect(String(first(cidrs, 'validation').condition)).toContain('"0.0.0.0/0"');
    rule.registry(get('terraform/modules/registry'));
  });

  it('TF08: the database module exists only with postgres; production is deletion-protected, HA and keeps more backups', () => {
    expect(kit.out.files.has('terraform/modules/database/main.tf')).toBe(postgres);
    if (!postgres) return;
    const settings = (env: string) => {
      const root = get(`terraform/environments/${env}`);
      const call = root.modules.database ?? expect.fail(`${env}: no database module`);
      return rule.dbCall.map((arg) => resolve(root, call[arg]));
    };
    const [deletion, ha, backups] = settings('production');
    expect([deletion, ha]).toEqual([true, true]);
    expect(backups).toBeGreaterThanOrEqual(30);
    expect(settings('staging').slice(0, 2)).toEqual([false, false]);
  });

  it('TF09: every resource is tagged with app, environment and managed-by; the region default is the answer', () => {
    for (const root of roots) {
      expect(rule.tagProblems(root, kit.dirs), root).toEqual([]);
      expect(get(root).variables[rule.regionVariable]?.default, root).toBe(answers.region);
    }
  });

  it('CI trust and identities: OIDC subjects scoped to the repo branch / environment; outputs name the shared CI variables', () => {
    const subjects = (dir: string) => [...strings(get(dir).raw)].map(([, v]) => v).filter((v) => v.includes('repo:${var.github_repository}:'));
    expect(subjects('terraform/modules/github-oidc').join(' ')).toContain('repo:${var.github_repository}:ref:refs/heads/${var.branch}');
    expect(subjects('terraform/modules/deploy-role').join(' ')).toContain('repo:${var.github_repository}:environment:${var.environment}');
    const descriptions = (dir: string) => Object.values(get(dir).outputs).map((o) => String(o.description)).join('\n');
    for (const v of rule.ciVariables.bootstrap) expect(descriptions('terraform/bootstrap')).toContain(v);
    for (const env of ENVIRONMENTS) {
      const text = descriptions(`terraform/environments/${env}`);
      for (const v of rule.ciVariables.environment) expect(text).toContain(v);
      expect(get(`terraform/environments/${env}`).outputs.app_identity?.description).toContain(cloud.workloadIdentityAnnotation);
    }
  });

  it.skipIf(!existsSync(terraformBin))('terraform fmt -check: rendered files are canonically formatted', () => {
    const fmt = spawnSync(terraformBin, ['fmt', '-check', '-diff', '-recursive', join(kit.out.dir, 'terraform')], { encoding: 'utf8' });
    expect(fmt.stdout).toBe('');
    expect(fmt.status).toBe(0);
  });
});

describe('names shared between the roots of one cloud', () => {
  it('GCP: the environments look up the GitHub pool and the registry by the IDs terraform/bootstrap creates', async () => {
    const dirs = await parseTree(renderToDir({ cloud: 'gcp' }, ['terraform']).files);
    const env = dirs.get('terraform/environments/staging')!;
    expect(String(env.locals.github_pool_id).replace('local.name', 'var.name')).toBe(dirs.get('terraform/modules/github-oidc')!.locals.pool_id);
    expect(env.resources.google_artifact_registry_repository_iam_member?.nodes_pull?.repository).toBe('${local.name}');
    expect(dirs.get('terraform/bootstrap')!.modules.registry?.name).toBe('${local.name}');
  });

  it('Azure: the environments find the registry and the state account where terraform/bootstrap puts them', async () => {
    const dirs = await parseTree(renderToDir({ cloud: 'azure' }, ['terraform']).files);
    const registry = dirs.get('terraform/environments/production')!.data.azurerm_container_registry?.shared ?? expect.fail('no registry lookup');
    expect(registry.name).toBe(String(dirs.get('terraform/modules/registry')!.resources.azurerm_container_registry?.this?.name).replace('var.name', 'local.name'));
    expect(registry.resource_group_name).toBe(dirs.get('terraform/bootstrap')!.resources.azurerm_resource_group?.shared?.name);
  });
});

describe.each(Object.keys(clouds) as CloudId[])('workload identity on Kubernetes (%s)', (cloudId) => {
  it.each(ENVIRONMENTS)('%s overlay builds; the ServiceAccount carries the cloud annotation (and Azure pods the webhook label)', (env) => {
    const { dir } = renderToDir({ cloud: cloudId }, ['kustomize']);
    const objects = parseYamlDocs(kubectlKustomize(join(dir, 'kubernetes/overlays', env))) as Block[];
    const sa = objects.find((o) => o.kind === 'ServiceAccount') ?? expect.fail('no ServiceAccount');
    const annotations = ((sa.metadata as Block).annotations ?? {}) as Record<string, string>;
    expect(Object.keys(annotations)).toEqual([clouds[cloudId].workloadIdentityAnnotation]);
    const pod = (((objects.find((o) => o.kind === 'Deployment')!.spec as Block).template as Block).metadata as Block).labels as Record<string, string>;
    expect(pod['azure.workload.identity/use']).toBe(cloudId === 'azure' ? 'true' : undefined);
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

  it('flags a literal password, provider and backend credentials and an unmarked secret output', async () => {
    const dirs = await tree({
      'terraform/root/main.tf':
        'provider "aws" {\n  access_key = "AKIAABCDEFGHIJKLMNOP"\n}\n\nprovider "google" {\n  credentials = file("key.json")\n}\n\nterraform {\n  backend "azurerm" {\n    sas_token = "x"\n  }\n}\n\nresource "aws_db_instance" "x" {\n  password = "hunter2"\n}\n\noutput "db_secret" {\n  description = "s"\n  value       = "x"\n}\n',
    });
    const problems = secretProblems(dirs);
    expect(problems).toEqual(expect.arrayContaining(['terraform/root: literal value for password', 'terraform/root: provider sets access_key', 'terraform/root: provider sets credentials',
      'terraform/root: backend sets sas_token', 'terraform/root: output db_secret not sensitive']));
    expect(structureProblems('terraform/root', dirs.get('terraform/root')!)).toEqual(
      expect.arrayContaining(['terraform/root: no required_version', 'terraform/root: provider aws used but not in required_providers']),
    );
  });

  it('flags an untagged Azure resource and a module call without tags', async () => {
    const dirs = await tree({
      'terraform/modules/m/main.tf': 'variable "tags" {\n  type        = map(string)\n  description = "t"\n}\n\nresource "azurerm_resource_group" "x" {\n  name     = "x"\n  location = "westeurope"\n}\n',
      'terraform/environments/staging/main.tf': 'locals {\n  tags = { app = "a", environment = "e", managed-by = "terraform" }\n}\n\nmodule "m" {\n  source = "../../modules/m"\n}\n',
    });
    expect(rules.azure.tagProblems('terraform/environments/staging', dirs)).toEqual(['module ../../modules/m gets no tags', 'azurerm_resource_group.x has no tags']);
  });

  it.skipIf(!existsSync(terraformBin))('terraform fmt -check rejects misaligned attributes', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'main.tf'), 'locals {\n  a = 1\n  long_name = 2\n}\n');
    expect(spawnSync(terraformBin, ['fmt', '-check', dir], { encoding: 'utf8' }).status).not.toBe(0);
  });
});

// The pipeline deploys to the rendered region (AWS_REGION / GCP_REGION in the CI file): a tfvars override of
// `region` would build the environment elsewhere, so the roots accept no other value.
describe.each([
  { cloud: 'aws', ci: 'github', region: 'us-east-2', variable: 'AWS_REGION', file: '.github/workflows/ci.yml' },
  { cloud: 'gcp', ci: 'gitlab', region: 'europe-north1', variable: 'GCP_REGION', file: '.gitlab-ci.yml' },
] as const)('$cloud + $ci: the region the pipeline deploys to', ({ cloud, ci, region, variable, file }) => {
  it('is the only region the environment roots accept', async () => {
    const files = renderToMemory({ cloud, ci, region });
    expect(files.get(file)).toMatch(new RegExp(`^\\s+${variable}: "?${region}"?$`, 'm'));
    const dirs = await parseTree(new Map([...files].filter(([path]) => path.endsWith('.tf'))));
    for (const env of ENVIRONMENTS) {
      const v = dirs.get(`terraform/environments/${env}`)!.variables.region!;
      expect(v.default).toBe(region);
      expect(first(v, 'validation').condition).toBe(`\${var.region == "${region}"}`);
      expect(String(first(v, 'validation').error_message)).toContain(`--region`);
    }
  });
});
