/**
 * GitLab CI piece over the matrix (every stack variant × aws/gcp/azure): GitLab's own ci.json schema, the rules the
 * schema misses (test/helpers/ci-gitlab.ts), HARDENING CI02–CI08 on the parsed pipeline, renovate.json, yamllint,
 * ShellCheck, and the scripts that guard deploys run for real with stubbed tools.
 */
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ciTooling, trivyVersion } from '../src/catalog/ci.js';
import { kubernetesVersion } from '../src/catalog/orchestrators.js';
import { databases, stacks } from '../src/catalog/index.js';
import { cellLabel, ciCells, ciContext, contextHasCiTooling, renderCi, type CloudName } from './helpers/ci-context.js';
import {
  danglingNeeds, deploysWithoutScan, gitlabJobs, interruptibleDeploys, isPinnedImage, jobShell, jobsWithoutScript, missingTimeouts,
  needsClosure, SCHEMA_PATH, secretLiterals, undeclaredStages, ungatedProduction, unpinnedImages, validateGitlabSchema,
  type GitlabDoc, type GitlabJob,
} from './helpers/ci-gitlab.js';
import { runSh, shellcheck, stubs } from './helpers/ci-shell.js';
import { hasCommand, parseYamlDocs } from './helpers/validators.js';

const STAGES = ['lint', 'test', 'build', 'scan', 'push', 'deploy-staging', 'deploy-production', 'rollback'];
const DEFAULT_BRANCH_PUSH = '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH && $CI_PIPELINE_SOURCE == "push"';
const THROWAWAY = 'ci-throwaway-password';
const yamllintConfig = fileURLToPath(new URL('./fixtures/yamllint.yml', import.meta.url));
/** Contract, per-cloud: the OIDC ID token each cloud's jobs request and its audience. */
const ID_TOKEN: Record<CloudName, [string, string]> = {
  aws: ['AWS_ID_TOKEN', '$CI_SERVER_URL'],
  gcp: ['GCP_ID_TOKEN', 'https://iam.googleapis.com/$GCP_WORKLOAD_IDENTITY_PROVIDER'],
  azure: ['AZURE_ID_TOKEN', 'api://AzureADTokenExchange'],
};

const parse = (src: string) => parseYamlDocs(src, '.gitlab-ci.yml')[0] as GitlabDoc;
const jobsOf = (yaml: string) => gitlabJobs(parse(yaml));

