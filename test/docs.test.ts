/**
 * Docs piece: runbook and postmortem structure (DOC01, DOC02), and every command in the runbook checked
 * against the files the other pieces render (paths, CI jobs and inputs, Kubernetes names, compose
 * services, Terraform outputs). No Markdown parser is installed: structure is checked on lines.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import type { Answers } from '../src/answers/schema.js';
import { answersWith, renderToDir, renderToMemory } from './helpers/render.js';

const CELLS: Partial<Answers>[] = [{}, { database: 'postgres', name: 'shop-api', region: 'us-east-2' }];
const SECTIONS = ['Overview', 'Deploy', 'Promote to production', 'Rollback', 'Scale', 'Restart', 'Secrets', 'Backup and restore', 'Local development', 'Infrastructure (Terraform)', 'Incident response'];
const DB_ONLY = ['Backup and restore'];
/** DOC01: sections that must carry runnable commands, and the labels each procedure must spell out. */
const WITH_COMMANDS = ['Deploy', 'Promote to production', 'Rollback', 'Scale', 'Restart', 'Backup and restore', 'Local development', 'Infrastructure (Terraform)', 'Incident response'];
const PROCEDURE_LABELS = ['**When to use:**', '**Verify:**', '**Back out'];
const PROCEDURES = ['Deploy', 'Promote to production', 'Scale', 'Restart', 'Backup and restore', 'Infrastructure (Terraform)'];
const CONTRACT_JOBS = ['lint', 'typecheck', 'test', 'build', 'scan', 'push', 'deploy-staging', 'deploy-production'];
const POSTMORTEM_SECTIONS = ['Summary', 'Impact', 'Detection', 'Timeline', 'Root cause and trigger', 'Resolution', 'What went well', 'What went badly', 'Where we got lucky', 'Action items', 'Lessons'];

// ---------- Markdown on lines ----------
interface Heading { level: number; text: string; line: number }
interface Fence { lang: string; body: string }
interface Doc { frontMatter?: string; headings: Heading[]; fences: Fence[]; prose: string; problems: string[] }

const slug = (text: string) => text.toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');

