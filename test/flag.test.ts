/**
 * `infra-kit flag <name> [--remove]` through the built bin: a flag reaches every place that configures the
 * app, nothing else changes, a user's own flip survives, and removing it restores the files byte for byte.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffLines } from 'diff';
import { beforeEach, describe, expect, it } from 'vitest';
import { runCli, snapshotTree } from './helpers/cli.js';
import { tempDir } from './helpers/render.js';

const RECORD = /^(\.yo-rc\.json|\.infra-kit\/)/;
/** The files of a tree without infra-kit's own record. */
const userFiles = (root: string) => Object.fromEntries(Object.entries(snapshotTree(root)).filter(([p]) => !RECORD.test(p)));
const storedFlags = (root: string): string[] => JSON.parse(readFileSync(join(root, '.yo-rc.json'), 'utf8'))['create-infra-kit'].answers.featureFlags;

describe.each([
  { orchestrator: 'kubernetes', production: 'kubernetes/overlays/production/' },
  { orchestrator: 'compose', production: 'deploy/production.env' },
])('infra-kit flag ($orchestrator)', ({ orchestrator, production }) => {
  let root: string;
  let before: Record<string, string>;
  beforeEach(async () => {
    root = tempDir();
    const res = await runCli(['.', '--yes', '--name', 'shop-api', '--orchestrator', orchestrator, '--database', 'postgres'], { cwd: root });
    expect(res.stderr).toBe('');
    before = userFiles(root);
  });

  it('adds FEATURE_<NAME> to the env example, each environment and the docs; every other line stays as it was', async () => {
    const res = await runCli(['flag', 'new-checkout'], { cwd: root });
    expect(res.exitCode, res.stderr).toBe(0);
    expect(res.stdout).toContain('FEATURE_NEW_CHECKOUT');
    expect(res.stdout).toContain(production);
    expect(storedFlags(root)).toEqual(['new-checkout']);
    const after = userFiles(root);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    const changed = Object.keys(after).filter((p) => after[p] !== before[p]);
    expect(changed).toContain('.env.example');
    expect(changed).toContain('docs/feature-flags.md');
    expect(changed.some((p) => p.startsWith(production.replace(/\/$/, '')))).toBe(true);
    for (const path of changed) {
      const added = diffLines(before[path]!, after[path]!).filter((part) => part.added || part.removed);
      // Only lines about the flag (or the docs table row naming it) differ.
      for (const part of added) expect(part.value, path).toMatch(/NEW_CHECKOUT|new-checkout/);
    }
  });

  it('keeps a production flip made by hand when another flag is added; removing the flipped flag is a conflict, not a silent drop', async () => {
    expect((await runCli(['flag', 'new-checkout'], { cwd: root })).exitCode).toBe(0);
    const withFlag = userFiles(root);
    const prodFile = Object.keys(withFlag).find((p) => p.startsWith(production.replace(/\/$/, '')) && /FEATURE_NEW_CHECKOUT\W+off/.test(withFlag[p]!));
    expect(prodFile, 'the production file that sets the flag off').toBeDefined();
    writeFileSync(join(root, prodFile!), withFlag[prodFile!]!.replace(/(FEATURE_NEW_CHECKOUT\W+)off/, '$1on'));

    const add = await runCli(['flag', 'dark-mode'], { cwd: root });
    expect(add.exitCode, add.stdout).toBe(0);
    const now = readFileSync(join(root, prodFile!), 'utf8');
    expect(now).toMatch(/FEATURE_NEW_CHECKOUT\W+on/);
    expect(now).toContain('FEATURE_DARK_MODE');
    expect(storedFlags(root)).toEqual(['dark-mode', 'new-checkout']);

    const conflict = await runCli(['flag', 'new-checkout', '--remove', '--conflict', 'rej'], { cwd: root });
    expect(conflict.exitCode).toBe(1);
    expect(readFileSync(join(root, prodFile!), 'utf8')).toMatch(/FEATURE_NEW_CHECKOUT\W+on/);
    expect(readFileSync(join(root, `${prodFile!}.rej`), 'utf8')).toContain('FEATURE_NEW_CHECKOUT');
  });

  it('--remove after an untouched add gives back the original files byte for byte', async () => {
    expect((await runCli(['flag', 'new-checkout'], { cwd: root })).exitCode).toBe(0);
    expect((await runCli(['flag', 'dark-mode'], { cwd: root })).exitCode).toBe(0);
    expect(userFiles(root)).not.toEqual(before);
    expect((await runCli(['flag', 'new-checkout', '--remove'], { cwd: root })).exitCode).toBe(0);
    const removed = await runCli(['flag', 'dark-mode', '--remove'], { cwd: root });
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toContain('remove the code that reads FEATURE_DARK_MODE');
    expect(userFiles(root)).toEqual(before);
    expect(storedFlags(root)).toEqual([]);
  });
});

