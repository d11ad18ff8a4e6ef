/**
 * Docs piece: runbook, postmortem, SLO and infrastructure pages. Structure (DOC01, DOC02), markdownlint on
 * every rendered page, GitHub heading anchors for every link, and every command cross-checked against the
 * files the other pieces render (paths, CI jobs, inputs and variables, Kubernetes names, compose services,
 * Terraform outputs and its kubeconfig command). Per-cloud parts are rendered for aws, gcp and azure.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseHcl } from '@cdktf/hcl2json';
import { execa } from 'execa';
import { lint } from 'markdownlint/sync';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import type { Answers } from '../src/answers/schema.js';
import { DB_ONLY, RUNBOOK_SECTIONS as SECTIONS, runbookProblems, sections } from '../src/check/docs.js';
import { answersWith, renderToDir, renderToMemory } from './helpers/render.js';

/** Docs-only cells cover every cloud; the cross-check renders the full kit (every piece must render there). */
const CELLS: Partial<Answers>[] = [
  {},
  { database: 'postgres', name: 'shop-api', region: 'us-east-2' },
  { cloud: 'gcp', region: 'europe-west1', database: 'postgres', name: 'shop-api' },
  { cloud: 'azure', region: 'westeurope', database: 'postgres' },
  { cloud: 'azure', region: 'westeurope' },
];
const KIT_CELLS: Partial<Answers>[] = CELLS.slice(0, 3);
const CONTRACT_JOBS = ['lint', 'typecheck', 'test', 'build', 'scan', 'push', 'deploy-staging', 'deploy-production'];
const POSTMORTEM_SECTIONS = ['Summary', 'Impact', 'Detection', 'Timeline', 'Root cause and trigger', 'Resolution', 'What went well', 'What went badly', 'Where we got lucky', 'Action items', 'Lessons'];
const SLO_SECTIONS = ['Scope', 'SLIs', 'SLOs', 'Error budget policy', 'Burn-rate alerts', 'Prometheus setup', 'Queries', 'Review'];
const INFRA_SECTIONS = ['Generated files', 'How it fits together', 'One-time bootstrap', 'Monitoring'];
const BOOTSTRAP_STEPS = ['1. State backend, registry and OIDC trust', '2. GitHub repository variables', '3. Environments, staging first', '4. GitHub environments', '5. Namespaces, by a cluster administrator', '6. First deploy'];
const DOCS = ['docs/runbook.md', 'docs/postmortem-template.md', 'docs/slo.md', 'docs/infrastructure.md', 'docs/feature-flags.md'];
/**
 * markdownlint: all rules, except line length at 160 outside code blocks and tables (prose is wrapped near
 * 110, but an app name of up to 38 characters substituted into a line can push it past 120; commands must
 * stay copy-pasteable and GFM table rows cannot wrap), and the H1 check ignores the postmortem's front
 * matter `title`, which is metadata for indexes next to the visible H1.
 */
const MARKDOWNLINT = { default: true, MD013: { line_length: 160, code_blocks: false, tables: false }, MD025: { front_matter_title: '' } };

// ---------- Markdown on lines ----------
interface Heading { level: number; text: string; line: number }
interface Fence { lang: string; body: string }
interface Doc { frontMatter?: string; headings: Heading[]; fences: Fence[]; prose: string; problems: string[] }

