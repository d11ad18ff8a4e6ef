/** 3-way merge of text files (node-diff3): base = what we rendered last, ours = the disk, theirs = new render. */
import { createRequire } from 'node:module';

// Loaded on first use: a first render or a no-op rerun merges and diffs nothing (`diff` alone costs ~18 ms).
const load = createRequire(import.meta.url);
const diff3 = (): typeof import('node-diff3') => load('node-diff3') as typeof import('node-diff3');
const diff = (): typeof import('diff') => load('diff') as typeof import('diff');

export interface MergeOutcome {
  readonly clean: boolean;
  /** The merged text; when not clean, with conflict markers around each conflicting hunk. */
  readonly text: string;
}

export const CONFLICT_START = '<<<<<<< yours';
export const CONFLICT_END_PREFIX = '>>>>>>> infra-kit';

export function threeWayMerge(base: string, ours: string, theirs: string, version: string): MergeOutcome {
  // Split on lines ourselves: the library's default separator is any whitespace, i.e. words.
  const { conflict, result } = diff3().merge(ours.split('\n'), base.split('\n'), theirs.split('\n'), {
    excludeFalseConflicts: true,
    label: { a: 'yours', o: 'base', b: `infra-kit ${version}` },
  });
  return { clean: !conflict, text: result.join('\n') };
}

/** True while a file still holds the markers an earlier upgrade wrote: never merge on top of them. */
export function hasConflictMarkers(text: string): boolean {
  const lines = text.split('\n');
  return lines.includes(CONFLICT_START) && lines.some((l) => l.startsWith(CONFLICT_END_PREFIX));
}

/** A unified diff, for --dry-run and `.rej` files. */
export function unifiedDiff(path: string, before: string, after: string, labels: [string, string] = ['current', 'infra-kit']): string {
  return diff().createPatch(path, before, after, labels[0], labels[1]);
}
