/**
 * Database migrations and backups (issue 11): the stack's tool as catalog data, one strictly validated answer
 * (--migrate-command), a Kubernetes Job that runs before the new version in both CI providers, a compose
 * `migrate` service the app waits for, a CI step before the tests, backups on the managed databases, and the
 * runbook's restore drill walked through on a real PostgreSQL (Debian's `postgresql`).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { questions, type Answers } from '../src/answers/schema.js';
import { clouds, stacks, type CloudId, type StackId } from '../src/catalog/index.js';
import { resolveVariant } from '../src/catalog/stacks.js';
import { checkKubernetes, schemaProblems, type Obj } from '../src/check/kubernetes.js';
import { parseTree, resolve } from '../src/check/terraform-hcl.js';
import { answersWith, renderToDir, renderToMemory, tempDir } from './helpers/render.js';
import { dockerComposeConfig, hasCommand, parseYamlDocs, validateComposeSchema } from './helpers/validators.js';

const STACKS = Object.keys(stacks) as StackId[];
const CLOUDS = Object.keys(clouds) as CloudId[];
const parse = (raw: unknown) => questions.migrateCommand.parse(raw);
const DIGEST = `sha256:${'c'.repeat(64)}`;

describe('the migration command: catalog default per stack, one strictly validated answer', () => {
  const tools: Record<StackId, RegExp> = { node: /node-pg-migrate/, python: /alembic/i, go: /golang-migrate/, java: /flyway/i, rust: /sqlx/, dotnet: /EF Core/ };

  it.each(STACKS)('%s: the usual tool is the default, and the default is a valid answer', (stack) => {
    const m = stacks[stack].migration;
    expect(m.tool).toMatch(tools[stack]);
    expect(answersWith({ stack }).migrateCommand).toBe(m.command);
    expect(parse(m.command)).toEqual({ ok: true, value: m.command });
    expect(m.historyTable).toMatch(/^[A-Za-z_]+$/);
  });

  it.each([
    ['  alembic   upgrade  head ', 'alembic upgrade head'],
    ['node_modules/.bin/prisma migrate deploy', 'node_modules/.bin/prisma migrate deploy'],
    ['java -jar application.jar --spring.flyway.enabled=true', 'java -jar application.jar --spring.flyway.enabled=true'],
  ])('accepts %j as %j', (raw, value) => expect(parse(raw)).toEqual({ ok: true, value }));

  it.each([
    'alembic upgrade head; rm -rf /', 'migrate $(id)', 'a`id`', 'a && b', 'a | b', "a 'b'", 'a "b"', 'a\nb', 'echo ${HOME}',
    'migrate -database postgres://app:hunter2@db/app up', 'flyway -password=hunter2 migrate', 'flyway -url=jdbc:postgresql://db/app',
    'PGPASSWORD=x alembic upgrade head', '--help', 'tool --token abc', 'tool --api-key=abc', 'tool secret', 'a'.repeat(201), '', 42,
  ])('rejects %j', (raw) => expect(parse(raw).ok).toBe(false));

  it('whatever it accepts is a plain argv: conservative characters, no credential word, the same words in YAML and shell', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab/._=- $;:@\'"`\\\nPASSWORDtoken'.split('')), maxLength: 40 }), (raw) => {
        const parsed = parse(raw);
        if (!parsed.ok) return;
        expect(parsed.value).toMatch(/^[A-Za-z0-9._/=-]+( [A-Za-z0-9._/=-]+)*$/);
        expect(parsed.value).not.toMatch(/pass|secret|token/i);
      }),
      { numRuns: 3000 },
    );
  });

  it.each(['node_modules/.bin/knex migrate.latest', 'bin/rails db:migrate'.replace(':', '-'), './manage.py migrate --noinput'])('%j reaches the Job, compose and CI as exactly its words', (command) => {
    const files = renderToMemory({ database: 'postgres', migrateCommand: command }, ['kustomize', 'compose', 'ci']);
    const words = command.split(' ');
    expect(YAML.parse(files.get('kubernetes/components/migrate/job.yaml')!).spec.template.spec.containers[0].command).toEqual(words);
    expect(YAML.parse(files.get('docker-compose.yml')!).services.migrate.entrypoint).toEqual(words);
    const test = YAML.parse(files.get('.github/workflows/ci.yml')!).jobs.test.steps.find((s: Obj) => s.name === 'Apply the database migrations');
    expect(test.run).toBe(command);
  });
});

// ---------- Kubernetes: the Job, run by migrate.sh before the overlay ----------

/** A bin dir with a kubectl that logs its calls and prints the build for `apply -k`; the Job ends as $JOB_STATE. */
function stubKubectl(dir: string): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const real = spawnSync('sh', ['-c', 'command -v kubectl'], { encoding: 'utf8' }).stdout.trim();
  writeFileSync(join(bin, 'kubectl'), `#!/bin/sh
printf '%s\\n' "kubectl $*" >> "$LOG"
case "$1" in
  apply) ${real} kustomize "$3" | tee -a "$APPLIED" ;;
  get) echo "\${JOB_STATE:-Complete}" ;;
esac
`);
  chmodSync(join(bin, 'kubectl'), 0o755);
  return bin;
}

