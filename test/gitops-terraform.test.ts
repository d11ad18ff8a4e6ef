/**
 * --gitops argocd, the Terraform side: Argo CD is the clusters' only writer, so each environment's CI deploy
 * identity gets NO cluster access (no EKS access entry, no AKS role, no container.* role or RoleBinding) and
 * keeps only what the GitOps deploy job calls: the cloud CLI calls of the rendered CI job are matched against
 * the grants in the parsed HCL. The roots still wire up (src/check/terraform-hcl.ts), `terraform fmt` accepts
 * them, and `infra-kit check` finds no MUST in a full GitOps kit per cloud. Kits without GitOps keep their
 * cluster grants (the same selectors find them there, so these checks can fail).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { runChecks } from '../src/check/run.js';
import { moduleCallProblems, parseTree, secretProblems, structureProblems, type Block, type TfDir } from '../src/check/terraform-hcl.js';
import { gitlabJobs, jobShell, type GitlabDoc } from './helpers/ci-gitlab.js';
import type { Workflow } from './helpers/ci-github.js';
import { renderToDir, renderToMemory } from './helpers/render.js';
import { useTerraformKit } from './helpers/terraform-checks.js';
import { parseYamlDocs, terraformBinary } from './helpers/validators.js';

const CLOUDS = ['aws', 'gcp', 'azure'] as const;
type CloudId = (typeof CLOUDS)[number];
const CIS = ['github', 'gitlab'] as const;
const ENVS = ['staging', 'production'] as const;
const GITOPS: Partial<Answers> = { gitops: 'argocd', repoUrl: 'https://github.com/acme/shop.git', database: 'postgres', name: 'shop-api' };
const ROLE = 'terraform/modules/deploy-role';

/** Resource types (sorted) a directory declares. */
const types = (dir: TfDir): string[] => Object.keys(dir.resources).sort();
/** Every resource and data block of a directory, as JSON: where a grant would have to appear. */
const grantsText = (dir: TfDir): string => JSON.stringify([dir.resources, dir.data]);

/** What gives a deploy identity access to a cluster, per cloud: resource types, roles, arguments. */
const CLUSTER_GRANT = /aws_eks_access_(entry|policy_association)|eks:|cluster-access-policy|Azure Kubernetes Service|roles\/container\.|rolebinding|cluster_(name|arn|id)|var\.namespace/i;

/** The module's resources and data sources, exactly: an identity, its CI trust, and (AWS) the trust policy. */
const IDENTITY_ONLY: Record<CloudId, { resources: string[]; data: string[] }> = {
  aws: { resources: ['aws_iam_role'], data: ['aws_iam_policy_document'] },
  gcp: { resources: ['google_service_account', 'google_service_account_iam_member'], data: [] },
  azure: { resources: ['azurerm_federated_identity_credential', 'azurerm_user_assigned_identity'], data: [] },
};

/**
 * The cloud CLI calls the GitOps deploy job may make, and why the identity needs no more than the Terraform
 * grants: `aws sts get-caller-identity` needs no permission; `az login/account` read the token; `az identity
 * show` reads the app identity (Reader on it, asserted below); GCP derives everything from the account e-mail.
 */
const ALLOWED_CALLS: Record<CloudId, string[]> = {
  aws: ['aws sts get-caller-identity'],
  gcp: [],
  azure: ['az account set', 'az account show', 'az identity show', 'az login'],
};

