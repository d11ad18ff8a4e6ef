/**
 * Docs of `--gitops argocd` kits: markdownlint and DOC01 as in docs.test.ts; every `argocd` command names an
 * Application, cluster or repository that the rendered `kubernetes/argocd/` defines; the bootstrap sets exactly
 * the push credentials and variables CI reads (GITOPS_PUSH_TOKEN); the runbook's break-glass deploy (sed on the
 * release file) and `git revert` rollback are run for real on a file CI's own commit script writes, then built
 * with `kubectl kustomize`; every rendered file has a row in "Generated files"; no `migrate.sh` anywhere. Kits
 * without GitOps never mention Argo CD.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lint } from 'markdownlint/sync';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { Answers } from '../src/answers/schema.js';
import { headingSections, RUNBOOK_SECTIONS, DB_ONLY, runbookProblems, sections } from '../src/check/docs.js';
import { answersWith, renderToDir, renderToMemory } from './helpers/render.js';
import { gitlabUserVariables } from './helpers/ci-gitlab.js';
import { kubectlKustomize, parseYamlDocs } from './helpers/validators.js';

const MARKDOWNLINT = { default: true, MD013: { line_length: 160, code_blocks: false, tables: false }, MD025: { front_matter_title: '' } };
/** ci × cloud, the database alternating so that each CI has both; HTTPS and SSH repository URLs. */
const CELLS: Partial<Answers>[] = ([
  ['github', 'aws', 'none', 'https://github.com/acme/shop.git'],
  ['github', 'gcp', 'postgres', 'https://github.com/acme/shop.git'],
  ['github', 'azure', 'none', 'git@github.com:acme/shop.git'],
  ['gitlab', 'aws', 'postgres', 'git@gitlab.com:acme/shop.git'],
  ['gitlab', 'gcp', 'none', 'https://gitlab.com/acme/shop.git'],
  ['gitlab', 'azure', 'postgres', 'https://gitlab.com/acme/shop.git'],
] as const).map(([ci, cloud, database, repoUrl]) => ({ ci, cloud, database, repoUrl, gitops: 'argocd', orchestrator: 'kubernetes', name: 'shop-api' }));
const IDENTITY = { aws: 'arn:aws:iam::123456789012:role/shop-api-app-staging', gcp: 'shop-api-app@my-project.iam.gserviceaccount.com', azure: '00000000-0000-0000-0000-000000000001' };
const digest = (c: string): string => `sha256:${c.repeat(64)}`;

function markdownProblems(name: string, md: string): string[] {
  const result = lint({ strings: { [name]: md }, config: MARKDOWNLINT });
  return (result[name] ?? []).map((e) => `${name}:${e.lineNumber} ${e.ruleNames.join('/')} ${e.errorDetail ?? ''}`.trim());
}

