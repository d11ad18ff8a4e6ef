/**
 * `infra-kit check` results, remembered per repo in the user's cache dir (like ruff's or mypy's caches):
 * a rerun over the same files, with the same infra-kit and the same tools on PATH, prints the same report
 * without starting a validator. Any change to any file checked invalidates it: a whole-run key, because
 * some validators (kubectl kustomize, terraform fmt, shellcheck) read files themselves, out of our sight.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Repo } from './types.js';

/** `$XDG_CACHE_HOME/infra-kit`, else `~/.cache/infra-kit`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'infra-kit');
}

const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Everything a report depends on: this infra-kit, the tools PATH finds, and every file's path and content. */
export function reportKey(repo: Repo, version: string, path: string): string {
  const hash = createHash('sha256').update(`${version}\0${path}\0`);
  for (const file of repo.files) hash.update(`${file}\0${sha(repo.read(file))}\0`);
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
