/** File tables → ejs → an in-memory file set. Pure: reads templates, writes nothing. */
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ejs from 'ejs';
import { templatesDir } from '../paths.js';
import type { RenderContext } from './context.js';
import type { FileRule, Piece } from './table.js';
import { fileTables } from './pieces.js';

export interface RenderedFile {
  readonly path: string;
  readonly content: string;
  readonly piece: Piece;
  readonly strategy?: 'lines';
}

const TEMPLATE_EXT = '.ejs';

export function renderPieces(pieces: readonly Piece[], ctx: RenderContext): RenderedFile[] {
  const files = new Map<string, RenderedFile>();
  for (const piece of pieces) {
    for (const rule of fileTables[piece]) {
      if (rule.when && !rule.when(ctx)) continue;
      for (const { template, to } of expand(rule, ctx)) {
        const content = renderTemplate(template, ctx);
        const strategy = 'strategy' in rule ? rule.strategy : undefined;
        files.set(to, { path: to, content, piece, ...(strategy ? { strategy } : {}) });
      }
    }
  }
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function expand(rule: FileRule, ctx: RenderContext): { template: string; to: string }[] {
  if ('template' in rule) {
    return [{ template: typeof rule.template === 'function' ? rule.template(ctx) : rule.template, to: rule.to }];
  }
  const dir = typeof rule.dir === 'function' ? rule.dir(ctx) : rule.dir;
  return listTemplates(dir).map((rel) => ({
    template: posix.join(dir, rel),
    to: posix.join(rule.to, rel.slice(0, -TEMPLATE_EXT.length)),
  }));
}

function listTemplates(dir: string): string[] {
  const entries = readdirSync(join(templatesDir, dir), { recursive: true, withFileTypes: true });
  return entries
    // `partials/` folders hold pieces that templates include; they are not output files themselves.
    .filter((e) => e.isFile() && e.name.endsWith(TEMPLATE_EXT) && !toPosix(e.parentPath).split('/').includes('partials'))
    .map((e) => posix.relative(dir, posix.join(toPosix(e.parentPath.slice(templatesDir.length + 1)), e.name)))
    .sort();
}

function toPosix(p: string): string {
  return p.split(/[\\/]/).join('/');
}

function renderTemplate(template: string, ctx: RenderContext): string {
  const filename = join(templatesDir, template);
  const source = readFileSync(filename, 'utf8');
  // strict + destructured locals: a typo in a template is a ReferenceError, not a silent "undefined".
  const fn = ejs.compile(source, {
    filename,
    // Partials are included by many templates: compile each file once per process.
    cache: true,
    strict: true,
    destructuredLocals: Object.keys(ctx),
    // Output formats are YAML/HCL/shell/Markdown, never HTML: quoting is done by `q`, not by ejs.
    escape: (s: unknown) => String(s),
  });
  return fn(ctx as unknown as ejs.Data) as string;
}
