/**
 * Docs for every orchestrator × CI cell: `--orchestrator compose` runbooks operate the VM `<N>-<env>` through
 * the cloud's channel and `/opt/<N>/deploy.sh` (never kubectl), Kubernetes runbooks never mention the VM
 * path, and GitLab kits document the generated GitLab OIDC trust with the CI/CD variables the rendered
 * `.gitlab-ci.yml` actually reads. Only the docs piece is rendered for the docs themselves; cross-checks
 * against other pieces skip (with the reason) while a piece of a cell does not render yet.
 */
import { lint } from 'markdownlint/sync';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Answers } from '../src/answers/schema.js';
import { runbookProblems, sections } from '../src/check/docs.js';
import type { Piece } from '../src/render/table.js';
import { answersWith, renderToMemory } from './helpers/render.js';
import { gitlabUserVariables } from './helpers/ci-gitlab.js';

const MARKDOWNLINT = { default: true, MD013: { line_length: 160, code_blocks: false, tables: false }, MD025: { front_matter_title: '' } };
const PAGES = ['docs/runbook.md', 'docs/infrastructure.md', 'docs/slo.md'];
const CLOUDS = ['aws', 'gcp', 'azure'] as const;
const CIS = ['github', 'gitlab'] as const;
const DATABASES = ['none', 'postgres'] as const;
/** How each cloud reaches the VM without an open SSH port (contract, Wave 3). */
const TRANSPORT = { aws: 'aws ssm send-command', gcp: 'gcloud compute ssh', azure: 'az vm run-command invoke' };

const cells = (orchestrator: 'compose' | 'kubernetes'): Partial<Answers>[] =>
  CLOUDS.flatMap((cloud) => CIS.flatMap((ci) => DATABASES.map((database) => ({ orchestrator, cloud, ci, database }))));

function markdownProblems(name: string, md: string): string[] {
  const result = lint({ strings: { [name]: md }, config: MARKDOWNLINT });
  return (result[name] ?? []).map((e) => `${name}:${e.lineNumber} ${e.ruleNames.join('/')} ${e.errorDetail ?? ''}`.trim());
}

/** Another piece of the same cell, or the reason it does not render yet (a helper's template still missing). */
function tryRender(overrides: Partial<Answers>, pieces: Piece[]): Map<string, string> | string {
  try {
    return renderToMemory(overrides, pieces);
  } catch (error) {
    return `${pieces.join('+')} does not render for ${JSON.stringify(overrides)} yet: ${(error as Error).message.split('\n')[0]}`;
  }
}

/** `glab variable set NAME [--scope env]` commands of the docs' ```sh blocks (continuations joined). */
function glabSets(md: string): { name: string; scope?: string }[] {
  const blocks = [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/\\\n\s*/g, ''));
  return blocks.flatMap((b) => [...b.matchAll(/^glab variable set (\w+)(?:.*? --scope (\w+))?/gm)].map((m) => ({ name: m[1]!, scope: m[2] })));
}

