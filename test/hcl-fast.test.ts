/**
 * hcl-fast.ts is a fast path only: where it gives a result, that result must be HashiCorp's (@cdktf/hcl2json), byte
 * for byte; where it is unsure it must say so (Unsupported) rather than guess, and it must never accept a file
 * HashiCorp's parser rejects. Every .tf the templates render must take the fast path (that is its point).
 */
import { parse } from '@cdktf/hcl2json';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { parseHclFast, Unsupported } from '../src/check/hcl-fast.js';
import { parseTree } from '../src/check/terraform-hcl.js';
import { renderToMemory } from './helpers/render.js';

/** The fast path's verdict: its JSON text, or 'unsupported'. */
function fast(src: string): string {
  try {
    return JSON.stringify(parseHclFast(src));
  } catch (error) {
    if (error instanceof Unsupported) return 'unsupported';
    throw error;
  }
}

/** HashiCorp's verdict: its JSON text, or 'error'. */
async function hashicorp(src: string): Promise<string> {
  try {
    return JSON.stringify(await parse('main.tf', src));
  } catch {
    return 'error';
  }
}

const cells: Partial<Answers>[] = [];
for (const cloud of ['aws', 'gcp', 'azure'] as const) {
  for (const orchestrator of ['kubernetes', 'compose'] as const) {
    for (const ci of ['github', 'gitlab'] as const) cells.push({ cloud, orchestrator, ci, database: 'postgres' }, { cloud, orchestrator, ci });
  }
}
cells.push({ gitops: 'argocd', repoUrl: 'https://github.com/acme/shop.git', database: 'postgres' });