describe('infra-kit flag: bad input changes nothing', () => {
  it.each([
    [['flag'], /needs a flag name/],
    [['flag', 'New_Checkout'], /flag name 'New_Checkout' must be/],
    [['flag', 'absent', '--remove'], /no feature flag 'absent'/],
    [['upgrade', '--remove'], /--remove only applies to `infra-kit flag`/],
    [['flag', 'beta', '--port', '9090'], /changes only the flags; run `infra-kit upgrade --port/],
  ])('%j → one line, exit 2', async (args, message) => {
    const root = tempDir();
    expect((await runCli(['compose', '.', '--yes', '-q'], { cwd: root })).exitCode).toBe(0);
    const snapshot = snapshotTree(root);
    const res = await runCli(args, { cwd: root });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(message);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(snapshotTree(root)).toEqual(snapshot);
  });

  it('refuses a kit without a piece that configures flags (it would record a flag nothing uses)', async () => {
    const root = tempDir();
    expect((await runCli(['docker', '.', '--yes', '-q'], { cwd: root })).exitCode).toBe(0);
    const snapshot = snapshotTree(root);
    const res = await runCli(['flag', 'beta'], { cwd: root });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/no piece in .* configures feature flags/);
    expect(snapshotTree(root)).toEqual(snapshot);
  });

  it('refuses a kit recorded by another infra-kit version: upgrade first, so a flag change carries nothing else', async () => {
    const root = tempDir();
    expect((await runCli(['.', '--yes', '-q'], { cwd: root })).exitCode).toBe(0);
    const manifestPath = join(root, '.infra-kit/manifest.json');
    writeFileSync(manifestPath, readFileSync(manifestPath, 'utf8').replace(/"version": "[^"]+"/, '"version": "0.1.0"'));
    const snapshot = snapshotTree(root);
    const res = await runCli(['flag', 'beta'], { cwd: root });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/rendered by infra-kit 0\.1\.0; run `infra-kit upgrade` first/);
    expect(snapshotTree(root)).toEqual(snapshot);
  });

  it('a flag named like a credential is still just a switch: it renders, and check finds no secret in it', async () => {
    const root = tempDir();
    expect((await runCli(['.', '--yes', '-q'], { cwd: root })).exitCode).toBe(0);
    expect((await runCli(['flag', 'passwordless-login'], { cwd: root })).exitCode).toBe(0);
    const check = await runCli(['check', '.', '--no-cache'], { cwd: root });
    expect(check.stdout).not.toMatch(/K09/);
    expect(check.exitCode).toBe(0);
  });

  it('needs a kit to add the flag to', async () => {
    const root = tempDir();
    const res = await runCli(['flag', 'new-checkout'], { cwd: root });
    expect(res.exitCode).toBe(2);
    expect(res.stderr).toMatch(/nothing to add a flag to/);
    expect(snapshotTree(root)).toEqual({});
  });
});
