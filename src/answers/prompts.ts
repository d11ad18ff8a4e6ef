/**
 * Schema → prompt questions (inquirer shape, as Yeoman's `this.prompt` takes them). Only the questions a
 * run left open are asked; each default is computed from the answers given so far, and a detected value
 * says where it came from.
 */
import { questions, type Answers, type QuestionId } from './schema.js';

export interface PromptQuestion {
  type: 'select' | 'input';
  name: QuestionId;
  message: string;
  default: (soFar: Partial<Answers>) => unknown;
  choices?: { value: string; name: string }[];
  validate?: (input: unknown) => true | string;
  filter?: (input: unknown) => unknown;
}

export interface PromptContext {
  readonly open: readonly QuestionId[];
  /** Answers already decided (flags, files, stored): defaults of later questions may depend on them. */
  readonly decided: Partial<Answers>;
  readonly detected: Partial<Answers>;
  readonly evidence: Partial<Record<QuestionId, string>>;
  readonly dirName: string;
}

export function promptQuestions(ctx: PromptContext): PromptQuestion[] {
  // Answers fixed before this session (flags, files, stored): choices that depend on them (a stack's
  // variants) list only what fits. One asked in this same session cannot narrow a list built up front (the
  // prompt typing takes a list, not a function of the answers), so that list holds every value; the default
  // still follows the answer given, and a value that does not fit it is rejected before anything is written.
  const fixed = Object.fromEntries(Object.entries(ctx.decided).filter(([id]) => !ctx.open.includes(id as QuestionId))) as Partial<Answers>;
  return ctx.open.map((id) => {
    const q = questions[id];
    const evidence = ctx.evidence[id];
    const base = {
      name: id,
      message: `${q.message}${evidence ? ` (detected from ${evidence})` : ''} · ${q.help}`,
      default: (soFar: Partial<Answers>) =>
        q.default({ answers: { ...ctx.decided, ...soFar }, detected: ctx.detected, dirName: ctx.dirName }),
    };
    if ('choices' in q) {
      return { ...base, type: 'select' as const, choices: q.choices(fixed).map((c) => ({ value: c.value, name: `${c.value}  ${c.label}` })) };
    }
    return {
      ...base,
      type: 'input' as const,
      validate: (input: unknown) => {
        const parsed = q.parse(typeof input === 'number' ? input : String(input ?? '').trim());
        return parsed.ok ? true : `${q.message} ${parsed.error}`;
      },
      filter: (input: unknown) => {
        const parsed = q.parse(typeof input === 'number' ? input : String(input ?? '').trim());
        return parsed.ok ? parsed.value : input;
      },
    };
  });
}
