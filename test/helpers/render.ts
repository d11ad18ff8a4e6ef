/** Test helpers: render the kit with the engine (no Yeoman, no CLI) into memory or a temp dir. */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { requireComplete, resolveAnswers } from '../../src/answers/resolve.js';
import type { Answers } from '../../src/answers/schema.js';
import { buildContext } from '../../src/render/context.js';
import { renderPieces, type RenderedFile } from '../../src/render/render.js';
import { PIECES, type Piece } from '../../src/render/table.js';

/** Full answers: the given ones over the schema defaults. */
export function answersWith(overrides: Partial<Answers> = {}): Answers {
  const resolution = resolveAnswers({
    sources: [{ name: 'test', label: (id) => id, values: overrides }],
    detected: {},
    dirName: 'demo-app',
  });
  return requireComplete(resolution);
}

export function renderToMemory(overrides: Partial<Answers> = {}, pieces: readonly Piece[] = PIECES): Map<string, string> {
  const files = renderPieces(pieces, buildContext(answersWith(overrides), '0.0.0-test'));
  return new Map(files.map((f: RenderedFile) => [f.path, f.content]));
}

export function tempDir(prefix = 'infra-kit-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Render and write the files to a fresh temp dir (for tools that read files: kubectl, terraform…). */
export function renderToDir(overrides: Partial<Answers> = {}, pieces: readonly Piece[] = PIECES): { dir: string; files: Map<string, string> } {
  const files = renderToMemory(overrides, pieces);
  return { dir: repoWith(Object.fromEntries(files)), files };
}

/** A fresh temp dir holding exactly these files (relative path → content). */
export function repoWith(files: Record<string, string>): string {
  const root = tempDir();
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}