describe('the checkers themselves', () => {
  it('GitLab\'s schema is the pinned copy and rejects unknown keys and bad `when` values', () => {
    expect(createHash('sha256').update(readFileSync(SCHEMA_PATH)).digest('hex')).toBe('68fe6fb2b2db887afc71ed369ee0b4099546e2e813128871beac87983b9cbc02');
    expect(validateGitlabSchema(jobsFree({ a: { script: ['true'] } }))).toEqual([]);
    expect(validateGitlabSchema(jobsFree({ a: { scirpt: ['true'] } })).join()).toContain('must NOT have additional properties {"additionalProperty":"scirpt"}');
    expect(validateGitlabSchema(jobsFree({ a: { script: ['true'], when: 'sometimes' } })).join()).toContain('allowedValues');
  });

  it('resolves extends (hashes merged, the rest replaced) and finds jobs without script', () => {
    const jobs = jobsOf('.t: {script: [a], variables: {A: "1"}}\nj: {extends: .t, variables: {B: "2"}}\nk: {stage: test}\n');
    expect(jobs.get('j')).toMatchObject({ script: ['a'], variables: { A: '1', B: '2' } });
    expect(jobsWithoutScript(jobs)).toEqual(['k']);
  });

  it('finds undeclared stages, dangling needs, unscanned deploys and unguarded production', () => {
    const doc = parse(`stages: [build, deploy]
build: {stage: build, script: [a]}
scan: {stage: nope, script: [a]}
prod: {stage: deploy, script: [a], needs: [build, ghost], environment: {name: production}, rules: [{if: $CI_MERGE_REQUEST_IID}]}
`);
    const jobs = gitlabJobs(doc);
    expect(undeclaredStages(doc, jobs)).toEqual(['scan: stage nope']);
    expect(danglingNeeds(jobs)).toEqual(['prod needs ghost']);
    expect(deploysWithoutScan(jobs)).toEqual(['prod']);
    expect(deploysWithoutScan(jobs, (n) => n === 'prod')).toEqual([]);
    expect(ungatedProduction(jobs)).toEqual(['prod: not manual', 'prod: not limited to the default branch', 'prod: resource_group undefined']);
    expect(interruptibleDeploys(jobs)).toEqual(['prod']);
    expect(missingTimeouts(doc, jobs)).toEqual(['build', 'scan', 'prod']);
    expect(needsClosure(jobsOf('a: {script: [x]}\nb: {script: [x], needs: [a]}\nc: {script: [x], needs: [{job: b}]}\n'), 'c')).toEqual(new Set(['a', 'b']));
  });

  it('finds unpinned images, in jobs, services and *_IMAGE variables', () => {
    for (const ok of ['node:24.19.0-trixie', 'gcr.io/x/y:573.0.0', `alpine@sha256:${'a'.repeat(64)}`, 'registry:5000/app:1.2']) expect(isPinnedImage(ok), ok).toBe(true);
    for (const bad of ['node', 'node:latest', 'node:lts', 'registry:5000/app']) expect(isPinnedImage(bad), bad).toBe(false);
    const doc = parse('variables: {TOOL_IMAGE: "alpine", B: "$TOOL_IMAGE"}\nj: {image: "node:latest", services: [{name: "postgres"}], script: [x]}\nk: {image: $TOOL_IMAGE, script: [x]}\n');
    expect(unpinnedImages(doc, gitlabJobs(doc)).sort()).toEqual(['alpine', 'node:latest', 'postgres']);
  });

  it('finds secret literals, by name and by shape', () => {
    const doc = parse(`variables: {AWS_SECRET_ACCESS_KEY: abc, API_TOKEN: $VAULT_TOKEN, DB_PASSWORD: ${THROWAWAY}}
j: {script: ["echo AKIAABCDEFGHIJKLMNOP"], variables: {GITLAB_TOKEN: "glpat-xxxxxxxxxxxxxxxxxxxx"}}
`);
    expect(secretLiterals(doc, gitlabJobs(doc), [THROWAWAY])).toEqual(['variables: AWS_SECRET_ACCESS_KEY', 'j: GITLAB_TOKEN', 'secret-looking value: echo AKIAABCDEFGHIJK…', 'secret-looking value: glpat-xxxxxxxxxxxxxx…']);
  });
});

it('ShellCheck is live: it flags an unquoted expansion', { skip: !hasCommand('shellcheck') }, () => {
  expect(shellcheck('rm -rf $1', 'sh')).toContain('SC2086');
  expect(shellcheck('rm -rf "$1"', 'sh')).toBe('');
});

/** A pipeline document around some jobs (the schema needs nothing else). */
function jobsFree(jobs: Record<string, object>) {
  return { stages: ['test'], ...jobs };
}

describe('catalog: GitLab images and tools', () => {
  it('pins every image, the same Trivy as GitHub, kubectl of the clusters\' minor, cosign by checksum', () => {
    for (const image of Object.values(ciTooling.images)) expect(isPinnedImage(image), image).toBe(true);
    expect(ciTooling.images.trivy).toBe(`aquasec/trivy:${trivyVersion.replace(/^v/, '')}`);
    expect(ciTooling.kubectl).toMatch(new RegExp(`^v${kubernetesVersion.replace('.', '\\.')}\\.\\d+$`));
    expect(ciTooling.cosign.sha256).toMatch(/^[0-9a-f]{64}$/);
    for (const stack of Object.values(stacks)) for (const v of Object.values(stack.variants)) expect(isPinnedImage(v.ci.image), `${stack.id}/${v.id}`).toBe(true);
  });

  it('knows the Renovate manager and the cache environment of every stack variant', () => {
    for (const stack of Object.values(stacks)) {
      for (const v of Object.values(stack.variants)) {
        expect(ciTooling.renovateManagers, `${stack.id}/${v.id}`).toHaveProperty(v.id);
        for (const path of v.ci.cachePaths) expect(Object.keys(ciTooling.cacheEnv), `${stack.id}/${v.id}`).toContain(path);
      }
    }
  });

  it.skipIf(!contextHasCiTooling())('the render context exposes ciTooling (src/render/context.ts)', () => {
    expect(contextHasCiTooling()).toBe(true);
  });
});

