/** What the user sees after a run: one line per file that matters, a count per action, and next steps. */
import type { KitPlan } from './kit.js';
import type { Answers } from './answers/schema.js';
import { WRITES, type Action } from './merge/plan.js';
import { unifiedDiff } from './merge/three-way.js';

export interface Style {
  readonly color: boolean;
}

/** How each action shows: symbol, ANSI colour, word. */
const SHOW: Record<Action, { symbol: string; color: number; verb: string }> = {
  create: { symbol: '+', color: 32, verb: 'create' },
  update: { symbol: '~', color: 33, verb: 'update' },
  merge: { symbol: '~', color: 36, verb: 'merge' },
  unchanged: { symbol: '=', color: 2, verb: 'unchanged' },
  kept: { symbol: '=', color: 2, verb: 'kept' },
  conflict: { symbol: '!', color: 31, verb: 'conflict' },
  'kept-deleted': { symbol: '-', color: 2, verb: 'kept deleted' },
  remove: { symbol: '-', color: 33, verb: 'remove' },
  orphaned: { symbol: '?', color: 33, verb: 'orphaned' },
};
const ACTIONS = Object.keys(SHOW) as Action[];

function paint(style: Style, code: number, text: string): string {
  return style.color ? `\u001b[${code}m${text}\u001b[0m` : text;
}

/**
 * Created files are grouped by piece (a folder of 3+ files shows as `folder/ (n files)`); every other action
 * is one line per file with its reason, because those are the ones a person must look at.
 */
export function summarize(plan: KitPlan, style: Style, dryRun: boolean): string {
  const lines: string[] = [];
  const label = (action: Action) => paint(style, SHOW[action].color, `${SHOW[action].symbol} ${SHOW[action].verb.padEnd(12)}`);
  const created = new Map<string, string[]>();
  for (const file of plan.files) {
    if (file.action === 'create' && !file.reason) {
      created.set(file.piece, [...(created.get(file.piece) ?? []), file.path]);
      continue;
    }
    if (file.action === 'unchanged' && !file.forget) continue;
    lines.push(`${label(file.action)} ${file.path}${file.reason ? `  (${file.reason})` : ''}`);
  }
  // .yo-rc.json is infra-kit's own record, not a piece.
  const grouped = [...created].map(([piece, paths]) => `${label('create')} ${(piece === 'record' ? 'infra-kit' : piece).padEnd(10)} ${collapse(paths).join('  ')}`);
  lines.unshift(...grouped);
  const counts = countActions(plan);
  const total = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([action, n]) => `${n} ${SHOW[action as Action].verb}`)
    .join(', ');
  const nothing = counts.create + counts.update + counts.merge + counts.remove === 0 && counts.conflict === 0;
  const head = dryRun ? 'dry run, nothing written: would' : nothing ? 'nothing to do:' : 'done:';
  lines.push(`${head} ${total}`);
  return lines.join('\n');
}

export function countActions(plan: KitPlan): Record<Action, number> {
  const counts = Object.fromEntries(ACTIONS.map((a) => [a, 0])) as Record<Action, number>;
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
    // The partial backend's one setting: the state bucket (aws, gcp) or storage account (azure) bootstrap made.
    const [setting, output] = answers.cloud === 'azure' ? ['storage_account_name', 'state_storage_account_name'] : ['bucket', 'state_bucket_name'];
    steps.push(
      `terraform -chdir=terraform/environments/staging init -backend-config="${setting}=$(terraform -chdir=terraform/bootstrap output -raw ${output})" && terraform -chdir=terraform/environments/staging apply`,
    );
  }
  if (has('deploy/')) steps.push('set ingress_cidrs (your load balancer) in terraform/environments/<env>/terraform.tfvars: the VM app port stays closed until then');
  if (has('kubernetes/overlays/')) steps.push('kubectl kustomize kubernetes/overlays/staging   # review what staging gets');
  if (has('kubernetes/argocd/')) steps.push('after the first deploy commit: kubectl apply -k kubernetes/argocd on the Argo CD cluster (docs/infrastructure.md)');
  if (has('.github/workflows/') || has('.gitlab-ci.yml')) steps.push('git add -A && git commit -m "Add infra-kit" && git push   # the pipeline deploys main to staging');
  if (has('docs/')) steps.push('read docs/runbook.md before the first deploy');
  return steps;
}

/** The unified diff of every change a plan would make (upgrade --dry-run / --check). */
export function unifiedDiffs(plan: KitPlan): string {
  return plan.files
    .filter((f) => (WRITES.has(f.action) && f.content !== f.previous) || f.action === 'remove' || f.sidecar)
    .map((f) => {
      const after = f.action === 'remove' ? '' : f.content;
      const diff = f.content !== f.previous || f.action === 'remove' ? unifiedDiff(f.path, f.previous ?? '', after) : '';
      return f.sidecar ? `${diff}${unifiedDiff(f.sidecar.path, '', f.sidecar.content)}` : diff;
    })
    .join('')
    .trimEnd();
}

/** `a/b/x`, `a/b/y`, … → `a/b/ (n files)` for folders holding 3 or more of the paths. */
function collapse(paths: readonly string[]): string[] {
  const byDir = new Map<string, string[]>();
  for (const p of paths) {
    const dir = p.includes('/') ? p.slice(0, p.lastIndexOf('/') + 1) : '';
    byDir.set(dir, [...(byDir.get(dir) ?? []), p]);
  }
  return [...byDir].flatMap(([dir, files]) => (dir && files.length >= 3 ? [`${dir} (${files.length} files)`] : files));
}
