/** argv → a command, a target dir, answer flags and run options. The answer flags come from the schema. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../errors.js';
import { questionOrder, questions, type QuestionId } from '../answers/schema.js';
import { PIECES, type Piece } from '../render/table.js';

export const COMMANDS = ['new', ...PIECES, 'upgrade', 'flag', 'check', 'answers'] as const;
export type Command = (typeof COMMANDS)[number];

/** Options that are not answers. */
export const RUN_FLAGS = {
  yes: { type: 'boolean', short: 'y', help: 'accept detected/default values; never prompt' },
  answers: { type: 'string', metavar: '<file>', help: 'read answers from a .yml or .json file' },
  force: { type: 'boolean', help: 'overwrite files that differ from what infra-kit renders' },
  'dry-run': { type: 'boolean', help: 'show what would be created or changed (upgrade: as a unified diff); write nothing' },
  restore: { type: 'boolean', help: 'upgrade: bring back generated files you deleted' },
  conflict: { type: 'string', metavar: '<markers|rej>', help: 'upgrade, flag: conflict markers in the file (default), or keep yours and write <file>.rej' },
  remove: { type: 'boolean', help: 'flag: take the feature flag out of every file instead of adding it' },
  check: { type: 'boolean', help: 'upgrade: exit 1 if the repo differs from what this infra-kit renders; write nothing (for CI)' },
  json: { type: 'boolean', help: 'print a machine-readable summary (answers and files) on stdout' },
  format: { type: 'string', metavar: '<text|json>', help: 'check: output format (default text)' },
  drift: { type: 'boolean', help: 'check: also exit 1 when the repo differs from what this infra-kit renders' },
  'no-cache': { type: 'boolean', help: 'check: run every validator even if no file changed since the last check' },
  quiet: { type: 'boolean', short: 'q', help: 'print errors only' },
  'no-color': { type: 'boolean', help: 'no colours (also when NO_COLOR is set or output is not a terminal)' },
  help: { type: 'boolean', short: 'h', help: 'show help for the command' },
  version: { type: 'boolean', short: 'v', help: 'print the infra-kit version' },
} as const;

export interface ParsedArgs {
  readonly command: Command;
  readonly dir: string;
  /** `infra-kit flag <name>`: the flag's name (validated by the featureFlags answer). */
  readonly flagName?: string;
  readonly remove: boolean;
  readonly flags: Partial<Record<QuestionId, string>>;
  readonly yes: boolean;
  readonly answersFile?: string;
  readonly force: boolean;
  readonly dryRun: boolean;
  readonly restore: boolean;
  readonly conflict: 'markers' | 'rej';
  readonly check: boolean;
  readonly format: 'text' | 'json';
  readonly drift: boolean;
  readonly noCache: boolean;
  readonly json: boolean;
  readonly quiet: boolean;
  readonly noColor: boolean;
  readonly help: boolean;
  readonly version: boolean;
}

const options: ParseArgsConfig['options'] = {
  ...Object.fromEntries(Object.entries(RUN_FLAGS).map(([name, f]) => [name, { type: f.type, ...('short' in f ? { short: f.short } : {}) }])),
  ...Object.fromEntries(questionOrder.map((id) => [questions[id].flag, { type: 'string' as const }])),
};

export function parseCommandLine(argv: readonly string[]): ParsedArgs {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.replace(/\. To specify.*$/s, '')}; see --help`);
  }
  const { positionals } = parsed;
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const [first, ...rest] = positionals;
  const command: Command = (COMMANDS as readonly string[]).includes(first ?? '') ? (first as Command) : 'new';
  const flagName = command === 'flag' ? rest.shift() : undefined;
  if (command === 'flag' && flagName === undefined && values.help !== true) {
    throw new UsageError('`infra-kit flag` needs a flag name, e.g. `infra-kit flag new-checkout` (or `--remove` to take one out)');
  }
  const dirs = command === 'new' && first !== 'new' ? positionals : rest;
  if (dirs.length > 1) throw new UsageError(`expected at most one target directory, got: ${dirs.join(' ')}; see --help`);
  const flags: Partial<Record<QuestionId, string>> = {};
  for (const id of questionOrder) {
    const value = values[questions[id].flag];
    if (typeof value === 'string') flags[id] = value;
  }
  const bool = (name: string) => values[name] === true;
  const conflict = values.conflict ?? 'markers';
  if (conflict !== 'markers' && conflict !== 'rej') throw new UsageError(`--conflict '${String(conflict)}' must be one of: markers, rej`);
  for (const name of ['restore', 'check'] as const) {
    if (values[name] !== undefined && command !== 'upgrade') throw new UsageError(`--${name} only applies to \`infra-kit upgrade\``);
  }
  if (values.conflict !== undefined && command !== 'upgrade' && command !== 'flag') {
    throw new UsageError('--conflict only applies to `infra-kit upgrade` and `infra-kit flag`');
  }
  if (values.remove !== undefined && command !== 'flag') throw new UsageError('--remove only applies to `infra-kit flag`');
  for (const name of ['format', 'drift', 'no-cache'] as const) {
    if (values[name] !== undefined && command !== 'check') throw new UsageError(`--${name} only applies to \`infra-kit check\``);
  }
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format '${String(format)}' must be one of: text, json`);
  return {
    command,
    dir: dirs[0] ?? '.',
    ...(flagName !== undefined ? { flagName } : {}),
    remove: bool('remove'),
    flags,
    yes: bool('yes'),
    ...(typeof values.answers === 'string' ? { answersFile: values.answers } : {}),
    force: bool('force'),
    dryRun: bool('dry-run'),
    restore: bool('restore'),
    conflict,
    check: bool('check'),
    format,
    drift: bool('drift'),
    noCache: bool('no-cache'),
    json: bool('json'),
    quiet: bool('quiet'),
    noColor: bool('no-color'),
    help: bool('help'),
    version: bool('version'),
  };
}

/** Pieces a command renders; `upgrade` re-renders the ones recorded in the repo (decided by the session). */
export function piecesOf(command: Command): readonly Piece[] {
  return command === 'new' || command === 'answers' || command === 'upgrade' || command === 'flag' || command === 'check' ? PIECES : [command];
}