describe.each(cells('compose'))('compose docs, %o', (overrides) => {
  const answers = answersWith(overrides);
  const N = answers.name;
  const hasDatabase = answers.database !== 'none';
  const files = renderToMemory(overrides, ['docs']);
  const runbook = files.get('docs/runbook.md')!;
  const infrastructure = files.get('docs/infrastructure.md')!;

  it('passes markdownlint and DOC01, with no kubectl or Kustomize anywhere', () => {
    for (const page of PAGES) {
      expect(markdownProblems(page, files.get(page)!)).toEqual([]);
      expect(files.get(page), page).not.toMatch(/kubectl|kustomiz|namespace `|\bpods?\b/i);
    }
    expect(runbookProblems(runbook, hasDatabase)).toEqual([]);
    expect([...files.keys()].filter((f) => f.startsWith('kubernetes/'))).toEqual([]);
  });

  it('operates the VM N-<env> through the cloud channel and /opt/N/deploy.sh', () => {
    for (const env of ['staging', 'production']) expect(runbook).toContain(`${N}-${env}`);
    expect(runbook).toContain(TRANSPORT[answers.cloud]);
    expect(runbook).toMatch(/^on_vm\(\) \{/m);
    // Deploy, rollback and secret rotation all go through deploy.sh with an image pinned by digest.
    const body = sections(runbook);
    for (const section of ['Deploy', 'Rollback', 'Restart', 'Secrets']) expect(body.get(section), section).toContain(`/opt/${N}/deploy.sh`);
    expect(body.get('Rollback')).toMatch(new RegExp(`deploy\\.sh production "\\$\\(cut -d @ -f 1 /opt/${N}/current-image\\)@sha256:`));
    expect(runbook).toContain(`docker compose -f /opt/${N}/compose.yaml logs`);
    expect(infrastructure).toContain('`ingress_cidrs`');
    expect(infrastructure).toMatch(/load balancer with TLS/);
    expect(infrastructure).toContain('`deploy/deploy.sh`');
    expect(infrastructure).toContain('`terraform/modules/vm`');
  });

  it('documents exactly the alerts monitoring/alerts.yaml defines', () => {
    const groups = (parseYaml(files.get('monitoring/alerts.yaml')!) as { groups: { rules: { alert?: string }[] }[] }).groups;
    const alerts = [...new Set(groups.flatMap((g) => g.rules.map((r) => r.alert).filter(Boolean)))].sort();
    const documented = [...(sections(runbook).get('Alerts') ?? '').matchAll(/^### (\w+)$/gm)].map((m) => m[1]!).sort();
    expect(documented).toEqual(alerts);
    expect(documented).not.toContain('PodCrashLooping');
  });

  it('lists every file the full compose kit renders (skips while a piece does not render)', (ctx) => {
    const kit = tryRender(overrides, ['docker', 'compose', 'ci', 'terraform', 'docs']);
    if (typeof kit === 'string') return ctx.skip(kit);
    const table = sections(infrastructure).get('Generated files') ?? '';
    const listed = [...table.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((p) => /^[.\w]/.test(p) && !p.includes(' '));
    const missing = [...kit.keys()].filter((f) => !listed.some((p) => f === p || (p.endsWith('/') && f.startsWith(p))));
    expect(missing).toEqual([]);
    expect(kit.has(`terraform/modules/vm/main.tf`)).toBe(true);
  });
});

describe.each(cells('kubernetes'))('kubernetes docs, %o', (overrides) => {
  const files = renderToMemory(overrides, ['docs']);

  it('pass markdownlint and never mention the VM path', () => {
    for (const page of PAGES) {
      expect(markdownProblems(page, files.get(page)!)).toEqual([]);
      expect(files.get(page), page).not.toMatch(/\/opt\/|on_vm|deploy\.sh/);
    }
    expect(files.get('docs/runbook.md')).toContain('kubectl');
  });
});

describe.each([...cells('compose'), ...cells('kubernetes')].filter((c) => c.ci === 'gitlab' && c.database === 'postgres'))('GitLab bootstrap, %o', (overrides) => {
  const infrastructure = renderToMemory(overrides, ['docs']).get('docs/infrastructure.md')!;

  it('documents the generated GitLab OIDC trust and its Terraform variables', () => {
    expect(infrastructure).not.toMatch(/not generated|GitHub Actions only|gh variable set/i);
    expect(infrastructure).toContain('`terraform/modules/gitlab-oidc`');
    expect(infrastructure).toContain('gitlab_project_path');
    expect(infrastructure).toContain('gitlab_url');
    expect(sections(infrastructure).get('One-time bootstrap')).toContain('### 2. GitLab CI/CD variables');
  });

  it('sets exactly the CI/CD variables .gitlab-ci.yml reads, deploy ones per environment', (ctx) => {
    const ci = tryRender(overrides, ['ci']);
    if (typeof ci === 'string') return ctx.skip(ci);
    const sets = glabSets(infrastructure);
    expect([...new Set(sets.map((s) => s.name))].sort()).toEqual(gitlabUserVariables(ci.get('.gitlab-ci.yml')!));
    expect(sets.filter((s) => s.scope).map((s) => s.scope).sort()).toEqual(['production', 'staging']);
  });
});

describe('the checks catch what they look for (negative tests)', () => {
  it('the GitLab variable scan sees a read variable and ignores defined, assigned and predefined ones', () => {
    const src = 'variables:\n  A_SET: x\njob:\n  id_tokens:\n    TOKEN_X: {aud: y}\n  script:\n    - B_LOCAL=1\n    - echo "$A_SET ${B_LOCAL} $TOKEN_X $CI_JOB_ID ${NEEDED_VAR}"\n';
    expect(gitlabUserVariables(src)).toEqual(['NEEDED_VAR']);
    expect(glabSets('```sh\nglab variable set X --protected --scope staging \\\n  --value "$(y)"\nglab variable set Y --value z\n```\n')).toEqual([{ name: 'X', scope: 'staging' }, { name: 'Y', scope: undefined }]);
  });

  it('a compose runbook with kubectl in it, or without the VM, fails', () => {
    const runbook = renderToMemory({ orchestrator: 'compose' }, ['docs']).get('docs/runbook.md')!;
    expect(`${runbook}\nkubectl get pods\n`).toMatch(/kubectl/);
    expect(runbookProblems(runbook.replace(/^## Rollback\n[\s\S]*?(?=^## )/m, ''), false)).toEqual(['missing section: Rollback']);
    expect(markdownProblems('r.md', runbook.replace('\n## Scale\n', '\n## Scale\n\n'))).toEqual([expect.stringMatching(/MD012/)]);
  });
});
