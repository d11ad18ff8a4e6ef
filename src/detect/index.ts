/**
 * Read the target repo to propose defaults. Detection only proposes: every value still goes through the
 * answers schema, and an explicit flag, answers file or stored answer wins.
 */
import { join } from 'node:path';
import type { Answers } from '../answers/schema.js';
import { toAppName } from '../answers/schema.js';
import { readOptional } from '../merge/manifest.js';

export interface Detection {
  readonly answers: Partial<Answers>;
  /** Why each value was proposed, e.g. "package.json", for prompts and the summary. */
  readonly evidence: Partial<Record<keyof Answers, string>>;
}

const POSTGRES_CLIENTS = ['pg', 'postgres', 'pg-promise', 'node-pg-migrate'];

export function detect(root: string): Detection {
  const answers: Partial<Answers> = {};
  const evidence: Partial<Record<keyof Answers, string>> = {};
  const pkg = readJson(join(root, 'package.json'));
  if (pkg) {
    answers.stack = 'node';
    evidence.stack = 'package.json';
    const name = typeof pkg.name === 'string' ? toAppName(pkg.name) : undefined;
    if (name) {
      answers.name = name;
      evidence.name = 'package.json';
    }
    const deps = { ...asRecord(pkg.dependencies), ...asRecord(pkg.devDependencies) };
    if (POSTGRES_CLIENTS.some((d) => d in deps)) {
      answers.database = 'postgres';
      evidence.database = 'package.json';
    }
  }
  return { answers, evidence };
}

function readJson(file: string): Record<string, unknown> | undefined {
  const text = readOptional(file);
  if (text === undefined) return undefined;
  try {
    const data: unknown = JSON.parse(text);
    return data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : undefined;
  } catch {
    return undefined; // an unreadable manifest proposes nothing; it is not ours to judge
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}
