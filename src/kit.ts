/**
 * The engine's front door, shared by the CLI's non-interactive path and the Yeoman generators:
 * answers → file set → plan against the disk → (optionally) commit. No Yeoman in here.
 */
import { buildContext } from './render/context.js';
import { renderPieces } from './render/render.js';
import type { Piece } from './render/table.js';
import type { Answers, QuestionId } from './answers/schema.js';
import { storedContent, YO_RC, type Stored } from './answers/store.js';
import { commitPlan, type CommitInput } from './merge/commit.js';
import { readBases, readManifest, readOptional } from './merge/manifest.js';
import { planFiles, type PlannedFile } from './merge/plan.js';
import { join } from 'node:path';

export interface KitRequest {
  readonly root: string;
  readonly pieces: readonly Piece[];
  readonly answers: Answers;
  /** Answers this run decided for its pieces; they are merged into the stored ones. */
  readonly store: readonly QuestionId[];
  readonly stored: Stored;
  readonly version: string;
  readonly force: boolean;
  /** `write` for new kits and pieces, `upgrade` to 3-way merge edited files. */
  readonly mode: 'write' | 'upgrade';
  readonly restore: boolean;
  readonly conflict: 'markers' | 'rej';
}

/** What commitPlan writes (root, files, record), for the pieces this run rendered. */
export interface KitPlan extends CommitInput {
  readonly pieces: readonly Piece[];
}

export function planKit(req: KitRequest): KitPlan {
  const manifest = readManifest(req.root);
  // Read once: the plan merges against these bases, the commit records the new ones beside them.
  const bases = readBases(req.root, manifest);
  const rendered = renderPieces(req.pieces, buildContext(req.answers, req.version));
  const files = planFiles(req.root, rendered, manifest, bases, {
    mode: req.mode,
    force: req.force,
    restore: req.restore,
    conflict: req.conflict,
    version: req.version,
  });
  const decided = Object.fromEntries(req.store.map((id) => [id, req.answers[id]])) as Partial<Answers>;
  const yoRc = storedContent(req.stored, req.version, decided);
  const previous = readOptional(join(req.root, YO_RC));
  const action = previous === undefined ? 'create' : previous === yoRc ? 'unchanged' : 'update';
  const record: PlannedFile = { path: YO_RC, piece: 'record', action, content: yoRc, ...(previous !== undefined ? { previous } : {}) };
  return { root: req.root, files: [...files, record], manifest, bases, version: req.version, pieces: req.pieces };
}

export function commitKit(plan: KitPlan): void {
  commitPlan(plan);
}

export function hasConflicts(plan: KitPlan): boolean {
  return plan.files.some((f) => f.action === 'conflict');
}
