/** What the user sees after a run: one line per file that matters, a count per action, and next steps. */
import type { KitPlan } from './kit.js';
import type { Answers } from './answers/schema.js';
import type { Action } from './merge/plan.js';

export interface Style {
  readonly color: boolean;
}

const SYMBOL: Record<Action, string> = {
  create: '+',
  update: '~',
  unchanged: '=',
  conflict: '!',
  'kept-deleted': '-',
};

const COLOR: Record<Action, number> = { create: 32, update: 33, unchanged: 2, conflict: 31, 'kept-deleted': 2 };

const VERB: Record<Action, string> = {
  create: 'create',
  update: 'update',
  unchanged: 'unchanged',
  conflict: 'conflict',
  'kept-deleted': 'kept deleted',
};

function paint(style: Style, code: number, text: string): string {
  return style.color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

export function summarize(plan: KitPlan, style: Style, dryRun: boolean): string {
  const lines: string[] = [];
  for (const file of plan.files) {
    if (file.action === 'unchanged') continue;
    const label = `${SYMBOL[file.action]} ${VERB[file.action].padEnd(12)}`;
    lines.push(`${paint(style, COLOR[file.action], label)} ${file.path}${file.reason ? `  (${file.reason})` : ''}`);
  }
  const counts = countActions(plan);
  const total = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${VERB[action as Action]}`)
    .join(', ');
  const nothing = counts.create + counts.update === 0;
  const head = dryRun ? 'dry run, nothing written: would' : nothing ? 'nothing to do:' : 'done:';
  lines.push(`${head} ${total}`);
  return lines.join('\n');
}

export function countActions(plan: KitPlan): Record<Action, number> {
  const counts: Record<Action, number> = { create: 0, update: 0, unchanged: 0, conflict: 0, 'kept-deleted': 0 };
  for (const file of plan.files) counts[file.action] += 1;
  return counts;
}

/** Next steps that fit the answers and the files this run wrote. */
export function nextSteps(plan: KitPlan, answers: Answers): string[] {
  const has = (prefix: string) => plan.files.some((f) => f.path.startsWith(prefix) && f.action !== 'conflict');
  const steps: string[] = [];
  if (has('docker-compose.yml')) steps.push('cp .env.example .env && docker compose up --build   # run it locally');
  if (has('terraform/')) {
    steps.push(`terraform -chdir=terraform/bootstrap init && terraform -chdir=terraform/bootstrap apply   # once: remote state in ${answers.region}`);
    steps.push(
      'terraform -chdir=terraform/environments/staging init -backend-config="bucket=$(terraform -chdir=terraform/bootstrap output -raw state_bucket_name)" && terraform -chdir=terraform/environments/staging apply',
    );
  }
  if (has('kubernetes/')) steps.push('kubectl kustomize kubernetes/overlays/staging   # review what staging gets');
  if (has('.github/workflows/')) steps.push('git add -A && git commit -m "Add infra-kit" && git push   # the pipeline deploys main to staging');
  if (has('docs/')) steps.push('read docs/runbook.md before the first deploy');
  return steps;
}
