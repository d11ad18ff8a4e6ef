/** `infra-kit check [dir]`: find the files each checker knows, run them, sort and grade the findings. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { Worker } from 'node:worker_threads';
import { UsageError } from '../errors.js';
import type { Finding, Level, Repo, Rule } from './types.js';
import type { WorkerInput, WorkerReply } from './worker.js';

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
  return repoOf(root, files);
}

/** The repo over files already listed (relative, sorted): the check worker gets the main thread's list, never walks again. */
export function repoOf(root: string, files: readonly string[]): Repo {
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

/**
 * Checkers that run on a worker thread from the build: the Go-compiled HCL parser (wasm) runs on the second core
 * while the main thread runs the others. github-actions could too (worker.ts can load it) but, measured, costs
 * more there than it saves: a fresh thread parses its workflows with cold YAML code, and in-process that parse is
 * shared with the consistency checker. Under vitest (src/, .ts) there is no compiled worker: all runs in-process.
 * Test hook: INFRA_KIT_CHECK_WORKER=off runs them in-process too; =require makes a fallback from a failed worker
 * an error instead of a slowdown.
 */
const OFFLOADED = new Set(['terraform']);

/** The compiled worker, when this module runs from the build and the test hook does not turn it off. */
function workerUrl(): URL | undefined {
  const mode = process.env.INFRA_KIT_CHECK_WORKER;
  const built = import.meta.url.endsWith('.js') && import.meta.url.includes('/dist/');
  if (mode === 'require' && !built) throw new Error('check worker: required, but this is not the build');
  return built && mode !== 'off' ? new URL('./worker.js', import.meta.url) : undefined;
}

/** The worker's reply, or why it gave none (it could not start, crashed or exited without replying). */
function inWorker(url: URL, input: WorkerInput): Promise<WorkerReply | { readonly failed: string }> {
  return new Promise((resolve) => {
    let worker: Worker;
    try {
      worker = new Worker(url, { workerData: input });
    } catch (error) {
      return resolve({ failed: String(error) });
    }
    let settled = false;
    const done = (outcome: WorkerReply | { readonly failed: string }): void => {
      if (settled) return;
      settled = true;
      resolve(outcome);
      // Its reply is all we need: it must not keep the process alive (a wasm runtime may leave timers behind).
      worker.unref();
      void worker.terminate();
    };
    worker.on('message', (reply: WorkerReply) => done(reply));
    // Stays attached after done: an 'error' event without a listener would throw in this thread.
    worker.on('error', (error) => done({ failed: error.message }));
    worker.on('messageerror', (error) => done({ failed: error.message }));
    worker.on('exit', (code) => done({ failed: `exited with code ${code} before replying` }));
  });
}

/** Findings of the OFFLOADED checkers by name, from the worker; in-process when the worker failed, so no result is lost. */
async function offload(url: URL, repo: Repo): Promise<Map<string, readonly Finding[]>> {
  const names = [...OFFLOADED];
  const reply = await inWorker(url, { root: repo.root, files: repo.files, names });
  // A checker that threw in the worker fails the run as it would in-process.
  if ('error' in reply) throw new Error(reply.error);
  if ('results' in reply && names.every((n) => reply.results.some((r) => r.name === n))) {
    reply.skipped.forEach((what) => repo.skip(what));
    return new Map(reply.results.map((r) => [r.name, r.findings]));
  }
  const why = 'failed' in reply ? reply.failed : `it ran only ${reply.results.map((r) => r.name).join(', ') || 'no checker'}`;
  if (process.env.INFRA_KIT_CHECK_WORKER === 'require') throw new Error(`check worker: ${why}`);
  const { checkers } = await import('./registry.js');
  const away = checkers.filter((c) => OFFLOADED.has(c.name));
  return new Map(await Promise.all(away.map(async (c) => [c.name, await c.check(repo)] as const)));
}

async function checkRepo(repo: Repo): Promise<CheckReport> {
  const url = workerUrl();
  // Started before the registry loads and the in-process checkers start: its start-up overlaps all of them.
  const remote = url ? offload(url, repo) : undefined;
  // Handled where it is awaited below; a failure that arrives while the registry loads must not count as unhandled.
  remote?.catch(() => undefined);
  const { checkers } = await import('./registry.js');
  // Results stay in registry order: grading and the sort get their input as an all-in-process run gives it.
  const results = await Promise.all(
    checkers.map(async (c) => ({ c, findings: remote && OFFLOADED.has(c.name) ? (await remote).get(c.name) ?? [] : await c.check(repo) })),
  );
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