function scan(md: string): Doc {
  const lines = md.split('\n');
  const problems: string[] = [];
  let start = 0;
  let frontMatter: string | undefined;
  if (lines[0] === '---') {
    start = lines.indexOf('---', 1) + 1;
    if (start === 0) problems.push('unclosed front matter');
    frontMatter = lines.slice(1, start - 1).join('\n');
  }
  const headings: Heading[] = [];
  const fences: Fence[] = [];
  const prose: string[] = [];
  let open: { marker: string; lang: string; body: string[]; line: number } | undefined;
  for (let i = start; i < lines.length; i++) {
    const line = lines[i]!;
    const n = i + 1;
    if (/[ \t]$/.test(line)) problems.push(`line ${n}: trailing whitespace`);
    const fence = /^\s*(`{3,}|~{3,})\s*(\S*)/.exec(line);
    if (open) {
      if (fence && fence[1]!.startsWith(open.marker) && !fence[2]) {
        fences.push({ lang: open.lang, body: open.body.join('\n') });
        open = undefined;
        if (lines[i + 1]?.trim()) problems.push(`line ${n}: no blank line after a code block`);
      } else open.body.push(line);
      continue;
    }
    if (fence) {
      open = { marker: fence[1]!, lang: fence[2]!, body: [], line: n };
      if (!fence[2]) problems.push(`line ${n}: code block without a language`);
      if (i > start && lines[i - 1]!.trim()) problems.push(`line ${n}: no blank line before a code block`);
      continue;
    }
    if (!line.trim() && i > start && !lines[i - 1]!.trim() && i < lines.length - 1) problems.push(`line ${n}: consecutive blank lines`);
    const h = /^(#{1,6})\s+(.*)$/.exec(line);
    if (h) {
      const level = h[1]!.length;
      const prev = headings.at(-1)?.level ?? 0;
      if (level > prev + 1) problems.push(`line ${n}: heading level jumps from ${prev} to ${level}`);
      if ((i > start && lines[i - 1]!.trim()) || lines[i + 1]?.trim()) problems.push(`line ${n}: heading not surrounded by blank lines`);
      headings.push({ level, text: h[2]!, line: n });
      continue;
    }
    prose.push(line);
  }
  if (open) problems.push(`line ${open.line}: unclosed code block`);
  if (!md.endsWith('\n') || md.endsWith('\n\n')) problems.push('file must end with exactly one newline');
  if (headings.filter((h) => h.level === 1).length !== 1) problems.push('exactly one H1 expected');
  const anchors = new Set(headings.map((h) => slug(h.text)));
  for (const [, anchor] of md.matchAll(/\]\(#([^)]+)\)/g)) if (!anchors.has(anchor!)) problems.push(`broken link #${anchor}`);
  for (const table of prose.join('\n').split(/\n(?!\|)/).filter((b) => b.startsWith('|'))) {
    const widths = table.split('\n').map((row) => row.replace(/`[^`]*`/g, '').split('|').length);
    if (new Set(widths).size !== 1) problems.push(`table with uneven rows: ${table.split('\n')[0]}`);
  }
  // Paragraphs on one line each, so phrases split by line wrapping still match.
  return { frontMatter, headings, fences, prose: prose.join('\n').replace(/([^\n])\n(?=[^\n])/g, '$1 '), problems };
}

/** The body of each `##` section, by heading text. */
function sections(md: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = md.split(/^## /m).slice(1);
  for (const part of parts) out.set(part.slice(0, part.indexOf('\n')), part.slice(part.indexOf('\n') + 1));
  return out;
}

/** What DOC01 requires of a runbook; [] when it holds. */
function runbookProblems(md: string, hasDatabase: boolean): string[] {
  const found = sections(md);
  const problems: string[] = [];
  for (const name of SECTIONS) {
    const wanted = hasDatabase || !DB_ONLY.includes(name);
    if (wanted && !found.has(name)) problems.push(`missing section: ${name}`);
    if (!wanted && found.has(name)) problems.push(`unexpected section: ${name}`);
    const body = found.get(name);
    if (!body) continue;
    if (WITH_COMMANDS.includes(name) && !/```sh\n/.test(body)) problems.push(`${name}: no commands`);
    if (PROCEDURES.includes(name)) for (const label of PROCEDURE_LABELS) if (!body.includes(label)) problems.push(`${name}: no ${label}`);
  }
  return problems;
}

/** Shell commands of the ```sh blocks: continuations joined, comments dropped. */
function commands(doc: Doc): string[] {
  return doc.fences
    .filter((f) => f.lang === 'sh')
    .flatMap((f) => f.body.replace(/\\\n\s*/g, '').split('\n'))
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
    .filter(Boolean);
}

/** Repository paths the runbook names, `<env>` expanded; files the runbook tells you to `cp` are allowed. */
function repoPaths(md: string): string[] {
  const text = md.replaceAll('../kubernetes/', 'kubernetes/');
  const found = [...text.matchAll(/(?<![\w.\/-])((?:kubernetes|terraform|docs|\.github)\/[\w.<>\/-]*|docker-compose\.yml|\.env\.example|Dockerfile|\.dockerignore)/g)];
  const copies = new Set([...text.matchAll(/\bcp (\S+) (\S+)/g)].map((m) => m[2]!));
  const paths = found.map((m) => m[1]!.replace(/[./]+$/, ''));
  const expanded = paths.flatMap((p) => (p.includes('<env>') ? ['staging', 'production'].map((e) => p.replaceAll('<env>', e)) : [p]));
  return [...new Set(expanded)].filter((p) => !copies.has(p));
}

/** CI job ids the prose names: "the `x` job", "the `a`, `b` and `c` jobs", "job `x`". */
function jobMentions(prose: string): string[] {
  const lists = [...prose.matchAll(/((?:`[a-z][\w-]*`(?:,? and |, ))*`[a-z][\w-]*`) jobs?\b/g)].flatMap((m) => [...m[1]!.matchAll(/`([\w-]+)`/g)].map((c) => c[1]!));
  const after = [...prose.matchAll(/\bjobs? `([a-z][\w-]*)`/g)].map((m) => m[1]!);
  return [...new Set([...lists, ...after])];
}

async function hclBlocks(files: Map<string, string>, dir: string, kind: 'output'): Promise<string[]> {
  const names: string[] = [];
  for (const [path, src] of files) {
    if (!path.startsWith(`${dir}/`) || !path.endsWith('.tf') || path.slice(dir.length + 1).includes('/')) continue;
    names.push(...Object.keys(((await parseHcl(path, src)) as Record<string, Record<string, unknown>>)[kind] ?? {}));
  }
  return names;
}

async function kustomize(dir: string): Promise<{ kind: string; metadata: { name: string; namespace?: string }; spec?: any }[]> {
  const { stdout } = await execa('kubectl', ['kustomize', dir]);
  return parseAllDocuments(stdout).map((d) => d.toJS());
}

const docsOnly = (overrides: Partial<Answers>) => renderToMemory(overrides, ['docs']);

// ---------- tests ----------
describe.each(CELLS)('docs piece with %o', (overrides) => {
  const answers = answersWith(overrides);
  const hasDatabase = answers.database !== 'none';
  const N = answers.name;
  const files = docsOnly(overrides);
  const runbook = files.get('docs/runbook.md')!;
  const doc = scan(runbook);

  it('renders exactly the runbook and the postmortem template', () => {
    expect([...files.keys()]).toEqual(['docs/postmortem-template.md', 'docs/runbook.md']);
  });

  it('runbook: DOC01 sections in their stable order, each procedure complete; valid Markdown structure', () => {
    expect(runbookProblems(runbook, hasDatabase)).toEqual([]);
    const expected = SECTIONS.filter((s) => hasDatabase || !DB_ONLY.includes(s));
    expect(doc.headings.filter((h) => h.level === 2).map((h) => h.text)).toEqual(expected);
    expect(doc.problems).toEqual([]);
    expect(doc.fences.length).toBeGreaterThan(10);
  });

  it('runbook: names come from the answers (clusters, namespace, region, Secret)', () => {
    const cmds = commands(doc);
    for (const env of ['staging', 'production']) expect(cmds).toContain(`aws eks update-kubeconfig --name ${N}-${env} --region ${answers.region}`);
    for (const [, region] of runbook.matchAll(/--region (\S+)/g)) expect(region).toBe(answers.region);
    for (const [, cluster] of runbook.matchAll(/update-kubeconfig --name (\S+)/g)) expect([`${N}-staging`, `${N}-production`]).toContain(cluster);
    // Every kubectl call targets namespace N, except those whose manifests carry it (-k, -f) or touch no objects.
    const kubectl = cmds.flatMap((c) => c.split('|').map((s) => s.trim())).filter((s) => s.startsWith('kubectl '));
    expect(kubectl.length).toBeGreaterThan(20);
    for (const c of kubectl.filter((s) => !/^kubectl (config|kustomize)\b| -k | -f /.test(s))) expect(c).toContain(` -n ${N} `);
    for (const cmd of ['rollout status', 'rollout undo', 'rollout restart', 'scale']) expect(cmds.some((c) => c.startsWith(`kubectl -n ${N} ${cmd} deployment/${N}`))).toBe(true);
    expect(cmds).toContain(`gh workflow run rollback.yml --ref main -f environment=production -f digest=sha256:...`);
    if (hasDatabase) {
      expect(cmds.some((c) => c.includes(`create secret generic ${N}-database --from-file=url=`))).toBe(true);
      for (const api of ['create-db-snapshot', 'restore-db-instance-from-db-snapshot']) expect(cmds.some((c) => c.startsWith(`aws rds ${api} --region ${answers.region}`))).toBe(true);
      for (const [, id] of runbook.matchAll(/--db-instance-identifier (\S+)/g)) expect(id).toMatch(new RegExp(`^${N}-(staging|production)`));
      expect(cmds.some((c) => c.startsWith('docker compose exec -T db') && c.includes('pg_dump'))).toBe(true);
    } else {
      expect(runbook).not.toMatch(/pg_dump|aws rds|-database/);
    }
  });

  it('postmortem: DOC02 blameless, front matter, sections, action items with type/owner/due', () => {
    const md = files.get('docs/postmortem-template.md')!;
    const pm = scan(md);
    expect(pm.problems).toEqual([]);
    const front = parseYaml(pm.frontMatter!) as Record<string, unknown>;
    for (const key of ['title', 'date', 'severity', 'status', 'authors']) expect(front).toHaveProperty(key);
    expect(front.service).toBe(N);
    expect(md).toMatch(/severity: P2 # P1 \| P2 \| P3/);
    expect(pm.headings.filter((h) => h.level === 2).map((h) => h.text)).toEqual(POSTMORTEM_SECTIONS);
    expect(pm.prose).toMatch(/This postmortem is blameless\.\*\* .*never who is at fault.* Blame makes people hide details/);
    const body = sections(md);
    expect(body.get('Impact')).toMatch(/Users affected[\s\S]*Duration[\s\S]*SLO and error budget burned/);
    expect(body.get('Timeline')).toContain('| Time (UTC) | Event |');
    const rows = body.get('Action items')!.split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(rows[0]).toEqual(['Action', 'Type', 'Owner', 'Due', 'Tracking']);
    expect(new Set(rows.slice(2).map((r) => r[1]))).toEqual(new Set(['prevent', 'mitigate', 'detect']));
  });
});

describe('the checkers fail on broken documents (negative tests)', () => {
  const runbook = docsOnly({ database: 'postgres' }).get('docs/runbook.md')!;
  const without = (md: string, name: string) => md.replace(new RegExp(`^## ${name.replace(/[()]/g, '\\$&')}\\n[\\s\\S]*?(?=^## )`, 'm'), '');

  it('a runbook missing a section, or with backups but no database, is reported', () => {
    expect(runbookProblems(runbook, true)).toEqual([]);
    expect(runbookProblems(without(runbook, 'Rollback'), true)).toEqual(['missing section: Rollback']);
    expect(runbookProblems(without(runbook, 'Backup and restore'), true)).toEqual(['missing section: Backup and restore']);
    expect(runbookProblems(runbook, false)).toEqual(['unexpected section: Backup and restore']);
    const scaleWithoutCommands = runbook.replace(/(^## Scale\n[\s\S]*?)```sh\n[\s\S]*?```\n/m, '$1');
    expect(runbookProblems(scaleWithoutCommands, true)).toEqual(['Scale: no commands']);
    expect(runbookProblems(runbook.replace('**Verify:** `kubectl -n', 'Check: `kubectl -n'), true)).toEqual(['Scale: no **Verify:**']);
  });

  it('broken Markdown structure is reported', () => {
    expect(scan(runbook).problems).toEqual([]);
    expect(scan(`${runbook}\n\`\`\`sh\nls\n`).problems).toContain(`line ${runbook.split('\n').length + 1}: unclosed code block`);
    expect(scan(runbook.replace('## Scale', '#### Scale')).problems.some((p) => p.includes('heading level jumps from 2 to 4'))).toBe(true);
    expect(scan(runbook.replace('(#rollback)', '(#roll-back)')).problems).toContain('broken link #roll-back');
    expect(scan(runbook.replace('```sh\n', '```\n')).problems.some((p) => p.endsWith('code block without a language'))).toBe(true);
  });
});

describe.each(CELLS)('runbook commands match the rest of the kit, %o', (overrides) => {
  const answers = answersWith(overrides);
  const N = answers.name;
  const hasDatabase = answers.database !== 'none';

  it('every path, CI job, workflow input, Kubernetes object, compose service and Terraform output exists', async () => {
    const { dir, files } = renderToDir(overrides);
    const runbook = files.get('docs/runbook.md')!;
    const doc = scan(runbook);
    const cmds = commands(doc);

    // Paths: kubernetes/overlays/<env>, terraform/environments/<env>, terraform/bootstrap, compose, CI...
    const paths = repoPaths(runbook);
    expect(paths).toEqual(expect.arrayContaining(['kubernetes/overlays/staging', 'terraform/environments/production', 'terraform/bootstrap', 'docker-compose.yml', '.env.example', '.github/workflows/ci.yml']));
    const exists = (p: string) => files.has(p) || [...files.keys()].some((f) => f.startsWith(`${p}/`));
    expect(paths.filter((p) => !exists(p))).toEqual([]);

    // CI: every job the runbook names is a job of ci.yml; the rollback dispatch takes the inputs it passes.
    const ci = parseYaml(files.get('.github/workflows/ci.yml')!) as { on: any; jobs: Record<string, any> };
    const named = jobMentions(doc.prose);
    expect(named).toEqual(expect.arrayContaining(CONTRACT_JOBS));
    expect(named.filter((j) => !(j in ci.jobs))).toEqual([]);
    expect([ci.jobs['deploy-production'].needs].flat()).toContain('deploy-staging');
    expect(JSON.stringify(ci.jobs['deploy-production'].environment)).toContain('production');
    for (const c of cmds.filter((c) => c.startsWith('gh workflow run '))) {
      const [, file, flags] = /^gh workflow run (\S+)(.*)$/.exec(c)!;
      const inputs = parseYaml(files.get(`.github/workflows/${file}`)!).on.workflow_dispatch.inputs as Record<string, { options?: string[] }>;
      for (const [, key, value] of flags!.matchAll(/-f (\w+)=(\S+)/g)) {
        expect(inputs, `input ${key}`).toHaveProperty(key!);
        if (inputs[key!]!.options) expect(inputs[key!]!.options).toContain(value);
      }
    }

    // Kubernetes: objects the commands name exist in both overlays, in namespace N.
    const kinds: Record<string, string> = { deployment: 'Deployment', hpa: 'HorizontalPodAutoscaler', pdb: 'PodDisruptionBudget', service: 'Service' };
    const refs = [...new Set(cmds.filter((c) => c.startsWith('kubectl')).flatMap((c) => [...c.matchAll(/\b(deployment|hpa|pdb|service)\/([\w-]+)/g)].map((m) => `${kinds[m[1]!]}/${m[2]}`)))];
    expect(refs).toEqual(expect.arrayContaining([`Deployment/${N}`, `HorizontalPodAutoscaler/${N}`, `PodDisruptionBudget/${N}`, `Service/${N}`]));
    for (const env of ['staging', 'production']) {
      const objects = await kustomize(join(dir, 'kubernetes/overlays', env));
      const have = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(refs.filter((r) => !have.includes(r)), env).toEqual([]);
      expect(have).toEqual(expect.arrayContaining([`Namespace/${N}`, `ConfigMap/${N}-config`]));
      for (const o of objects.filter((o) => o.kind !== 'Namespace')) expect(o.metadata.namespace).toBe(N);
      const pod = objects.find((o) => o.kind === 'Deployment')!.spec.template;
      expect(pod.metadata.labels['app.kubernetes.io/name']).toBe(N); // the -l selector the runbook uses
      expect(pod.spec.containers[0].name).toBe('app'); // `containers[0]` in the runbook's jsonpath
      const fromSecrets = (pod.spec.containers[0].env ?? []).map((e: any) => e.valueFrom?.secretKeyRef).filter(Boolean);
      expect(fromSecrets).toEqual(hasDatabase ? [{ name: `${N}-database`, key: 'url' }] : []);
    }

    // The break-glass deploy: the runbook's own wrapper kustomization pins registry + digest on staging.
    const heredoc = /cat > "\$TMP\/kustomization\.yaml" <<EOF\n([\s\S]*?)\nEOF/.exec(runbook)![1]!;
    const digest = `sha256:${'a'.repeat(64)}`;
    const wrapper = join(dir, '.deploy-test');
    mkdirSync(wrapper);
    writeFileSync(join(wrapper, 'kustomization.yaml'), heredoc.replaceAll('$ACCOUNT', '123456789012').replaceAll('$DIGEST', digest));
    const wrapped = (await kustomize(wrapper)).find((o) => o.kind === 'Deployment')!;
    expect(wrapped.spec.template.spec.containers[0].image).toBe(`123456789012.dkr.ecr.${answers.region}.amazonaws.com/${N}@${digest}`);

    // Compose: services the commands use exist; the local health check URL matches the published port.
    const compose = parseYaml(files.get('docker-compose.yml')!) as { services: Record<string, any> };
    const services = cmds.flatMap((c) => [.../^docker compose (?:exec|logs|restart|stop)((?: -\w+)*) ([\w-]+)/.exec(c) ?? []].slice(2));
    expect(services).toContain('app');
    expect(services.filter((s) => !(s in compose.services))).toEqual([]);
    expect(compose.services.app.ports).toContain(`127.0.0.1:${answers.port}:${answers.port}`);
    expect(cmds).toContain(`curl -fsS http://127.0.0.1:${answers.port}${answers.healthPath}`);
    if (hasDatabase) {
      expect(Object.keys(compose.services.db.environment)).toEqual(expect.arrayContaining(['POSTGRES_USER', 'POSTGRES_DB', 'POSTGRES_PASSWORD']));
      expect(files.get('.env.example')).toMatch(/^POSTGRES_PASSWORD=/m);
    }

    // Terraform: each -chdir is a root; the outputs the runbook reads are declared there.
    const tf = cmds.flatMap((c) => [...c.matchAll(/\bterraform -chdir=(\S+) (\w+)(?: -raw (\w+))?/g)]);
    expect(tf.length).toBeGreaterThanOrEqual(8);
    for (const [, root, verb, output] of tf) {
      expect(readdirSync(join(dir, root!)).filter((f) => f.endsWith('.tf')).length, root).toBeGreaterThan(0);
      if (verb === 'output') expect(await hclBlocks(files, root!, 'output'), `${root} output`).toContain(output);
    }
    // The backend bucket the runbook passes to init is the one bootstrap creates (<N>-tfstate-<account>).
    expect(runbook).toContain(`-backend-config="bucket=${N}-tfstate-$(aws sts get-caller-identity`);
  });
});
