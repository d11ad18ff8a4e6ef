/** Run the BUILT bin (dist/, as users get it) with execa: the real process, exit code and output. */
import { execa, type Result } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../dist/src/bin.js', import.meta.url));
/** The bin's cache (`infra-kit check` results) goes to a temp dir per test worker, never the user's home. */
export const CACHE_HOME = mkdtempSync(join(tmpdir(), 'infra-kit-cache-'));

export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<Result> {
  return execa(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: { NO_COLOR: '1', XDG_CACHE_HOME: CACHE_HOME, ...opts.env },
    reject: false,
    stdin: 'ignore',
  });
}

/** Every file under dir (relative paths) with its content: compare whole trees byte for byte. */
export function snapshotTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    const full = join(dir, rel);
    if (statSync(full).isFile()) out[rel.split('\\').join('/')] = readFileSync(full, 'utf8');
  }
  return out;
}
