import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderToDir } from './helpers/render.js';
import { hasCommand, parseYamlDocs } from './helpers/validators.js';

const yamllintConfig = fileURLToPath(new URL('./fixtures/yamllint.yml', import.meta.url));
const isYaml = (path: string) => /\.ya?ml$/.test(path);

describe('every YAML file of the full kit', () => {
  for (const database of ['none', 'postgres'] as const) {
    const { dir, files } = renderToDir({ database });
    const yamlFiles = [...files.keys()].filter(isYaml);

    it(`parses (${database})`, () => {
      expect(yamlFiles.length).toBeGreaterThan(10);
      for (const path of yamlFiles) expect(() => parseYamlDocs(files.get(path)!, path), path).not.toThrow();
    });

    it(`passes yamllint with no error or warning (${database})`, { skip: !hasCommand('yamllint') }, () => {
      const res = spawnSync('yamllint', ['--strict', '-f', 'parsable', '-c', yamllintConfig, ...yamlFiles], { cwd: dir, encoding: 'utf8' });
      expect(res.stdout).toBe('');
      expect(res.status).toBe(0);
    });
  }
});
