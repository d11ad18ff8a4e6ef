/**
 * Answers precedence, in one place: flags > --answers file > stored (.yo-rc.json) > detected > defaults.
 * Everything is validated before anything is written; the first bad value is one UsageError naming it.
 */
import { UsageError } from '../errors.js';
import { questionOrder, questions, type Answers, type DefaultsContext, type QuestionId } from './schema.js';

/** A named bag of raw values, e.g. the CLI flags or an answers file; the name goes into error messages. */
export interface AnswerSource {
  readonly name: string;
  /** How a key is shown in errors from this source: `--port` for flags, `answers.yml: port` for files. */
  readonly label: (id: QuestionId) => string;
  readonly values: Partial<Record<QuestionId, unknown>>;
}

export interface ResolveInput {
  readonly sources: readonly AnswerSource[];
  readonly detected: Partial<Answers>;
  readonly dirName: string;
  /** Questions to resolve; others are left out of the result. Default: all. */
  readonly ids?: readonly QuestionId[];
}

export interface Resolution {
  readonly answers: Partial<Answers>;
  /** Where each answer came from: a source name, 'detected' or 'default'. */
  readonly origin: Partial<Record<QuestionId, string>>;
  /** Questions that no source, detection or default could answer. */
  readonly missing: QuestionId[];
}

export function resolveAnswers(input: ResolveInput): Resolution {
  const wanted = new Set(input.ids ?? questionOrder);
  const answers: Partial<Record<QuestionId, unknown>> = {};
  const origin: Partial<Record<QuestionId, string>> = {};
  const missing: QuestionId[] = [];
  for (const id of questionOrder) {
    if (!wanted.has(id)) continue;
    const question = questions[id];
    const source = input.sources.find((s) => s.values[id] !== undefined);
    if (source) {
      // Earlier answers go along: a variant must fit the stack, a region the cloud.
      const parsed = question.parse(source.values[id], answers as Partial<Answers>);
      if (!parsed.ok) {
        throw new UsageError(`${source.label(id)} ${show(source.values[id])} ${parsed.error}`);
      }
      answers[id] = parsed.value;
      origin[id] = source.name;
      continue;
    }
    const ctx: DefaultsContext = { answers: answers as Partial<Answers>, detected: input.detected, dirName: input.dirName };
    const fallback = question.default(ctx);
    if (fallback === undefined) {
      missing.push(id);
      continue;
    }
    answers[id] = fallback;
    origin[id] = input.detected[id] !== undefined && input.detected[id] === fallback ? 'detected' : 'default';
  }
  return { answers: answers as Partial<Answers>, origin, missing };
}

/** A resolution with nothing missing, or a UsageError naming the flag to pass. */
export function requireComplete(resolution: Resolution): Answers {
  const [first] = resolution.missing;
  if (first !== undefined) {
    const q = questions[first];
    throw new UsageError(`no value for ${q.message.toLowerCase()}: pass --${q.flag} ${q.metavar} (${q.help})`);
  }
  return resolution.answers as Answers;
}

function show(raw: unknown): string {
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw) ?? String(raw);
  // One inert line on a terminal: newlines, control and bidi characters are shown escaped, never emitted.
  const oneLine = text
    .replace(/[\r\n]+/g, '\\n')
    .replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `'${oneLine.length > 60 ? `${oneLine.slice(0, 57)}...` : oneLine}'`;
}

/** Build a source from a plain object (answers file, .yo-rc.json), rejecting keys that are not questions. */
export function sourceFromObject(name: string, data: unknown): AnswerSource {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new UsageError(`${name}: expected a mapping of answers (e.g. "name: my-api"), got ${Array.isArray(data) ? 'a list' : typeof data}`);
  }
  const values: Partial<Record<QuestionId, unknown>> = {};
  for (const [key, value] of Object.entries(data)) {
    // Own keys only: `constructor` or `__proto__` must not pass as questions through the prototype.
    if (!Object.hasOwn(questions, key)) {
      throw new UsageError(`${name}: unknown answer '${key}'; allowed: ${questionOrder.join(', ')}`);
    }
    values[key as QuestionId] = value;
  }
  return { name, label: (id) => `${name}: ${id}`, values };
}