for (const cell of ciCells('gitlab')) {
  const ctx = ciContext(cell);
  const files = renderCi(cell);
  const src = files.get('.gitlab-ci.yml')!;
  const doc = parse(src);
  const jobs = gitlabJobs(doc);
  const job = (name: string) => jobs.get(name)!;
  const [tokenName, aud] = ID_TOKEN[cell.cloud];
  const checks = ['lint', ...(ctx.variant.ci.typecheck ? ['typecheck'] : []), 'test'];

  describe(`GitLab CI: ${cellLabel(cell)}`, () => {
    it('renders .gitlab-ci.yml and renovate.json only, valid for GitLab\'s schema', () => {
      expect([...files.keys()].sort()).toEqual(['.gitlab-ci.yml', 'renovate.json']);
      expect(validateGitlabSchema(doc)).toEqual([]);
    });

    it('has what the schema cannot check: scripts, declared stages, needs that exist, timeouts', () => {
      expect(jobsWithoutScript(jobs)).toEqual([]);
      expect(undeclaredStages(doc, jobs)).toEqual([]);
      expect(danglingNeeds(jobs)).toEqual([]);
      expect(missingTimeouts(doc, jobs)).toEqual([]);
      for (const [name, j] of jobs) expect(j.timeout, name).toMatch(/^\d+ minutes$/);
    });

    it('runs on merge requests and the default branch; stages in order, as a needs: DAG (CI05)', () => {
      expect((doc.workflow as { rules: { if: string }[] }).rules.map((r) => r.if)).toEqual(['$CI_PIPELINE_SOURCE == "merge_request_event"', '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH']);
      expect(doc.stages).toEqual(STAGES);
      expect([...jobs.keys()]).toEqual([...checks, 'build', 'scan', 'push', 'deploy-staging', 'deploy-production', 'rollback-staging', 'rollback-production']);
      for (const c of checks) expect(job(c).needs).toEqual([]);
      expect(job('build').needs).toEqual(checks);
      expect(job('scan').needs).toEqual(['build']);
      expect(job('push').needs).toEqual(['build', 'scan']);
      expect(job('deploy-staging').needs).toEqual(['push']);
      expect(job('deploy-production').needs).toEqual(['push', 'deploy-staging']);
      expect(deploysWithoutScan(jobs, (n) => n.startsWith('rollback-'))).toEqual([]);
      for (const name of ['push', 'deploy-staging', 'deploy-production']) expect(job(name).rules?.map((r) => r.if), name).toEqual([DEFAULT_BRANCH_PUSH]);
    });

    it('scans the built tarball with Trivy, failing on CRITICAL,HIGH, and keeps a CycloneDX SBOM (CI05, CI08)', () => {
      const scan = (job('scan').script as string[]).map((line) => line.split(/\s+/));
      const gate = scan.find((argv) => argv.includes('--exit-code'))!;
      expect(gate.slice(0, 4)).toEqual(['trivy', 'image', '--input', 'image.tar']);
      expect(gate[gate.indexOf('--severity') + 1]).toBe('CRITICAL,HIGH');
      expect(gate[gate.indexOf('--exit-code') + 1]).toBe('1');
      expect(scan.find((argv) => argv.includes('cyclonedx'))).toEqual(['trivy', 'image', '--input', 'image.tar', '--format', 'cyclonedx', '--output', 'sbom.cdx.json']);
      expect(job('scan').artifacts).toMatchObject({ reports: { cyclonedx: ['sbom.cdx.json'] } });
      expect(job('build').artifacts).toMatchObject({ paths: ['image.tar'] });
    });

    it('gates production: manual, default branch only, protected environment, one at a time (CI06)', () => {
      expect(ungatedProduction(jobs)).toEqual([]);
      for (const env of ['staging', 'production']) {
        for (const name of [`deploy-${env}`, `rollback-${env}`]) {
          expect(job(name).environment, name).toEqual({ name: env, deployment_tier: env });
          expect(job(name).resource_group, name).toBe(env);
          expect(job(name).variables, name).toMatchObject({ TARGET_ENV: env });
        }
      }
      expect(job('deploy-staging').rules).toEqual([{ if: DEFAULT_BRANCH_PUSH }]);
      expect(job('deploy-production').rules).toEqual([{ if: DEFAULT_BRANCH_PUSH, when: 'manual', allow_failure: true }]);
    });

    it('never interrupts a push or deploy; everything else is interruptible (CI07)', () => {
      expect(interruptibleDeploys(jobs)).toEqual([]);
      expect((doc.default as GitlabJob).interruptible).toBe(true);
      expect((doc.workflow as { auto_cancel: unknown }).auto_cancel).toEqual({ on_new_commit: 'interruptible' });
      expect([...jobs].filter(([, j]) => j.interruptible === false).map(([n]) => n)).toEqual(['push', 'deploy-staging', 'deploy-production', 'rollback-staging', 'rollback-production']);
    });

    it('asks for cloud ID tokens only where it logs in, with the contract audience; sigstore only for signing (CI03)', () => {
      const tokens = Object.fromEntries([...jobs].filter(([, j]) => j.id_tokens).map(([n, j]) => [n, j.id_tokens]));
      const cloudToken = { [tokenName]: { aud } };
      expect(tokens).toEqual({
        push: { ...cloudToken, SIGSTORE_ID_TOKEN: { aud: 'sigstore' } },
        'deploy-staging': cloudToken, 'deploy-production': cloudToken, 'rollback-staging': cloudToken, 'rollback-production': cloudToken,
      });
      expect(jobShell(job('push'))).toContain('cosign sign --yes "${IMAGE}@${DIGEST}"');
      expect(jobShell(job('push'))).toContain('cosign attest --yes --type cyclonedx --predicate sbom.cdx.json "${IMAGE}@${DIGEST}"');
    });

    it('pins every image and holds no secret literal (CI02)', () => {
      expect(unpinnedImages(doc, jobs)).toEqual([]);
      expect(secretLiterals(doc, jobs, [THROWAWAY])).toEqual([]);
    });

    it('runs the variant\'s image and commands, cached on its lockfile, with the database service when asked (CI08)', () => {
      const { image, install, lint, typecheck, test, cachePaths } = ctx.variant.ci;
      for (const c of checks) {
        // With a database, the test job first migrates the service database (the --migrate-command, from the checkout).
        const migrate = c === 'test' && cell.database === 'postgres' ? [expect.stringMatching(/\S/)] : [];
        expect(job(c)).toMatchObject({ image, before_script: [install], script: [...migrate, { lint, typecheck, test }[c as 'lint']] });
        expect(job(c).cache).toEqual({ key: { files: [ctx.variant.lockfiles[0]], prefix: ctx.variant.id }, paths: cachePaths });
        for (const path of cachePaths) expect(job(c).variables ?? {}).toMatchObject(ciTooling.cacheEnv[path]!);
      }
      expect(doc.variables).toMatchObject({ APP_NAME: cell.name, HEALTH_PATH: '/healthz', KUBECTL_VERSION: ciTooling.kubectl });
      if (cell.database === 'postgres') {
        expect(job('test').services).toEqual([{ name: databases.postgres.image, alias: 'postgres' }]);
        expect(job('test').variables?.DATABASE_URL).toBe(`postgresql://app:${THROWAWAY}@postgres:5432/app_test`);
      } else {
        expect(job('test').services).toBeUndefined();
      }
    });

    it('rollback jobs: manual on the default branch, any earlier digest, validated before any login', () => {
      for (const env of ['staging', 'production']) {
        const rb = job(`rollback-${env}`);
        expect(rb.needs).toEqual([]);
        expect(rb.rules).toEqual([{ if: '$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH', when: 'manual', allow_failure: true }]);
        expect((rb.before_script as string[])[0]).toContain('DIGEST=sha256:<64 lowercase hex>');
      }
    });

    it('renovate.json covers the variant\'s manager, base images, CI images (also those run by docker run) and Terraform', () => {
      const renovate = JSON.parse(files.get('renovate.json')!) as { extends: string[]; minimumReleaseAge: string; packageRules: { matchManagers: string[] }[]; customManagers: { matchStrings: string[] }[] };
      expect(renovate.extends).toEqual(['config:recommended']);
      expect(renovate.minimumReleaseAge).toBe('7 days');
      expect(renovate.packageRules.map((r) => r.matchManagers)).toEqual([[ciTooling.renovateManagers[cell.variant]], ['dockerfile', 'docker-compose'], ['gitlabci', 'custom.regex'], ['terraform']]);
      const found = renovate.customManagers.flatMap((m) => m.matchStrings.flatMap((re) => [...src.matchAll(new RegExp(re, 'g'))].map((x) => `${x.groups!.depName}:${x.groups!.currentValue}`)));
      const runImages = Object.entries(doc.variables ?? {}).filter(([k]) => k.endsWith('_IMAGE')).map(([, v]) => v);
      expect(runImages.length).toBeGreaterThan(0);
      expect(found.sort()).toEqual(runImages.sort());
    });

    it('passes yamllint --strict', { skip: !hasCommand('yamllint') }, () => {
      const dir = mkdtempSync(join(tmpdir(), 'infra-kit-gl-yl-'));
      writeFileSync(join(dir, '.gitlab-ci.yml'), src);
      const res = spawnSync('yamllint', ['--strict', '-f', 'parsable', '-c', yamllintConfig, '.gitlab-ci.yml'], { cwd: dir, encoding: 'utf8' });
      expect(res.stdout).toBe('');
    });

    it('job scripts pass ShellCheck (POSIX sh)', { skip: !hasCommand('shellcheck') }, () => {
      for (const [name, j] of jobs) expect(shellcheck(jobShell(j), 'sh'), name).toBe('');
    });
  });
}

