/**
 * The built bin runs the terraform checker on a worker thread (run.ts: OFFLOADED); tests from src/ run every
 * checker in-process. Both must give the same report. INFRA_KIT_CHECK_WORKER=require makes the bin fail
 * rather than fall back, so a report it prints came from the worker; =off runs it in-process.
 */
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { githubChecker } from '../src/check/github.js';
import { openRepo, runChecks, type CheckReport } from '../src/check/run.js';
import { terraformChecker } from '../src/check/terraform.js';
import type { WorkerReply } from '../src/check/worker.js';
import { CACHE_HOME, runCli } from './helpers/cli.js';
import { tempDir } from './helpers/render.js';
import { edit } from './helpers/rule-samples.js';
import { hasCommand } from './helpers/validators.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** A kit rendered by the built bin, then each file edited (every edit must change its file). */
async function kit(flags: string[], edits: Record<string, [string | RegExp, string][]> = {}): Promise<string> {
  const dir = tempDir();
  const rendered = await runCli([dir, '--yes', '-q', ...flags]);
  expect(rendered.stderr).toBe('');
  expect(rendered.exitCode).toBe(0);
  for (const [file, changes] of Object.entries(edits)) writeFileSync(join(dir, file), edit(readFileSync(join(dir, file), 'utf8'), ...changes));
  return dir;
}

/** `check --format json --no-cache` by a bin (the build, or a copy of it), with the worker hook set or not. */
async function binCheck(dir: string, opts: { mode?: 'off' | 'require'; bin?: string; env?: Record<string, string> } = {}) {
  const env = { NO_COLOR: '1', XDG_CACHE_HOME: CACHE_HOME, ...opts.env, ...(opts.mode ? { INFRA_KIT_CHECK_WORKER: opts.mode } : {}) };
  const bin = opts.bin ?? join(ROOT, 'dist/src/bin.js');
  return execa(process.execPath, [bin, 'check', dir, '--format', 'json', '--no-cache'], { env, reject: false, stdin: 'ignore' });
}

/** The built bin's report, with the worker (default and required) and without: each must equal `expected`. */
async function expectBinReports(dir: string, expected: CheckReport): Promise<void> {
  for (const mode of [undefined, 'require', 'off'] as const) {
    const res = await binCheck(dir, { mode });
    expect(res.stderr, `mode ${mode}`).toBe('');
    expect(res.exitCode, `mode ${mode}`).toBe(expected.must > 0 ? 1 : 0);
    expect(JSON.parse(res.stdout), `mode ${mode}`).toEqual(expected);
  }
}

/** A copy of the build (as installed), for tests that break its worker or a checker. */
function builtCopy(): { dir: string; bin: string } {
  const dir = tempDir();
  for (const part of ['dist', 'package.json']) cpSync(join(ROOT, part), join(dir, part), { recursive: true });
  for (const part of ['node_modules', 'templates']) symlinkSync(join(ROOT, part), join(dir, part));
  return { dir, bin: join(dir, 'dist/src/bin.js') };
}

const PROBLEMS = {
  'terraform/environments/production/backend.tf': [['    encrypt      = true\n', '']],
  '.github/workflows/ci.yml': [['    timeout-minutes: 10\n', '']],
  'kubernetes/base/deployment.yaml': [['runAsNonRoot: true', 'runAsNonRoot: false']],
  Dockerfile: [[/^USER .*$/m, 'USER root']],
} satisfies Record<string, [string | RegExp, string][]>;

