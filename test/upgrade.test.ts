import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { sha256 } from '../src/merge/manifest.js';
import { BIN, runCli, snapshotTree } from './helpers/cli.js';
import { tempDir } from './helpers/render.js';

const read = (root: string, path: string) => readFileSync(join(root, path), 'utf8');
const write = (root: string, path: string, content: string) => writeFileSync(join(root, path), content);

/** Pretend an older infra-kit rendered `path` as `old`: the file, its base and its hash all say so. */
function simulateOldRender(root: string, path: string, old: string, opts: { onDisk?: string } = {}): void {
  write(root, path, opts.onDisk ?? old);
  const bases = JSON.parse(read(root, '.infra-kit/base.json'));
  bases[path] = old;
  write(root, '.infra-kit/base.json', JSON.stringify(bases, null, 2));
  const manifest = JSON.parse(read(root, '.infra-kit/manifest.json'));
  manifest.files[path] = sha256(old);
  write(root, '.infra-kit/manifest.json', JSON.stringify(manifest, null, 2));
}

const KIT = ['.', '--yes', '--name', 'shop-api', '--database', 'postgres'];

describe('infra-kit upgrade', () => {
  let root: string;
  beforeEach(async () => {
    root = tempDir();
    const res = await runCli(KIT, { cwd: root });
    expect(res.exitCode).toBe(0);
  });

  it('updates a file the user never touched', async () => {
    const current = read(root, 'Dockerfile');
    simulateOldRender(root, 'Dockerfile', current.replace('npm prune', 'npm prune --old-flag'));
    const res = await runCli(['upgrade'], { cwd: root });
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/~ update\s+Dockerfile/);
    expect(read(root, 'Dockerfile')).toBe(current);
  });

  it('keeps a user edit when the template did not change it', async () => {
    const edited = `${read(root, 'docker-compose.yml')}# my local tweak\n`;
    write(root, 'docker-compose.yml', edited);
    const res = await runCli(['upgrade'], { cwd: root });
    expect(res.exitCode).toBe(0);
    expect(read(root, 'docker-compose.yml')).toBe(edited);
  });

  it('merges cleanly when both changed different places', async () => {
    const current = read(root, 'Dockerfile');
    const old = current.replace('EXPOSE 3000', 'EXPOSE 3000\n# old template line');
    const ours = old.replace('# syntax=docker/dockerfile:1', '# syntax=docker/dockerfile:1\n# owned by team-payments');
    simulateOldRender(root, 'Dockerfile', old, { onDisk: ours });
    const res = await runCli(['upgrade'], { cwd: root });
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/~ merge\s+Dockerfile/);
    const merged = read(root, 'Dockerfile');
    expect(merged).toContain('# owned by team-payments');
    expect(merged).not.toContain('# old template line');
    expect(merged).toBe(current.replace('# syntax=docker/dockerfile:1', '# syntax=docker/dockerfile:1\n# owned by team-payments'));
  });

  it('writes conflict markers and exits 1 when both changed the same lines; the user text stays', async () => {
    const current = read(root, 'Dockerfile');
    const old = current.replace('EXPOSE 3000', 'EXPOSE 3001');
    simulateOldRender(root, 'Dockerfile', old, { onDisk: old.replace('EXPOSE 3001', 'EXPOSE 4000') });
    const res = await runCli(['upgrade'], { cwd: root });
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/! conflict\s+Dockerfile/);
    const text = read(root, 'Dockerfile');
    expect(text).toMatch(/<<<<<<< yours\nEXPOSE 4000\n=======\nEXPOSE 3000\n>>>>>>> infra-kit /);
    // A rerun does not merge on top of unresolved markers.
    const again = await runCli(['upgrade'], { cwd: root });
    expect(again.exitCode).toBe(1);
    expect(read(root, 'Dockerfile')).toBe(text);
    // Once resolved, the next upgrade keeps the resolution.
    write(root, 'Dockerfile', current.replace('EXPOSE 3000', 'EXPOSE 4000'));
    const resolved = await runCli(['upgrade'], { cwd: root });
    expect(resolved.exitCode).toBe(0);
    expect(read(root, 'Dockerfile')).toContain('EXPOSE 4000');
  });

  it('--conflict rej keeps the user file and writes the hunks to <file>.rej', async () => {
    const current = read(root, 'Dockerfile');
    const old = current.replace('EXPOSE 3000', 'EXPOSE 3001');
    const ours = old.replace('EXPOSE 3001', 'EXPOSE 4000');
    simulateOldRender(root, 'Dockerfile', old, { onDisk: ours });
    const res = await runCli(['upgrade', '--conflict', 'rej'], { cwd: root });
    expect(res.exitCode).toBe(1);
    expect(read(root, 'Dockerfile')).toBe(ours);
    const rej = read(root, 'Dockerfile.rej');
    expect(rej).toContain('-EXPOSE 3001');
    expect(rej).toContain('+EXPOSE 3000');
  });

  it('a deleted file stays deleted; --restore brings it back', async () => {
    const original = read(root, '.dockerignore');
    rmSync(join(root, '.dockerignore'));
    const res = await runCli(['upgrade'], { cwd: root });
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/- kept deleted\s+\.dockerignore/);
    expect(existsSync(join(root, '.dockerignore'))).toBe(false);
    await runCli(['upgrade', '--restore'], { cwd: root });
    expect(read(root, '.dockerignore')).toBe(original);
  });

  it('a file the new version no longer renders is removed if untouched, kept if edited', async () => {
    simulateOldRender(root, 'kubernetes/base/legacy.yaml', 'kind: Legacy\n');
    simulateOldRender(root, 'kubernetes/base/legacy-edited.yaml', 'kind: Legacy\n', { onDisk: 'kind: Legacy\n# mine\n' });
    const res = await runCli(['upgrade'], { cwd: root });
    expect(res.exitCode).toBe(0);
    expect(existsSync(join(root, 'kubernetes/base/legacy.yaml'))).toBe(false);
    expect(read(root, 'kubernetes/base/legacy-edited.yaml')).toBe('kind: Legacy\n# mine\n');
    expect(res.stdout).toMatch(/\? orphaned\s+kubernetes\/base\/legacy-edited\.yaml/);
    const manifest = JSON.parse(read(root, '.infra-kit/manifest.json'));
    expect(Object.keys(manifest.files)).not.toContain('kubernetes/base/legacy.yaml');
    expect(Object.keys(manifest.files)).not.toContain('kubernetes/base/legacy-edited.yaml');
  });

  it('an answer change (--port) reaches Dockerfile, compose, Kubernetes and CI in one upgrade; an edited comment survives', async () => {
    const dockerfile = read(root, 'Dockerfile').replace('# syntax=docker/dockerfile:1', '# syntax=docker/dockerfile:1\n# reviewed by sec-team');
    write(root, 'Dockerfile', dockerfile);
    const res = await runCli(['upgrade', '--port', '9090'], { cwd: root });
    expect(res.stderr).toBe('');
    expect(res.exitCode).toBe(0);
    expect(read(root, 'Dockerfile')).toContain('# reviewed by sec-team');
    expect(read(root, 'Dockerfile')).toContain('EXPOSE 9090');
    expect(read(root, 'docker-compose.yml')).toContain('127.0.0.1:9090:9090');
    expect(read(root, 'kubernetes/base/deployment.yaml')).toContain('containerPort: 9090');
    expect(read(root, 'kubernetes/base/configmap.yaml')).toContain('9090');
    expect(JSON.parse(read(root, '.yo-rc.json'))['create-infra-kit'].answers.port).toBe(9090);
  });

  it('--dry-run prints a unified diff and writes nothing; --check exits 1 on drift and 0 when current', async () => {
    const before = snapshotTree(root);
    const dry = await runCli(['upgrade', '--port', '9090', '--dry-run'], { cwd: root });
    expect(dry.exitCode).toBe(0);
    expect(dry.stdout).toContain('-EXPOSE 3000');
    expect(dry.stdout).toContain('+EXPOSE 9090');
    expect(snapshotTree(root)).toEqual(before);
    const drift = await runCli(['upgrade', '--port', '9090', '--check'], { cwd: root });
    expect(drift.exitCode).toBe(1);
    expect(snapshotTree(root)).toEqual(before);
    expect((await runCli(['upgrade', '--check'], { cwd: root })).exitCode).toBe(0);
  });

  it('a rerun is a no-op', async () => {
    const before = snapshotTree(root);
    const res = await runCli(['upgrade'], { cwd: root });
    expect(res.exitCode).toBe(0);
    expect(res.stdout).toMatch(/^nothing to do: /m);
    expect(snapshotTree(root)).toEqual(before);
  });

  it('a piece added later reuses the stored answers without asking', async () => {
    const repo = tempDir();
    await runCli(['docker', '.', '--yes', '--name', 'svc', '--port', '7070'], { cwd: repo });
    const res = await runCli(['compose', '.'], { cwd: repo });
    expect(res.exitCode).toBe(0);
    expect(read(repo, 'docker-compose.yml')).toContain('127.0.0.1:7070:7070');
    const manifest = JSON.parse(read(repo, '.infra-kit/manifest.json'));
    expect(manifest.pieces).toEqual(['compose', 'docker']);
    // upgrade re-renders only the recorded pieces
    await runCli(['upgrade'], { cwd: repo });
    expect(existsSync(join(repo, 'kubernetes'))).toBe(false);
  });

  it('the base snapshots survive a git clone', async () => {
    const git = (cwd: string, ...args: string[]) =>
      execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd, stdio: 'pipe' });
    write(root, 'docker-compose.yml', `${read(root, 'docker-compose.yml')}# mine\n`);
    git(root, 'init', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-qm', 'kit');
    const clone = join(tempDir(), 'clone');
    git(root, 'clone', '-q', root, clone);
    const res = await runCli(['upgrade', '--port', '9090'], { cwd: clone });
    expect(res.exitCode).toBe(0);
    expect(read(clone, 'docker-compose.yml')).toContain('# mine');
    expect(read(clone, 'docker-compose.yml')).toContain('9090:9090');
  });

  it('without a record there is nothing to upgrade: exit 2', async () => {
    const res = await runCli(['upgrade'], { cwd: tempDir() });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/nothing to upgrade/);
  });
});