/** Links `](#x)` with no heading of that GitHub anchor in the same page. */
function brokenAnchors(md: string): string[] {
  const seen = new Map<string, number>();
  const anchors = new Set(headingSections(md).map(({ title }) => {
    const base = title.replace(/[`*_]/g, '').toLowerCase().replace(/[^\p{L}\p{N}\- ]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  }));
  return [...md.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]!).filter((a) => !anchors.has(a));
}

/** Commands of the ```sh blocks (also indented ones in lists): continuations joined, comments dropped. */
function shCommands(md: string): string[] {
  return [...md.matchAll(/^( *)```sh\n([\s\S]*?)^\1```/gm)]
    .flatMap((m) => m[2]!.split('\n').map((l) => l.slice(m[1]!.length)).join('\n').replace(/\\\n\s*/g, '').split('\n'))
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
    .filter((l) => l && !l.startsWith('#'));
}

const unquote = (w: string): string => w.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');

/** `argocd app <verb> <name>` naming no Application, and cluster/repo registrations that match nothing. */
function argocdProblems(cmds: readonly string[], apps: readonly { name: string; cluster: string; namespace: string; repo: string }[]): string[] {
  const problems: string[] = [];
  for (const c of cmds) {
    const app = /^argocd app (\w+) (\S+)/.exec(c);
    if (app && !apps.some((a) => a.name === unquote(app[2]!))) problems.push(`no Application ${app[2]}: ${c}`);
    const cluster = /^argocd cluster add \S+ --name (\S+) --namespace (\S+)/.exec(c);
    if (cluster && !apps.some((a) => a.cluster === unquote(cluster[1]!) && a.namespace === unquote(cluster[2]!))) problems.push(`no destination ${cluster[1]}/${cluster[2]}: ${c}`);
    const repo = /^argocd repo add (\S+)/.exec(c);
    if (repo && !apps.some((a) => a.repo === unquote(repo[1]!))) problems.push(`not the Applications' repoURL: ${c}`);
  }
  return problems;
}

/** Rendered files no row of infrastructure.md's "Generated files" table accounts for. */
function undocumentedFiles(infrastructure: string, files: Iterable<string>): string[] {
  const table = sections(infrastructure).get('Generated files') ?? '';
  const listed = [...table.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((p) => /^[.\w]/.test(p) && !p.includes(' '));
  return [...files].filter((f) => !listed.some((p) => f === p || (p.endsWith('/') && f.startsWith(p))));
}

/** Repository paths the docs name (`<env>` expanded) that the kit does not have. */
function missingPaths(md: string, files: Map<string, string>): string[] {
  const found = [...md.matchAll(/(?<![\w.\/-])((?:kubernetes|terraform|docs|monitoring|\.github)\/[\w.<>\/-]*)/g)].map((m) => m[1]!.replace(/[./]+$/, ''));
  const copies = new Set([...md.matchAll(/\bcp (\S+) (\S+)/g)].map((m) => m[2]!));
  const paths = found.flatMap((p) => (p.includes('<env>') ? ['staging', 'production'].map((e) => p.replaceAll('<env>', e)) : [p]));
  return [...new Set(paths)].filter((p) => !copies.has(p) && !files.has(p) && ![...files.keys()].some((f) => f.startsWith(`${p}/`)));
}

/** The release file CI's commit script writes (its heredoc, run by sh), for env with that digest. */
function writeReleaseLikeCi(ciFile: string, dir: string, env: string, dig: string, cloud: string): void {
  const lines = ciFile.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'cat > "${release}" <<EOF');
  const indent = lines[start]!.length - lines[start]!.trimStart().length;
  const end = lines.findIndex((l, i) => i > start && l === `${' '.repeat(indent)}EOF`);
  const heredoc = lines.slice(start, end + 1).map((l) => l.slice(indent)).join('\n');
  execFileSync('sh', ['-euc', `release="kubernetes/overlays/${env}/release/kustomization.yaml"\n${heredoc}\n`], {
    cwd: dir,
    env: { ...process.env, APP_NAME: 'shop-api', TARGET_ENV: env, IMAGE: `registry.example.com/shop-api/shop-api`, DIGEST: dig, APP_IDENTITY: IDENTITY[cloud as keyof typeof IDENTITY], APP_PROJECT: 'my-project', APP_TENANT: '00000000-0000-0000-0000-000000000002' },
  });
}

const git = (cwd: string, ...args: string[]): string => execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com' } });
const bash = (cwd: string, script: string, env: Record<string, string> = {}): string => execFileSync('bash', ['-euc', script], { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@example.com', ...env } });
const built = (dir: string, env: string): any[] => parseYamlDocs(kubectlKustomize(join(dir, 'kubernetes/overlays', env))) as any[];

describe.each(CELLS)('GitOps docs, %o', (overrides) => {
  const answers = answersWith(overrides);
  const N = answers.name;
  const hasDatabase = answers.database !== 'none';
  const gitlab = answers.ci === 'gitlab';
  const { dir, files } = renderToDir(overrides);
  const docs = [...files].filter(([p]) => p.startsWith('docs/') && p.endsWith('.md'));
  const runbook = files.get('docs/runbook.md')!;
  const infrastructure = files.get('docs/infrastructure.md')!;
  const body = sections(runbook);
  const cmds = [...shCommands(runbook), ...shCommands(infrastructure)];
  const ciFile = files.get(gitlab ? '.gitlab-ci.yml' : '.github/workflows/ci.yml')!;
  const argo = [...files].filter(([p]) => /^kubernetes\/argocd\/[^/]+\.yaml$/.test(p) && !p.endsWith('kustomization.yaml')).flatMap(([p, src]) => parseYamlDocs(src, p) as any[]);
  const apps = argo.filter((o) => o.kind === 'Application').map((o) => ({ name: o.metadata.name, cluster: o.spec.destination.name, namespace: o.spec.destination.namespace, repo: o.spec.source.repoURL, spec: o.spec }));

  it('every page passes markdownlint, links reach headings, the runbook keeps the DOC01 sections in order', () => {
    expect(docs.length).toBe(5);
    for (const [path, md] of docs) {
      expect(markdownProblems(path, md)).toEqual([]);
      expect(brokenAnchors(md), path).toEqual([]);
      expect(md, path).not.toContain('migrate.sh');
    }
    expect(runbookProblems(runbook, hasDatabase)).toEqual([]);
    expect(headingSections(runbook).filter((s) => s.level === 2).map((s) => s.title)).toEqual(RUNBOOK_SECTIONS.filter((s) => hasDatabase || !DB_ONLY.includes(s)));
    expect(files.has('kubernetes/components/migrate/migrate.sh')).toBe(false);
  });

  it('argocd commands name the Applications, clusters and repository kubernetes/argocd defines', () => {
    expect(apps.map((a) => a.name).sort()).toEqual([`${N}-production`, `${N}-staging`]);
    expect(argocdProblems(cmds, apps)).toEqual([]);
    for (const env of ['staging', 'production']) {
      expect(cmds.filter((c) => c.startsWith(`argocd app wait ${N}-${env} --sync --health --timeout `)).length, env).toBeGreaterThan(0);
      expect(cmds.filter((c) => new RegExp(`^argocd cluster add .* --name ${N}-${env} --namespace ${N}\\b`).test(c)), env).toHaveLength(1);
    }
    expect(body.get('Deploy')).toContain(`argocd app get ${N}-staging`);
    expect(cmds.filter((c) => c.startsWith('argocd repo add '))).toHaveLength(1);
    // What the runbook says of the Applications holds: main, automated prune + selfHeal, and re-enabling restores both.
    for (const { spec } of apps) expect(spec).toMatchObject({ source: { targetRevision: 'main' }, syncPolicy: { automated: { prune: true, selfHeal: true } } });
    expect(cmds).toContain(`argocd app set ${N}-production --sync-policy automated --self-heal --auto-prune`);
    expect(cmds).toContain(`argocd app set ${N}-production --sync-policy none`);
    // The first deploy applies the project and the staging Application by file, then the whole kustomization.
    const kustomization = parseYaml(files.get('kubernetes/argocd/kustomization.yaml')!) as { resources: string[] };
    expect(kustomization.resources.every((r) => files.has(`kubernetes/argocd/${r}`))).toBe(true);
    const byFile = cmds.filter((c) => c.startsWith('kubectl apply -f kubernetes/argocd/')).flatMap((c) => [...c.matchAll(/-f kubernetes\/argocd\/(\S+)/g)].map((m) => m[1]!));
    expect(byFile).toEqual(['project.yaml', 'staging.yaml']);
    expect(byFile.every((f) => kustomization.resources.includes(f))).toBe(true);
    expect(cmds).toContain('kubectl apply -k kubernetes/argocd');
  });

  it('runbook: deploys and rollbacks are commits; no argocd app rollback, no hand apply, pause before undo', () => {
    expect(body.get('Deploy')).toMatch(/commits it to `main` as\s+`deploy\(staging\): sha256:… \[skip ci\]`/);
    expect(ciFile).toContain('--message "deploy(${TARGET_ENV}): ${DIGEST} [skip ci]"');
    expect(body.get('Promote to production')).toMatch(gitlab ? /Only when it is played does it commit/ : /Only after the approval does it commit/);
    const rollback = body.get('Rollback')!;
    expect(rollback).toContain(gitlab ? '`rollback-production`' : 'gh workflow run rollback.yml --ref main -f environment=production');
    expect(rollback).toContain('git revert --no-edit "$BAD"');
    expect(rollback).toMatch(/Not `argocd app rollback`: Argo CD refuses it while automated sync is on/);
    expect(cmds.filter((c) => /^argocd app rollback\b/.test(c) || /^kubectl apply -k (?!kubernetes\/argocd$)/.test(c))).toEqual([]);
    const undo = shCommands(rollback).findIndex((c) => c.includes('rollout undo'));
    expect(shCommands(rollback)[undo - 1]).toBe(`argocd app set ${N}-production --sync-policy none`);
    expect(runbook).toMatch(/### Drift and self-heal\n[\s\S]*reverted within seconds/);
    if (hasDatabase) {
      const migrations = headingSections(runbook).find((s) => s.title === 'Migrations (Argo CD sync hook)')!.body;
      expect(migrations).toContain(`kubectl -n ${N} logs job/${N}-migrate`);
      expect(migrations).toMatch(/A failed Job fails the sync: the Deployment is not touched/);
    } else expect(runbook).not.toMatch(/-migrate\b|Migrations \(Argo CD/);
  });

  it('names only paths, CI jobs and objects the kit has (Job hook and waves as the docs say)', () => {
    expect(missingPaths(runbook, files)).toEqual([]);
    expect(missingPaths(infrastructure, files)).toEqual([]);
    const ci = parseYaml(ciFile) as Record<string, any>;
    const jobs = gitlab ? ci : ci.jobs;
    for (const job of ['deploy-staging', 'deploy-production', 'push', 'scan']) expect(jobs, job).toHaveProperty(job);
    if (gitlab) for (const env of ['staging', 'production']) expect(jobs).toHaveProperty(`rollback-${env}`);
    for (const env of ['staging', 'production']) {
      const objects = built(dir, env);
      const job = objects.find((o) => o.kind === 'Job');
      expect(objects.find((o) => o.kind === 'Deployment')?.metadata.name).toBe(N);
      if (!hasDatabase) expect(job).toBeUndefined();
      else {
        expect(job.metadata.name).toBe(`${N}-migrate`);
        expect(job.metadata.annotations).toMatchObject({ 'argocd.argoproj.io/hook': 'Sync', 'argocd.argoproj.io/sync-wave': '1' });
        expect(objects.find((o) => o.kind === 'Deployment').metadata.annotations).toMatchObject({ 'argocd.argoproj.io/sync-wave': '2' });
      }
    }
  });

  it('bootstrap sets exactly the push token and variables CI reads', () => {
    expect(infrastructure).toContain('GITOPS_PUSH_TOKEN');
    if (gitlab) {
      const sets = [...infrastructure.matchAll(/^\s*(?:.*\| )?glab variable set (\w+)(?:.*? --scope (\w+))?/gm)].map((m) => m[1]!);
      expect([...new Set(sets)].sort()).toEqual(gitlabUserVariables(ciFile));
      expect(gitlabUserVariables(ciFile)).toContain('GITOPS_PUSH_TOKEN');
    } else {
      const workflows = [...files].filter(([p]) => p.startsWith('.github/workflows/')).map(([, s]) => s).join('\n');
      for (const [kind, ref] of [['variable', 'vars'], ['secret', 'secrets']] as const) {
        const read = new Set([...workflows.matchAll(new RegExp(`(?<![\\w.-])${ref}\\.([A-Z][A-Z0-9_]*)`, 'g'))].map((m) => m[1]!));
        const set = new Set(cmds.flatMap((c) => [...new RegExp(`^gh ${kind} set (\\w+)`).exec(c) ?? []].slice(1)));
        expect([...set].sort(), kind).toEqual([...read].sort());
      }
      expect(cmds.filter((c) => c.startsWith('gh secret set GITOPS_PUSH_TOKEN')).map((c) => c.split('--env ')[1])).toEqual(['staging', 'production']);
    }
  });

  it('lists every rendered file in Generated files', () => {
    expect(undocumentedFiles(infrastructure, files.keys())).toEqual([]);
    expect(infrastructure).toMatch(/^\| `kubernetes\/argocd\/` \|/m);
    expect(infrastructure).toMatch(/^\| `kubernetes\/overlays\/staging\/release\/`, `kubernetes\/overlays\/production\/release\/` \|/m);
  });

  it('the break-glass deploy and the git revert rollback work on the file CI writes', () => {
    const repo = renderToDir(overrides).dir;
    git(repo, 'init', '--quiet', '--initial-branch=main');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'kit');
    // Break-glass: the runbook's sed on a CI-written staging release changes one line, and the build follows.
    writeReleaseLikeCi(ciFile, repo, 'staging', digest('a'), answers.cloud);
    git(repo, 'commit', '--quiet', '-am', 'deploy(staging)');
    const sed = shCommands(body.get('Deploy')!).find((c) => c.startsWith('sed -i '))!;
    bash(repo, sed, { DIGEST: digest('c') });
    expect(git(repo, 'diff', '--numstat').trim()).toBe('1\t1\tkubernetes/overlays/staging/release/kustomization.yaml');
    const staging = built(repo, 'staging');
    const images = staging.filter((o) => o.kind === 'Deployment' || o.kind === 'Job').map((o) => o.spec.template.spec.containers[0].image);
    expect(images).toEqual(Array(hasDatabase ? 2 : 1).fill(`registry.example.com/shop-api/shop-api@${digest('c')}`));
    expect(Object.values(staging.find((o) => o.kind === 'ServiceAccount').metadata.annotations ?? {})).toContain(IDENTITY[answers.cloud]);
    // Rollback step 3: two production deploys, then the runbook's revert lines bring back the first digest.
    for (const d of ['a', 'b']) {
      writeReleaseLikeCi(ciFile, repo, 'production', digest(d), answers.cloud);
      git(repo, 'add', '.');
      git(repo, 'commit', '--quiet', '-m', `deploy(production): ${digest(d)}`);
    }
    const revert = shCommands(body.get('Rollback')!).filter((c) => c.startsWith('BAD=') || c.startsWith('git revert '));
    expect(revert).toHaveLength(2);
    bash(repo, revert.join('\n'));
    const prod = built(repo, 'production').find((o) => o.kind === 'Deployment');
    expect(prod.spec.template.spec.containers[0].image).toBe(`registry.example.com/shop-api/shop-api@${digest('a')}`);
    expect(readFileSync(join(repo, 'kubernetes/overlays/staging/release/kustomization.yaml'), 'utf8')).toContain(digest('c'));
  });
});

describe('kits without GitOps never mention Argo CD', () => {
  it.each([
    { ci: 'github', cloud: 'aws', database: 'postgres' },
    { ci: 'gitlab', cloud: 'gcp', database: 'none' },
    { ci: 'github', cloud: 'azure', database: 'none', gitops: 'none' },
    { orchestrator: 'compose', database: 'postgres' },
  ] as Partial<Answers>[])('%o', (overrides) => {
    const files = renderToMemory(overrides, ['docs']);
    for (const [path, md] of files) if (path.endsWith('.md')) expect(md, path).not.toMatch(/argo ?cd|GITOPS_PUSH_TOKEN|\/release\//i);
  });

  it('Argo CD with compose is refused (there are no overlays to sync)', () => {
    expect(() => renderToMemory({ orchestrator: 'compose', gitops: 'argocd', repoUrl: 'https://github.com/acme/shop.git' }, ['docs'])).toThrow(/needs --orchestrator kubernetes/);
  });
});

describe('the checks catch what they look for (negative tests)', () => {
  const overrides = CELLS[3]!;
  const files = renderToMemory(overrides, ['docs', 'kustomize']);
  const runbook = files.get('docs/runbook.md')!;
  const infrastructure = files.get('docs/infrastructure.md')!;
  const apps = [{ name: 'shop-api-staging', cluster: 'shop-api-staging', namespace: 'shop-api', repo: String(overrides.repoUrl) }];

  it('a wrong Application, cluster or repository in an argocd command is reported', () => {
    expect(argocdProblems(['argocd app get shop-api-staging', "argocd app wait 'shop-api-staging' --health"], apps)).toEqual([]);
    expect(argocdProblems(['argocd app get shop-api-stage'], apps)).toEqual(['no Application shop-api-stage: argocd app get shop-api-stage']);
    expect(argocdProblems(['argocd cluster add ctx --name shop-api-staging --namespace default --yes'], apps)).toHaveLength(1);
    expect(argocdProblems(['argocd repo add https://example.com/other.git'], apps)).toHaveLength(1);
  });

  it('a dropped table row, a missing path, a broken anchor or a lint error is reported', () => {
    expect(undocumentedFiles(infrastructure.replace(/^\| `kubernetes\/argocd\/`.*\n/m, ''), ['kubernetes/argocd/project.yaml'])).toEqual(['kubernetes/argocd/project.yaml']);
    expect(missingPaths('see `kubernetes/argocd/apps/` and `kubernetes/overlays/<env>/release`', files)).toEqual(['kubernetes/argocd/apps']);
    expect(brokenAnchors(runbook.replace('### Pause automated sync', '### Pause sync'))).toContain('pause-automated-sync');
    expect(markdownProblems('r.md', runbook.replace('\n### Drift and self-heal\n', '\n### Drift and self-heal\n\n'))).toEqual([expect.stringMatching(/MD012/)]);
    expect(shCommands('   ```sh\n   a \\\n     b   # c\n   # d\n   ```\n')).toEqual(['a b']);
  });

  it('a sed that does not match the file CI writes changes nothing', () => {
    const dir = renderToDir(overrides, ['kustomize']).dir;
    const release = join(dir, 'kubernetes/overlays/staging/release/kustomization.yaml');
    writeFileSync(release, readFileSync(release, 'utf8').replace('newTag: "0.1.0"', `digest: ${digest('a')}`));
    bash(dir, `sed -i "s|digest: \\"sha256:[0-9a-f]*\\"|digest: \\"$DIGEST\\"|" kubernetes/overlays/staging/release/kustomization.yaml`, { DIGEST: digest('c') });
    expect(readFileSync(release, 'utf8')).not.toContain(digest('c'));
  });
});
