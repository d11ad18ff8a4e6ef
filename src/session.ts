/**
 * One run, from raw inputs to files on disk, shared by the CLI (non-interactive) and the Yeoman generators
 * (interactive): gather sources, resolve and validate every answer, then plan, commit and report.
 * Everything that can fail on bad input fails in `startSession`, before a byte is written.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { requireComplete, resolveAnswers, sourceFromObject, type AnswerSource, type Resolution } from './answers/resolve.js';
import { questions, type Answers, type QuestionId } from './answers/schema.js';
import { readStored, type Stored } from './answers/store.js';
import { detect, type Detection } from './detect/index.js';
import { MANIFEST_PATH, readManifest, readOptional } from './merge/manifest.js';
import { commitKit, hasConflicts, planKit, type KitPlan } from './kit.js';
import { questionsFor } from './render/pieces.js';
import { PIECES, type Piece } from './render/table.js';
import { packageVersion } from './paths.js';

export interface RunOptions {
  readonly root: string;
  readonly pieces: readonly Piece[];
  /** Raw flag values by question id (strings from argv, or typed values from Yeoman options). */
  readonly flags: Partial<Record<QuestionId, unknown>>;
  /** An --answers file as the user typed it (errors quote it so), resolved against `cwd`. */
  readonly answersFile?: string;
  readonly cwd?: string;
  readonly force: boolean;
  readonly dryRun: boolean;
  /** `upgrade` re-renders the pieces recorded in the repo and 3-way merges edited files. */
  readonly mode?: 'write' | 'upgrade';
  readonly restore?: boolean;
  readonly conflict?: 'markers' | 'rej';
}

export interface Session {
  readonly options: RunOptions;
  readonly stored: Stored;
  readonly detection: Detection;
  readonly resolution: Resolution;
  /** Pieces this run renders: the command's, or for `upgrade` the ones recorded in the repo. */
  readonly pieces: readonly Piece[];
  /** Questions this run's pieces need. */
  readonly asks: readonly QuestionId[];
  /** Of those, the ones no flag, answers file or stored answer decided: what an interactive run asks. */
  readonly open: readonly QuestionId[];
  readonly sources: readonly AnswerSource[];
}

export async function startSession(options: RunOptions): Promise<Session> {
  assertTargetDir(options.root);
  const stored = readStored(options.root);
  const flags: AnswerSource = { name: 'flag', label: (id) => `--${questions[id].flag}`, values: options.flags };
  const file = options.answersFile ? await readAnswersFile(options.answersFile, options.cwd ?? process.cwd()) : undefined;
  const sources = [flags, ...(file ? [file] : []), stored.source];
  const detection = detect(options.root);
  const resolution = resolveAnswers({ sources, detected: detection.answers, dirName: basename(options.root) });
  const pieces = options.mode === 'upgrade' ? recordedPieces(options.root) : options.pieces;
  const asks = questionsFor(pieces);
  const open = asks.filter((id) => !sources.some((s) => s.values[id] !== undefined));
  return { options, stored, detection, resolution, pieces, asks, open, sources };
}

/** Re-resolve with prompt results on top (they are validated like any other source). */
export function withPrompted(session: Session, prompted: Partial<Record<QuestionId, unknown>>): Session {
  const answers: AnswerSource = { name: 'prompt', label: (id) => questions[id].message.toLowerCase(), values: prompted };
  const sources = [answers, ...session.sources];
  const resolution = resolveAnswers({ sources, detected: session.detection.answers, dirName: basename(session.options.root) });
  return { ...session, sources, resolution };
}

export function planSession(session: Session): { plan: KitPlan; answers: Answers } {
  const answers = requireComplete(session.resolution);
  const plan = planKit({
    root: session.options.root,
    pieces: session.pieces,
    answers,
    store: session.asks,
    stored: session.stored,
    version: packageVersion(),
    force: session.options.force,
    mode: session.options.mode ?? 'write',
    restore: session.options.restore ?? false,
    conflict: session.options.conflict ?? 'markers',
  });
  return { plan, answers };
}

export interface Outcome {
  readonly plan: KitPlan;
  readonly answers: Answers;
  readonly exitCode: number;
}

export function finishSession(session: Session): Outcome {
  const { plan, answers } = planSession(session);
  return commitSession(session, plan, answers);
}

/** Write a (possibly person-adjusted) plan, unless this is a dry run. */
export function commitSession(session: Session, plan: KitPlan, answers: Answers): Outcome {
  if (!session.options.dryRun) commitKit(plan);
  return { plan, answers, exitCode: hasConflicts(plan) ? 1 : 0 };
}

function recordedPieces(root: string): readonly Piece[] {
  const manifest = readManifest(root);
  if (!manifest) throw new UsageError(`nothing to upgrade in ${root}: no ${MANIFEST_PATH}; run create-infra-kit there first`);
  const known = manifest.pieces?.filter((p): p is Piece => (PIECES as readonly string[]).includes(p)) ?? [];
  return known.length > 0 ? known : PIECES;
}

function assertTargetDir(root: string): void {
  if (existsSync(root) && !statSync(root).isDirectory()) {
    throw new UsageError(`target '${root}' exists and is not a directory; pass a directory path`);
  }
}

async function readAnswersFile(path: string, cwd: string): Promise<AnswerSource> {
  const full = resolve(cwd, path);
  const text = readOptional(full);
  if (text === undefined) throw new UsageError(`--answers '${path}' does not exist; pass a .yml or .json file of answers`);
  const ext = extname(full).toLowerCase();
  let data: unknown;
  try {
    data = ext === '.json' ? JSON.parse(text) : await parseYaml(text);
  } catch (error) {
    throw new UsageError(`--answers '${path}' does not parse: ${(error as Error).message.split('\n')[0]}`);
  }
  return sourceFromObject(basename(path), data ?? {});
}

async function parseYaml(text: string): Promise<unknown> {
  // Loaded only here: renders without an answers file never pay for the YAML parser.
  const YAML = await import('yaml');
  const doc = YAML.parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) throw doc.errors[0];
  return doc.toJS();
}
