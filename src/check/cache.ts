/**
 * `infra-kit check` results, remembered per repo in the user's cache dir (like ruff's or mypy's caches):
 * a rerun over the same files, with the same infra-kit and the same tools on PATH, prints the same report
 * without starting a validator. Any change to any file checked invalidates it: a whole-run key, because
 * some validators (kubectl kustomize, terraform fmt, shellcheck) read files themselves, out of our sight.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Repo } from './types.js';

/** `$XDG_CACHE_HOME/infra-kit`, else `~/.cache/infra-kit` (a relative XDG_CACHE_HOME is ignored, as the spec says). */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(homedir(), '.cache');
  return join(xdg, 'infra-kit');
}

const sha = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** The external validators `check` runs: a different binary (or a newly installed one) is a different report. */
const TOOLS = ['kubectl', 'terraform', 'shellcheck', 'docker-compose', 'promtool'];
/** Files above this size are keyed by size and mtime, not read: a repo may hold a large binary. */
const READ_LIMIT = 8 * 1024 * 1024;

/** Where PATH finds each tool, with its size and mtime. */
function toolStamps(path: string): string {
  return TOOLS.map((tool) => {
    for (const dir of path.split(delimiter).filter(Boolean)) {
      const stat = statSync(join(dir, tool), { throwIfNoEntry: false });
      if (stat?.isFile()) return `${tool}=${join(dir, tool)}:${stat.size}:${stat.mtimeMs}`;
    }
    return `${tool}=none`;
  }).join('\0');
}

/** This build of infra-kit's checkers: its version and the checkers' own compiled code. */
function buildStamp(version: string): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const stat = statSync(join(here, 'registry.js'), { throwIfNoEntry: false }) ?? statSync(join(here, 'registry.ts'), { throwIfNoEntry: false });
  return `${version}:${stat?.mtimeMs ?? 0}`;
}

/** Everything a report depends on: this infra-kit, the tools PATH finds, and every file's path and content. */
export function reportKey(repo: Repo, version: string, path: string): string {
  const hash = createHash('sha256').update(`${buildStamp(version)}\0${toolStamps(path)}\0`);
  for (const file of repo.files) {
    const full = join(repo.root, file);
    let id: string;
    try {
      const stat = statSync(full);
      // Raw bytes, not the checkers' text cache: binaries and huge files must not become strings.
      id = stat.size > READ_LIMIT ? `size:${stat.size}:${stat.mtimeMs}` : sha(readFileSync(full));
    } catch {
      id = 'unreadable';
    }
    hash.update(`${file}\0${id}\0`);
  }
  return hash.digest('hex');
}

function entryFile(dir: string, root: string): string {
  return join(dir, 'check', `${sha(root).slice(0, 32)}.json`);
}

export function readCached<T>(dir: string, root: string, key: string): T | undefined {
  try {
    const entry = JSON.parse(readFileSync(entryFile(dir, root), 'utf8')) as { key?: string; report?: T };
    return entry.key === key ? entry.report : undefined;
  } catch {
    return undefined; // no entry, or a torn/foreign one: check for real
  }
}

export function writeCached(dir: string, root: string, key: string, report: unknown): void {
  const file = entryFile(dir, root);
  try {
    mkdirSync(join(dir, 'check'), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ key, report }));
    renameSync(tmp, file);
  } catch {
    // A read-only or full cache dir only costs speed next time.
  }
}