/** GitHub heading anchors: inline markup dropped, lowercase, punctuation dropped, spaces to dashes, repeats -1, -2. */
function githubAnchors(headings: readonly { text: string }[]): Set<string> {
  const seen = new Map<string, number>();
  return new Set(headings.map(({ text }) => {
    const base = text.replace(/[`*_]/g, '').toLowerCase().replace(/[^\p{L}\p{N}\- ]/gu, '').replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return n === 0 ? base : `${base}-${n}`;
  }));
}

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
  const anchors = githubAnchors(headings);
  for (const [, anchor] of md.matchAll(/\]\(#([^)]+)\)/g)) if (!anchors.has(anchor!)) problems.push(`broken link #${anchor}`);
  for (const table of prose.join('\n').split(/\n(?!\|)/).filter((b) => b.startsWith('|'))) {
    const widths = table.split('\n').map((row) => row.replace(/`[^`]*`/g, '').split('|').length);
    if (new Set(widths).size !== 1) problems.push(`table with uneven rows: ${table.split('\n')[0]}`);
  }
  // Paragraphs on one line each, so phrases split by line wrapping still match.
  return { frontMatter, headings, fences, prose: prose.join('\n').replace(/([^\n])\n(?=[^\n])/g, '$1 '), problems };
}

/** markdownlint findings, one line each; [] when clean. */
function markdownProblems(name: string, md: string): string[] {
  const result = lint({ strings: { [name]: md }, config: MARKDOWNLINT });
  return (result[name] ?? []).map((e) => `${name}:${e.lineNumber} ${e.ruleNames.join('/')} ${e.errorDetail ?? ''}`.trim());
}

/** Links from one rendered doc to a heading of another (`runbook.md#x`) that does not exist. */
function crossLinkProblems(docs: Map<string, string>): string[] {
  const problems: string[] = [];
  for (const [path, md] of docs) {
    for (const [, file, anchor] of md.matchAll(/\]\(([\w.-]+\.md)#([^)]+)\)/g)) {
      const target = docs.get(`docs/${file}`);
      if (!target || !githubAnchors(scan(target).headings).has(anchor!)) problems.push(`${path}: broken link ${file}#${anchor}`);
    }
  }
  return problems;
}

/** Rendered files no row of the infrastructure page's "Generated files" table accounts for. */
function undocumentedFiles(infrastructure: string, files: Iterable<string>): string[] {
  const table = sections(infrastructure).get('Generated files') ?? '';
  const listed = [...table.matchAll(/`([^`]+)`/g)].map((m) => m[1]!).filter((p) => /^[.\w]/.test(p) && !p.includes(' '));
  return [...files].filter((f) => !listed.some((p) => f === p || (p.endsWith('/') && f.startsWith(p))));
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
  const found = [...text.matchAll(/(?<![\w.\/-])((?:kubernetes|terraform|docs|monitoring|\.github)\/[\w.<>\/-]*|docker-compose\.yml|\.env\.example|Dockerfile|\.dockerignore)/g)];
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

/** The command that connects kubectl to `<N>-<env>`, per cloud (the contract's per-cloud names). */
function connectCommand(a: Answers, env: string): string {
  const cluster = `${a.name}-${env}`;
  if (a.cloud === 'gcp') return `gcloud container clusters get-credentials ${cluster} --region ${a.region} --project "$PROJECT_ID"`;
  if (a.cloud === 'azure') return `az aks get-credentials --resource-group ${cluster} --name ${cluster} && kubelogin convert-kubeconfig -l azurecli`;
  return `aws eks update-kubeconfig --name ${cluster} --region ${a.region}`;
}

/** Same command words and flags, literal values equal; `${…}` in the Terraform template matches any value. */
function sameCommand(doc: string, template: string): boolean {
  const parse = (c: string) => c.split(' && ').map((part) => {
    const words = part.trim().split(/\s+/);
    const first = words.findIndex((w) => w.startsWith('-'));
    const flags = new Map<string, string>();
    for (let i = first; i >= 0 && i < words.length; i += 2) flags.set(words[i]!, words[i + 1]!);
    return { cmd: words.slice(0, first < 0 ? undefined : first), flags };
  });
  const [d, t] = [parse(doc), parse(template)];
  return d.length === t.length && d.every((p, i) => {
    const q = t[i]!;
    const positional = p.cmd.length === q.cmd.length && p.cmd.every((w, j) => q.cmd[j]!.includes('${') || q.cmd[j] === w);
    return positional && [...q.flags].every(([k, v]) => p.flags.has(k) && (v.includes('${') || p.flags.get(k) === v)) && p.flags.size === q.flags.size;
  });
}

// ---------- tests ----------
describe.each(CELLS)('docs piece with %o', (overrides) => {
  const answers = answersWith(overrides);
  const hasDatabase = answers.database !== 'none';
  const N = answers.name;
  const files = docsOnly(overrides);
  const runbook = files.get('docs/runbook.md')!;
  const doc = scan(runbook);
  const docs = new Map(DOCS.map((d) => [d, files.get(d)!]));

  it('renders the four documents, the alert rules and the monitoring component', () => {
    expect([...files.keys()]).toEqual([...DOCS.slice().sort(), ...['kustomization', 'prometheusrule', 'servicemonitor'].map((f) => `kubernetes/components/monitoring/${f}.yaml`), 'monitoring/alerts.yaml'].sort());
  });

  it('every document passes markdownlint and our structure scan; every link reaches a heading', () => {
    for (const [path, md] of docs) {
      expect(markdownProblems(path, md)).toEqual([]);
      expect(scan(md).problems, path).toEqual([]);
    }
    expect(crossLinkProblems(docs)).toEqual([]);
  });

  it('runbook: DOC01 sections in their stable order, each procedure complete', () => {
    expect(runbookProblems(runbook, hasDatabase)).toEqual([]);
    const expected = SECTIONS.filter((s) => hasDatabase || !DB_ONLY.includes(s));
    expect(doc.headings.filter((h) => h.level === 2).map((h) => h.text)).toEqual(expected);
    expect(doc.fences.length).toBeGreaterThan(10);
  });

  it('runbook: names come from the answers (clusters, namespace, region, Secret), per cloud', () => {
    const cmds = commands(doc);
    for (const env of ['staging', 'production']) expect(cmds).toContain(connectCommand(answers, env));
    for (const [, region] of runbook.matchAll(/--region (\S+)/g)) expect(region).toBe(answers.region);
    for (const other of ['aws', 'gcloud', 'az'].filter((cli) => cli !== { aws: 'aws', gcp: 'gcloud', azure: 'az' }[answers.cloud])) {
      expect(cmds.filter((c) => c.startsWith(`${other} `)), other).toEqual([]);
    }
    // Every kubectl call targets namespace N, except those whose manifests carry it (-k, -f) or touch no objects.
    const kubectl = cmds.flatMap((c) => c.split('|').map((s) => s.trim())).filter((s) => s.startsWith('kubectl '));
    expect(kubectl.length).toBeGreaterThan(20);
    for (const c of kubectl.filter((s) => !/^kubectl (config|kustomize)\b| -k | -f /.test(s))) expect(c).toContain(` -n ${N} `);
    for (const cmd of ['rollout status', 'rollout undo', 'rollout restart', 'scale']) expect(cmds.some((c) => c.startsWith(`kubectl -n ${N} ${cmd} deployment/${N}`))).toBe(true);
    expect(cmds).toContain(`gh workflow run rollback.yml --ref main -f environment=production -f digest=sha256:...`);
    const backup = { aws: ['aws rds create-db-snapshot', 'aws rds restore-db-instance-from-db-snapshot'], gcp: ['gcloud sql backups create', 'gcloud sql instances clone'], azure: ['az postgres flexible-server backup list', 'az postgres flexible-server restore'] }[answers.cloud];
    if (hasDatabase) {
      expect(cmds.some((c) => c.includes(`create secret generic ${N}-database --from-file=url=`))).toBe(true);
      for (const api of backup) expect(cmds.some((c) => c.startsWith(api)), api).toBe(true);
      const ids = [...runbook.matchAll(/(?:--db-instance-identifier |--instance=|--source-server |--restore-instance=|--backup-instance=|flexible-server \w+ --resource-group \S+ --name |instances clone )([^\s`]+)/g)].map((m) => m[1]!);
      expect(ids.length).toBeGreaterThanOrEqual(2);
      for (const id of ids) expect([`${N}-staging`, `${N}-production`, `${N}-production-restored`, '"$DB_INSTANCE"']).toContain(id);
      expect(cmds.some((c) => c.startsWith('docker compose exec -T db') && c.includes('pg_dump'))).toBe(true);
    } else {
      expect(runbook).not.toMatch(/pg_dump|aws rds|gcloud sql|flexible-server|-database/);
    }
  });

  it('postmortem: DOC02 blameless, front matter, sections, impact with SLO budget, action items with type/owner/due', () => {
    const md = files.get('docs/postmortem-template.md')!;
    const pm = scan(md);
    const front = parseYaml(pm.frontMatter!) as Record<string, unknown>;
    for (const key of ['title', 'date', 'severity', 'status', 'authors']) expect(front).toHaveProperty(key);
    expect(front.service).toBe(N);
    expect(md).toMatch(/severity: P2 # P1 \| P2 \| P3/);
    expect(pm.headings.filter((h) => h.level === 2).map((h) => h.text)).toEqual(POSTMORTEM_SECTIONS);
    expect(pm.prose).toMatch(/This postmortem is blameless\.\*\* .*never who is at fault.* Blame makes people hide details/);
    const body = sections(md);
    expect(body.get('Impact')).toMatch(/Users affected[\s\S]*Duration[\s\S]*SLO and error budget burned/);
    expect(body.get('Impact')).toContain(`path!="${answers.healthPath}"`);
    expect(body.get('Timeline')).toContain('| Time (UTC) | Event |');
    const rows = body.get('Action items')!.split('\n').filter((l) => l.startsWith('|')).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(rows[0]).toEqual(['Action', 'Type', 'Owner', 'Due', 'Tracking']);
    expect(new Set(rows.slice(2).map((r) => r[1]))).toEqual(new Set(['prevent', 'mitigate', 'detect']));
  });

  it('slo.md: sections, objectives and burn-rate table agree with the alert rules; the health path is excluded', () => {
    const md = files.get('docs/slo.md')!;
    expect(scan(md).headings.filter((h) => h.level === 2).map((h) => h.text)).toEqual(SLO_SECTIONS);
    const body = sections(md);
    expect(body.get('Scope')).toContain(`the health check \`${answers.healthPath}\``);
    expect(body.get('SLOs')).toMatch(/\| Availability \| 99\.9% of requests succeed \| 30 days, rolling \| 0\.1% of requests \| 43 min \|/);
    expect(body.get('SLOs')).toMatch(/\| Latency \| 99% of requests in ≤ 0\.3 s \| 30 days, rolling \| 1% of requests \| 7 h 12 min \|/);
    // Each burn-rate row is an alert of that severity reading both windows at that factor.
    const rules = (parseYaml(files.get('monitoring/alerts.yaml')!) as { groups: { rules: { alert?: string; expr: string; labels?: Record<string, string> }[] }[] }).groups.flatMap((g) => g.rules);
    const rows = body.get('Burn-rate alerts')!.split('\n').filter((l) => /^\| `/.test(l)).map((l) => l.split('|').slice(1, -1).map((c) => c.trim()));
    expect(rows.length).toBe(4);
    for (const [severity, long, short, factor] of rows) {
      for (const [alert, objective] of [['AvailabilityBudgetBurn', '0.999'], ['LatencyBudgetBurn', '0.99']] as const) {
        const rule = rules.find((r) => r.alert === alert && `\`${r.labels?.severity}\`` === severity!.split(' ')[0])!;
        expect(rule.expr, `${alert} ${long}/${short}`).toMatch(new RegExp(`ratio_rate${long}\\{[^}]*\\} > \\(${factor} \\* \\(1 - ${objective}\\)\\)\\s+and\\s+\\S*ratio_rate${short}\\{`));
      }
    }
    // The plain-Prometheus scrape config keeps the app's Service port `http` as job N.
    const scrape = parseYaml(/```yaml\n([\s\S]*?)```/.exec(body.get('Prometheus setup')!)![1]!);
    expect(scrape.scrape_configs[0]).toMatchObject({ job_name: N, metrics_path: '/metrics', relabel_configs: [{ regex: `${N};http`, action: 'keep' }] });
  });

  it('infrastructure.md: sections, the bootstrap steps in order, and a row for every generated file', () => {
    const md = files.get('docs/infrastructure.md')!;
    const headings = scan(md).headings;
    expect(headings.filter((h) => h.level === 2).map((h) => h.text)).toEqual(INFRA_SECTIONS);
    expect(headings.filter((h) => h.level === 3).map((h) => h.text)).toEqual(BOOTSTRAP_STEPS);
    expect(md).toContain('components: [../../components/monitoring]');
  });
});

