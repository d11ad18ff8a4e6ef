import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { questionOrder } from '../src/answers/schema.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/render.js';

const examplePath = new URL('../examples/answers.yml', import.meta.url);

describe('examples/answers.yml', () => {
  it('documents every question of the schema, in order, each with a comment', () => {
    const text = readFileSync(examplePath, 'utf8');
    expect(Object.keys(YAML.parse(text))).toEqual(questionOrder);
    for (const id of questionOrder) expect(text, id).toMatch(new RegExp(`#[^\\n]*\\n${id}: `));
  });

  it('is accepted as-is by --answers', async () => {
    const cwd = tempDir();
    const res = await runCli(['out', '--answers', examplePath.pathname, '--dry-run'], { cwd });
    expect(res.stderr).toBe('');
    expect(res.exitCode).toBe(0);
  });
});
