import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './helpers/cli.js';
import { tempDir } from './helpers/render.js';

/** Paths the foundation issue makes part of the contract for node · aws · kubernetes · github. */
const CONTRACT_FILES = [
  'Dockerfile',
  '.dockerignore',
  'docker-compose.yml',
  '.env.example',
  '.github/workflows/ci.yml',
  'kubernetes/base/kustomization.yaml',
  'kubernetes/base/deployment.yaml',
  'kubernetes/base/service.yaml',
  'kubernetes/base/serviceaccount.yaml',
  'kubernetes/base/hpa.yaml',
  'kubernetes/base/pdb.yaml',
  'kubernetes/base/networkpolicy.yaml',
  'kubernetes/base/configmap.yaml',
  'kubernetes/overlays/staging/kustomization.yaml',
  'kubernetes/overlays/production/kustomization.yaml',
  'terraform/environments/staging/backend.tf',
  'terraform/environments/production/backend.tf',
  'docs/runbook.md',
  'docs/postmortem-template.md',
  '.yo-rc.json',
];

describe('create-infra-kit, the built bin', () => {
  let root: string;
  let first: Awaited<ReturnType<typeof runCli>>;
  beforeAll(async () => {
    root = tempDir();
    first = await runCli(['demo', '--yes', '--name', 'shop-api', '--database', 'postgres', '--port', '8080'], { cwd: root });
  });

  it('renders the full kit into a new dir with flags only', () => {
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    const tree = snapshotTree(join(root, 'demo'));
    for (const file of CONTRACT_FILES) expect(Object.keys(tree), file).toContain(file);
    expect(first.stdout).toMatch(/done: \d+ create/);
    expect(first.stdout).toContain('Next steps:');
  });

  it('stores the infra-kit version and the answers in .yo-rc.json', () => {
    const rc = JSON.parse(readFileSync(join(root, 'demo', '.yo-rc.json'), 'utf8'));
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(rc['create-infra-kit'].version).toBe(pkg.version);
    expect(rc['create-infra-kit'].answers).toMatchObject({ name: 'shop-api', database: 'postgres', port: 8080, cloud: 'aws' });
  });

  it('a second identical run changes nothing and says so', async () => {
    const before = snapshotTree(join(root, 'demo'));
    const again = await runCli(['demo', '--yes', '--name', 'shop-api', '--database', 'postgres', '--port', '8080'], { cwd: root });
    expect(again.exitCode).toBe(0);
    expect(again.stdout).toMatch(/^nothing to do: \d+ unchanged$/m);
    expect(snapshotTree(join(root, 'demo'))).toEqual(before);
  });

  it('reuses the stored answers when run again without flags', async () => {
    const before = snapshotTree(join(root, 'demo'));
    const again = await runCli(['demo'], { cwd: root });
    expect(again.exitCode).toBe(0);
    expect(snapshotTree(join(root, 'demo'))).toEqual(before);
  });
});

describe('bad input: exit 2, one line, nothing written', () => {
  const cases: [string[], RegExp][] = [
    [['--name', 'Bad Name'], /--name 'Bad Name' must be/],
    [['--port', '99999'], /--port '99999' must be an integer from 1024 to 65535/],
    [['--cloud', 'nope'], /--cloud 'nope' must be one of: aws/],
    [['--health-path', 'no-slash'], /--health-path 'no-slash' must be a URL path/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--answers', 'missing.yml'], /--answers 'missing.yml' does not exist/],
    [['a', 'b'], /expected at most one target directory/],
  ];
  for (const [args, message] of cases) {
    it(`${args.join(' ')}`, async () => {
      const cwd = tempDir();
      const res = await runCli(['target', '--yes', ...args], { cwd });
      expect(res.exitCode).toBe(2);
      expect(res.stderr).toMatch(message);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expect(res.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(join(cwd, 'target'))).toBe(false);
      expect(existsSync(join(cwd, 'a'))).toBe(false);
    });
  }

  it('leaves an existing repo exactly as it was', async () => {
    const repo = tempDir();
    writeFileSync(join(repo, 'package.json'), '{"name":"svc"}\n');
    const before = snapshotTree(repo);
    const res = await runCli(['.', '--yes', '--port', '22'], { cwd: repo });
    expect(res.exitCode).toBe(2);
    expect(snapshotTree(repo)).toEqual(before);
  });

  it('rejects a bad value in an answers file, naming the file and key', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'answers.yml'), 'name: ok-name\nport: "http"\n');
    const res = await runCli(['out', '--answers', 'answers.yml'], { cwd });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/answers.yml: port 'http' must be an integer/);
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  });

  it('without a TTY, a question with no default is an error naming the flag (never a hang)', async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, '1234'));
    const res = await runCli(['1234'], { cwd });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/pass --name <app>/);
  });
});