const kinds = (yaml: string): string[] => (parseYamlDocs(yaml) as Obj[]).filter(Boolean).map((o) => `${o.kind}/${o.metadata.name}`);

describe.skipIf(!hasCommand('kubectl')).each(CLOUDS)('the migration Job (%s)', (cloud) => {
  const N = 'shop-api';
  const { dir, files } = renderToDir({ cloud, database: 'postgres', name: N, stack: 'python', variant: 'poetry' });
  const bin = stubKubectl(dir);
  const image = 'registry.example/team/shop-api';
  const env = (extra: Record<string, string> = {}) => ({
    PATH: `${bin}:${process.env.PATH}`, TARGET_ENV: 'production', IMAGE: image, DIGEST, APP_IDENTITY: 'identity-from-terraform', APP_PROJECT: 'acme-prod',
    APP_TENANT: '99999999-8888-7777-6666-555555555555', LOG: join(dir, 'log'), APPLIED: join(dir, 'applied'), ...extra,
  });
  const run = (extra: Record<string, string> = {}) => {
    writeFileSync(join(dir, 'log'), '');
    writeFileSync(join(dir, 'applied'), '');
    return spawnSync('sh', ['kubernetes/components/migrate/migrate.sh'], { cwd: dir, encoding: 'utf8', env: env(extra) });
  };

  it('migrate.sh deletes the old Job, applies the overlay without its Deployment plus the Job at the digest, then waits for it', () => {
    const res = run();
    expect(res.status, res.stderr).toBe(0);
    const log = readFileSync(join(dir, 'log'), 'utf8').trim().split('\n').map((l) => l.split(' ').slice(0, 3).join(' '));
    expect(log).toEqual(['kubectl delete job/shop-api-migrate', 'kubectl apply -k', 'kubectl get job/shop-api-migrate', 'kubectl logs job/shop-api-migrate']);
    const objects = parseYamlDocs(readFileSync(join(dir, 'applied'), 'utf8')) as Obj[];
    const names = objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(names).toEqual(expect.arrayContaining([`Job/${N}-migrate`, `ServiceAccount/${N}`, expect.stringMatching(new RegExp(`^ConfigMap/${N}-config-[a-z0-9]{10}$`)), `SecretStore/${N}`, `ExternalSecret/${N}-database`]));
    expect(names.filter((n) => /^(Deployment|Namespace)\//.test(n))).toEqual([]);
    const job = objects.find((o) => o.kind === 'Job')!;
    const pod = job.spec.template;
    const c = pod.spec.containers[0];
    expect(c.image).toBe(`${image}@${DIGEST}`);
    expect(c.command).toEqual(answersWith({ stack: 'python' }).migrateCommand.split(' '));
    expect(c.env).toEqual([{ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: `${N}-database`, key: 'url' } } }]);
    expect(pod.spec.serviceAccountName).toBe(N);
    expect(objects.find((o) => o.kind === 'ServiceAccount')!.metadata.annotations[clouds[cloud].workloadIdentityAnnotation]).toBe('identity-from-terraform');
    // Nothing routes traffic to it or counts it as the app.
    for (const o of objects.filter((x) => ['Service', 'PodDisruptionBudget', 'NetworkPolicy'].includes(x.kind))) {
      const sel = o.spec.selector?.matchLabels ?? o.spec.podSelector?.matchLabels ?? o.spec.selector;
      expect(Object.entries(sel).every(([k, v]) => pod.metadata.labels[k] === v), o.kind).toBe(false);
    }
    // K12 aside: the deploy leaves the Namespace out on purpose (the overlay, which declares it, is checked elsewhere).
    expect(checkKubernetes(objects, { production: true }).filter((p) => p.message.startsWith('Job/') && p.rule !== 'K12')).toEqual([]);
    expect(schemaProblems(job)).toEqual({ errors: [], unknown: [] });
    expect(job.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 600 });
    expect(files.get('kubernetes/components/migrate/job.yaml')).toMatch(/A Job rather than an init container/);
  });

  it('a failed Job fails the step (the deploy stops), and bad inputs never reach kubectl', () => {
    const failed = run({ JOB_STATE: 'FailureTarget Failed' });
    expect(failed.status).toBe(1);
    expect(failed.stderr).toContain('do not deploy this version');
    for (const bad of [{ DIGEST: 'latest' }, { TARGET_ENV: 'dev' }, { IMAGE: 'x"; evil: "y' }, { APP_IDENTITY: 'a"b' }]) {
      expect(run(bad).status, JSON.stringify(bad)).toBe(2);
      expect(readFileSync(join(dir, 'log'), 'utf8')).toBe('');
    }
  });

  it('ShellCheck finds nothing in migrate.sh', { skip: !hasCommand('shellcheck') }, () => {
    const res = spawnSync('shellcheck', ['-s', 'sh', 'kubernetes/components/migrate/migrate.sh'], { cwd: dir, encoding: 'utf8' });
    expect(res.stdout).toBe('');
  });
});

