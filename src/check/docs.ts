/**
 * Operational docs (HARDENING DOC01, DOC02) on the Markdown structure: headings (outside code blocks), their
 * sections, and the command blocks in them. The checker accepts any runbook or postmortem that covers the
 * topics; `runbookProblems` is the stricter layout infra-kit itself renders (its tests use it).
 */
import { posix } from 'node:path';
import { COMPOSE_FILE, isDatabaseService } from './compose.js';
import type { Checker, Finding, Repo, Rule } from './types.js';
import { isObject, parseYamlFile } from './yaml-file.js';

const rules: Record<string, Rule> = {
  DOC01: { level: 'MUST', why: 'at 3 a.m. the on-call engineer follows the runbook, not memory', fix: 'give the runbook Deploy, Rollback, Scale, Backup and restore (when there is a database) and Incident response sections, each with the commands in a ```sh block' },
  DOC02: { level: 'MUST', why: 'a postmortem without impact, timeline, root cause and owned, dated action items changes nothing; blame hides facts', fix: 'give the postmortem template Summary, Impact, Timeline, Root cause and Action items (with Owner and Due columns) sections and say it is blameless' },
};

export interface Section { readonly level: number; readonly title: string; readonly line: number; readonly body: string }

/** Every ATX heading outside fenced code, with its body up to the next heading of the same or a higher level. */
export function headingSections(md: string): Section[] {
  const lines = md.split('\n');
  const heads: { level: number; title: string; index: number }[] = [];
  let fence: string | undefined;
  lines.forEach((line, index) => {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (f) fence = fence === undefined ? f[1] : f[1]!.startsWith(fence) ? undefined : fence;
    const h = fence === undefined && !f ? /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line) : null;
    if (h) heads.push({ level: h[1]!.length, title: h[2]!, index });
  });
  return heads.map((h, i) => {
    const end = heads.slice(i + 1).find((n) => n.level <= h.level)?.index ?? lines.length;
    return { level: h.level, title: h.title, line: h.index + 1, body: `${lines.slice(h.index + 1, end).join('\n')}\n` };
  });
}

/** The body of each `##` section, by heading text. */
export function sections(md: string): Map<string, string> {
  return new Map(headingSections(md).filter((s) => s.level === 2).map((s) => [s.title, s.body]));
}

// ---------- the layout infra-kit renders (docs/runbook.md) ----------

export const RUNBOOK_SECTIONS = ['Overview', 'Deploy', 'Promote to production', 'Rollback', 'Scale', 'Restart', 'Secrets', 'Backup and restore', 'Certificates and ingress', 'Local development', 'Infrastructure (Terraform)', 'Incident response', 'Alerts'];
export const DB_ONLY = ['Backup and restore'];
/** DOC01: sections that must carry runnable commands, and the labels each procedure must spell out. */
export const WITH_COMMANDS = ['Deploy', 'Promote to production', 'Rollback', 'Scale', 'Restart', 'Secrets', 'Backup and restore', 'Certificates and ingress', 'Local development', 'Infrastructure (Terraform)', 'Incident response', 'Alerts'];
export const PROCEDURE_LABELS = ['**When to use:**', '**Expected output:**', '**Verify:**', '**Back out'];
export const PROCEDURES = ['Deploy', 'Promote to production', 'Rollback', 'Scale', 'Restart', 'Secrets', 'Backup and restore', 'Certificates and ingress', 'Infrastructure (Terraform)'];

/** What DOC01 requires of the runbook infra-kit renders; [] when it holds. */
export function runbookProblems(md: string, hasDatabase: boolean): string[] {
  const found = sections(md);
  const problems: string[] = [];
  for (const name of RUNBOOK_SECTIONS) {
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

// ---------- any runbook or postmortem ----------

interface Topic { readonly name: string; readonly heading: RegExp; readonly database?: boolean }
const RUNBOOK_TOPICS: Topic[] = [
  { name: 'Deploy', heading: /^deploy/i },
  { name: 'Rollback', heading: /^roll(ing)?[ -]?back/i },
  { name: 'Scale', heading: /^scal(e|ing)\b/i },
  { name: 'Backup and restore', heading: /^(backups?|restore)\b/i, database: true },
  { name: 'Incident response', heading: /^incident/i },
];
const POSTMORTEM_TOPICS: Topic[] = [
  { name: 'Summary', heading: /^(summary|overview)\b/i },
  { name: 'Impact', heading: /^impact\b/i },
  { name: 'Timeline', heading: /^timeline\b/i },
  { name: 'Root cause', heading: /^root[ -]causes?\b/i },
  { name: 'Action items', heading: /^(action items|follow[ -]?ups?|actions)\b/i },
];
const COMMAND_FENCE = /^\s*(`{3,}|~{3,})\s*(sh|bash|shell|console|zsh|powershell|pwsh|ps1|cmd)?\s*$/m;
/** Heading text without numbering or inline markup: "2. `Rollback`" → "Rollback". */
const plain = (title: string) => title.replace(/[`*_]/g, '').replace(/^[\d.)\s-]+/, '').trim();

