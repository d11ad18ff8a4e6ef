/** The shape of every `infra-kit check` checker test: a GOOD sample, failing samples one rule each, every rule covered. */
import { expect, it } from 'vitest';
import { openRepo } from '../../src/check/run.js';
import type { Checker, Finding } from '../../src/check/types.js';
import { repoWith } from './render.js';

export { repoWith };

export const findings = (checker: Checker, files: Record<string, string>): Promise<Finding[]> => checker.check(openRepo(repoWith(files)));

/** A GOOD text with replacements applied, each of which must change it (so no sample is silently GOOD). */
export function edit(good: string, ...edits: [string | RegExp, string][]): string {
  return edits.reduce((src, [from, to]) => {
    const next = src.replace(from, to);
    if (next === src) throw new Error(`sample unchanged: ${from}`);
    return next;
  }, good);
}

export type Sample = [rule: string, label: string, files: Record<string, string>];

/** GOOD has no finding; each sample is flagged by its rule and no other; every declared rule has a sample. */
export function ruleTests(checker: Checker, good: Record<string, string>, samples: Sample[]): void {
  it('a good sample has no finding', async () => {
    expect(await findings(checker, good)).toEqual([]);
  });
  for (const [rule, label, files] of samples) {
    it(`${rule}: ${label}`, async () => {
      const found = await findings(checker, files);
      expect([...new Set(found.map((f) => f.rule))], JSON.stringify(found)).toEqual([rule]);
    });
  }
  it('every rule the checker declares has a failing sample here', () => {
    expect(Object.keys(checker.rules).sort()).toEqual([...new Set(samples.map(([r]) => r))].sort());
  });
}
