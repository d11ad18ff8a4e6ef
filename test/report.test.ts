/** Next steps after a render: each names a file, output or variable that the kit really has. */
import { describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { planKit } from '../src/kit.js';
import { readStored } from '../src/answers/store.js';
import { nextSteps } from '../src/report.js';
import { answersWith, tempDir } from './helpers/render.js';

function stepsFor(overrides: Partial<Answers>): { steps: string[]; files: Map<string, string> } {
  const root = tempDir();
  const answers = answersWith(overrides);
  const plan = planKit({ root, pieces: ['docker', 'compose', 'ci', 'kustomize', 'terraform', 'docs'], answers, store: [], stored: readStored(root), version: '0.0.0-test', force: false, mode: 'write', restore: false, conflict: 'markers' });
  return { steps: nextSteps(plan, answers), files: new Map(plan.files.map((f) => [f.path, f.content])) };
}

describe('next steps', () => {
  it.each([
    { cloud: 'aws', orchestrator: 'kubernetes', ci: 'github' },
    { cloud: 'gcp', orchestrator: 'compose', ci: 'gitlab' },
    { cloud: 'azure', orchestrator: 'compose', ci: 'github' },
    { cloud: 'azure', orchestrator: 'kubernetes', ci: 'gitlab', gitops: 'argocd', repoUrl: 'https://gitlab.com/acme/shop.git' },
  ] as Partial<Answers>[])('%o', (cell) => {
    const { steps, files } = stepsFor(cell);
    const text = steps.join('\n');
    // The backend setting reads a bootstrap output that exists, and is the one the environment's backend leaves open.
    const output = /output -raw (\w+)/.exec(text)?.[1];
    expect(files.get('terraform/bootstrap/outputs.tf')).toContain(`output "${output}"`);
    const setting = /-backend-config="(\w+)=/.exec(text)?.[1];
    expect(files.get('terraform/environments/staging/backend.tf')).toContain(setting);
    expect(text.includes('ingress_cidrs')).toBe(cell.orchestrator === 'compose');
    if (cell.orchestrator === 'compose') expect(files.get('terraform/environments/staging/variables.tf')).toContain('variable "ingress_cidrs"');
    expect(text.includes('kubectl kustomize')).toBe(cell.orchestrator === 'kubernetes');
    expect(text.includes('kubernetes/argocd')).toBe(cell.gitops === 'argocd');
    expect(text).toContain('git push');
  });
});
