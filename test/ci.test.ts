/**
 * GitHub Actions piece over the matrix (every stack variant × aws/gcp/azure): actionlint, and HARDENING CI01–CI08
 * on the parsed workflows. GitLab lives in test/gitlab.test.ts; the matrix in test/helpers/ci-context.ts.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { actions } from '../src/catalog/ci.js';
import { kubernetesVersion as kubectlVersion } from '../src/catalog/orchestrators.js';
import { databases, stacks } from '../src/catalog/index.js';
import { cellLabel, ciCells, ciContext, renderCi } from './helpers/ci-context.js';
import {
  actionlintFindings, CLOUD, dangerousRunExpressions, loadActionlint, logsInToCloud, needsOf, runBash, stepUsing, unpinnedUses, usesOf,
  type Workflow,
} from './helpers/ci-github.js';
import { shellcheck } from './helpers/ci-shell.js';
import { hasCommand, parseYamlDocs } from './helpers/validators.js';

const WORKFLOWS = ['.github/workflows/ci.yml', '.github/workflows/rollback.yml'];
const CLOUD_JOBS = ['push', 'deploy-staging', 'deploy-production'];
const ON_MAIN = "github.event_name == 'push' && github.ref == 'refs/heads/main'";
beforeAll(loadActionlint);

describe('the checkers themselves', () => {
  it('rejects a tag-pinned action and accepts a SHA-pinned one', () => {
    const wf = (uses: string) => ({ jobs: { a: { steps: [{ uses }] } } });
    expect(unpinnedUses(wf('actions/checkout@v4'))).toEqual(['actions/checkout@v4']);
    expect(unpinnedUses(wf('actions/checkout@08c6903cd8c0'))).toHaveLength(1);
    expect(unpinnedUses(wf(`actions/checkout@${actions.checkout.sha}`))).toEqual([]);
  });

  it('flags github.event and inputs expressions inside run:', () => {
    const wf = (run: string) => ({ jobs: { a: { steps: [{ run }] } } });
    expect(dangerousRunExpressions(wf('echo "${{ github.event.pull_request.title }}"'))).toHaveLength(1);
    expect(dangerousRunExpressions(wf('echo ${{ inputs.digest }}'))).toHaveLength(1);
    expect(dangerousRunExpressions(wf('echo "$DIGEST" ${{ runner.temp }}'))).toEqual([]);
  });

  it('tells a cloud-login job from one without', () => {
    expect(logsInToCloud({ steps: [{ uses: usesOf('gcpAuth') }] })).toBe(true);
    expect(logsInToCloud({ steps: [{ uses: usesOf('checkout') }, { uses: 'google-github-actions/auth@v3' }] })).toBe(false);
  });

  it('actionlint is live: it reports needs: to a missing job', () => {
    const src = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: [nope]\n    steps:\n      - run: "true"\n';
    expect(actionlintFindings(src, 'bad.yml').map((f) => f.kind)).toContain('job-needs');
  });
});

describe('catalog of pinned actions', () => {
  it('has a full commit SHA and an exact release tag for every action', () => {
    for (const a of Object.values(actions)) {
      expect(a.sha, a.repo).toMatch(/^[0-9a-f]{40}$/);
      expect(a.version, a.repo).toMatch(/^v\d+\.\d+(\.\d+)?$/); // azure/use-kubelogin tags two-part releases (v1.3)
    }
  });

  it('pins every setup action a stack variant names, and every pinned action is used by some cell', () => {
    const used = new Set<string>();
    for (const cell of ciCells('github')) {
      for (const path of WORKFLOWS) {
        const wf = parseYamlDocs(renderCi(cell).get(path)!)[0] as Workflow;
        for (const job of Object.values(wf.jobs)) for (const s of job.steps) if (s.uses) used.add(s.uses);
      }
    }
    for (const stack of Object.values(stacks)) for (const v of Object.values(stack.variants)) expect(actions, `${stack.id}/${v.id}`).toHaveProperty(v.ci.setup.action);
    expect(Object.keys(actions).filter((key) => !used.has(usesOf(key as keyof typeof actions)))).toEqual([]);
  });
});

for (const cell of ciCells('github')) {
  const ctx = ciContext(cell);
  const files = renderCi(cell);
  const parse = <T>(path: string): T => parseYamlDocs(files.get(path)!, path)[0] as T;
  const cloud = CLOUD[cell.cloud];
  const ci = parse<Workflow>(WORKFLOWS[0]!);
  const rollback = parse<Workflow>(WORKFLOWS[1]!);
  const jobs = ci.jobs;
  const ciJobs = ['lint', ...(ctx.variant.ci.typecheck ? ['typecheck'] : []), 'test'];

  describe(`GitHub Actions: ${cellLabel(cell)}`, () => {
    it('renders the workflows and dependabot, each one YAML document, and nothing for GitLab', () => {
      expect([...files.keys()].sort()).toEqual(['.github/dependabot.yml', ...WORKFLOWS]);
      for (const [path, src] of files) expect(parseYamlDocs(src, path)).toHaveLength(1);
    });

    it.each(WORKFLOWS)('%s passes actionlint', (path) => {
      expect(actionlintFindings(files.get(path)!, path)).toEqual([]);
    });

    it('pins every action to a catalog SHA (CI02)', () => {
      const catalog = new Set(Object.values(actions).map((a) => `${a.repo}@${a.sha}`));
      for (const wf of [ci, rollback]) {
        expect(unpinnedUses(wf)).toEqual([]);
        for (const job of Object.values(wf.jobs)) for (const s of job.steps) if (s.uses) expect(catalog).toContain(s.uses);
      }
    });

    it('reads only at the top; id-token: write only where the job logs in to the cloud, as the contract identities (CI01, CI03)', () => {
      for (const wf of [ci, rollback]) {
        expect(wf.permissions).toEqual({ contents: 'read' });
        for (const [id, job] of Object.entries(wf.jobs)) {
          expect(job.permissions?.['id-token'] === 'write', `${id} id-token`).toBe(logsInToCloud(job));
          for (const [scope, level] of Object.entries(job.permissions ?? {})) if (scope !== 'id-token') expect(level, `${id} ${scope}`).toBe('read');
        }
      }
      expect(Object.keys(jobs).filter((id) => jobs[id]!.permissions?.['id-token'] === 'write')).toEqual(CLOUD_JOBS);
      expect(stepUsing(jobs.push!, cloud.login)?.with).toEqual(cloud.push);
      for (const job of [jobs['deploy-staging']!, jobs['deploy-production']!, rollback.jobs.rollback!]) {
        expect(stepUsing(job, cloud.login)?.with).toEqual(cloud.deploy);
        expect(cloud.cluster(job), 'cluster credentials for N-<env>').toBe(true);
      }
    });

    it('has no dangerous triggers or expressions in run: (CI04)', () => {
      for (const wf of [ci, rollback]) {
        expect(Object.keys(wf.on)).not.toContain('pull_request_target');
        expect(dangerousRunExpressions(wf)).toEqual([]);
      }
      expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
      expect(ci.on.push).toEqual({ branches: ['main'] });
    });

    it('runs the stages in order, push and deploys on main only (CI05, CI06)', () => {
      expect(Object.keys(jobs)).toEqual([...ciJobs, 'build', 'scan', ...CLOUD_JOBS]);
      expect(needsOf(jobs.build!).sort()).toEqual([...ciJobs].sort());
      expect(needsOf(jobs.scan!)).toEqual(['build']);
      expect(needsOf(jobs.push!)).toEqual(['scan']);
      expect(needsOf(jobs['deploy-staging']!)).toEqual(['push']);
      expect(needsOf(jobs['deploy-production']!)).toEqual(['push', 'deploy-staging']);
      for (const id of CLOUD_JOBS) expect(jobs[id]!.if).toBe(ON_MAIN);
      expect(jobs.push!.environment).toBeUndefined(); // the push identity trusts ref main, not an environment
      expect(jobs['deploy-staging']!.environment?.name).toBe('staging');
      expect(jobs['deploy-production']!.environment?.name).toBe('production');
      expect(jobs.push!.outputs?.digest).toBe('${{ steps.push.outputs.digest }}');
      expect(stepUsing(jobs.push!, 'cosignInstaller')).toBeDefined();
      for (const [id, env] of [['deploy-staging', 'staging'], ['deploy-production', 'production']] as const) {
        expect(jobs[id]!.env).toEqual({ TARGET_ENV: env, DIGEST: '${{ needs.push.outputs.digest }}', IMAGE: '${{ needs.push.outputs.image }}' });
      }
    });

    it('scans the built image with Trivy, failing on CRITICAL,HIGH (CI05)', () => {
      expect(stepUsing(jobs.build!, 'buildPush')?.with).toMatchObject({ push: false, outputs: 'type=docker,dest=${{ runner.temp }}/image.tar' });
      expect(stepUsing(jobs.scan!, 'trivy')?.with).toMatchObject({ input: '${{ runner.temp }}/image.tar', severity: 'CRITICAL,HIGH', 'exit-code': '1', 'ignore-unfixed': true });
    });

    it('has timeouts everywhere and never cancels a deploy (CI07)', () => {
      for (const wf of [ci, rollback]) for (const [id, job] of Object.entries(wf.jobs)) expect(job['timeout-minutes'], id).toBeGreaterThan(0);
      expect(ci.concurrency).toEqual({ group: '${{ github.workflow }}-${{ github.ref }}', 'cancel-in-progress': "${{ github.event_name == 'pull_request' }}" });
      for (const env of ['staging', 'production']) {
        const group = { group: `deploy-${env}`, 'cancel-in-progress': false };
        expect(jobs[`deploy-${env}`]!.concurrency).toEqual(group);
        const rb = rollback.jobs.rollback!.concurrency!;
        expect({ ...rb, group: rb.group.replace('${{ inputs.environment }}', env) }).toEqual(group);
      }
    });

    it('runs the variant\'s own setup and commands, and the database service when asked (CI08)', () => {
      const { setup, install, lint, typecheck, test } = ctx.variant.ci;
      for (const id of ciJobs) {
        const steps = jobs[id]!.steps;
        expect(stepUsing(jobs[id]!, setup.action)?.with ?? {}).toEqual(setup.with);
        // With a database, the test job first migrates the service database (the --migrate-command, from the checkout).
        const migrate = id === 'test' && cell.database === 'postgres' ? [steps.find((s) => s.name === 'Apply the database migrations')?.run] : [];
        expect(steps.map((s) => s.run).filter(Boolean)).toEqual([install, ...migrate, { lint, typecheck, test }[id as 'lint']]);
      }
      const env = { APP_NAME: cell.name, HEALTH_PATH: '/healthz', KUBECTL_VERSION: kubectlVersion, ...(cloud.regionEnv ? { [cloud.regionEnv]: ctx.region } : {}) };
      for (const wf of [ci, rollback]) expect(wf.env).toMatchObject(env);
      const postgres = jobs.test!.services?.postgres;
      if (cell.database === 'postgres') {
        expect(postgres?.image).toBe(databases.postgres.image);
        expect(postgres?.options).toContain('--health-cmd');
        expect(jobs.test!.env?.DATABASE_URL).toMatch(/^postgresql:\/\/app:[^@]+@localhost:5432\/app_test$/);
      } else {
        expect(jobs.test!.services).toBeUndefined();
      }
    });

    it('rollback: dispatch with environment and digest, protected, from main only', () => {
      expect(Object.keys(rollback.on)).toEqual(['workflow_dispatch']);
      expect(rollback.on.workflow_dispatch).toMatchObject({
        inputs: { environment: { type: 'choice', options: ['staging', 'production'], required: true }, digest: { type: 'string', required: true } },
      });
      const job = rollback.jobs.rollback!;
      expect(job.if).toBe("github.ref == 'refs/heads/main'");
      expect(job.environment?.name).toBe('${{ inputs.environment }}');
      expect(job.env).toEqual({ TARGET_ENV: '${{ inputs.environment }}', DIGEST: '${{ inputs.digest }}' });
      expect(job.steps[0]!.name).toBe('Validate inputs'); // before any credential is obtained
    });

    it('dependabot covers the variant\'s ecosystem, docker, github-actions and terraform, weekly and grouped (CI08)', () => {
      const dependabot = parse<{ version: number; updates: { 'package-ecosystem': string; schedule: { interval: string }; groups: object; directories?: string[] }[] }>('.github/dependabot.yml');
      expect(dependabot.version).toBe(2);
      const ecosystems = dependabot.updates.map((u) => u['package-ecosystem']);
      expect(ecosystems).toEqual([ctx.variant.dependabotEcosystem, 'docker', ...(cell.database === 'postgres' ? ['docker-compose'] : []), 'github-actions', 'terraform']);
      for (const u of dependabot.updates) {
        expect(u.schedule.interval).toBe('weekly');
        expect(Object.keys(u.groups).length).toBeGreaterThan(0);
      }
      expect(dependabot.updates.find((u) => u['package-ecosystem'] === 'terraform')?.directories).toContain('/terraform/modules/*');
    });

    it('run: scripts pass ShellCheck', { skip: !hasCommand('shellcheck') }, () => {
      for (const wf of [ci, rollback]) for (const job of Object.values(wf.jobs)) for (const s of job.steps) if (s.run) expect(shellcheck(s.run, 'bash'), s.run).toBe('');
    });
  });
}

describe('the registry step of each cloud yields the contract image name', () => {
  const stub = (dir: string, name: string, body: string) => {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  };
  it.each([
    ['aws', { REGISTRY: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' }, '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api'],
    ['gcp', { ACCESS_TOKEN: 'ya29.test', GCP_PROJECT_ID: 'acme-prod' }, 'europe-west1-docker.pkg.dev/acme-prod/shop-api/shop-api'],
    ['azure', {}, 'shopapiacr.azurecr.io/shop-api'],
  ] as const)('%s', (cloudId, stepEnv, image) => {
    const cell = ciCells('github').find((c) => c.cloud === cloudId && c.name === 'shop-api')!;
    const ci = parseYamlDocs(renderCi(cell).get(WORKFLOWS[0]!)!)[0] as Workflow;
    const step = ci.jobs.push!.steps.find((s) => s.id === 'registry')!;
    const root = mkdtempSync(join(tmpdir(), 'infra-kit-ci-reg-'));
    mkdirSync(join(root, 'bin'));
    stub(join(root, 'bin'), 'docker', 'cat >/dev/null; echo "docker $*" >> "$LOG"');
    stub(join(root, 'bin'), 'az', 'echo "az $*" >> "$LOG"');
    const out = join(root, 'output');
    const res = runBash(step.run!, { PATH: `${join(root, 'bin')}:${process.env.PATH}`, ...ci.env, ...stepEnv, GITHUB_OUTPUT: out, LOG: join(root, 'log') });
    expect(res.stderr).toBe('');
    expect(readFileSync(out, 'utf8')).toBe(`image=${image}\n`);
  });
});

describe('the deploy and rollback scripts, run with stubbed kubectl', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api';
  const awsCell = ciCells('github').find((c) => c.cloud === 'aws' && c.name === 'shop-api')!;
  const ci = parseYamlDocs(renderCi(awsCell).get(WORKFLOWS[0]!)!)[0] as Workflow;
  const rollback = parseYamlDocs(renderCi(awsCell).get(WORKFLOWS[1]!)!)[0] as Workflow;

  /** Runs a step's script in a fake runner: `kubectl apply -k` prints `kubectl kustomize`; the rest is logged. */
  function runStep(script: string, env: Record<string, string>) {
    const root = mkdtempSync(join(tmpdir(), 'infra-kit-ci-run-'));
    const overlay = join(root, 'ws/kubernetes/overlays/staging');
    mkdirSync(overlay, { recursive: true });
    mkdirSync(join(root, 'bin'));
    mkdirSync(join(root, 'tmp'));
    writeFileSync(join(overlay, 'kustomization.yaml'), 'namespace: shop-api\nresources: [namespace.yaml, deployment.yaml]\nimages: [{name: shop-api, newTag: "0.1.0"}]\n');
    writeFileSync(join(overlay, 'namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop-api}\n');
    writeFileSync(join(overlay, 'deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop-api}\nspec:\n  template:\n    spec:\n      containers: [{name: app, image: shop-api}]\n');
    const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
    writeFileSync(join(root, 'bin', 'kubectl'), `#!/bin/sh\ncase "$1" in apply) exec ${kubectl} kustomize "$3" ;; get) echo "${image}@sha256:${'b'.repeat(64)}" ;; esac\n`);
    chmodSync(join(root, 'bin', 'kubectl'), 0o755);
    const res = runBash(script, {
      PATH: `${join(root, 'bin')}:${process.env.PATH}`,
      ...ci.env,
      RUNNER_TEMP: join(root, 'tmp'),
      GITHUB_WORKSPACE: join(root, 'ws'),
      GITHUB_STEP_SUMMARY: join(root, 'summary'),
      ...env,
    });
    return { ...res, root };
  }

  it('deploy-staging applies the overlay with registry and digest pinned, without the Namespace', { skip: !hasCommand('kubectl') }, () => {
    const job = ci.jobs['deploy-staging']!;
    const res = runStep(job.steps.find((s) => s.name === 'Deploy')!.run!, { TARGET_ENV: 'staging', IMAGE: image, DIGEST: digest });
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain(`image: ${image}@${digest}`);
    // the namespace-scoped deploy identity cannot apply the cluster-scoped Namespace: CI leaves it out
    expect(res.stdout).not.toContain('kind: Namespace');
    expect(readFileSync(join(res.root, 'summary'), 'utf8')).toContain(`${image}@${digest}`);
  });

  it('rollback re-deploys the given digest to the running repository', { skip: !hasCommand('kubectl') }, () => {
    const job = rollback.jobs.rollback!;
    const res = runStep(job.steps.find((s) => s.name === 'Deploy')!.run!, { TARGET_ENV: 'staging', DIGEST: digest });
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain(`image: ${image}@${digest}`);
    expect(res.stdout).not.toContain('kind: Namespace');
  });

  it.each([
    [digest, 'staging', 0],
    [digest, 'production', 0],
    ['latest', 'staging', 1],
    [`sha256:${'a'.repeat(63)}`, 'staging', 1],
    [`${digest}"; echo pwned #`, 'staging', 1],
    [digest, 'dev', 1],
  ])('rollback input validation: digest %s, environment %s → exit %i', (d, env, status) => {
    const validate = rollback.jobs.rollback!.steps[0]!.run!;
    const res = runBash(validate, { PATH: process.env.PATH!, DIGEST: d, TARGET_ENV: env });
    expect(res.status).toBe(status);
    expect(res.stdout).not.toContain('pwned');
  });
});
