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
import { finishSession, startSession, withPrompted, type Outcome, type RunOptions, type Session } from '../src/session.js';
import { summarize } from '../src/report.js';

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
    const prompted = asked.length > 0 ? await this.prompt(asked) : {};
    this.session = withPrompted(session, prompted);
  }

  writing(): void {
    if (!this.session) throw new Error('prompting did not run');
    this.outcome = finishSession(this.session);
    const onOutcome = this.options.onOutcome as ((o: Outcome) => void) | undefined;
    if (onOutcome) onOutcome(this.outcome);
    else this.log(summarize(this.outcome.plan, { color: false }, this.session.options.dryRun));
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