function findTopics(md: string, topics: readonly Topic[]): { topic: Topic; section: Section | undefined }[] {
  const all = headingSections(md).filter((s) => s.level >= 2);
  return topics.map((topic) => ({ topic, section: all.find((s) => topic.heading.test(plain(s.title))) }));
}

/** DOC01 for any runbook: the topics as sections (any heading level below the title), each with commands. */
export function runbookTopicProblems(md: string, hasDatabase: boolean): { line: number; message: string }[] {
  return findTopics(md, RUNBOOK_TOPICS.filter((t) => hasDatabase || !t.database)).flatMap(({ topic, section }) =>
    !section ? [{ line: 0, message: `no ${topic.name} section` }] : COMMAND_FENCE.test(section.body) ? [] : [{ line: section.line, message: `${topic.name}: no commands (a \`\`\`sh block)` }],
  );
}

/** DOC02 for any postmortem (template): blameless, the topics as sections, action items with owner and due. */
export function postmortemProblems(md: string): { line: number; message: string }[] {
  const found = findTopics(md, POSTMORTEM_TOPICS);
  const problems = found.filter((f) => !f.section).map((f) => ({ line: 0, message: `no ${f.topic.name} section` }));
  const actions = found.find((f) => f.topic.name === 'Action items')?.section;
  if (actions && !(/\bowner\b/i.test(actions.body) && /\bdue\b/i.test(actions.body))) problems.push({ line: actions.line, message: 'action items name no owner and due date' });
  if (!/\bblameless\b/i.test(md)) problems.push({ line: 1, message: 'does not say it is blameless' });
  return problems;
}

/** Whether the repo runs a database: the stored answers, else a database service in compose or a Terraform database module. */
export function repoHasDatabase(repo: Repo): boolean {
  if (repo.files.includes('.yo-rc.json')) {
    try {
      const answers = (JSON.parse(repo.read('.yo-rc.json')) as Record<string, { answers?: { database?: string } }>)['create-infra-kit']?.answers;
      if (typeof answers?.database === 'string') return answers.database !== 'none';
    } catch {
      // not ours or not JSON: look at the files instead
    }
  }
  if (repo.files.some((f) => /^terraform\/modules\/database\//.test(f))) return true;
  return repo.files.filter((f) => COMPOSE_FILE.test(f)).some((f) => {
    const services = (parseYamlFile(repo.read(f)).value as { services?: unknown } | undefined)?.services;
    return isObject(services) && Object.values(services).some((s) => isObject(s) && isDatabaseService(s));
  });
}

const DOC = (kind: string) => new RegExp(`^docs/(.*/)?[^/]*${kind}[^/]*\\.md$`, 'i');

export const docsChecker: Checker = {
  name: 'docs',
  rules,
  async check(repo: Repo): Promise<Finding[]> {
    const runbooks = repo.files.filter((f) => DOC('runbook').test(f));
    const postmortems = repo.files.filter((f) => DOC('post-?mortem').test(f));
    const findings: Finding[] = [];
    if (runbooks.length > 0) {
      const db = repoHasDatabase(repo);
      for (const file of runbooks) for (const p of runbookTopicProblems(repo.read(file), db)) findings.push({ file, line: p.line, rule: 'DOC01', message: p.message });
    }
    for (const file of postmortems) for (const p of postmortemProblems(repo.read(file))) findings.push({ file, line: p.line, rule: 'DOC02', message: `${posix.basename(file)}: ${p.message}` });
    return findings;
  },
};