describe.skipIf(!hasCommand('kubectl'))('CI runs the Job before the new version (GitHub and GitLab), and migrates the test database', () => {
  const N = 'shop-api';
  it.each(CLOUDS)('GitHub (%s): each deploy job runs Migrate, then Deploy; applied in that order; rollback never migrates', (cloud) => {
    const { dir, files } = renderToDir({ cloud, database: 'postgres', name: N });
    const wf = YAML.parse(files.get('.github/workflows/ci.yml')!) as { env: Record<string, string>; jobs: Record<string, { env: Record<string, string>; steps: Obj[] }> };
    for (const id of ['deploy-staging', 'deploy-production']) {
      const names = wf.jobs[id]!.steps.map((s) => s.name);
      expect(names.indexOf('App identity'), id).toBeLessThan(names.indexOf('Migrate the database'));
      expect(names.indexOf('Migrate the database'), id).toBeGreaterThan(-1);
      expect(names.indexOf('Migrate the database'), id).toBeLessThan(names.indexOf('Deploy'));
    }
    const rollback = YAML.parse(files.get('.github/workflows/rollback.yml')!) as { jobs: Record<string, { steps: Obj[] }> };
    expect(JSON.stringify(rollback)).not.toContain('migrate.sh');
    // Run the two steps as the runner would: the first apply holds the Job and no Deployment, the second the reverse.
    const bin = stubKubectl(dir);
    const applied = join(dir, 'applied');
    writeFileSync(applied, '');
    const job = wf.jobs['deploy-staging']!;
    const base = { PATH: `${bin}:${process.env.PATH}`, ...wf.env, ...job.env, IMAGE: 'registry.example/shop-api', DIGEST, APP_IDENTITY: 'id', APP_PROJECT: 'acme-stg', APP_TENANT: '99999999-8888-7777-6666-555555555555', LOG: join(dir, 'log'), APPLIED: applied, RUNNER_TEMP: tempDir(), GITHUB_WORKSPACE: dir, GITHUB_STEP_SUMMARY: join(dir, 'summary') };
    const batches: string[][] = [];
    for (const name of ['Migrate the database', 'Deploy']) {
      writeFileSync(applied, '');
      const res = spawnSync('bash', ['-eo', 'pipefail', '-c', job.steps.find((s) => s.name === name)!.run], { cwd: dir, env: base, encoding: 'utf8' });
      expect(res.status, `${name}: ${res.stderr}`).toBe(0);
      batches.push(kinds(readFileSync(applied, 'utf8')));
    }
    expect(batches[0]).toContain(`Job/${N}-migrate`);
    expect(batches[0]!.some((k) => k.startsWith('Deployment/'))).toBe(false);
    expect(batches[1]).toContain(`Deployment/${N}`);
    expect(batches[1]!.some((k) => k.startsWith('Job/'))).toBe(false);
  });

  it.each(CLOUDS)('GitLab (%s): .deploy runs migrate.sh before applying the overlay; rollbacks do not', (cloud) => {
    const doc = YAML.parse(renderToMemory({ cloud, ci: 'gitlab', database: 'postgres', name: N }, ['ci']).get('.gitlab-ci.yml')!) as Record<string, Obj>;
    const script: string[] = doc['.deploy']!.script;
    const migrate = script.findIndex((l) => l.includes('kubernetes/components/migrate/migrate.sh'));
    const apply = script.findIndex((l) => l.includes('kubectl apply -k'));
    expect(migrate).toBeGreaterThan(-1);
    expect(migrate).toBeLessThan(apply);
    expect(JSON.stringify(doc['.rollback']!.script)).not.toContain('migrate.sh');
    for (const env of ['staging', 'production']) expect(doc[`deploy-${env}`]!.extends).toBe('.deploy');
    expect(doc['rollback-staging']!.extends).toBe('.rollback');
  });

  it.each(STACKS)('the test job (%s) migrates the service database from the checkout before the tests, on both providers', (stack) => {
    const answers = answersWith({ stack, database: 'postgres' });
    const variant = resolveVariant(stacks[stack], stacks[stack].variants[answers.variant]!);
    const expected = stacks[stack].migration.fromCheckout(answers.migrateCommand.split(' '), variant);
    const files = renderToMemory({ stack, database: 'postgres' }, ['ci']);
    const steps: Obj[] = YAML.parse(files.get('.github/workflows/ci.yml')!).jobs.test.steps;
    const migrate = steps.findIndex((s) => s.name === 'Apply the database migrations');
    expect(migrate).toBeGreaterThan(-1);
    expect(migrate).toBeLessThan(steps.findIndex((s) => s.run === variant.ci.test));
    // The same words in sh: quoting makes them exactly the catalog's argv.
    const words = spawnSync('sh', ['-c', `set -- ${steps[migrate]!.run}; printf '%s\\n' "$@"`], { encoding: 'utf8' }).stdout.trim().split('\n');
    expect(words).toEqual(expected);
    const gitlab = YAML.parse(renderToMemory({ stack, database: 'postgres', ci: 'gitlab' }, ['ci']).get('.gitlab-ci.yml')!).test.script as string[];
    expect(gitlab).toEqual([steps[migrate]!.run, variant.ci.test]);
    expect(YAML.parse(renderToMemory({ stack }, ['ci']).get('.github/workflows/ci.yml')!).jobs.test.steps.some((s: Obj) => s.name === 'Apply the database migrations')).toBe(false);
  });
});

