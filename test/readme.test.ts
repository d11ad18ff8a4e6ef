import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { flagsMarkdownTable, helpText } from '../src/cli/help.js';
import { questionOrder, questions } from '../src/answers/schema.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

describe('README and --help come from the one answers schema', () => {
  it('the README flag table is the generated one (run `npm run readme` after changing a question)', () => {
    const section = /<!-- flags:start[^\n]*-->\n([\s\S]*?)<!-- flags:end -->/.exec(readme)?.[1];
    expect(section?.trim()).toBe(flagsMarkdownTable());
  });

  it('--help lists every question flag with its allowed values and default', () => {
    const help = helpText('new');
    for (const id of questionOrder) {
      const q = questions[id];
      expect(help).toContain(`--${q.flag} <`);
      expect(help).toContain(`(default: ${q.defaultHelp})`);
      if ('choices' in q) expect(help).toContain(q.choices().map((c) => c.value).join('|'));
    }
  });

  it('the README states the one command that runs the tests and the one that renders a kit', () => {
    expect(readme).toContain('npm ci && npm test');
    expect(readme).toContain('npm ci && npm start -- demo --yes');
  });
});