describe('the checkers fail on broken documents (negative tests)', () => {
  const files = docsOnly({ database: 'postgres' });
  const runbook = files.get('docs/runbook.md')!;
  const without = (md: string, name: string) => md.replace(new RegExp(`^## ${name.replace(/[()]/g, '\\$&')}\\n[\\s\\S]*?(?=^## )`, 'm'), '');

  it('a runbook missing a section, or with backups but no database, is reported', () => {
    expect(runbookProblems(runbook, true)).toEqual([]);
    expect(runbookProblems(without(runbook, 'Rollback'), true)).toEqual(['missing section: Rollback']);
    expect(runbookProblems(without(runbook, 'Backup and restore'), true)).toEqual(['missing section: Backup and restore']);
    expect(runbookProblems(runbook, false)).toEqual(['unexpected section: Backup and restore']);
    const scaleWithoutCommands = runbook.replace(/(^## Scale\n[\s\S]*?)```sh\n[\s\S]*?```\n/m, '$1');
    expect(runbookProblems(scaleWithoutCommands, true)).toEqual(['Scale: no commands']);
    expect(runbookProblems(runbook.replace('**Verify:** `kubectl -n', 'Check: `kubectl -n'), true)).toEqual(['Scale: no **Verify:**']);
    expect(runbookProblems(runbook.replace(/(## Rollback[\s\S]*?)\*\*Expected output:\*\*/, '$1Output:'), true)).toEqual(['Rollback: no **Expected output:**']);
  });

  it('broken Markdown structure is reported', () => {
    expect(scan(runbook).problems).toEqual([]);
    expect(scan(`${runbook}\n\`\`\`sh\nls\n`).problems).toContain(`line ${runbook.split('\n').length + 1}: unclosed code block`);
    expect(scan(runbook.replace('## Scale', '#### Scale')).problems.some((p) => p.includes('heading level jumps from 2 to 4'))).toBe(true);
    expect(scan(runbook.replace('(#rollback)', '(#roll-back)')).problems).toContain('broken link #roll-back');
    expect(scan(runbook.replace('```sh\n', '```\n')).problems.some((p) => p.endsWith('code block without a language'))).toBe(true);
  });

  it('markdownlint reports what it should; GitHub anchors number repeated headings', () => {
    expect(markdownProblems('r.md', runbook)).toEqual([]);
    expect(markdownProblems('r.md', runbook.replace('\n## Scale\n', '\n## Scale\n\n'))).toEqual([expect.stringMatching(/MD012\/no-multiple-blanks/)]);
    expect(markdownProblems('r.md', runbook.replace('| --- | --- |', '|---|---|'))).toEqual(expect.arrayContaining([expect.stringMatching(/MD060\/table-column-style/)]));
    expect(markdownProblems('r.md', `${runbook}\n${'word '.repeat(40).trim()}\n`)).toEqual([expect.stringMatching(/MD013\/line-length/)]);
    expect([...githubAnchors([{ text: 'Infrastructure (Terraform)' }, { text: '`HPAMaxedOut`' }, { text: 'Scale' }, { text: 'Scale' }])]).toEqual(['infrastructure-terraform', 'hpamaxedout', 'scale', 'scale-1']);
  });

  it('a link to a missing heading of another document, or an undocumented file, is reported', () => {
    const docs = new Map(DOCS.map((d) => [d, files.get(d)!]));
    expect(crossLinkProblems(docs)).toEqual([]);
    docs.set('docs/runbook.md', runbook.replace('### LatencyBudgetBurn', '### Latency budget burn'));
    expect(crossLinkProblems(docs)).toEqual(['docs/slo.md: broken link runbook.md#latencybudgetburn']);
    const infrastructure = files.get('docs/infrastructure.md')!;
    expect(undocumentedFiles(infrastructure, ['Dockerfile', 'kubernetes/base/hpa.yaml', 'monitoring/alerts.yaml'])).toEqual([]);
    expect(undocumentedFiles(infrastructure.replace(/^\| `monitoring\/alerts.yaml`.*\n/m, ''), ['Dockerfile', 'monitoring/alerts.yaml'])).toEqual(['monitoring/alerts.yaml']);
  });

  it('a connect command that differs from the Terraform kubeconfig_command is told apart', () => {
    const template = 'aws eks update-kubeconfig --region ${var.region} --name ${module.cluster.cluster_name}';
    expect(sameCommand('aws eks update-kubeconfig --name a-staging --region eu-west-1', template)).toBe(true);
    expect(sameCommand('aws eks update-kubeconfig --name a-staging', template)).toBe(false);
    expect(sameCommand('aws eks update-kubeconfig --name a --region r --alias x', template)).toBe(false);
    expect(sameCommand('az aks get-credentials -g a --name a && kubelogin convert-kubeconfig -l azurecli', 'az aks get-credentials --resource-group ${x} --name ${y} && kubelogin convert-kubeconfig -l azurecli')).toBe(false);
  });
});

describe.each(KIT_CELLS)('commands in the runbook and infrastructure.md match the rest of the kit, %o', (overrides) => {
  const answers = answersWith(overrides);
  const N = answers.name;
  const hasDatabase = answers.database !== 'none';

  it('every path, CI job, workflow input and variable, Kubernetes object, compose service and Terraform output exists', async () => {
    const { dir, files } = renderToDir(overrides);
    const runbook = files.get('docs/runbook.md')!;
    const infrastructure = files.get('docs/infrastructure.md')!;
    const doc = scan(runbook);
    const cmds = [...commands(doc), ...commands(scan(infrastructure))];

    // Paths: kubernetes/overlays/<env>, terraform/environments/<env>, terraform/bootstrap, compose, CI...
    const paths = [...new Set([...repoPaths(runbook), ...repoPaths(infrastructure)])];
    expect(paths).toEqual(expect.arrayContaining(['kubernetes/overlays/staging', 'terraform/environments/production', 'terraform/bootstrap', 'docker-compose.yml', '.env.example', '.github/workflows/ci.yml', 'monitoring/alerts.yaml', 'kubernetes/components/monitoring']));
    const exists = (p: string) => files.has(p) || [...files.keys()].some((f) => f.startsWith(`${p}/`));
    expect(paths.filter((p) => !exists(p))).toEqual([]);
    expect(undocumentedFiles(infrastructure, files.keys())).toEqual([]);

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
    // GitHub variables: the bootstrap sets exactly those the workflows read, per environment where it says so.
    const workflows = [...files].filter(([p]) => p.startsWith('.github/workflows/')).map(([, src]) => src).join('\n');
    const read = new Set([...workflows.matchAll(/\bvars\.(\w+)/g)].map((m) => m[1]!));
    const set = cmds.flatMap((c) => [.../^gh variable set (\w+)(?: --env (\w+))?/.exec(c) ?? []].slice(1, 3));
    const setNames = new Set(set.filter((_, i) => i % 2 === 0));
    expect([...setNames].sort()).toEqual([...read].sort());
    expect(set.filter((_, i) => i % 2 === 1).filter(Boolean).sort()).toEqual(['production', 'staging']);

    // Kubernetes: objects the commands name exist in both overlays (monitoring ones in the component), in namespace N.
    const kinds: Record<string, string> = { deployment: 'Deployment', hpa: 'HorizontalPodAutoscaler', pdb: 'PodDisruptionBudget', service: 'Service', servicemonitor: 'ServiceMonitor', prometheusrule: 'PrometheusRule' };
    const refs = [...new Set(cmds.filter((c) => c.startsWith('kubectl')).flatMap((c) => [...c.matchAll(/\b(deployment|hpa|pdb|service|servicemonitor|prometheusrule)\/([\w-]+)/g)].map((m) => `${kinds[m[1]!]}/${m[2]}`)))];
    expect(refs).toEqual(expect.arrayContaining([`Deployment/${N}`, `HorizontalPodAutoscaler/${N}`, `PodDisruptionBudget/${N}`, `Service/${N}`, `ServiceMonitor/${N}`, `PrometheusRule/${N}`]));
    const monitoring = [...files].filter(([p]) => p.startsWith('kubernetes/components/monitoring/') && !p.endsWith('kustomization.yaml')).flatMap(([, src]) => parseAllDocuments(src).map((d) => d.toJS()));
    for (const env of ['staging', 'production']) {
      const objects = [...(await kustomize(join(dir, 'kubernetes/overlays', env))), ...monitoring];
      const have = objects.map((o) => `${o.kind}/${o.metadata.name}`);
      expect(refs.filter((r) => !have.includes(r)), env).toEqual([]);
      expect(have).toEqual(expect.arrayContaining([`Namespace/${N}`, expect.stringMatching(new RegExp(`^ConfigMap/${N}-config-[a-z0-9]{10}$`))]));
      const pod = objects.find((o) => o.kind === 'Deployment')!.spec.template;
      expect(pod.metadata.labels['app.kubernetes.io/name']).toBe(N); // the -l selector the runbook uses
      expect(pod.spec.containers[0].name).toBe('app'); // `containers[0]` in the runbook's jsonpath
      const fromSecrets = (pod.spec.containers[0].env ?? []).map((e: any) => e.valueFrom?.secretKeyRef).filter(Boolean);
      expect(fromSecrets).toEqual(hasDatabase ? [{ name: `${N}-database`, key: 'url' }] : []);
    }

    // The break-glass deploy: the runbook's own wrapper kustomization pins registry + digest on staging.
    const heredoc = /cat > "\$TMP\/kustomization\.yaml" <<EOF\n([\s\S]*?)\nEOF/.exec(runbook)![1]!;
    const registry = /^REGISTRY=(.*)$/m.exec(runbook)![1]!.replace('$(aws sts get-caller-identity --query Account --output text)', '123456789012').replace('$PROJECT_ID', 'my-project');
    const digest = `sha256:${'a'.repeat(64)}`;
    const wrapper = join(dir, '.deploy-test');
    mkdirSync(wrapper);
    writeFileSync(join(wrapper, 'kustomization.yaml'), heredoc.replaceAll('$REGISTRY', registry).replaceAll('$DIGEST', digest));
    const wrapped = (await kustomize(wrapper)).find((o) => o.kind === 'Deployment')!;
    const image = { aws: `123456789012.dkr.ecr.${answers.region}.amazonaws.com/${N}`, gcp: `${answers.region}-docker.pkg.dev/my-project/${N}/${N}`, azure: '' }[answers.cloud];
    expect(wrapped.spec.template.spec.containers[0].image).toBe(`${image}@${digest}`);

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

    // Terraform: each -chdir is a root; the outputs the docs read are declared there; the connect command
    // is the environment's own `kubeconfig_command` output.
    const tf = cmds.flatMap((c) => [...c.matchAll(/\bterraform -chdir=(\S+) (\w+)(?: -raw (\w+))?/g)]);
    expect(tf.length).toBeGreaterThanOrEqual(10);
    for (const [, root, verb, output] of tf) {
      expect(readdirSync(join(dir, root!)).filter((f) => f.endsWith('.tf')).length, root).toBeGreaterThan(0);
      if (verb === 'output' && output) expect(await hclBlocks(files, root!, 'output'), `${root} output`).toContain(output);
    }
    for (const env of ['staging', 'production']) {
      const outputs = (await parseHcl('outputs.tf', files.get(`terraform/environments/${env}/outputs.tf`)!)) as { output: Record<string, [{ value: string }]> };
      expect(sameCommand(connectCommand(answers, env), outputs.output.kubeconfig_command![0].value), env).toBe(true);
      expect(cmds).toContain(connectCommand(answers, env));
    }
    if (answers.cloud === 'aws') expect(runbook).toContain(`-backend-config="bucket=${N}-tfstate-$(aws sts get-caller-identity`);
  });
});

describe('runbook for a GitLab pipeline', () => {
  it('names the pipeline file and jobs that exist in the rendered .gitlab-ci.yml, and no GitHub command', () => {
    const files = renderToMemory({ ci: 'gitlab', stack: 'go', database: 'postgres' });
    const runbook = files.get('docs/runbook.md')!;
    const pipeline = parseYaml(files.get('.gitlab-ci.yml')!) as Record<string, unknown>;
    expect(runbook).toContain('Pipeline (`.gitlab-ci.yml`)');
    for (const job of ['lint', 'test', 'build', 'scan', 'push', 'deploy-staging', 'deploy-production', 'rollback-production', 'rollback-staging']) {
      expect(runbook, job).toContain(`\`${job}\``);
      expect(Object.keys(pipeline), job).toContain(job);
    }
    // go has no separate type-check job, and the runbook does not invent one.
    expect(runbook).not.toContain('`typecheck`');
    expect(runbook).not.toMatch(/^\s*gh (run|workflow) /m);
  });
});