// ---------- compose ----------

describe('compose: migrate runs after the database is healthy, the app after migrate succeeded', () => {
  const { dir, files } = renderToDir({ database: 'postgres', name: 'shop-api', stack: 'go' }, ['compose']);
  const compose = YAML.parse(files.get('docker-compose.yml')!) as { services: Record<string, Obj> };
  const { app, migrate } = compose.services;

  it('the order, the command, the same image build and the same hardening as the app', () => {
    expect(migrate!.depends_on).toEqual({ db: { condition: 'service_healthy' } });
    expect(app!.depends_on).toEqual({ db: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
    expect(migrate!.build).toEqual(app!.build);
    expect(migrate!.entrypoint).toEqual(stacks.go.migration.command.split(' '));
    expect(migrate!.environment.DATABASE_URL).toBe(app!.environment.DATABASE_URL);
    expect(migrate).toMatchObject({ read_only: true, cap_drop: ['ALL'], security_opt: ['no-new-privileges:true'], user: app!.user, restart: 'no' });
    expect(validateComposeSchema(compose)).toEqual([]);
  });

  it('docker-compose 1.29 accepts service_completed_successfully (and rejects a condition it does not know)', { skip: !hasCommand('docker-compose') }, () => {
    writeFileSync(join(dir, '.env'), 'POSTGRES_USER=app\nPOSTGRES_PASSWORD=local-only\nPOSTGRES_DB=app\n');
    expect(dockerComposeConfig(dir)).toBe('');
    writeFileSync(join(dir, 'docker-compose.yml'), files.get('docker-compose.yml')!.replace('service_completed_successfully', 'service_finished'));
    expect(dockerComposeConfig(dir)).toMatch(/service_finished|condition/);
  });
});

// ---------- backups: automated on the managed database, longer in production ----------

describe.each(CLOUDS)('backups on the managed database (%s)', (cloud) => {
  it('are on in the module, with the retention each environment sets (production keeps more)', async () => {
    const dirs = await parseTree(renderToMemory({ cloud, database: 'postgres' }, ['terraform']));
    const days = (env: string) => {
      const root = dirs.get(`terraform/environments/${env}`)!;
      return resolve(root, root.modules.database!.backup_retention_days);
    };
    expect([days('staging'), days('production')]).toEqual([7, 30]);
    const mod = JSON.stringify(dirs.get('terraform/modules/database')!.resources);
    const on = { aws: '"backup_retention_period":"${var.backup_retention_days}"', gcp: '"retained_backups":"${var.backup_retention_days}"', azure: '"backup_retention_days":"${var.backup_retention_days}"' }[cloud];
    expect(mod).toContain(on);
    if (cloud === 'gcp') expect(mod).toContain('"point_in_time_recovery_enabled":true');
    // Turning backups off (0 days) is rejected by the variable's validation.
    expect(JSON.stringify(dirs.get('terraform/modules/database')!.variables.backup_retention_days)).toMatch(/var\.backup_retention_days >= [17] &&/);
  });
});

// ---------- the runbook's restore drill on a real PostgreSQL ----------

const pgBin = ['/usr/lib/postgresql'].filter(existsSync).flatMap((d) => readdirSync(d).sort().reverse().map((v) => join(d, v, 'bin'))).find((b) => existsSync(join(b, 'initdb')));

const freePort = () => new Promise<number>((ok) => { const s = createServer().listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => ok(port)); }); });

