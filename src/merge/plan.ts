/**
 * Decide, per rendered file, what happens on disk — before anything is written. No policy ever loses a
 * user's edit:
 * - `write` (new kit, a piece): a file that differs from both our last render and the new one is a conflict
 *   and is left alone (unless --force);
 * - `upgrade`: such a file gets a 3-way merge (base = last render, ours = disk, theirs = new render); a
 *   conflicting merge writes markers (or keeps ours and writes `<file>.rej`); files the new render no longer
 *   has are removed when untouched and kept when edited.
 */
import { join } from 'node:path';
import type { RenderedFile } from '../render/render.js';
import type { Piece } from '../render/table.js';
import { ensureLines } from './lines.js';
import { baseOf, readOptional, type Bases, type Manifest } from './manifest.js';
import { hasConflictMarkers, threeWayMerge, unifiedDiff } from './three-way.js';

export type Action =
  | 'create'
  | 'update'
  | 'merge'
  | 'unchanged'
  | 'kept'
  | 'conflict'
  | 'kept-deleted'
  | 'remove'
  | 'orphaned';

export interface PlannedFile {
  readonly path: string;
  readonly piece: Piece | 'record';
  readonly action: Action;
  /** What ends up on disk when the action writes. */
  readonly content: string;
  /** What we rendered: recorded as the next merge base (undefined: not recorded, e.g. line-set files). */
  readonly rendered?: string;
  /** Whether `rendered` becomes the recorded base (a write-mode conflict keeps the old base for upgrade). */
  readonly record?: boolean;
  /** The content on disk before the run, for diffs. */
  readonly previous?: string;
  /** The last rendered content (merge base), on conflicts an interactive run may still merge. */
  readonly base?: string;
  /** A side file to write, e.g. `Dockerfile.rej` with the hunks that did not apply. */
  readonly sidecar?: { readonly path: string; readonly content: string };
  /** Drop the file from the record (it is no longer generated). */
  readonly forget?: boolean;
  readonly reason?: string;
}

export interface PlanOptions {
  readonly mode: 'write' | 'upgrade';
  readonly force: boolean;
  /** Bring back files the user deleted. */
  readonly restore: boolean;
  /** Conflict style in upgrade mode: markers in the file, or keep ours and write `<file>.rej`. */
  readonly conflict: 'markers' | 'rej';
  readonly version: string;
}

/** Actions that write `content` to the file. */
export const WRITES: ReadonlySet<Action> = new Set(['create', 'update', 'merge', 'conflict']);

export function planFiles(root: string, files: readonly RenderedFile[], manifest: Manifest | undefined, bases: Bases, opts: PlanOptions): PlannedFile[] {
  const planned = files.map((file) => planFile(root, file, manifest, bases, opts));
  return opts.mode === 'upgrade' ? [...planned, ...planOrphans(root, files, manifest, bases)] : planned;
}

function planFile(root: string, file: RenderedFile, manifest: Manifest | undefined, bases: Bases, opts: PlanOptions): PlannedFile {
  const disk = readOptional(join(root, file.path));
  const common = { path: file.path, piece: file.piece, ...(disk !== undefined ? { previous: disk } : {}) };
  if (file.strategy === 'lines') {
    const content = ensureLines(disk, file.content);
    return { ...common, content, action: disk === undefined ? 'create' : content === disk ? 'unchanged' : 'update' };
  }
  const theirs = { ...common, rendered: file.content, record: true, content: file.content };
  if (disk === undefined) {
    const deletedByUser = manifest?.files[file.path] !== undefined && !opts.force && !opts.restore;
    return deletedByUser
      ? { ...theirs, action: 'kept-deleted', record: false, reason: 'you deleted it; --restore brings it back' }
      : { ...theirs, action: 'create' };
  }
  if (disk === file.content) return { ...theirs, action: 'unchanged' };
  if (opts.force) return { ...theirs, action: 'update', reason: 'overwritten (--force)' };
  const base = baseOf(bases, manifest, file.path);
  if (base !== undefined && disk === base) return { ...theirs, action: 'update' };
  // Conflicts left alone carry what we rendered (and the base, if any), not recorded: an interactive run
  // may still let the person take it or merge it.
  const leftAlone = { ...common, content: disk, rendered: file.content, record: false, action: 'conflict' as const };
  if (base === undefined) return { ...leftAlone, reason: 'exists and was not written by infra-kit; left alone (--force overwrites it)' };
  if (hasConflictMarkers(disk)) return { ...leftAlone, reason: 'still has conflict markers from an earlier upgrade: resolve them first' };
  if (base === file.content) return { ...theirs, content: disk, action: 'kept', reason: 'your edit kept' };
  if (opts.mode === 'write') return { ...leftAlone, base, reason: 'you edited it; left alone (`infra-kit upgrade` merges, --force overwrites)' };
  const merged = threeWayMerge(base, disk, file.content, opts.version);
  if (merged.clean) return { ...theirs, content: merged.text, action: 'merge', reason: 'your edits and ours, merged' };
  if (opts.conflict === 'rej') {
    const sidecar = { path: `${file.path}.rej`, content: unifiedDiff(file.path, base, file.content, ['base', 'infra-kit']) };
    return { ...theirs, content: disk, action: 'conflict', sidecar, reason: `your file kept; our changes in ${sidecar.path}` };
  }
  return { ...theirs, content: merged.text, action: 'conflict', reason: 'conflict markers written: edit the file, keep what is right' };
}

/** Files we rendered before that the new render no longer has. */
function planOrphans(root: string, files: readonly RenderedFile[], manifest: Manifest | undefined, bases: Bases): PlannedFile[] {
  if (!manifest) return [];
  const rendered = new Set(files.map((f) => f.path));
  return Object.keys(manifest.files)
    .filter((path) => !rendered.has(path))
    .sort()
    .map((path): PlannedFile => {
      const disk = readOptional(join(root, path));
      const base = baseOf(bases, manifest, path);
      const common = { path, piece: 'record' as const, content: disk ?? '', forget: true, ...(disk !== undefined ? { previous: disk } : {}) };
      if (disk === undefined) return { ...common, action: 'unchanged', reason: 'no longer generated (already gone)' };
      if (disk === base) return { ...common, action: 'remove', reason: 'no longer generated' };
      return { ...common, action: 'orphaned', reason: 'no longer generated; kept because you edited it' };
    });
}
