/**
 * Read the target repo to propose defaults. Detection only proposes: every value still goes through the
 * answers schema, and an explicit flag, answers file or stored answer wins.
 */
import type { Answers } from '../answers/schema.js';
import { questions, toAppName } from '../answers/schema.js';
import { detectDotnet, detectJava, detectRust } from './compiled.js';
import { RepoFiles } from './read.js';
import { detectGo, detectNode, detectPython, type Detector, type Evidenced, type StackFinding } from './stacks.js';
import type { DetectedVersion } from './version.js';

export type { DetectedVersion } from './version.js';

export interface Detection {
  readonly answers: Partial<Answers>;
  /** Why each value was proposed, e.g. "package.json", for prompts and the summary. */
  readonly evidence: Partial<Record<keyof Answers, string>>;
  /**
   * What the repo says that no answer carries (yet): the language version (with the catalog version it maps
   * to, when one does) and how the app starts. For the summary, and for answers that may come to carry them.
   */
  readonly facts: {
    readonly languageVersion?: DetectedVersion;
    readonly start?: Evidenced<string>;
  };
}

/**
 * Backend manifests first: a Go, Rust, .NET, Java or Python service often carries a package.json for
 * front-end tooling, while a Node service rarely carries theirs.
 */
const DETECTORS: readonly Detector[] = [detectGo, detectRust, detectDotnet, detectJava, detectPython, detectNode];

export function detect(root: string): Detection {
  const repo = new RepoFiles(root);
  const origin = originUrl(repo);
  const fromGit: Pick<Detection, 'answers' | 'evidence'> = origin
    ? { answers: { repoUrl: origin }, evidence: { repoUrl: '.git/config' } }
    : { answers: {}, evidence: {} };
  const found = DETECTORS.map((d) => d(repo)).find((f): f is StackFinding => f !== undefined);
  if (!found) return { ...fromGit, facts: {} };
  const answers: Partial<Answers> = { ...fromGit.answers, stack: found.stack };
  const evidence: Partial<Record<keyof Answers, string>> = { ...fromGit.evidence, stack: found.evidence };
  if (found.variant) {
    answers.variant = found.variant.value;
    evidence.variant = found.variant.evidence;
  }
  const name = found.name && toAppName(found.name.value);
  if (name) {
    answers.name = name;
    evidence.name = found.name!.evidence;
  }
  if (found.postgres) {
    answers.database = 'postgres';
    evidence.database = found.postgres;
  }
  // Detected values skip the answers' parsing (they are defaults): propose only a port the schema accepts.
  const port = found.port ?? envPort(repo);
  if (port && questions.port.parse(port.value).ok) {
    answers.port = port.value;
    evidence.port = port.evidence;
  }
  if (found.version?.catalogVersion) {
    answers.languageVersion = found.version.catalogVersion;
    evidence.languageVersion = found.version.evidence;
  }
  const facts = { ...(found.version ? { languageVersion: found.version } : {}), ...(found.start ? { start: found.start } : {}) };
  return { answers, evidence, facts };
}

/** The `origin` remote of a git checkout, when it is a URL the schema accepts (never one with credentials). */
function originUrl(repo: RepoFiles): string | undefined {
  const config = repo.text('.git/config');
  const section = config?.split(/^\[/m).find((s) => /^remote\s+"origin"\]/.test(s));
  const url = section && /^\s*url\s*=\s*(\S+)\s*$/m.exec(section)?.[1];
  return url && questions.repoUrl.parse(url, { gitops: 'argocd' }).ok ? url : undefined;
}

/** PORT=… in the env example compose reads (or a local .env). */
function envPort(repo: RepoFiles): Evidenced<number> | undefined {
  for (const file of ['.env.example', '.env']) {
    const m = /^\s*(?:export\s+)?PORT\s*=\s*["']?(\d{2,5})["']?\s*$/m.exec(repo.text(file) ?? '');
    if (m) return { value: Number(m[1]), evidence: file };
  }
  return undefined;
}
