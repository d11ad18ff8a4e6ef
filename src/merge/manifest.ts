/**
 * The record of what infra-kit rendered, kept in the target repo under `.infra-kit/`:
 * `manifest.json` (path → sha256 of the rendered content) and `base.json` (path → that content, the merge
 * base for `upgrade`). Plain committed files, so they survive a clone. The bases are ONE file, not one per
 * generated file: a render then costs two record writes instead of ~100 (the commit step dominated a run).
 * Kits recorded by infra-kit < 0.2 keep one file per base under `base/<path>`; they are read, and folded
 * into `base.json` by the next commit.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export const RECORD_DIR = '.infra-kit';
export const MANIFEST_PATH = `${RECORD_DIR}/manifest.json`;
export const BASES_PATH = `${RECORD_DIR}/base.json`;
/** Where infra-kit < 0.2 kept each base (read for migration only). */
export const LEGACY_BASE_DIR = `${RECORD_DIR}/base`;

export interface Manifest {
  readonly version: string;
  /** Pieces rendered into this repo so far: what `upgrade` re-renders. */
  readonly pieces?: readonly string[];
  readonly files: Readonly<Record<string, string>>;
}

export function sha256(content: string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`;
}

export function readManifest(root: string): Manifest | undefined {
  const text = readOptional(join(root, MANIFEST_PATH));
  if (text === undefined) return undefined;
  try {
    const data = JSON.parse(text) as Manifest;
    if (typeof data.files !== 'object' || data.files === null) throw new Error('no "files" map');
    return data;
  } catch (error) {
    throw new UsageError(`${MANIFEST_PATH} is not a valid infra-kit manifest (${(error as Error).message}); restore it from git or delete ${RECORD_DIR}/`);
  }
}

/** Recorded bases by path: `base.json`, plus legacy `base/<path>` files for manifest entries it lacks. */
export type Bases = Record<string, string>;

export function readBases(root: string, manifest: Manifest | undefined): Bases {
  if (!manifest) return {};
  const bases: Bases = {};
  const text = readOptional(join(root, BASES_PATH));
  if (text !== undefined) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`${BASES_PATH} is not valid JSON (${(error as Error).message}); restore it from git or delete ${RECORD_DIR}/`);
    }
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new UsageError(`${BASES_PATH} is not a map of path → content; restore it from git or delete ${RECORD_DIR}/`);
    }
    for (const [path, content] of Object.entries(data)) if (typeof content === 'string') bases[path] = content;
  }
  // A legacy base counts where base.json has none that fits the manifest (also after a run of infra-kit
  // >= 0.2 stopped between writing base.json and the manifest, while the legacy folder was still there).
  const legacyDir = join(root, LEGACY_BASE_DIR);
  if (existsSync(legacyDir)) {
    for (const [path, hash] of Object.entries(manifest.files)) {
      if (Object.hasOwn(bases, path) && sha256(bases[path]!) === hash) continue;
      const legacy = readOptional(join(legacyDir, path));
      if (legacy !== undefined && (!Object.hasOwn(bases, path) || sha256(legacy) === hash)) bases[path] = legacy;
    }
  }
  return bases;
}

/** The last rendered content of `file`, if recorded and intact (its hash matches the manifest's). */
export function baseOf(bases: Bases, manifest: Manifest | undefined, file: string): string | undefined {
  const hash = manifest?.files[file];
  if (!hash || !Object.hasOwn(bases, file)) return undefined;
  const content = bases[file]!;
  return sha256(content) === hash ? content : undefined;
}

export function serializeBases(bases: Bases): string {
  const sorted = Object.fromEntries(Object.entries(bases).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

export function serializeManifest(manifest: Manifest): string {
  const files = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `${JSON.stringify({ version: manifest.version, pieces: manifest.pieces ?? [], files }, null, 2)}\n`;
}

export function readOptional(file: string): string | undefined {
  // Most files of a first render do not exist yet: asking is cheaper than a thrown ENOENT per file.
  if (!existsSync(file)) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw new UsageError(`${file} is a directory; move it away or remove it`);
    throw error;
  }
}
