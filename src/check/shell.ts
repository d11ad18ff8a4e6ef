/**
 * Shell scripts (`*.sh`): ShellCheck, when the `shellcheck` binary is on PATH (Debian: `apt-get install
 * shellcheck`). Without it the scripts are not checked and the report's summary says so (`skipped`).
 */
import { spawnSync } from 'node:child_process';
import type { Checker, Finding, Repo, Rule } from './types.js';

const rules: Record<string, Rule> = {
  SH01: { level: 'MUST', why: 'ShellCheck errors are scripts that break or do something other than they read (syntax, wrong expansions)', fix: 'fix the reported SC error (see https://www.shellcheck.net/wiki/SCxxxx)' },
  SH02: { level: 'SHOULD', why: 'ShellCheck warnings are latent bugs: unquoted expansions, ignored failures, word splitting', fix: 'fix the reported SC warning, or disable it on that line with `# shellcheck disable=SCxxxx` and a reason' },
};

interface ShellcheckComment { file: string; line: number; level: 'error' | 'warning' | 'info' | 'style'; code: number; message: string }

export const hasShellcheck = (): boolean => spawnSync('shellcheck', ['--version'], { stdio: 'ignore' }).status === 0;

/** ShellCheck's JSON comments for files relative to `cwd`, in batches (long argument lists). */
export function shellcheckJson(cwd: string, files: readonly string[]): ShellcheckComment[] {
  const out: ShellcheckComment[] = [];
  for (let i = 0; i < files.length; i += 100) {
    const res = spawnSync('shellcheck', ['--format=json', '--severity=warning', '--', ...files.slice(i, i + 100)], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (res.error) throw res.error;
    // Exit 1 means "found something"; anything else without JSON is a failure of shellcheck itself.
    if (res.status !== 0 && res.status !== 1) throw new Error(`shellcheck exited ${res.status}: ${res.stderr.trim()}`);
    out.push(...(JSON.parse(res.stdout || '[]') as ShellcheckComment[]));
  }
  return out;
}


export const shellChecker: Checker = {
  name: 'shell',
  rules,
  async check(repo: Repo): Promise<Finding[]> {
    const files = repo.files.filter((f) => f.endsWith('.sh'));
    if (files.length === 0) return [];
    if (!hasShellcheck()) {
      repo.skip(`shellcheck (not on PATH: ${files.length} shell script${files.length === 1 ? '' : 's'} not checked)`);
      return [];
    }
    return shellcheckJson(repo.root, files).map((c) => ({ file: c.file.replace(/^\.\//, ''), line: c.line, rule: c.level === 'error' ? 'SH01' : 'SH02', message: `SC${c.code}: ${c.message}` }));
  },
};