describe('the fast HCL path', () => {
  it(`reads every .tf the templates render (${cells.length} cells) exactly as HashiCorp's parser does`, async () => {
    const seen = new Set<string>();
    for (const cell of cells) {
      for (const [path, src] of renderToMemory(cell)) {
        if (!path.endsWith('.tf') || seen.has(src)) continue;
        seen.add(src);
        expect(fast(src), `${path} ${JSON.stringify(cell)}`).toBe(await hashicorp(src));
      }
    }
    expect(seen.size).toBeGreaterThan(150);
  });

  const SUPPORTED = [
    'a = "x${var.y}z\\n\\"q\\\\ \\u00e9 \\U0001F600"\n',
    'b = [1, -2, 3.5, true, null, var.x, !false, -var.n, - 4, 0.25, 007]\n',
    'c = { k = "v", "q r" = 2, (var.k) = 3, a.b = 4 }\n',
    'd = <<-EOT\n    hello ${var.n}\n      world\n\n    $${literal} %%{x}\n  EOT\n',
    'e = <<EOT\nno flush ${x}\n  keep\nEOT\n',
    'f = var.a ? "p" : "q"\ng = [for s in var.l : upper(s) if s != ""]\nw = { for k, v in var.m : k => v }\n',
    'i = "${1}"\nj = "${true}"\nk = "${var.x}"\nl = "pre ${1.50} ${007} ${null} post"\nm = "$${not} %%{interp}"\n',
    'r = merge(\n  var.tags, # comment\n  { a = 1 }\n)\ns = ""\nx = "${var.a}${var.b}"\nz = [[1], { a = [2] }]\n',
    '/* block\n comment */\n// line\nresource "x" "y" { # trailing\n  list = [\n    "a", # one\n    "b",\n  ]\n  obj = {\n    # inside\n    a = 1,\n    b = 2\n    "c" = "${var.x}"\n  }\n}\n',
    'locals {\n  a = 1\n}\nlocals {\n  b = 2\n}\nprovider "aws" {\n  alias = "east"\n}\nprovider "aws" {}\n',
    'x "a" "b" {\n}\nx "a" "c" {\n  k = true\n}\nlifecycle { prevent_destroy = true }\nlabel_ident name "q" {\n  a = 1\n}\n',
    'policy = jsonencode({\n  Version = "2012-10-17"\n  Statement = [{ Effect = "Allow", Action = ["s3:GetObject"], Resource = "*" }]\n})\n',
    'heredoc = <<-EOT\n  ${var.first}\n    second\nEOT\nempty = <<EOT\nEOT\n',
    'keys = { "😀" = 1, "Ａ" = 2, "a" = 3 }\n',
  ];
  it.each(SUPPORTED.map((s) => [s]))('takes the fast path and agrees: %j', async (src) => {
    expect(fast(src)).not.toBe('unsupported');
    expect(fast(src)).toBe(await hashicorp(src));
  });

  const FALLBACK = [
    ['exponents', 'a = 1e3\n'],
    ['template directives', 'a = "%{ if var.x }yes%{ else }no%{ endif }"\n'],
    ['strip markers', 'a = "x ${~ var.y ~} z"\n'],
    ['CRLF line endings', 'locals {\r\n  a = "x"\r\n}\r\n'],
    ['a conditional inside a template', 'a = "${var.a ? "x" : "y"}-tail"\n'],
    ['splat after a dot', 'a = aws_instance.web.*.id\n'],
    ['a numeric object key', 'a = { 7 = "seven" }\n'],
    ['a __proto__ anywhere', 'resource "__proto__" "x" {}\n'],
    ['text not in Unicode NFC', 'a = "e\u0301"\n'],
    ['a number JavaScript would print otherwise', 'a = "x${9007199254740993}"\nb = "x${0.0000001}"\n'],
    ['odd heredoc indentation', 'a = <<-EOT\n  a\n\u0085 b\nEOT\nbom = <<-EOT\n  a\n\uFEFF b\nEOT\n'],
  ] as const;
  it.each(FALLBACK)('leaves %s to HashiCorp\'s parser, which the check then reads it with', async (_what, src) => {
    expect(fast(src)).toBe('unsupported');
    const theirs = await hashicorp(src);
    expect(theirs).not.toBe('error');
    const dirs = await parseTree(new Map([['main.tf', src]]));
    expect(JSON.stringify(dirs.get('.')!.raw[0])).toBe(theirs);
  });

  const INVALID = [
    'a = 1 b = 2\n',
    'x { a = 1\n}\n',
    'x {\n  a = 1 }\n',
    'a = 1\na = 2\n',
    'a = "\\q"\n',
    'x { a = 1 b = 2 }\n',
    'x "l" {\n',
    'a = \n',
    'x {} y {}\n',
    'x { y {} }\n',
    'a = "${x}" b = 1\n',
    'a = 0x10\n',
    'a = 1 +\n  2\n',
    'a = [1, 2\n',
    'a = "unclosed\n',
    'a = { b = 1 c = 2 }\n',
    'a = foo(1) bar\n',
    'a = <<-EOT\n  x\n  EOT',
    'a = local.[0]\n',
    'a = local."x"\n',
    // Found by review: numbers, chained legacy indexes, a : before its ?, calls on attributes, a bare `for`,
    // empty object items, a parenthesised key that is no expression, and whitespace HCL does not know.
    ...['f(1e)', 'f(1ee)', 'x[1e]', 'f(1.)', 'f(1..2)', 'x + 1.5.3', 'x.1.5', 'a : b ? c', 'f(a : b ? c)', 'x.y()', '[for]', '[for, 1]', '[for.x]', 'f({,})', 'f({a = 1,,b = 2})', 'f({a = 1\n,b = 2})', 'f({(a b) = 1})', 'f({(a) (b) = 1})', 'f(\u00a0x)', 'f([1,\u00a0])'].map((e) => `a = ${e}\n`),
  ];
  it.each(INVALID.map((s) => [s]))('never accepts what HashiCorp\'s parser rejects: %j', async (src) => {
    expect(await hashicorp(src)).toBe('error');
    expect(fast(src)).toBe('unsupported');
  });

  // Documents built from valid pieces, then randomly damaged: the fast path agrees or steps aside, never differs.
  const VALUES = ['1', '-2', '3.5', 'true', 'null', '"s"', '"a${var.b}c"', '"${var.x}"', 'var.x', 'local.y[0]', 'f(1, "a")', 'a ? b : c', '[1, "x", var.z]', '{ k = 1, "q" = var.v }', '[for x in l : x]', '<<-EOT\n  line ${var.p}\n    more\n  EOT', '"$${esc}"', '!false', 'x == "y"', '1.5e3', '"é ✓"', 'x.0', 'f(a)[0]', 'a.b.c', '{ "a" = [1, { b = 2 }] }', '[for k, v in m : v if k != "x"]', '{ for k, v in m : k => v }'];
  const item = fc.oneof(
    fc.tuple(fc.constantFrom('a', 'b', 'name', 'tags'), fc.constantFrom(...VALUES)).map(([k, v]) => `${k} = ${v}\n`),
    fc.tuple(fc.constantFrom('resource "t" "n"', 'locals', 'module "m"', 'dynamic "d"'), fc.constantFrom(...VALUES)).map(([head, v]) => `${head} {\n  inner = ${v}\n}\n`),
    fc.constant('# comment\n'),
    fc.constant('\n'),
  );
  const document = fc.array(item, { minLength: 1, maxLength: 6 }).map((items) => items.join(''));
  it('on generated documents: the same JSON as HashiCorp\'s parser, or a fallback', async () => {
    await fc.assert(
      fc.asyncProperty(document, async (src) => {
        const mine = fast(src);
        const theirs = await hashicorp(src);
        if (mine !== 'unsupported') expect(mine).toBe(theirs);
      }),
      { numRuns: 600 },
    );
  });
  it('on damaged documents: never a result where HashiCorp\'s parser finds an error', async () => {
    const damaged = fc.tuple(document, fc.nat(), fc.constantFrom('', '=', '"', '{', '}', '[', ']', '(', ')', ',', '\n', ' x', '$', '<<', 'e', '.', ':', '?', '\u00a0', 'é', 'for', '${', '#')).map(([src, at, insert]) => {
      const i = at % (src.length + 1);
      return `${src.slice(0, i)}${insert}${src.slice(i + (insert === '' ? 1 : 0))}`;
    });
    await fc.assert(
      fc.asyncProperty(damaged, async (src) => {
        const mine = fast(src);
        const theirs = await hashicorp(src);
        if (mine !== 'unsupported') expect(mine, src).toBe(theirs);
      }),
      { numRuns: 1500 },
    );
  });
});
