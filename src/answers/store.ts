/**
 * Stored answers: `.yo-rc.json`, the Yeoman convention, under our package name, so that pieces and
 * `upgrade` reuse them and `yo` sees a configured repo. Other generators' keys in the file are kept.
 */
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { readOptional } from '../merge/manifest.js';
import { sourceFromObject, type AnswerSource } from './resolve.js';
import type { Answers } from './schema.js';

export const YO_RC = '.yo-rc.json';
export const STORE_KEY = 'create-infra-kit';

export interface Stored {
  /** The whole file, to write back with other generators' keys intact. */
  readonly file: Record<string, unknown>;
  readonly answers: Partial<Answers>;
  readonly source: AnswerSource;
  readonly version?: string;
}

export function readStored(root: string): Stored {
  const text = readOptional(join(root, YO_RC));
  let file: Record<string, unknown> = {};
  if (text !== undefined) {
    try {
      const data: unknown = JSON.parse(text);
      if (!data || typeof data !== 'object' || Array.isArray(data)) throw new Error('not a JSON object');
      file = data as Record<string, unknown>;
    } catch (error) {
      throw new UsageError(`${YO_RC} is not valid JSON (${(error as Error).message}); fix or delete it`);
    }
  }
  const ours = (file[STORE_KEY] ?? {}) as { version?: unknown; answers?: unknown };
  const source = sourceFromObject(YO_RC, ours.answers ?? {});
  return {
    file,
    answers: source.values as Partial<Answers>,
    source,
    ...(typeof ours.version === 'string' ? { version: ours.version } : {}),
  };
}

/** `.yo-rc.json` content after this run: stored answers plus the ones this run decided. */
export function storedContent(stored: Stored, version: string, answers: Partial<Answers>): string {
  const merged = { ...stored.answers, ...answers };
  const ordered = Object.fromEntries(Object.entries(merged).sort(([a], [b]) => (a < b ? -1 : 1)));
  const file = { ...stored.file, [STORE_KEY]: { version, answers: ordered } };
  return `${JSON.stringify(file, null, 2)}\n`;
}
