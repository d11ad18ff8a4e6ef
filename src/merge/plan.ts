/**
 * Decide, per rendered file, what happens on disk — before anything is written. The policy never loses a
 * user's edit: a file that differs from both what we rendered last time and what we render now is a
 * conflict and is left alone (unless --force); `infra-kit upgrade` is the command that merges.
 */
import { join } from 'node:path';
import type { RenderedFile } from '../render/render.js';
import type { Piece } from '../render/table.js';
import { ensureLines } from './lines.js';
import { readBase, readOptional, type Manifest } from './manifest.js';

export type Action = 'create' | 'update' | 'unchanged' | 'conflict' | 'kept-deleted';

export interface PlannedFile {
  readonly path: string;
  readonly piece: Piece | 'record';
  readonly action: Action;
  /** What ends up on disk when the action writes. */
  readonly content: string;
  /** What we rendered: recorded as the next merge base (undefined: not recorded, e.g. line-set files). */
  readonly rendered?: string;
  /** The content on disk before the run, for diffs. */
  readonly previous?: string;
  readonly reason?: string;
}

export interface PlanOptions {
  readonly force: boolean;
}

export function planFiles(root: string, files: readonly RenderedFile[], manifest: Manifest | undefined, opts: PlanOptions): PlannedFile[] {
  return files.map((file) => planFile(root, file, manifest, opts));
}

function planFile(root: string, file: RenderedFile, manifest: Manifest | undefined, opts: PlanOptions): PlannedFile {
  const disk = readOptional(join(root, file.path));
  const common = { path: file.path, piece: file.piece, ...(disk !== undefined ? { previous: disk } : {}) };
  if (file.strategy === 'lines') {
    const content = ensureLines(disk, file.content);
    return { ...common, content, action: disk === undefined ? 'create' : content === disk ? 'unchanged' : 'update' };
  }
  const recorded = { ...common, rendered: file.content, content: file.content };
  if (disk === undefined) {
    const deletedByUser = manifest?.files[file.path] !== undefined && !opts.force;
    return deletedByUser
      ? { ...recorded, action: 'kept-deleted', reason: 'you deleted it; --force brings it back' }
      : { ...recorded, action: 'create' };
  }
  if (disk === file.content) return { ...recorded, action: 'unchanged' };
  if (opts.force) return { ...recorded, action: 'update', reason: 'overwritten (--force)' };
  const base = readBase(root, manifest, file.path);
  if (base !== undefined && disk === base) return { ...recorded, action: 'update' };
  const reason =
    base === undefined
      ? 'exists and was not written by infra-kit; left alone (--force overwrites it)'
      : 'you edited it; left alone (`infra-kit upgrade` merges, --force overwrites)';
  return { ...common, content: disk, action: 'conflict', reason };
}
