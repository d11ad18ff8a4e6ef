/**
 * The one shape every infra-kit generator has: ask the questions the run left open, then hand the answers
 * to the engine (the same planner and writer the non-interactive CLI uses). No Yeoman conflicter: the
 * engine's policy never overwrites a user's edit.
 */
import { basename, resolve } from 'node:path';
import Generator from 'yeoman-generator';
import { promptQuestions } from '../src/answers/prompts.js';
import { questionOrder, questions, type QuestionId } from '../src/answers/schema.js';
import type { Piece } from '../src/render/table.js';
import { commitSession, planSession, startSession, withPrompted, type Outcome, type RunOptions, type Session } from '../src/session.js';
import { countActions, summarize } from '../src/report.js';
import type { KitPlan } from '../src/kit.js';
import type { PlannedFile } from '../src/merge/plan.js';
import { applyChoice, choicesFor, type ConflictChoice } from '../src/merge/choices.js';
import { unifiedDiff } from '../src/merge/three-way.js';
import { CancelledError } from '../src/errors.js';

const CHOICE_LABEL: Record<ConflictChoice | 'diff', string> = {
  keep: 'keep mine',
  take: 'take the new version',
  merge: 'merge (3-way; conflict markers where both changed the same lines)',
  diff: 'show the diff',
};

export abstract class PieceGenerator extends Generator {
  protected abstract readonly pieces: readonly Piece[];
  /** `upgrade` re-renders the recorded pieces and 3-way merges edited files. */
  protected readonly mode: 'write' | 'upgrade' = 'write';
  private session: Session | undefined;
  outcome: Outcome | undefined;

  constructor(args: string | string[], options: Record<string, unknown>) {
    // inheritTasks: the lifecycle methods live here, not on each piece's subclass;
    // customInstallTask: infra-kit never runs a package manager install (and Yeoman says nothing about it).
    super(args, options, { inheritTasks: true, customInstallTask: true });
  }

  async prompting(): Promise<void> {
    const session = await startSession(this.runOptions());
    const asked = promptQuestions({
      open: session.open,
      decided: session.resolution.answers,
      detected: session.detection.answers,
      evidence: session.detection.evidence,
      dirName: basename(session.options.root),
    });
    const prompted = asked.length > 0 ? await this.ask(asked) : {};
    this.session = withPrompted(session, prompted);
  }

  async writing(): Promise<void> {
    if (!this.session) throw new Error('prompting did not run');
    const { plan, answers } = planSession(this.session);
    const reviewed = await this.review(plan);
    this.outcome = commitSession(this.session, reviewed, answers);
    const onOutcome = this.options.onOutcome as ((o: Outcome) => void) | undefined;
    if (onOutcome) onOutcome(this.outcome);
    else this.log(summarize(this.outcome.plan, { color: false }, this.session.options.dryRun));
  }

  /**
   * Before writing: an explicit choice per conflict (keep mine / take new / merge / show diff), then the plan
   * and one confirmation. Never a silent overwrite.
   */
  private async review(plan: KitPlan): Promise<KitPlan> {
    const version = plan.version;
    const files: PlannedFile[] = [];
    for (const file of plan.files) {
      let choice: ConflictChoice | 'diff' | undefined;
      while (file.action === 'conflict' && file.rendered !== undefined && choice !== 'keep' && choice !== 'take' && choice !== 'merge') {
        if (choice === 'diff') this.log(unifiedDiff(file.path, file.previous ?? '', file.rendered, ['yours', 'infra-kit']));
        const options = [...choicesFor(file), 'diff'] as const;
        ({ choice } = await this.ask<{ choice: ConflictChoice | 'diff' }>([
          {
            type: 'select',
            name: 'choice',
            message: `${file.path} differs from what infra-kit renders (${file.reason ?? 'conflict'}). What now?`,
            choices: options.map((value) => ({ value, name: CHOICE_LABEL[value] })),
            default: 'keep',
          },
        ]));
      }
      files.push(choice && choice !== 'diff' ? applyChoice(file, choice, version) : file);
    }
    const reviewed = { ...plan, files };
    if (this.session?.options.dryRun) return reviewed;
    const counts = countActions(reviewed);
    const writes = counts.create + counts.update + counts.merge + counts.remove;
    if (writes === 0) return reviewed;
    const { write } = await this.ask<{ write: boolean }>([
      {
        type: 'confirm',
        name: 'write',
        message: `Write ${counts.create} new and ${counts.update + counts.merge} changed files (${counts.unchanged + counts.kept} left as they are)?`,
        default: true,
      },
    ]);
    if (!write) throw new CancelledError();
    return reviewed;
  }

  /**
   * Prompt; on Ctrl-C from our own CLI, say so in one line and exit 130 right away: nothing has been
   * written yet, and Yeoman would otherwise add its own error report about the interrupted task.
   */
  private async ask<T = Record<string, unknown>>(questions: Parameters<Generator['prompt']>[0]): Promise<T> {
    try {
      return await this.prompt<T>(questions);
    } catch (error) {
      if ((error as Error).name === 'ExitPromptError' && this.options.infraKit) {
        process.stderr.write('infra-kit: cancelled: nothing was written\n');
        process.exit(130);
      }
      throw error;
    }
  }

  /** From our CLI: the options it already parsed. From `yo` or yeoman-test: the generator's own options. */
  private runOptions(): RunOptions {
    const given = this.options.infraKit as RunOptions | undefined;
    if (given) return given;
    const flags: Partial<Record<QuestionId, unknown>> = {};
    for (const id of questionOrder) {
      const value = this.options[id] ?? this.options[questions[id].flag];
      if (value !== undefined) flags[id] = value;
    }
    const answersFile = this.options.answers;
    return {
      root: resolve(this.destinationRoot()),
      pieces: this.pieces,
      flags,
      ...(typeof answersFile === 'string' ? { answersFile } : {}),
      force: this.options.force === true,
      dryRun: this.options.dryRun === true || this.options['dry-run'] === true,
      mode: this.mode,
      restore: this.options.restore === true,
      conflict: this.options.conflict === 'rej' ? 'rej' : 'markers',
    };
  }
}

