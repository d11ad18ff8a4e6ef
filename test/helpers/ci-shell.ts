/** Run CI script fragments for real, with stub commands on PATH (no cloud, no registry, no cluster). */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Cloud, registry and cluster CLIs a script must never reach for real from a test (a machine may have them
 * installed and logged in): unless the test stubs one, it fails loudly instead.
 */
const DENIED = ['aws', 'gcloud', 'az', 'kubectl', 'docker', 'cosign', 'trivy', 'terraform', 'ssh', 'scp'];
let denied: string | undefined;

/** Runs a script the way GitLab's runner does with a POSIX shell (`sh -e`). */
export function runSh(script: string, env: Record<string, string>, bin?: string) {
  const file = join(mkdtempSync(join(tmpdir(), 'infra-kit-sh-')), 'job.sh');
  writeFileSync(file, script);
  denied ??= stubs(Object.fromEntries(DENIED.map((c) => [c, `echo "test: unstubbed ${c} called: $*" >&2\nexit 127`])));
  const path = [...(bin ? [bin] : []), denied, process.env.PATH].join(':');
  return spawnSync('sh', ['-e', file], { encoding: 'utf8', env: { ...env, PATH: path } });
}

/** A temp dir of executable `#!/bin/sh` stubs, for PATH. */
export function stubs(bin: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'infra-kit-stubs-'));
  for (const [name, body] of Object.entries(bin)) {
    writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(dir, name), 0o755);
  }
  return dir;
}

const checked = new Map<string, string>();
/** ShellCheck findings (gcc format) for a script, once per distinct script and shell: the matrix repeats them. */
export function shellcheck(script: string, shell: 'bash' | 'sh'): string {
  const key = `${shell}\n${script}`;
  if (!checked.has(key)) {
    const file = join(mkdtempSync(join(tmpdir(), 'infra-kit-sc-')), 'script.sh');
    writeFileSync(file, `#!/usr/bin/env ${shell}\nset -e\n${script}\n`);
    checked.set(key, spawnSync('shellcheck', [`--shell=${shell}`, '--format=gcc', file], { encoding: 'utf8' }).stdout);
  }
  return checked.get(key)!;
}
