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
  /** Whether to ask, given the answers so far (e.g. no migration command without a database). */
  when?: (soFar?: Partial<Answers>) => boolean;
  /** A function of the answers so far: inquirer calls it when the question comes up. */
  choices?: (soFar?: Partial<Answers>) => { value: string; name: string }[];
  validate?: (input: unknown, soFar?: Partial<Answers>) => true | string;
  filter?: (input: unknown, soFar?: Partial<Answers>) => unknown;
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
  // Choices, defaults and validation see the answers fixed before this session (flags, files, stored)
  // under the ones given so far in it: the variant list is the chosen stack's, the region fits the cloud.
  const fixed = Object.fromEntries(Object.entries(ctx.decided).filter(([id]) => !ctx.open.includes(id as QuestionId))) as Partial<Answers>;
  const upTo = (soFar: Partial<Answers> | undefined): Partial<Answers> => ({ ...fixed, ...(soFar ?? {}) });
  return ctx.open.map((id) => {
    const q = questions[id];
    const evidence = ctx.evidence[id];
    const base = {
      ...('when' in q && q.when ? { when: (soFar?: Partial<Answers>) => q.when(upTo(soFar)) } : {}),
      name: id,
      message: `${q.message}${evidence ? ` (detected from ${evidence})` : ''} · ${q.help}`,
      default: (soFar: Partial<Answers>) =>
        q.default({ answers: { ...ctx.decided, ...soFar }, detected: ctx.detected, dirName: ctx.dirName }),
    };
    if ('choices' in q) {
      const choices = (soFar?: Partial<Answers>) => q.choices(upTo(soFar)).map((c) => ({ value: c.value, name: `${c.value}  ${c.label}` }));
      return { ...base, type: 'select' as const, choices };
    }
    return {
      ...base,
      type: 'input' as const,
      validate: (input: unknown, soFar?: Partial<Answers>) => {
        const parsed = q.parse(typeof input === 'number' ? input : String(input ?? '').trim(), upTo(soFar));
        return parsed.ok ? true : `${q.message} ${parsed.error}`;
      },
      filter: (input: unknown, soFar?: Partial<Answers>) => {
        const parsed = q.parse(typeof input === 'number' ? input : String(input ?? '').trim(), upTo(soFar));
        return parsed.ok ? parsed.value : input;
      },
    };
  });
}
