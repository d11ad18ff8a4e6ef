/**
 * Write a plan to disk. Each file is written atomically (temp file in the same dir, then rename), and the
 * record under `.infra-kit/` is written last, so an interrupted run leaves every file old or new, never torn,
 * and a rerun finishes the job.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { basePath, MANIFEST_PATH, serializeManifest, sha256, type Manifest } from './manifest.js';
import type { PlannedFile } from './plan.js';

const WRITES = new Set(['create', 'update']);

export function writeAtomic(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.infra-kit-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}

export function commitPlan(root: string, plan: readonly PlannedFile[], manifest: Manifest | undefined, version: string): void {
  for (const file of plan) {
    if (WRITES.has(file.action)) writeAtomic(join(root, file.path), file.content);
  }
  const files: Record<string, string> = { ...(manifest?.files ?? {}) };
  let recordChanged = manifest === undefined || manifest.version !== version;
  for (const file of plan) {
    if (file.rendered === undefined || file.action === 'conflict' || file.action === 'kept-deleted') continue;
    const hash = sha256(file.rendered);
    if (files[file.path] === hash) continue;
    writeAtomic(join(root, basePath(file.path)), file.rendered);
    files[file.path] = hash;
    recordChanged = true;
  }
  if (recordChanged) writeAtomic(join(root, MANIFEST_PATH), serializeManifest({ version, files }));
}
