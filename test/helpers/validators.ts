/** Real validators, wrapped for tests (see ../shared/VALIDATORS.md for why each is called this way). */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import YAML from 'yaml';

/** Parse every document of a YAML stream; throws on the first syntax error. */
export function parseYamlDocs(src: string, file = 'file.yaml'): unknown[] {
  return YAML.parseAllDocuments(src).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i}: ${doc.errors[0]!.message}`);
    return doc.toJS();
  });
}

/** The compose-spec schema check lives in src (infra-kit check runs it); re-exported for the tests. */
export { validateComposeSchema } from '../../src/check/compose.js';

export const hasCommand = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;

/** Debian's docker-compose 1.29 `config -q`: needs no engine. Returns stderr on failure, '' when valid. */
export function dockerComposeConfig(dir: string, env: Record<string, string> = {}): string {
  const res = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], {
    cwd: dir,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  return res.status === 0 ? '' : `${res.stderr}${res.stdout}`;
}

export function kubectlKustomize(dir: string): string {
  return execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
}

export const terraformBinary = existsSync('/usr/local/bin/terraform') ? '/usr/local/bin/terraform' : undefined;
