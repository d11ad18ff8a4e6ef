/** A person's answer to one conflict in an interactive run: keep their file, take ours, or merge the two. */
import type { PlannedFile } from './plan.js';
import { threeWayMerge } from './three-way.js';

export type ConflictChoice = 'keep' | 'take' | 'merge';

/** Merge needs a base: a file infra-kit never wrote can only be kept or replaced. */
export function choicesFor(file: PlannedFile): ConflictChoice[] {
  return file.base !== undefined ? ['keep', 'take', 'merge'] : ['keep', 'take'];
}

export function applyChoice(file: PlannedFile, choice: ConflictChoice, version: string): PlannedFile {
  if (file.action !== 'conflict' || file.rendered === undefined || file.previous === undefined) return file;
  if (choice === 'keep') return { ...file, action: 'kept', content: file.previous, reason: 'kept yours (your choice)' };
  if (choice === 'take') return { ...file, action: 'update', content: file.rendered, record: true, reason: 'replaced by ours (your choice)' };
  if (file.base === undefined) return file;
  const merged = threeWayMerge(file.base, file.previous, file.rendered, version);
  return merged.clean
    ? { ...file, action: 'merge', content: merged.text, record: true, reason: 'merged (your choice)' }
    : { ...file, action: 'conflict', content: merged.text, record: true, reason: 'merged with conflict markers (your choice): edit the file' };
}