describe('flags and modes', () => {
  it('--answers reads a YAML file; flags override it', async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, 'answers.yml'), 'name: from-file\nport: 4000\ndatabase: postgres\n');
    const res = await runCli(['out', '--answers', 'answers.yml', '--port', '5000', '--json'], { cwd });
    expect(res.exitCode).toBe(0);
    const summary = JSON.parse(res.stdout);
    expect(summary.answers).toMatchObject({ name: 'from-file', port: 5000, database: 'postgres' });
    expect(summary.files.some((f: { path: string }) => f.path === 'Dockerfile')).toBe(true);
  });

  it('--dry-run lists what would be written and writes nothing', async () => {
    const cwd = tempDir();
    const res = await runCli(['out', '--yes', '--dry-run'], { cwd });
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/^\+ create\s+docker\s+.*Dockerfile/m);
    expect(res.stdout).toMatch(/dry run, nothing written: would \d+ create/);
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  });

  it('a hand-written file is a conflict: left alone, exit 1; --force overwrites', async () => {
    const repo = tempDir();
    writeFileSync(join(repo, 'Dockerfile'), 'FROM scratch\n');
    const res = await runCli(['.', '--yes', '--name', 'svc'], { cwd: repo });
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/! conflict\s+Dockerfile\s+\(exists and was not written by infra-kit/);
    expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
    const forced = await runCli(['.', '--yes', '--name', 'svc', '--force'], { cwd: repo });
    expect(forced.exitCode).toBe(0);
    expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).toContain('AS build');
  });

  it('a piece renders only its own files and stores only its own answers', async () => {
    const repo = tempDir();
    const res = await runCli(['docker', '.', '--yes', '--name', 'svc'], { cwd: repo });
    expect(res.exitCode).toBe(0);
    const files = Object.keys(snapshotTree(repo)).filter((f) => !f.startsWith('.infra-kit/'));
    expect(files.sort()).toEqual(['.dockerignore', '.yo-rc.json', 'Dockerfile']);
    const rc = JSON.parse(readFileSync(join(repo, '.yo-rc.json'), 'utf8'));
    expect(Object.keys(rc['create-infra-kit'].answers).sort()).toEqual(['healthPath', 'languageVersion', 'name', 'port', 'stack', 'variant']);
  });

  it('--version and --help', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect((await runCli(['--version'])).stdout).toBe(pkg.version);
    const help = await runCli(['--help']);
    expect(help.exitCode).toBe(0);
    for (const flag of ['--name', '--stack', '--cloud', '--orchestrator', '--ci', '--database', '--port', '--health-path', '--yes', '--answers', '--force', '--dry-run']) {
      expect(help.stdout).toContain(flag);
    }
    const piece = await runCli(['kustomize', '--help']);
    expect(piece.stdout).toMatch(/^Usage: infra-kit kustomize/);
  });

  it('infra-kit answers prints the stored answers as YAML, reusable with --answers', async () => {
    const cwd = tempDir();
    await runCli(['one', '--yes', '--name', 'alpha', '--port', '4321'], { cwd });
    const printed = await runCli(['answers', 'one'], { cwd });
    expect(printed.exitCode).toBe(0);
    writeFileSync(join(cwd, 'answers.yml'), printed.stdout);
    await runCli(['two', '--answers', 'answers.yml'], { cwd });
    const strip = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([k]) => k !== '.yo-rc.json'));
    expect(strip(snapshotTree(join(cwd, 'two')))).toEqual(strip(snapshotTree(join(cwd, 'one'))));
  });
});
