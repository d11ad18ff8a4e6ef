/**
 * Write a plan to disk. Each file is written atomically (temp file in the same dir, then rename), and the
 * record under `.infra-kit/` is written last, so an interrupted run leaves every file old or new, never torn,
 * and a rerun finishes the job.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { BASES_PATH, LEGACY_BASE_DIR, MANIFEST_PATH, serializeBases, serializeManifest, sha256, type Bases, type Manifest } from './manifest.js';
import { WRITES, type PlannedFile } from './plan.js';

const TMP_MARK = '.infra-kit-';

export function writeAtomic(file: string, content: string, dirs?: PreparedDirs): void {
  if (dirs) dirs.prepare(dirname(file));
  else mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}${TMP_MARK}${process.pid}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

/**
 * Each directory a commit touches, prepared once: created, and cleared of the temp files an interrupted run
 * left behind (a killed process cannot clean up after itself). Once per directory, not per file: a full
 * kit writes ~200 files (with their bases) into ~40 directories.
 */
class PreparedDirs {
  private readonly done = new Set<string>();

  prepare(dir: string): void {
    if (this.done.has(dir)) return;
    this.done.add(dir);
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      mkdirSync(dir, { recursive: true });
      return;
    }
    for (const name of names) if (name.includes(TMP_MARK) && name.endsWith('.tmp')) rmSync(join(dir, name), { force: true });
  }
}

export interface CommitInput {
  readonly root: string;
  readonly files: readonly PlannedFile[];
  readonly manifest: Manifest | undefined;
  /** The recorded bases the plan was made against (readBases). */
  readonly bases: Bases;
  readonly version: string;
  readonly pieces: readonly string[];
}

export function commitPlan({ root, files: plan, manifest, bases: planned, version, pieces }: CommitInput): void {
  const dirs = new PreparedDirs();
  for (const file of plan) {
    const target = join(root, file.path);
    if (WRITES.has(file.action) && file.content !== file.previous) writeAtomic(target, file.content, dirs);
    if (file.action === 'remove') rmSync(target, { force: true });
    if (file.sidecar) writeAtomic(join(root, file.sidecar.path), file.sidecar.content, dirs);
  }
  const files: Record<string, string> = { ...(manifest?.files ?? {}) };
  const bases = { ...planned };
  const legacy = manifest !== undefined && existsSync(join(root, LEGACY_BASE_DIR));
  const allPieces = [...new Set([...(manifest?.pieces ?? []), ...pieces])].sort();
  let changed = manifest === undefined || manifest.version !== version || allPieces.join() !== (manifest.pieces ?? []).join();
  let basesChanged = legacy;
  for (const file of plan) {
    if (file.forget && files[file.path] !== undefined) {
      delete files[file.path];
      delete bases[file.path];
      changed = basesChanged = true;
    }
    if (file.rendered === undefined || !file.record) continue;
    const hash = sha256(file.rendered);
    if (files[file.path] === hash && bases[file.path] === file.rendered) continue;
    bases[file.path] = file.rendered;
    files[file.path] = hash;
    changed = basesChanged = true;
  }
  for (const path of Object.keys(bases)) {
    if (!Object.hasOwn(files, path)) {
      delete bases[path];
      basesChanged = true;
    }
  }
  // Bases before the manifest: a manifest never names a hash whose base was not written.
  if (basesChanged) writeAtomic(join(root, BASES_PATH), serializeBases(bases), dirs);
  if (changed) writeAtomic(join(root, MANIFEST_PATH), serializeManifest({ version, pieces: allPieces, files }), dirs);
  // Folded into base.json above: the legacy per-file bases go once the new record is in place.
  if (legacy) rmSync(join(root, LEGACY_BASE_DIR), { recursive: true, force: true });
}