describe('a kit recorded by infra-kit < 0.2 (one file per base under .infra-kit/base/)', () => {
  it('upgrades with those bases, folds them into base.json and removes the old folder', async () => {
    const root = tempDir();
    expect((await runCli(KIT, { cwd: root })).exitCode).toBe(0);
    const bases = JSON.parse(read(root, '.infra-kit/base.json')) as Record<string, string>;
    for (const [path, content] of Object.entries(bases)) {
      mkdirSync(dirname(join(root, '.infra-kit/base', path)), { recursive: true });
      writeFileSync(join(root, '.infra-kit/base', path), content);
    }
    rmSync(join(root, '.infra-kit/base.json'));
    write(root, 'docker-compose.yml', `# my note\n${read(root, 'docker-compose.yml')}`);

    const res = await runCli(['upgrade', '--port', '9090'], { cwd: root });
    expect(res.exitCode, res.stdout).toBe(0);
    // Only a recorded base lets the edited file merge (without one it would be a conflict).
    expect(res.stdout).toMatch(/~ merge\s+docker-compose\.yml/);
    expect(read(root, 'docker-compose.yml')).toMatch(/^# my note\n[\s\S]*9090/);
    expect(existsSync(join(root, '.infra-kit/base'))).toBe(false);
    const folded = JSON.parse(read(root, '.infra-kit/base.json')) as Record<string, string>;
    expect(Object.keys(folded).sort()).toEqual(Object.keys(bases).sort());
    expect((await runCli(['upgrade'], { cwd: root })).stdout).toMatch(/nothing to do/);
  });
});

describe('crash safety', () => {
  it('a run killed at random points never leaves a torn file, and a rerun converges', { timeout: 180_000 }, async () => {
    const pristine = tempDir();
    await runCli(KIT, { cwd: pristine });
    const oldTree = snapshotTree(pristine);
    // Reference: what an uninterrupted upgrade that renames the app (rewrites nearly every file) produces.
    const reference = tempDir();
    execFileSync('cp', ['-a', `${pristine}/.`, reference]);
    const started = Date.now();
    await runCli(['upgrade', '--name', 'renamed-api'], { cwd: reference });
    // Writes happen at the end of a run: sweep the kills over its second half (calibrated here, now), with jitter.
    const duration = Date.now() - started;
    const expected = snapshotTree(reference);
    let interruptedMidway = 0;
    for (let i = 0; i < 20; i += 1) {
      const root = tempDir();
      execFileSync('cp', ['-a', `${pristine}/.`, root]);
      const child = spawn(process.execPath, [BIN, 'upgrade', '--name', 'renamed-api'], { cwd: root, stdio: 'ignore' });
      const closed = new Promise((r) => child.on('close', r));
      await new Promise((r) => setTimeout(r, duration * (0.5 + (0.55 * (i + Math.random())) / 20)));
      child.kill('SIGKILL');
      await closed;
      const after = snapshotTree(root);
      for (const [path, content] of Object.entries(after)) {
        if (path.endsWith('.tmp')) continue; // a killed writer's temp file; swept by the next run
        expect(content === oldTree[path] || content === expected[path], `${path} is torn after kill #${i}`).toBe(true);
      }
      const changed = Object.keys(expected).filter((p) => after[p] !== oldTree[p]).length;
      if (changed > 0 && Object.keys(expected).some((p) => after[p] !== expected[p])) interruptedMidway += 1;
      const rerun = await runCli(['upgrade', '--name', 'renamed-api'], { cwd: root });
      expect(rerun.exitCode, `rerun after kill #${i}`).toBe(0);
      expect(snapshotTree(root)).toEqual(expected);
    }
    console.info(`crash safety: ${interruptedMidway}/20 kills landed between the first and the last write`);
  });
});