/** `aws …`/`az …`/`gcloud …`/`kubectl …` calls in shell code (comment lines dropped): "tool verb [verb]". */
function cloudCalls(script: string): string[] {
  const code = script.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n');
  const calls = [...code.matchAll(/(?:^|[\s;&|(`])(aws|az|gcloud|kubectl|kubelogin)\s+([a-z][a-z-]*)(?:\s+([a-z][a-z-]*))?/gm)]
    .map((m) => (m[1] === 'az' && m[2] === 'login' ? 'az login' : m.slice(1, 4).filter(Boolean).join(' ')));
  return [...new Set(calls)].sort();
}

/** The shell of the rendered deploy-staging job (GitHub: every `run:`; GitLab: before_script + script). */
function deployJobShell(files: Map<string, string>, ci: (typeof CIS)[number]): string {
  if (ci === 'github') {
    const wf = parseYamlDocs(files.get('.github/workflows/ci.yml')!)[0] as Workflow;
    const job = wf.jobs['deploy-staging'] ?? expect.fail('no deploy-staging job');
    return job.steps.map((s) => s.run ?? '').join('\n');
  }
  const doc = parseYamlDocs(files.get('.gitlab-ci.yml')!)[0] as GitlabDoc;
  return jobShell(gitlabJobs(doc).get('deploy-staging') ?? expect.fail('no deploy-staging job'));
}

describe.each(CLOUDS.flatMap((cloud) => CIS.map((ci) => ({ cloud, ci }))))('gitops terraform: $cloud $ci', ({ cloud, ci }) => {
  const overrides: Partial<Answers> = { ...GITOPS, cloud, ci };
  const kit = useTerraformKit(overrides);
  const { get } = kit;

  it('modules/deploy-role declares an identity and its CI trust, nothing else: no cluster grant, no cluster input', () => {
    const role = get(ROLE);
    expect(types(role)).toEqual(IDENTITY_ONLY[cloud].resources);
    expect(Object.keys(role.data).sort()).toEqual(IDENTITY_ONLY[cloud].data);
    expect(grantsText(role)).not.toMatch(CLUSTER_GRANT);
    expect(Object.keys(role.variables).filter((v) => /cluster|namespace|access_policy/.test(v))).toEqual([]);
    expect(Object.keys(role.outputs)).not.toContain('rolebinding_command');
    if (cloud === 'aws') {
      // The trust policy is the only policy document: it lets the CI job assume the role, and grants nothing.
      const docs = Object.keys(role.data.aws_iam_policy_document ?? {});
      expect(docs).toEqual(['trust']);
    }
    if (cloud === 'gcp') {
      // Its one binding is on itself: the environment's CI jobs may act as it (Workload Identity).
      const members = Object.values(role.resources.google_service_account_iam_member ?? {}) as Block[];
      expect(members.map((m) => [m.service_account_id, m.role])).toEqual([['${google_service_account.this.name}', 'roles/iam.workloadIdentityUser']]);
    }
  });

  it('the environment roots pass no cluster to it and grant it nothing on a cluster (Azure: Reader on the app identity only)', () => {
    for (const env of ENVS) {
      const root = get(`terraform/environments/${env}`);
      const call = root.modules.deploy_role ?? expect.fail(`${env}: no deploy_role`);
      expect(Object.keys(call).filter((k) => /cluster|namespace|instance|vm_/.test(k)), env).toEqual([]);
      expect(Object.keys(root.outputs), env).not.toContain('deploy_rolebinding_command');
      // Every resource of the root that names the deploy identity.
      const onDeploy = Object.entries(root.resources).flatMap(([type, byName]) =>
        Object.entries(byName).filter(([, b]) => JSON.stringify(b).includes('module.deploy_role.')).map(([name, b]) => ({ type, name, b })));
      if (cloud === 'azure') {
        expect(onDeploy.map(({ type, b }) => [type, b.scope, b.role_definition_name, b.principal_id]), env).toEqual([
          ['azurerm_role_assignment', '${module.app_identity.id}', 'Reader', '${module.deploy_role.principal_id}'],
        ]);
      } else {
        expect(onDeploy, env).toEqual([]);
      }
    }
  });

  it('the GitOps deploy job calls only what that identity may do (and nothing on the cluster)', () => {
    const files = renderToMemory(overrides, ['ci']);
    const calls = cloudCalls(deployJobShell(files, ci));
    expect(calls.filter((c) => /^(kubectl|kubelogin)|aks|container/.test(c))).toEqual([]);
    expect(calls.filter((c) => !ALLOWED_CALLS[cloud].includes(c))).toEqual([]);
    // The app identity lookup is really there (the extraction sees the job's calls).
    expect(calls).toEqual(expect.arrayContaining({ aws: ['aws sts get-caller-identity'], gcp: [], azure: ['az identity show'] }[cloud]));
    // The one call that needs a grant is backed by one (the Reader assignment asserted above).
    if (calls.includes('az identity show')) expect(get('terraform/environments/staging').resources.azurerm_role_assignment?.deploy_reads_app_identity).toBeDefined();
  });

  it('outputs and the module README say what the identity can do under GitOps', () => {
    for (const env of ENVS) {
      const outputs = get(`terraform/environments/${env}`).outputs;
      const deployOutput = Object.entries(outputs).find(([name]) => /^deploy_/.test(name)) ?? expect.fail(`${env}: no deploy output`);
      expect(String(deployOutput[1].description)).toMatch(/GitOps: .*no cluster access/);
    }
    const readme = kit.out.files.get(`${ROLE}/README.md`) ?? expect.fail('no README');
    expect(readme).toContain('GitOps (Argo CD)');
    expect(readme).toMatch(/only writer to the cluster/);
  });

  it('module calls resolve; structure, pinned providers and secrets rules hold', () => {
    expect(moduleCallProblems(kit.dirs)).toEqual([]);
    expect([...kit.dirs].flatMap(([dir, config]) => structureProblems(dir, config))).toEqual([]);
    expect(secretProblems(kit.dirs)).toEqual([]);
  });

  it.skipIf(!terraformBinary)('terraform fmt -check: canonical formatting', () => {
    const fmt = spawnSync(terraformBinary!, ['fmt', '-check', '-diff', '-recursive', join(kit.out.dir, 'terraform')], { encoding: 'utf8', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } });
    expect(fmt.stdout).toBe('');
    expect(fmt.status).toBe(0);
  });
});

describe('without GitOps the deploy identity keeps its cluster access (the selectors above find it)', () => {
  it.each(CLOUDS)('%s', async (cloud) => {
    const dirs = await parseTree(renderToMemory({ cloud, database: 'postgres', name: 'shop-api' }, ['terraform']));
    const role = dirs.get(ROLE)!;
    expect(grantsText(role)).toMatch(CLUSTER_GRANT);
    expect(types(role)).not.toEqual(IDENTITY_ONLY[cloud].resources);
    expect(Object.keys(dirs.get('terraform/environments/staging')!.modules.deploy_role!).some((k) => /cluster/.test(k))).toBe(true);
  });
});

describe('infra-kit check on a full GitOps kit', () => {
  it.each(CLOUDS.flatMap((cloud) => CIS.map((ci) => [cloud, ci] as const)))('%s %s: no MUST finding', async (cloud, ci) => {
    const { dir } = renderToDir({ ...GITOPS, cloud, ci });
    const report = await runChecks(dir);
    expect(report.findings.filter((f) => f.level === 'MUST').map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`)).toEqual([]);
  }, 120_000);
});