describe.skipIf(!pgBin)('the runbook restore drill, walked through on a real PostgreSQL', () => {
  it.each(['node', 'dotnet'] as const)('%s: dump, drop, restore and the documented row check, exactly as docs/runbook.md says', async (stack) => {
    const runbook = renderToMemory({ stack, database: 'postgres', name: 'shop-api' }, ['docs']).get('docs/runbook.md')!;
    const section = runbook.slice(runbook.indexOf('### Restore drill on the local database'));
    const block = /```sh\n([\s\S]*?)```/.exec(section)![1]!;
    // Only the transport changes: `docker compose exec -T db` runs the same words inside the db container.
    const lines = block.trim().split('\n').map((l) => (l.startsWith('docker compose exec -T db ') ? l.slice('docker compose exec -T db '.length) : /^docker compose (stop|start) app$/.test(l) ? ':' : `UNEXPECTED ${l}`));
    expect(lines.filter((l) => l.startsWith('UNEXPECTED'))).toEqual([]);
    expect(lines.join('\n')).toMatch(/pg_dump[\s\S]*dropdb[\s\S]*pg_restore[\s\S]*SELECT count/);

    const data = join(tempDir(), 'pg');
    const port = await freePort();
    const asOwner = (cmd: string[]) => (process.getuid?.() === 0 ? spawnSync('runuser', ['-u', 'postgres', '--', ...cmd], { encoding: 'utf8' }) : spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' }));
    mkdirSync(data);
    if (process.getuid?.() === 0) spawnSync('chown', ['-R', 'postgres:postgres', join(data, '..')]);
    expect(asOwner([join(pgBin!, 'initdb'), '-D', data, '-U', 'app_admin', '--auth=trust', '--no-sync']).status).toBe(0);
    const start = asOwner([join(pgBin!, 'pg_ctl'), '-D', data, '-l', join(data, 'log'), '-w', '-o', `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${data}`, 'start']);
    expect(start.status, start.stderr).toBe(0);
    try {
      const env = { ...process.env, PATH: `${pgBin}:${process.env.PATH}`, PGHOST: '127.0.0.1', PGPORT: String(port), POSTGRES_USER: 'app_admin', POSTGRES_DB: 'shop_api' };
      const psql = (db: string, sql: string) => spawnSync('psql', ['-v', 'ON_ERROR_STOP=1', '-U', 'app_admin', '-d', db, '-tAc', sql], { env, encoding: 'utf8' });
      expect(psql('postgres', 'CREATE DATABASE shop_api').status).toBe(0);
      const table = `"${stacks[stack].migration.historyTable}"`;
      const seed = psql('shop_api', `CREATE TABLE ${table} (id int); INSERT INTO ${table} VALUES (1), (2), (3); CREATE TABLE orders (ref text); INSERT INTO orders VALUES ('order-42')`);
      expect(seed.status, seed.stderr).toBe(0);
      const work = tempDir();
      const drill = spawnSync('bash', ['-e', '-c', lines.join('\n')], { cwd: work, env, encoding: 'utf8' });
      expect(drill.status, drill.stderr).toBe(0);
      // The documented check printed the same count before the drop and after the restore.
      expect(drill.stdout.trim().split('\n')).toEqual(['3', '3']);
      expect(psql('shop_api', 'SELECT ref FROM orders').stdout.trim()).toBe('order-42');
      expect(existsSync(join(work, 'local.dump'))).toBe(true);
    } finally {
      asOwner([join(pgBin!, 'pg_ctl'), '-D', data, '-m', 'fast', '-w', 'stop']);
    }
  });
});
