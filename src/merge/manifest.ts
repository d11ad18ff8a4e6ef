/**
 * The record of what infra-kit rendered, kept in the target repo under `.infra-kit/`:
 * `manifest.json` (path → sha256 of the rendered content) and `base/<path>` (that content, the merge base
 * for `upgrade`). Plain committed files, so they survive a clone.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

export const RECORD_DIR = '.infra-kit';
export const MANIFEST_PATH = `${RECORD_DIR}/manifest.json`;
export const basePath = (file: string): string => `${RECORD_DIR}/base/${file}`;

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

/** The last rendered content of `file`, if recorded and intact. */
export function readBase(root: string, manifest: Manifest | undefined, file: string): string | undefined {
  if (!manifest?.files[file]) return undefined;
  const content = readOptional(join(root, basePath(file)));
  return content !== undefined && sha256(content) === manifest.files[file] ? content : undefined;
}

export function serializeManifest(manifest: Manifest): string {
  const files = Object.fromEntries(Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `${JSON.stringify({ version: manifest.version, pieces: manifest.pieces ?? [], files }, null, 2)}\n`;
}

export function readOptional(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    if ((error as NodeJS.ErrnoException).code === 'EISDIR') throw new UsageError(`${file} is a directory; move it away or remove it`);
    throw error;
  }
}
