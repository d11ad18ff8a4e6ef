/**
 * File tables → ejs → an in-memory file set. Pure: reads templates, writes nothing.
 * The built package renders with templates compiled at build time (dist/src/templates.cjs, see
 * scripts/compile-templates.mjs); from src/ (tests, development) each template is compiled on first use.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import type ejs from 'ejs';
import { templatesDir } from '../paths.js';
import { CONTEXT_KEYS, type RenderContext } from './context.js';
import type { FileRule, Piece } from './table.js';
import { fileTables } from './pieces.js';

export interface RenderedFile {
  readonly path: string;
  readonly content: string;
  readonly piece: Piece;
  readonly strategy?: 'lines';
}

const TEMPLATE_EXT = '.ejs';

/** ejs settings shared by the run-time compiler and the build-time one. */
export const EJS_OPTIONS = {
  // strict + destructured locals: a typo in a template is a ReferenceError, not a silent "undefined".
  strict: true,
  // Output formats are YAML/HCL/shell/Markdown, never HTML: quoting is done by `q`, not by ejs.
  // A function expression, not an arrow: client-mode compilation inlines its source as `escapeFn || <it>`.
  escape: function escape(s: unknown): string {
    return String(s);
  },
} as const;

type TemplateFn = (locals: object, escapeFn: (s: unknown) => string, include: (path: string, data?: object) => string) => string;
interface Compiled {
  /** The context keys the templates were compiled for (destructured locals). */
  readonly keys: readonly string[];
  readonly templates: Readonly<Record<string, TemplateFn>>;
  /** Content hash of each template, and hash of each template folder's entry names, at build time. */
  readonly stamps: Readonly<Record<string, string>>;
}

const COMPILED_FILE = fileURLToPath(new URL('../templates.cjs', import.meta.url));
let compiled: Compiled | null | undefined;

/** The build-time bundle, if this code runs from dist/ and the bundle was made for this context shape. */
function precompiled(ctx: RenderContext): Compiled | null {
  if (compiled === undefined) {
    compiled = existsSync(COMPILED_FILE) ? (createRequire(import.meta.url)(COMPILED_FILE) as Compiled) : null;
  }
  return compiled && [...compiled.keys].sort().join() === Object.keys(ctx).sort().join() ? compiled : null;
}

/**
 * A template's content hash, or a folder's hash of its entry names (a file added or removed changes it). A
 * template edited after the build no longer matches its stamp and is compiled from disk instead, so a checkout
 * that was not rebuilt still renders what its templates say. Content, not mtimes: npm's tarballs reset every
 * mtime, so an installed package could never match a build-time mtime. Reading and hashing ~100 small files
 * costs about a millisecond; compiling them costs twenty.
 */
const stamps = new Map<string, string | undefined>();
export function stampOf(path: string): string | undefined {
  if (stamps.has(path)) return stamps.get(path);
  const full = join(templatesDir, path);
  const stat = statSync(full, { throwIfNoEntry: false });
  const stamp = !stat
    ? undefined
    : createHash('sha1').update(stat.isDirectory() ? readdirSync(full).sort().join('\n') : readFileSync(full)).digest('base64url');
  stamps.set(path, stamp);
  return stamp;
}

/** Test hook: with INFRA_KIT_REQUIRE_BUNDLE=1 a fallback to the run-time compiler is an error, not a slowdown. */
function fallback(template: string): void {
  if (process.env.INFRA_KIT_REQUIRE_BUNDLE === '1' && compiled) throw new Error(`${template}: not served by ${COMPILED_FILE}`);
}

export function renderPieces(pieces: readonly Piece[], ctx: RenderContext): RenderedFile[] {
  const bundle = precompiled(ctx);
  const files = new Map<string, RenderedFile>();
  for (const piece of pieces) {
    for (const rule of fileTables[piece]) {
      if (rule.when && !rule.when(ctx)) continue;
      for (const { template, to } of expand(rule, ctx, bundle)) {
        const content = renderOne(bundle, template, ctx);
        const strategy = 'strategy' in rule ? rule.strategy : undefined;
        files.set(to, { path: to, content, piece, ...(strategy ? { strategy } : {}) });
      }
    }
  }
  return [...files.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function expand(rule: FileRule, ctx: RenderContext, bundle: Compiled | null): { template: string; to: string }[] {
  if ('template' in rule) {
    return [{ template: typeof rule.template === 'function' ? rule.template(ctx) : rule.template, to: rule.to }];
  }
  const dir = typeof rule.dir === 'function' ? rule.dir(ctx) : rule.dir;
  const bundled = bundle && bundledTemplates(bundle, dir);
  if (bundle && !bundled) fallback(dir);
  const names = bundled ?? listTemplates(dir);
  return names.map((rel) => ({
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

/** Like listTemplates, from the bundle's names; undefined when a folder changed since the build. */
function bundledTemplates(bundle: Compiled, dir: string): string[] | undefined {
  const prefix = `${dir}/`;
  const folders = Object.keys(bundle.stamps).filter((name) => (name === dir || name.startsWith(prefix)) && !name.endsWith(TEMPLATE_EXT));
  if (folders.length === 0 || folders.some((name) => stampOf(name) !== bundle.stamps[name])) return undefined;
  return Object.keys(bundle.templates)
    .filter((name) => name.startsWith(prefix) && !name.slice(prefix.length).split('/').includes('partials'))
    .map((name) => name.slice(prefix.length))
    .sort();
}

/**
 * Render one template with the bundle when its compiled function is current, else from disk. `include`
 * resolves like ejs's: relative to the including template, `.ejs` implied, include data over the locals.
 */
function renderOne(bundle: Compiled | null, template: string, locals: RenderContext): string {
  const fn = bundle?.templates[template];
  if (!bundle || !fn || stampOf(template) !== bundle.stamps[template]) {
    fallback(template);
    return renderTemplate(template, locals);
  }
  const include = (path: string, data?: object): string => {
    const target = posix.join(posix.dirname(template), posix.extname(path) ? path : `${path}${TEMPLATE_EXT}`);
    return renderOne(bundle, target, (data ? { ...locals, ...data } : locals) as RenderContext);
  };
  return fn(locals, EJS_OPTIONS.escape, include);
}

function toPosix(p: string): string {
  return p.split(/[\\/]/).join('/');
}

let runtimeEjs: typeof ejs | undefined;

/** Compile from disk (development, tests, or a template changed since the build). */
function renderTemplate(template: string, locals: RenderContext): string {
  // Loaded on first use: the built bin renders from the bundle and never needs the compiler.
  runtimeEjs ??= createRequire(import.meta.url)('ejs') as typeof ejs;
  const filename = join(templatesDir, template);
  const source = readFileSync(filename, 'utf8');
  const fn = runtimeEjs.compile(source, {
    ...EJS_OPTIONS,
    filename,
    // Partials are included by many templates: compile each file once per process.
    cache: true,
    destructuredLocals: CONTEXT_KEYS.filter((k) => k in locals),
  });
  return fn(locals as unknown as ejs.Data) as string;
}