describe('check: terraform on a worker thread in the built bin', () => {
  it('the worker is compiled with the build', () => {
    expect(existsSync(join(ROOT, 'dist/src/check/worker.js')), 'npm run build makes dist/src/check/worker.js').toBe(true);
  });

  it('a clean default kit: the same report as in-process', async () => {
    const dir = await kit([]);
    const expected = await runChecks(dir);
    expect(expected.findings).toEqual([]);
    await expectBinReports(dir, expected);
  });

  it('terraform, GitHub Actions, Kubernetes and Dockerfile findings: the same report as in-process', async () => {
    const dir = await kit(['--database', 'postgres'], PROBLEMS);
    const expected = await runChecks(dir);
    const rules = new Set(expected.findings.map((f) => f.rule));
    for (const rule of ['TF02', 'CI07', 'DF03']) expect(rules, JSON.stringify([...rules])).toContain(rule);
    expect(expected.findings.some((f) => f.file.startsWith('kubernetes/')), JSON.stringify([...rules])).toBe(true);
    await expectBinReports(dir, expected);
  });

  it('a .tf file that does not parse: the same TF-SYNTAX report as in-process', async () => {
    const unclosed = 'resource "google_storage_bucket" "broken" {\n  name = \n';
    const dir = await kit(['--cloud', 'gcp'], { 'terraform/environments/staging/main.tf': [[/\n*$/, `\n\n${unclosed}`]] });
    const expected = await runChecks(dir);
    expect(expected.findings.filter((f) => f.rule === 'TF-SYNTAX').map((f) => f.file)).toEqual(['terraform/environments/staging/main.tf']);
    await expectBinReports(dir, expected);
  });

  // What the worker's checker could not run is merged into (and sorted with) the main thread's list.
  const kept = (process.env.PATH ?? '').split(delimiter).filter((d) => d !== '' && !existsSync(join(d, 'terraform')));
  const sharesDir = (cmd: string): boolean => hasCommand(cmd) && !kept.some((d) => existsSync(join(d, cmd)));
  it.skipIf(!hasCommand('terraform') || sharesDir('kubectl') || sharesDir('shellcheck'))('terraform not on PATH: the worker reports it skipped, as in-process', async () => {
    const dir = await kit(['--database', 'postgres'], PROBLEMS);
    const env = { PATH: kept.join(delimiter) };
    const off = await binCheck(dir, { mode: 'off', env });
    const expected = JSON.parse(off.stdout) as CheckReport;
    expect(expected.skipped?.some((s) => s.startsWith('terraform (not on PATH'))).toBe(true);
    expect(expected.skipped).toEqual([...expected.skipped!].sort());
    const worker = await binCheck(dir, { mode: 'require', env });
    expect(worker.stderr).toBe('');
    expect(worker.exitCode).toBe(off.exitCode);
    expect(JSON.parse(worker.stdout)).toEqual(expected);
  });

  it('a checker that throws in the worker fails the run with the same message as in-process', async () => {
    const { dir: copy, bin } = builtCopy();
    appendFileSync(join(copy, 'dist/src/check/terraform.js'), '\nterraformChecker.check = async () => { throw new Error("terraform checker broke"); };\n');
    const dir = await kit([]);
    const off = await binCheck(dir, { mode: 'off', bin });
    const worker = await binCheck(dir, { mode: 'require', bin });
    expect(off.stderr).toMatch(/terraform checker broke/);
    expect(off.exitCode).not.toBe(0);
    expect({ stderr: worker.stderr, exitCode: worker.exitCode, stdout: worker.stdout }).toEqual({ stderr: off.stderr, exitCode: off.exitCode, stdout: off.stdout });
  });

  // run.ts keeps github-actions in-process (measured: slower on a thread); the worker can still run it.
  it('the compiled worker runs terraform and github-actions as in-process, and replies a thrown message', async () => {
    const ask = (workerData: unknown): Promise<WorkerReply> => {
      const worker = new Worker(new URL('../dist/src/check/worker.js', import.meta.url), { workerData });
      return new Promise<WorkerReply>((resolve, reject) => worker.once('message', resolve).once('error', reject)).finally(() => void worker.terminate());
    };
    const dir = await kit(['--database', 'postgres'], PROBLEMS);
    const repo = openRepo(dir);
    const reply = await ask({ root: dir, files: repo.files, names: ['terraform', 'github-actions'] });
    const expected = [
      { name: 'terraform', findings: await terraformChecker.check(repo) },
      { name: 'github-actions', findings: await githubChecker.check(repo) },
    ];
    expect(reply).toEqual({ results: expected, skipped: repo.skipped });
    expect(expected.every((r) => r.findings.length > 0)).toBe(true);
    // A listed file that is gone: the checker's read throws, in the worker as in-process.
    const gone = { root: dir, files: ['missing/main.tf'], names: ['terraform'] };
    const thrown = await terraformChecker.check({ ...repo, files: gone.files }).then(() => 'no error', (error: Error) => error.message);
    expect(thrown).toMatch(/ENOENT/);
    expect(await ask(gone)).toEqual({ error: thrown });
  });

  it.each([
    ['is missing', (file: string) => rmSync(file)],
    ['exits before replying', (file: string) => writeFileSync(file, 'process.exit(3);\n')],
    ['throws', (file: string) => writeFileSync(file, 'throw new Error("worker broke");\n')],
  ])('a worker that %s: its checkers run in-process, nothing is lost (=require: an error)', async (_label, breakWorker) => {
    const { dir: copy, bin } = builtCopy();
    breakWorker(join(copy, 'dist/src/check/worker.js'));
    const dir = await kit(['--database', 'postgres'], PROBLEMS);
    const expected = await runChecks(dir);
    const res = await binCheck(dir, { bin });
    expect(res.stderr).toBe('');
    expect(JSON.parse(res.stdout)).toEqual(expected);
    const strict = await binCheck(dir, { bin, mode: 'require' });
    expect(strict.stderr).toMatch(/check worker: /);
    expect(strict.exitCode).not.toBe(0);
  });
});
