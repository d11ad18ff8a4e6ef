/**
 * Shell scripts (`*.sh`): ShellCheck, when the `shellcheck` binary is on PATH (Debian: `apt-get install
 * shellcheck`). Without it the scripts are not checked and the report's summary says so (`skipped`).
 */
import { execFile } from 'node:child_process';
import type { Checker, Finding, Repo, Rule } from './types.js';

const rules: Record<string, Rule> = {
  SH01: { level: 'MUST', why: 'ShellCheck errors are scripts that break or do something other than they read (syntax, wrong expansions)', fix: 'fix the reported SC error (see https://www.shellcheck.net/wiki/SCxxxx)' },
  SH02: { level: 'SHOULD', why: 'ShellCheck warnings are latent bugs: unquoted expansions, ignored failures, word splitting', fix: 'fix the reported SC warning, or disable it on that line with `# shellcheck disable=SCxxxx` and a reason' },
};

interface ShellcheckComment { file: string; line: number; level: 'error' | 'warning' | 'info' | 'style'; code: number; message: string }

/** ShellCheck's JSON comments for files relative to `cwd`, in batches (long argument lists); undefined without it. */
async function shellcheckJson(cwd: string, files: readonly string[]): Promise<ShellcheckComment[] | undefined> {
  const out: ShellcheckComment[] = [];
  for (let i = 0; i < files.length; i += 100) {
    // Asynchronous: the other checkers' parsing and wasm validators run while it works.
    const res = await new Promise<{ code: number | string | null; stdout: string; stderr: string }>((resolve) => {
      execFile('shellcheck', ['--format=json', '--severity=warning', '--', ...files.slice(i, i + 100)], { cwd, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
        resolve({ code: error ? ((error as NodeJS.ErrnoException).code ?? (error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
    if (res.code === 'ENOENT') return undefined;
    // Exit 1 means "found something"; anything else without JSON is a failure of shellcheck itself.
    if (res.code !== 0 && res.code !== 1) throw new Error(`shellcheck exited ${res.code}: ${res.stderr.trim()}`);
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
    const comments = await shellcheckJson(repo.root, files);
    if (!comments) {
      repo.skip(`shellcheck (not on PATH: ${files.length} shell script${files.length === 1 ? '' : 's'} not checked)`);
      return [];
    }
    return comments.map((c) => ({ file: c.file.replace(/^\.\//, ''), line: c.line, rule: c.level === 'error' ? 'SH01' : 'SH02', message: `SC${c.code}: ${c.message}` }));
  },
};
