/**
 * argv → command. `--version`, `--help`, `answers` and every run that needs no question stay on the engine
 * alone; only an interactive run on a terminal loads Yeoman (about 0.7 s of imports).
 */
import { resolve } from 'node:path';
import { InfraKitError, UsageError } from './errors.js';
import { parseCommandLine, piecesOf, type ParsedArgs } from './cli/args.js';
import { helpText } from './cli/help.js';
import { packageVersion } from './paths.js';
import { FLAG_NAME, flagEnv } from './answers/flags.js';
import { PIECES, type Piece } from './render/table.js';
import type { Outcome, RunOptions } from './session.js';

export interface Io {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly isTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export async function main(argv: readonly string[], io: Io): Promise<number> {
  let args: ParsedArgs | undefined;
  try {
    args = parseCommandLine(argv);
    if (args.version) return print(io, packageVersion());
    if (args.help) return print(io, helpText(args.command));
    const root = resolve(io.cwd, args.dir);
    if (args.command === 'answers') return await printAnswers(io, root);
    if (args.command === 'check') return await check(io, args, root);
    const flags = args.command === 'flag' ? await flagChange(args, root) : args.flags;
    const options: RunOptions = {
      root,
      pieces: piecesOf(args.command),
      flags,
      ...(args.answersFile ? { answersFile: args.answersFile } : {}),
      cwd: io.cwd,
      force: args.force,
      // --check plans like a dry run and turns "something would change" into exit 1.
      dryRun: args.dryRun || args.check,
      // `flag` is an upgrade with one answer changed: same 3-way merge, so edits elsewhere are kept.
      mode: args.command === 'upgrade' || args.command === 'flag' ? 'upgrade' : 'write',
      restore: args.restore,
      conflict: args.conflict,
    };
    // Loaded after --version/--help: those print without paying for the engine's imports (ejs among them).
    const { startSession, finishSession } = await import('./session.js');
    const session = await startSession(options);
    const interactive = args.command !== 'upgrade' && args.command !== 'flag' && !args.yes && !args.json && io.isTTY && session.open.length > 0;
    const outcome = interactive ? await runInteractive(args, options) : finishSession(session);
    await report(io, args, outcome);
    if (args.check) return outcome.plan.files.some((f) => DRIFT.has(f.action)) ? 1 : outcome.exitCode;
    return outcome.exitCode;
  } catch (error) {
    return fail(io, error);
  }
}

/** What `upgrade --check` counts as the repo being behind this infra-kit: something an upgrade would write. */
const DRIFT = new Set(['create', 'update', 'merge', 'conflict', 'remove']);

async function runInteractive(args: ParsedArgs, options: RunOptions): Promise<Outcome> {
  const { runGenerator } = await import('./interactive.js');
  return runGenerator(args.command === 'new' ? 'app' : args.command, options);
}

async function report(io: Io, args: ParsedArgs, outcome: Outcome): Promise<void> {
  const { countActions, nextSteps, summarize, unifiedDiffs } = await import('./report.js');
  if (args.json) {
    const files = outcome.plan.files.map((f) => ({ path: f.path, action: f.action, ...(f.reason ? { reason: f.reason } : {}) }));
    io.stdout(JSON.stringify({ dryRun: args.dryRun, answers: outcome.answers, summary: countActions(outcome.plan), files }, null, 2));
    return;
  }
  if (args.quiet) return;
  const color = io.isTTY && !args.noColor && !io.env.NO_COLOR;
  if (args.command === 'upgrade' && (args.dryRun || args.check)) {
    const diff = unifiedDiffs(outcome.plan);
    if (diff) io.stdout(diff);
  }
  io.stdout(summarize(outcome.plan, { color }, args.dryRun || args.check));
  const steps =
    args.dryRun || args.check || args.command === 'upgrade' ? [] : args.command === 'flag' ? flagSteps(args, outcome.answers) : nextSteps(outcome.plan, outcome.answers);
  if (outcome.exitCode === 1) {
    steps.unshift(
      args.command === 'upgrade' || args.command === 'flag'
        ? 'resolve the conflicts above (search for <<<<<<< or read the .rej files), then run `infra-kit upgrade` again'
        : 'resolve the conflicts above, then run again (nothing of yours was overwritten)',
    );
  }
  if (steps.length > 0) io.stdout(['', 'Next steps:', ...steps.map((s) => `  ${s}`)].join('\n'));
}

/**
 * `infra-kit flag <name> [--remove]`: the stored flag list with one flag added or removed, as the
 * featureFlags answer of an upgrade run (validated by the schema like any other answer). Only that answer
 * changes: a repo recorded by another infra-kit version is upgraded first, on its own, so that a flag change
 * never carries a version upgrade with it.
 */
async function flagChange(args: ParsedArgs, root: string): Promise<ParsedArgs['flags']> {
  const name = args.flagName!;
  const { questions } = await import('./answers/schema.js');
  const { readStored } = await import('./answers/store.js');
  const { readManifest } = await import('./merge/manifest.js');
  const { questionsFor } = await import('./render/pieces.js');
  if (!FLAG_NAME.test(name)) {
    throw new UsageError(`flag name '${name.slice(0, 60)}' must be 1-40 lowercase letters, digits or "-", starting with a letter (e.g. new-checkout)`);
  }
  const answerFlags = Object.keys(args.flags);
  if (answerFlags.length > 0) {
    throw new UsageError(`\`infra-kit flag\` changes only the flags; run \`infra-kit upgrade --${questions[answerFlags[0] as keyof typeof questions].flag} …\` for other answers`);
  }
  const manifest = readManifest(root);
  if (!manifest) throw new UsageError(`nothing to add a flag to in ${root}: no .infra-kit/manifest.json; run create-infra-kit there first`);
  if (manifest.version !== packageVersion()) {
    throw new UsageError(`${root} was rendered by infra-kit ${manifest.version}; run \`infra-kit upgrade\` first (this is ${packageVersion()}), then add the flag`);
  }
  const pieces = (manifest.pieces ?? []).filter((p): p is Piece => (PIECES as readonly string[]).includes(p));
  if (!questionsFor(pieces).includes('featureFlags')) {
    throw new UsageError(`no piece in ${root} configures feature flags (kustomize, compose or docs); add one first, e.g. \`infra-kit compose\``);
  }
  const stored = questions.featureFlags.parse(readStored(root).answers.featureFlags ?? []);
  if (!stored.ok) throw new UsageError(`.yo-rc.json: featureFlags ${stored.error}; fix or remove it`);
  const current = stored.value;
  if (args.remove && !current.includes(name)) {
    throw new UsageError(`no feature flag '${name}' in ${root}; current flags: ${current.join(', ') || 'none'}`);
  }
  const next = args.remove ? current.filter((f) => f !== name) : [...current, name];
  return { featureFlags: next.join(',') };
}

function flagSteps(args: ParsedArgs, answers: { orchestrator: string }): string[] {
  const env = flagEnv(args.flagName!);
  if (args.remove) return [`remove the code that reads ${env}, then commit the change and .infra-kit/`];
  const production = answers.orchestrator === 'compose' ? 'deploy/production.env' : 'kubernetes/overlays/production/config.env';
  return [
    `ship code that reads ${env} (anything but "on" means off): it is on in staging and local dev, off in production`,
    `roll out: set ${env}=on in ${production} by pull request; see docs/feature-flags.md`,
  ];
}

/** `infra-kit check [dir]`: validators and hardening rules; with --drift, also `upgrade --check`. */
async function check(io: Io, args: ParsedArgs, root: string): Promise<number> {
  const { runChecks, formatText } = await import('./check/run.js');
  const { defaultCacheDir } = await import('./check/cache.js');
  const cache = args.noCache ? {} : { cache: { dir: defaultCacheDir(io.env), version: packageVersion(), path: io.env.PATH ?? '' } };
  const report = await runChecks(root, cache);
  if (args.format === 'json') io.stdout(JSON.stringify(report, null, 2));
  else io.stdout(formatText(report));
  let code = report.must > 0 ? 1 : 0;
  if (args.drift) {
    const drift = await main(['upgrade', root, '--check', ...(args.format === 'json' ? ['--json'] : ['--quiet'])], io);
    if (drift !== 0) {
      if (args.format === 'text') io.stdout('drift: the repo differs from what this infra-kit renders; run `infra-kit upgrade`');
      code = Math.max(code, drift === 2 ? 2 : 1);
    }
  }
  return code;
}

async function printAnswers(io: Io, root: string): Promise<number> {
  const { readStored } = await import('./answers/store.js');
  const stored = readStored(root);
  if (Object.keys(stored.answers).length === 0) throw new UsageError(`no stored answers in ${root}/.yo-rc.json; run create-infra-kit there first`);
  const YAML = await import('yaml');
  io.stdout(YAML.stringify(stored.answers).trimEnd());
  return 0;
}

function print(io: Io, text: string): number {
  io.stdout(text);
  return 0;
}

function fail(io: Io, error: unknown): number {
  if (error instanceof InfraKitError) {
    io.stderr(`infra-kit: ${error.message}`);
    return error.exitCode;
  }
  if ((error as Error | undefined)?.name === 'ExitPromptError') {
    io.stderr('infra-kit: cancelled: nothing was written');
    return 130;
  }
  const err = error as NodeJS.ErrnoException;
  if (io.env.DEBUG?.includes('infra-kit')) io.stderr(String(err?.stack ?? err));
  else io.stderr(`infra-kit: ${err?.message ?? String(err)}${err?.code ? '' : ' (set DEBUG=infra-kit for details)'}`);
  return 1;
}