describe('the scripts that guard pushes and deploys, run with stubbed tools', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  const cell = (cloud: CloudName) => ciCells('gitlab').find((c) => c.cloud === cloud && c.name === 'shop-api')!;
  const pipeline = (cloud: CloudName) => {
    const doc = parse(renderCi(cell(cloud)).get('.gitlab-ci.yml')!);
    return { doc, jobs: gitlabJobs(doc), vars: doc.variables as Record<string, string> };
  };
  const items = (v: unknown) => v as string[];

  it.each([
    [digest, 0],
    ['', 1],
    ['latest', 1],
    [`sha256:${'a'.repeat(63)}`, 1],
    [`sha256:${'A'.repeat(64)}`, 1],
    [`sha256:${'a'.repeat(63)}\n`, 1],
    [`${digest}\n; echo pwned`, 1],
    [`sha256:${'a'.repeat(60)}$(id)`, 1],
  ])('rollback DIGEST validation: %j → exit %i', (d, status) => {
    const { jobs } = pipeline('aws');
    const res = runSh(items(jobs.get('rollback-production')!.before_script)[0]!, { DIGEST: d });
    expect(res.status).toBe(status);
    expect(res.stdout).not.toContain('pwned');
  });

  it.each([
    ['aws', { AWS_PUSH_ROLE_ARN: 'arn:aws:iam::123456789012:role/shop-api-gitlab-push', AWS_ID_TOKEN: 'jwt' }, '123456789012.dkr.ecr.eu-west-1.amazonaws.com', '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api'],
    ['gcp', { GCP_PROJECT_ID: 'acme-prod', GCP_ID_TOKEN: 'jwt' }, 'https://europe-west1-docker.pkg.dev', 'europe-west1-docker.pkg.dev/acme-prod/shop-api/shop-api'],
    ['azure', { AZURE_ID_TOKEN: 'jwt' }, 'shopapiacr.azurecr.io', 'shopapiacr.azurecr.io/shop-api'],
  ] as const)('push on %s: logs in to the contract registry, pushes, and hands IMAGE and DIGEST on', (cloud, env, registry, image) => {
    const { jobs, vars } = pipeline(cloud);
    const script = items(jobs.get('push')!.script);
    const upToDigest = script.slice(0, script.findIndex((line) => line.includes('push.env')) + 1).join('\n');
    const dir = mkdtempSync(join(tmpdir(), 'infra-kit-gl-push-'));
    const bin = stubs({
      docker: `echo "docker $*" >> "$LOG"
case "$1" in
  run) cat > "$INNER"; echo registry-password ;;
  login) echo "stdin=$(cat)" >> "$LOG" ;;
  inspect) echo "$REPO_DIGEST" ;;
esac`,
    });
    mkdirSync(join(dir, 'work'));
    const run = (repoDigest: string) =>
      runSh(`cd ${JSON.stringify(join(dir, 'work'))}\n${upToDigest}`, { ...vars, ...env, CI_COMMIT_SHA: 'c0ffee', CI_JOB_ID: '42', REPO_DIGEST: repoDigest, LOG: join(dir, 'log'), INNER: join(dir, 'inner-script') }, bin);
    const ok = run(`${image}@${digest}`);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(readFileSync(join(dir, 'work/push.env'), 'utf8')).toBe(`IMAGE=${image}\nDIGEST=${digest}\n`);
    const log = readFileSync(join(dir, 'log'), 'utf8');
    expect(log).toContain(`docker login --username `);
    expect(log).toContain(` --password-stdin ${registry}\nstdin=registry-password`);
    expect(log).toContain(`docker push ${image}:c0ffee-42`);
    // The ID token reaches the CLI container by name (--env), never on a command line.
    expect(log).not.toContain('jwt');
    expect(readFileSync(join(dir, 'inner-script'), 'utf8')).toMatch(/ID_TOKEN/);
    expect(run(`${image}@sha256:nothex`).status).not.toBe(0);
  });

  it('deploy applies the overlay with registry and digest pinned, without the Namespace, then smoke-tests', { skip: !hasCommand('kubectl') }, () => {
    const { jobs, vars } = pipeline('gcp');
    const root = mkdtempSync(join(tmpdir(), 'infra-kit-gl-deploy-'));
    const overlay = join(root, 'kubernetes/overlays/staging');
    mkdirSync(overlay, { recursive: true });
    writeFileSync(join(overlay, 'kustomization.yaml'), 'namespace: shop-api\nresources: [namespace.yaml, deployment.yaml]\nimages: [{name: shop-api, newTag: "0.1.0"}]\n');
    writeFileSync(join(overlay, 'namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: shop-api}\n');
    writeFileSync(join(overlay, 'deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop-api}\nspec:\n  template:\n    spec:\n      containers: [{name: app, image: shop-api}]\n');
    // The cell has a database: the deploy first runs the kustomize piece's migration script (migrations.test.ts tests it).
    mkdirSync(join(root, 'kubernetes/components/migrate'), { recursive: true });
    writeFileSync(join(root, 'kubernetes/components/migrate/migrate.sh'), 'echo "migrate $TARGET_ENV $IMAGE@$DIGEST" >> "$LOG"\n');
    const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
    const image = 'europe-west1-docker.pkg.dev/acme-prod/shop-api/shop-api';
    const bin = (healthy: boolean) => stubs({
      kubectl: `case "$1" in apply) exec ${kubectl} kustomize "$3" ;; get) echo "get $*" >> "$LOG"; ${healthy ? 'exit 0' : 'exit 1'} ;; esac`,
      sleep: 'exit 0',
    });
    const env = { APP_NAME: vars.APP_NAME!, HEALTH_PATH: vars.HEALTH_PATH!, TARGET_ENV: 'staging', IMAGE: image, DIGEST: digest, CI_PROJECT_DIR: root, LOG: join(root, 'log') };
    const script = items(jobs.get('deploy-staging')!.script).join('\n');
    const res = runSh(script, env, bin(true));
    expect(res.stderr).toBe('');
    expect(res.stdout).toContain(`image: ${image}@${digest}`);
    expect(res.stdout).not.toContain('kind: Namespace');
    expect(readFileSync(join(root, 'log'), 'utf8')).toBe(`migrate staging ${image}@${digest}\nget get --raw /api/v1/namespaces/shop-api/services/shop-api:80/proxy/healthz\n`);
    expect(runSh(script, env, bin(false)).status).toBe(1);
  });
});
