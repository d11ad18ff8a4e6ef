/** `infra-kit check [dir]`: find the files each checker knows, run them, sort and grade the findings. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { UsageError } from '../errors.js';
import { checkers } from './registry.js';
import type { Finding, Level, Repo, Rule } from './types.js';

/** Folders that are never ours to audit. */
const SKIP_DIRS = new Set(['.git', 'node_modules', '.infra-kit', '.terraform', 'dist', 'build', 'target', 'vendor', '.venv']);

export interface GradedFinding extends Finding {
  readonly level: Level;
  readonly why: string;
  readonly fix: string;
}

export interface CheckReport {
  readonly findings: readonly GradedFinding[];
  readonly checked: number;
  readonly must: number;
  /** Validators that could not run on this repo (a binary not on PATH…): their files went unchecked. */
  readonly skipped?: readonly string[];
  /** The report of an earlier run over exactly these files (see cache.ts). */
  readonly cached?: boolean;
}

/** A checker may name, after `check`, the validators it could not run for this repo. */

export function openRepo(root: string): Repo {
  const files: string[] = [];
  const walk = (dir: string): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      throw new UsageError(`cannot read ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; pass a directory to check`);
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(join(dir, e.name));
      } else if (e.isFile()) files.push(relative(root, join(dir, e.name)).split(sep).join('/'));
    }
  };
  walk(root);
  files.sort();
  const cache = new Map<string, string>();
  const skipped: string[] = [];
  return {
    root,
    files,
    skipped,
    skip: (what) => void skipped.push(what),
    read(path) {
      let text = cache.get(path);
      if (text === undefined) {
        text = readFileSync(join(root, path), 'utf8');
        cache.set(path, text);
      }
      return text;
    },
  };
}

export interface CheckOptions {
  /** Reuse (and store) the report of an identical earlier run; see cache.ts. */
  readonly cache?: { readonly dir: string; readonly version: string; readonly path: string };
}

export async function runChecks(root: string, options: CheckOptions = {}): Promise<CheckReport> {
  const repo = openRepo(root);
  const { cache } = options;
  if (!cache) return checkRepo(repo);
  const { readCached, reportKey, writeCached } = await import('./cache.js');
  const key = reportKey(repo, cache.version, cache.path);
  const hit = readCached<CheckReport>(cache.dir, root, key);
  if (hit) return { ...hit, cached: true };
  const report = await checkRepo(repo);
  // A validator that did not run (missing, or failed this time) is no result to remember.
  if (!report.skipped?.length) writeCached(cache.dir, root, key, report);
  return report;
}

async function checkRepo(repo: Repo): Promise<CheckReport> {
  const results = await Promise.all(checkers.map(async (c) => ({ c, findings: await c.check(repo) })));
  const graded: GradedFinding[] = [];
  for (const { c, findings } of results) {
    for (const f of findings) {
      const rule: Rule | undefined = c.rules[f.rule];
      if (!rule) throw new Error(`checker ${c.name} reported unknown rule ${f.rule}`);
      graded.push({ ...f, level: rule.level, why: rule.why, fix: rule.fix });
    }
  }
  graded.sort((a, b) => (a.file === b.file ? a.line - b.line || (a.rule < b.rule ? -1 : 1) : a.file < b.file ? -1 : 1));
  // Checkers add to it as they finish, in whatever order they run: sorted, the report is the same every time.
  const skipped = [...repo.skipped].sort();
  return { findings: graded, checked: repo.files.length, must: graded.filter((f) => f.level === 'MUST').length, ...(skipped.length > 0 ? { skipped } : {}) };
}

export function formatText(report: CheckReport): string {
  const lines = report.findings.map((f) => `${f.file}:${f.line} ${f.level} ${f.rule} ${f.message} (fix: ${f.fix})`);
  const should = report.findings.length - report.must;
  const summary = report.findings.length === 0 ? `ok: ${report.checked} files checked, no findings` : `${report.must} MUST, ${should} SHOULD findings in ${report.checked} files`;
  lines.push(report.skipped?.length ? `${summary}; not run: ${report.skipped.join('; ')}` : summary);
  if (report.cached) lines.push('(cached: no file changed since the last check; --no-cache runs every validator again)');
  return lines.join('\n');
}
