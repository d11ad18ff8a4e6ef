/**
 * A fast path for the Terraform files `check` reads: the common subset of HCL's native syntax parsed straight into
 * the JSON shape of hcl2json (github.com/tmccombs/hcl2json), which the rules read: blocks nested by type and labels
 * into arrays of bodies; literals, strings, heredocs, tuples and objects as values; any other expression as
 * `${<source>}`. It exists for speed alone: HashiCorp's parser compiled from Go to wasm (@cdktf/hcl2json) needs
 * ~200 ms of CPU to start and read a kit's ~50 files, a third of a cold `check`; this needs a few ms.
 *
 * It is partial on purpose. Whatever it does not fully understand (template directives, strip markers, CRLF, a
 * construct that might be invalid) throws Unsupported, and terraform-hcl.ts hands that file to HashiCorp's
 * parser, whose verdict stands: syntax errors are always reported from there. test/hcl-fast.test.ts holds the
 * output to hcl2json's, byte for byte, on every .tf the templates render, an edge-case corpus and generated files.
 */

export type HclValue = string | number | boolean | null | HclValue[] | { [key: string]: HclValue };
export type HclBody = { [key: string]: HclValue };

/** Not (certainly) in the subset: ask HashiCorp's parser. */
export class Unsupported extends Error {}

const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
const NUMBER = /^\d+(\.\d+)?$/;
/** The `for` keyword opening a for expression (then its head must parse). */
const FOR = /^[ \t\n]*for(?![\w-])/;
/** A heredoc's opening: `<<` or `<<-`, its marker, then the end of the line. */
const HEREDOC = /<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\n/y;
/** A quoted string's one-character escapes. */
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
/** Whitespace as HCL's scanner sees it between tokens (JS's \s is wider). */
const BLANK = /[ \t\n]/;
const OPEN: Record<string, string> = { '(': ')', '[': ']', '{': '}' };

/** One .tf file as hcl2json prints it; throws Unsupported for anything outside the subset. */
export function parseHclFast(src: string): HclBody {
  if (src.includes('\r')) throw new Unsupported('CR line endings');
  // HashiCorp's parser returns strings in Unicode NFC; this one returns them as written.
  if (src !== src.normalize('NFC')) throw new Unsupported('text that is not in Unicode NFC');
  // A key named like Object.prototype's own would be read or written through the prototype here.
  if (src.includes('__proto__')) throw new Unsupported('__proto__');
  const p = new FastParser(src);
  const body = p.body(false);
  return sortKeys(body) as HclBody;
}

/** Keys in hcl2json's order (Go's encoding/json sorts them), so that anything iterating a body sees the same order. */
function sortKeys(v: HclValue): HclValue {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort(byUtf8)
      .map((k) => [k, sortKeys(v[k]!)]),
  );
}

/** Go sorts by UTF-8 bytes, i.e. by code point; JavaScript's default sort is by UTF-16 unit. */
const byUtf8 = (a: string, b: string): number => (/[^\0-\x7f]/.test(a + b) ? Buffer.compare(Buffer.from(a), Buffer.from(b)) : a < b ? -1 : a > b ? 1 : 0);

/** hcl2json re-escapes `${` and `%{` that came from literal text. */
const escapeLiteral = (s: string): string => s.replaceAll('${', () => '$${').replaceAll('%{', () => '%%{');

function fail(why: string): never {
  throw new Unsupported(why);
}

class FastParser {
  private i = 0;
  /** Where each bracket and string closes: nested values are looked at several times (convert, plausible). */
  private readonly closings = new Map<number, number>();
  private readonly quoteEnds = new Map<number, number>();
  constructor(private readonly s: string) {}

  // ---------- trivia ----------

  private spaces(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }

  /** The index after a comment starting at i (`#`, `//`, `/* *\/`), else undefined. A line comment ends before its newline. */
  private commentEnd(i: number): number | undefined {
    const s = this.s;
    if (s[i] === '#' || (s[i] === '/' && s[i + 1] === '/')) {
      const nl = s.indexOf('\n', i);
      return nl < 0 ? s.length : nl;
    }
    if (s[i] === '/' && s[i + 1] === '*') {
      const end = s.indexOf('*/', i + 2);
      return end < 0 ? fail('unclosed comment') : end + 2;
    }
    return undefined;
  }

  /** A comment at i: skipped, true. */
  private comment(): boolean {
    const end = this.commentEnd(this.i);
    if (end === undefined) return false;
    this.i = end;
    return true;
  }

  /** The opening `<<EOT` / `<<-EOT` line at i: [whole, '-' or '', marker]. */
  private heredocHead(i: number): RegExpExecArray {
    HEREDOC.lastIndex = i;
    return HEREDOC.exec(this.s) ?? fail('heredoc');
  }

  /** A heredoc seems to start at i (heredocHead then reads it exactly). */
  private isHeredoc(i: number): boolean {
    return this.s[i] === '<' && this.s[i + 1] === '<' && /[-A-Za-z_]/.test(this.s[i + 2] ?? '');
  }

  /** Spaces, comments and (when allowed) newlines. */
  private trivia(newlines: boolean): void {
    for (;;) {
      this.spaces();
      if (this.comment()) continue;
      if (newlines && this.s[this.i] === '\n') {
        this.i++;
        continue;
      }
      return;
    }
  }

  /** The end of an item's line: spaces, an optional comment on that line, then a newline or the end. */
  private endOfLine(): void {
    this.spaces();
    const start = this.i;
    if (this.comment() && this.s.slice(start, this.i).includes('\n')) fail('a block comment running past the line');
    this.spaces();
    if (this.i < this.s.length && this.s[this.i] !== '\n') fail(`unexpected ${JSON.stringify(this.s[this.i])} after an item`);
  }

  private ident(): string | undefined {
    IDENT.lastIndex = this.i;
    const m = IDENT.exec(this.s);
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }

  // ---------- bodies and blocks ----------

  /** Items up to the end of the file, or (inBlock) up to the `}` that closes the block, left unconsumed. */
  body(inBlock: boolean): HclBody {
    const out: HclBody = {};
    const attributes = new Map<string, HclValue>();
    const blocks: { type: string; labels: string[]; body: HclBody }[] = [];
    for (;;) {
      this.trivia(true);
      if (this.i >= this.s.length) {
        if (inBlock) fail('unclosed block');
        break;
      }
      if (this.s[this.i] === '}') {
        if (!inBlock) fail('unexpected }');
        break;
      }
      const name = this.ident() ?? fail(`unexpected ${JSON.stringify(this.s[this.i])}`);
      this.spaces();
      if (this.s[this.i] === '=' && this.s[this.i + 1] !== '=') {
        this.i++;
        if (attributes.has(name)) fail(`attribute ${name} redefined`);
        attributes.set(name, this.expression('line'));
        this.endOfLine();
      } else {
        blocks.push({ type: name, ...this.block() });
        this.endOfLine();
      }
    }
    // hcl2json adds blocks first, then attributes.
    for (const b of blocks) addBlock(out, b.type, b.labels, b.body);
    for (const [k, v] of attributes) out[k] = v;
    return out;
  }

  /** Labels and braces of a block whose type was read. */
  private block(): { labels: string[]; body: HclBody } {
    const labels: string[] = [];
    for (;;) {
      this.spaces();
      const c = this.s[this.i];
      if (c === '{') break;
      if (c === '"') {
        const start = this.i;
        const end = this.quotedEnd(start);
        const value = this.template(start, end);
        if (typeof value !== 'string' || this.s.slice(start, end).includes('${') || this.s.slice(start, end).includes('%{')) fail('a label with interpolation');
        labels.push(unescapeLiteral(value));
        this.i = end;
      } else labels.push(this.ident() ?? fail('a block needs labels and {'));
    }
    this.i++; // {
    this.spaces();
    if (this.s[this.i] === '}') {
      this.i++;
      return { labels, body: {} };
    }
    const start = this.i;
    if (this.comment() || this.s[this.i] === '\n') {
      this.i = start;
      this.endOfLine();
      const body = this.body(true);
      // The closing brace on its own line.
      const lineStart = this.s.lastIndexOf('\n', this.i - 1) + 1;
      if (this.s.slice(lineStart, this.i).trim() !== '') fail('} after an item on the same line');
      this.i++;
      return { labels, body };
    }
    // A single-line block: one argument, then }.
    const name = this.ident() ?? fail('single-line block');
    this.spaces();
    if (this.s[this.i] !== '=' || this.s[this.i + 1] === '=') fail('single-line block without an argument');
    this.i++;
    const value = this.expression('brace');
    this.spaces();
    if (this.s[this.i] !== '}') fail('single-line block with more than one argument');
    this.i++;
    return { labels, body: { [name]: value } };
  }

  // ---------- expressions ----------

  /**
   * The expression at i, converted; i moves past it. It ends at a newline outside brackets ('line'), or before
   * the `}` of a single-line block ('brace'), before `,`/`]` in a tuple ('tuple'), or before `,`/`}`/newline in an
   * object ('object').
   */
  private expression(context: 'line' | 'brace' | 'tuple' | 'object'): HclValue {
    this.spaces();
    const start = this.i;
    const end = this.scan(context);
    this.i = end;
    let to = end;
    while (to > start && (this.s[to - 1] === ' ' || this.s[to - 1] === '\t' || this.s[to - 1] === '\n')) to--;
    if (to === start) fail('missing expression');
    return this.convert(start, to);
  }

  /** Where the expression starting at i ends (exclusive), skipping nested brackets, strings, heredocs and comments. */
  private scan(context: 'line' | 'brace' | 'tuple' | 'object'): number {
    const s = this.s;
    let i = this.i;
    while (i < s.length) {
      const c = s[i]!;
      if (c === '\n' && context !== 'tuple') return i;
      if (c === ',' && (context === 'tuple' || context === 'object')) return i;
      if ((c === ']' && context === 'tuple') || (c === '}' && (context === 'object' || context === 'brace'))) return i;
      if (this.commentEnd(i) !== undefined) return i;
      const next = this.atomEnd(i);
      if (next !== undefined) i = next;
      else if (c === ')' || c === ']' || c === '}') fail(`unbalanced ${c}`);
      else i++;
    }
    return i;
  }

  /** The index after a string, heredoc or bracketed group starting at i, else undefined. */
  private atomEnd(i: number): number | undefined {
    const c = this.s[i]!;
    if (c === '"') return this.quotedEnd(i);
    if (this.isHeredoc(i)) return this.heredocEnd(i);
    return OPEN[c] ? this.closing(i) + 1 : undefined;
  }

  /** Index after the closing quote of the quoted template starting at `start`. */
  private quotedEnd(start: number): number {
    let end = this.quoteEnds.get(start);
    if (end === undefined) this.quoteEnds.set(start, (end = this.findQuoteEnd(start)));
    return end;
  }

  private findQuoteEnd(start: number): number {
    const s = this.s;
    let i = start + 1;
    while (i < s.length) {
      const c = s[i];
      if (c === '\\') i += 2;
      else if (c === '"') return i + 1;
      else if (c === '\n') fail('newline in a quoted string');
      else if ((c === '$' || c === '%') && s[i + 1] === c && s[i + 2] === '{') i += 3;
      else if ((c === '$' || c === '%') && s[i + 1] === '{') i = this.sequenceEnd(i + 2);
      else i++;
    }
    return fail('unclosed string');
  }

  /** Index after the `}` closing a `${`/`%{` sequence whose content starts at `from`. */
  private sequenceEnd(from: number): number {
    const save = this.i;
    this.i = from;
    const end = this.scan('brace');
    this.i = save;
    if (this.s[end] !== '}') fail('unclosed interpolation');
    return end + 1;
  }

  /** Index after the closing marker line of the heredoc starting at `start` (`<<EOT` or `<<-EOT`). */
  private heredocEnd(start: number): number {
    const head = this.heredocHead(start);
    let lineStart = start + head[0].length;
    for (;;) {
      const nl = this.s.indexOf('\n', lineStart);
      const line = this.s.slice(lineStart, nl < 0 ? this.s.length : nl);
      // HashiCorp's scanner wants the closing marker's line ended by a newline too.
      if (line.trimStart() === head[2] && nl >= 0) return lineStart + line.length;
      if (nl < 0) fail('unclosed heredoc');
      lineStart = nl + 1;
    }
  }

  /** The value of source [a, b): converted, or `${<source>}` for anything that is not a literal or a constructor. */
  private convert(a: number, b: number): HclValue {
    const s = this.s;
    const text = s.slice(a, b);
    if (NUMBER.test(text)) return Number(text);
    if (text === 'true' || text === 'false') return text === 'true';
    if (text === 'null') return null;
    // A unary operator on a literal is folded (`-1`, `!true`).
    const unary = /^([-!])[ \t]*(\d+(\.\d+)?|true|false)$/.exec(text);
    if (unary) {
      if (unary[1] === '-' && NUMBER.test(unary[2]!)) return -Number(unary[2]);
      if (unary[1] === '!' && !NUMBER.test(unary[2]!)) return unary[2] !== 'true';
      fail('an operator on the wrong literal');
    }
    if (s[a] === '"' && this.quotedEnd(a) === b) return this.template(a, b);
    if (this.isHeredoc(a) && this.heredocEnd(a) === b) return this.heredoc(a, b);
    if ((s[a] === '[' || s[a] === '{') && this.closing(a) === b - 1 && !FOR.test(text.slice(1))) return s[a] === '[' ? this.tuple(a, b) : this.object(a, b);
    return this.wrap(a, b);
  }

  /** `${<source>}`, for an expression that plainly is one (no dangling operator, no stray token). */
  private wrap(a: number, b: number): string {
    const text = this.s.slice(a, b);
    if (!/^[A-Za-z_([{"!-]/.test(text) || /[-+*/%&|<>=!?:.,]$/.test(text)) fail(`an expression that may be incomplete: ${text.slice(0, 40)}`);
    // A negative number this does not fold (`-1.5e3`): hcl2json folds it.
    if (/^-[ \t]*\d/.test(text)) fail('a negative number literal in an expression');
    this.plausible(a, b);
    return `\${${text}}`;
  }

  /**
   * A light check of an expression kept as source: outside brackets, two operands never touch without an
   * operator or accessor between them (`"${x}" b = 1` is two items on one line, not an expression).
   */
  private plausible(a: number, b: number): void {
    const s = this.s;
    // 'name' is a root name (it may be called), 'attr' a name after a dot.
    let prev: 'start' | 'operand' | 'name' | 'attr' | 'dot' | 'operator' = 'start';
    let conditionals = 0;
    const operand = (): boolean => prev === 'operand' || prev === 'name' || prev === 'attr';
    for (let i = a; i < b; ) {
      const c = s[i]!;
      if (c === ' ' || c === '\t' || c === '\n') {
        i++;
        continue;
      }
      const afterComment = this.commentEnd(i);
      if (afterComment !== undefined) {
        i = afterComment;
        continue;
      }
      if (c === '"' || (this.isHeredoc(i))) {
        if (operand()) fail('two operands in a row');
        i = c === '"' ? this.quotedEnd(i) : this.heredocEnd(i);
        prev = 'operand';
      } else if (c === '(' || c === '[' || c === '{') {
        // A call follows a name, an index follows an operand; a parenthesis or object never follows an operand,
        // and nothing but a name or an index number follows a dot.
        if ((c === '(' && prev === 'operand') || (c === '{' && operand()) || prev === 'dot') fail('two operands in a row');
        const close = this.closing(i);
        if (c === '(') {
          if (prev === 'name') this.items(i + 1, close); // a call: only on a root name (`x.y()` is no call)
          else this.plausible(i + 1, close);
        } else if (c === '[' && operand()) {
          if (this.s.slice(i + 1, close).trim() !== '*') this.plausible(i + 1, close);
        } else if (FOR.test(this.s.slice(i + 1, close))) this.forExpression(i + 1, close, c === '{');
        else if (c === '[') this.items(i + 1, close);
        else this.objectItems(i + 1, close);
        i = close + 1;
        prev = 'operand';
      } else if (/[A-Za-z_]/.test(c)) {
        if (operand()) fail('two operands in a row');
        IDENT.lastIndex = i;
        const name = IDENT.exec(s)![0];
        if (prev !== 'dot' && name === 'for') fail('a for keyword out of place');
        i += name.length;
        prev = prev === 'dot' ? 'attr' : 'name';
      } else if (/\d/.test(c)) {
        if (operand()) fail('two operands in a row');
        // HCL's number literal exactly; after a dot, a legacy index (digits only, never chained).
        const num = (prev === 'dot' ? /\d+/y : /\d+(\.\d+)?([eE][-+]?\d+)?/y);
        num.lastIndex = i;
        i += num.exec(s)![0].length;
        if (/[A-Za-z0-9_.]/.test(s[i] ?? '')) fail('a malformed number');
        prev = 'operand';
      } else if (c === '.') {
        if (!operand()) fail('a dot without a left side');
        // An attribute name or a legacy index right after it (`.*` splats are not in the subset).
        if (!/[A-Za-z_0-9]/.test(s[i + 1] ?? '')) fail('a dot not followed by a name');
        i++;
        prev = 'dot';
      } else {
        const op = /==|!=|<=|>=|&&|\|\||[-+*/%<>!?:]/y;
        op.lastIndex = i;
        const m = op.exec(s) ?? fail(`unexpected ${JSON.stringify(c)} in an expression`);
        // After an operator (or at the start) only a unary one may follow.
        if (!operand() && m[0] !== '-' && m[0] !== '!') fail('an operator without a left side');
        if (operand() && m[0] === '!') fail('! after an operand');
        if (m[0] === '?') conditionals++;
        if (m[0] === ':' && --conditionals < 0) fail('a : without its ?');
        i += m[0].length;
        prev = 'operator';
      }
    }
    if (!operand() || conditionals !== 0) fail('an incomplete expression');
  }

  /** Each position outside brackets, strings, heredocs and comments in [a, b), until `visit` returns true. */
  private topLevel(a: number, b: number, visit: (i: number) => boolean | void): void {
    for (let i = a; i < b; ) {
      const next = this.commentEnd(i) ?? this.atomEnd(i);
      if (next !== undefined) i = next;
      else if (visit(i)) return;
      else i++;
    }
  }

  /** Ranges of [a, b) between top-level commas (and newlines, for object items), trimmed of whitespace. */
  private pieces(a: number, b: number, newlines: boolean): [number, number, string][] {
    const cuts = [a - 1];
    this.topLevel(a, b, (i) => void ((this.s[i] === ',' || (newlines && this.s[i] === '\n')) && cuts.push(i)));
    cuts.push(b);
    const out: [number, number, string][] = [];
    for (let k = 0; k + 1 < cuts.length; k++) {
      let x = cuts[k]! + 1;
      let y = cuts[k + 1]!;
      while (x < y && BLANK.test(this.s[x]!)) x++;
      while (y > x && BLANK.test(this.s[y - 1]!)) y--;
      // The separator that ends the piece: ',' or newline, '' at the end.
      out.push([x, y, cuts[k + 1]! < b ? this.s[cuts[k + 1]!]! : '']);
    }
    return out;
  }

  /** Only whitespace and comments in [a, b). */
  private blank(a: number, b: number): boolean {
    const save = this.i;
    this.i = a;
    for (;;) {
      while (this.i < b && BLANK.test(this.s[this.i]!)) this.i++;
      if (this.i >= b || !this.comment()) break;
    }
    const blank = this.i >= b;
    this.i = save;
    return blank;
  }

  /** Tuple items or call arguments: expressions between commas, maybe a trailing one. */
  private items(a: number, b: number): void {
    const parts = this.pieces(a, b, false);
    for (const [k, [x, y]] of parts.entries()) {
      if (this.blank(x, y)) {
        // `[]`, `f()`, and a trailing comma (HCL takes it in both).
        if (k === parts.length - 1) continue;
        fail('an empty item');
      }
      this.plausible(x, y);
    }
  }

  /** Object items: `key = value` or `key: value`, one per line or between commas. */
  private objectItems(a: number, b: number): void {
    for (const [x, y, sep] of this.pieces(a, b, true)) {
      if (this.blank(x, y)) {
        // A blank line is nothing; a comma with no item before it (`{,}`, a comma starting a line) is an error.
        if (sep === ',') fail('an empty object item');
        continue;
      }
      let eq = -1;
      this.topLevel(x, y, (i) => {
        const c = this.s[i];
        if ((c === '=' && this.s[i + 1] !== '=' && this.s[i + 1] !== '>' && this.s[i - 1] !== '=' && this.s[i - 1] !== '!' && this.s[i - 1] !== '<' && this.s[i - 1] !== '>') || c === ':') eq = i;
        return eq >= 0;
      });
      if (eq < 0) fail('an object item without = or :');
      let k = eq;
      while (k > x && BLANK.test(this.s[k - 1]!)) k--;
      const key = this.s.slice(x, k);
      if (key.startsWith('(')) {
        // `(expr) = value`: the parenthesis closes right before the `=`, around a plausible expression.
        if (this.closing(x) !== k - 1) fail('an object key');
        this.plausible(x + 1, k - 1);
      } else if (!/^([A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*|"(?:[^"\\$%]|\\.)*"|\d+)$/.test(key) || key === '__proto__') fail('an object key');
      let v = eq + 1;
      while (v < y && BLANK.test(this.s[v]!)) v++;
      if (v === y) fail('an object item without a value');
      this.plausible(v, y);
    }
  }

  /** `for k, v in coll : value if cond` (tuple) or `for k, v in coll : key => value if cond` (object). */
  private forExpression(a: number, b: number, object: boolean): void {
    const head = /[ \t\n]*for[ \t\n]+[A-Za-z_][A-Za-z0-9_-]*([ \t\n]*,[ \t\n]*[A-Za-z_][A-Za-z0-9_-]*)?[ \t\n]+in[ \t\n]+/y;
    head.lastIndex = a;
    const m = head.exec(this.s) ?? fail('a for expression');
    const start = a + m[0].length;
    // The `:` that ends the collection is the first one not closing a conditional.
    let colon = -1;
    let open = 0;
    this.topLevel(start, b, (i) => {
      if (this.s[i] === '?') open++;
      else if (this.s[i] === ':') {
        if (open === 0) colon = i;
        else open--;
      }
      return colon >= 0;
    });
    if (colon < 0) fail('a for expression without :');
    this.plausible(start, colon);
    let body = colon + 1;
    let end = b;
    this.topLevel(body, b, (i) => {
      if (/\bif\b/y.test(this.s.slice(i, i + 3)) && /[ \t\n)\]}"]/.test(this.s[i - 1] ?? ' ') && BLANK.test(this.s[i + 2] ?? '')) {
        end = i;
        return true;
      }
      return false;
    });
    if (end < b) this.plausible(end + 2, b);
    if (object) {
      let arrow = -1;
      this.topLevel(body, end, (i) => {
        if (this.s[i] === '=' && this.s[i + 1] === '>') arrow = i;
        return arrow >= 0;
      });
      if (arrow < 0) fail('an object for expression without =>');
      this.plausible(body, arrow);
      body = arrow + 2;
    }
    this.plausible(body, end);
  }

  /** Index of the bracket closing the one at `a` (nested groups are found once, then looked up). */
  private closing(a: number): number {
    let end = this.closings.get(a);
    if (end === undefined) {
      const s = this.s;
      const close = OPEN[s[a]!]!;
      for (let i = a + 1; ; ) {
        if (i >= s.length) fail('unclosed bracket');
        const next = this.commentEnd(i) ?? this.atomEnd(i);
        if (next !== undefined) i = next;
        else if (s[i] === close) {
          end = i;
          break;
        } else if (s[i] === ')' || s[i] === ']' || s[i] === '}') fail(`unbalanced ${s[i]!}`);
        else i++;
      }
      this.closings.set(a, end);
    }
    return end;
  }

  private tuple(a: number, b: number): HclValue[] {
    const out: HclValue[] = [];
    this.i = a + 1;
    for (;;) {
      this.trivia(true);
      if (this.i >= b - 1) break;
      out.push(this.expression('tuple'));
      this.trivia(true);
      if (this.s[this.i] === ',') this.i++;
      else if (this.i < b - 1) fail('tuple items without a comma');
    }
    this.i = b;
    return out;
  }

  private object(a: number, b: number): HclBody {
    const out: HclBody = {};
    this.i = a + 1;
    for (;;) {
      this.trivia(true);
      if (this.i >= b - 1) break;
      const key = this.key();
      this.spaces();
      if ((this.s[this.i] !== '=' || this.s[this.i + 1] === '=') && this.s[this.i] !== ':') fail('an object item without = or :');
      this.i++;
      out[key] = this.expression('object');
      this.spaces();
      if (this.s[this.i] === ',') {
        this.i++;
        continue;
      }
      if (this.comment()) this.spaces();
      if (this.i < b - 1 && this.s[this.i] !== '\n') fail('object items on one line without a comma');
    }
    this.i = b;
    return out;
  }

  /** An object key as hcl2json prints it: a name or static traversal as written, a string decoded, `(expr)` wrapped. */
  private key(): string {
    const start = this.i;
    const c = this.s[start];
    if (c === '"') {
      const end = this.quotedEnd(start);
      const v = this.template(start, end);
      if (typeof v !== 'string' || this.s.slice(start, end).includes('${')) fail('an interpolated key');
      this.i = end;
      return v;
    }
    if (c === '(') {
      const end = this.closing(start) + 1;
      this.i = end;
      return this.wrap(start, end);
    }
    const m = /[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*)*/y;
    m.lastIndex = start;
    const name = m.exec(this.s)?.[0] ?? fail('an object key');
    if (name === 'null' || name === 'true' || name === 'false' || name === 'for') fail('a keyword as key');
    this.i = start + name.length;
    return name;
  }

  // ---------- templates ----------

  /** A quoted template [a, b): one interpolation alone is that expression (HCL's passthrough), else text. */
  private template(a: number, b: number): HclValue {
    const tokens = this.tokens(a + 1, b - 1, true);
    const only = tokens.length === 1 ? tokens[0]! : undefined;
    if (only && typeof only !== 'string') return this.convert(only.a, only.b);
    return this.render(tokens);
  }

  /** A heredoc [a, b): its lines, with `<<-` indentation removed. */
  private heredoc(a: number, b: number): string {
    const m = this.heredocHead(a);
    const from = a + m[0].length;
    const to = this.s.lastIndexOf('\n', b - 1) + 1;
    const tokens = to > from ? this.tokens(from, to, false) : [];
    if (m[1] === '-') flush(tokens);
    return this.render(tokens);
  }

  /**
   * HCL's template tokens in [from, to): decoded literal text (one token per line in heredocs) and interpolation
   * source ranges. Directives and strip markers are not in the subset.
   */
  private tokens(from: number, to: number, quoted: boolean): (string | { a: number; b: number })[] {
    const s = this.s;
    const out: (string | { a: number; b: number })[] = [];
    let literal = '';
    const push = (): void => {
      if (literal !== '') out.push(literal);
      literal = '';
    };
    for (let i = from; i < to; ) {
      const c = s[i]!;
      if ((c === '$' || c === '%') && s[i + 1] === c && s[i + 2] === '{') {
        literal += `${c}{`;
        i += 3;
      } else if (c === '%' && s[i + 1] === '{') fail('a template directive');
      else if (c === '$' && s[i + 1] === '{') {
        push();
        const end = this.sequenceEnd(i + 2);
        let a = i + 2;
        let b = end - 1;
        if (s[a] === '~' || s[b - 1] === '~') fail('a strip marker');
        while (a < b && BLANK.test(s[a]!)) a++;
        while (b > a && BLANK.test(s[b - 1]!)) b--;
        if (a === b) fail('an empty interpolation');
        out.push({ a, b });
        i = end;
      } else if (quoted && c === '\\') {
        const e = s[i + 1];
        if (e !== undefined && ESCAPES[e] !== undefined) {
          literal += ESCAPES[e];
          i += 2;
        } else if ((e === 'u' && /^[0-9A-Fa-f]{4}$/.test(s.slice(i + 2, i + 6))) || (e === 'U' && /^[0-9A-Fa-f]{8}$/.test(s.slice(i + 2, i + 10)))) {
          const n = e === 'u' ? 4 : 8;
          const code = parseInt(s.slice(i + 2, i + 2 + n), 16);
          if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) fail('an escape that is no character');
          literal += String.fromCodePoint(code);
          i += 2 + n;
        } else fail('an invalid escape');
      } else {
        literal += c;
        i++;
        // Heredoc literals are one token per line (the `<<-` rule works on them).
        if (!quoted && c === '\n') push();
      }
    }
    push();
    return out;
  }

  /** Tokens as hcl2json prints them: literals escaped, interpolations as string parts. */
  private render(tokens: (string | { a: number; b: number })[]): string {
    return tokens.map((t) => (typeof t === 'string' ? escapeLiteral(t) : this.stringPart(t.a, t.b))).join('');
  }

  /** An interpolation among other parts (hcl2json's convertStringPart): a plain literal as text, else wrapped. */
  private stringPart(a: number, b: number): string {
    const text = this.s.slice(a, b);
    // As Go prints it (`1.50` → 1.5), where JavaScript prints the same: no exponent, no digit lost to rounding.
    if (NUMBER.test(text)) {
      const printed = String(Number(text));
      if (printed.includes('e') || text.replace(/^0+(?=\d)/, '').replace('.', '').length > 15) fail('a number JavaScript would print otherwise');
      return printed;
    }
    if (text === 'true' || text === 'false' || text === 'null') return text;
    // Conditionals are re-printed as directives and nested templates converted: not in the subset.
    if (this.s[a] === '"' || this.s[a] === '<' || /[?]/.test(text.replace(/"(?:[^"\\]|\\.)*"/g, '""'))) fail('a conditional or nested template in an interpolation');
    return this.wrap(a, b);
  }
}

/** Undo escapeLiteral for a label (labels are taken as decoded, without hcl2json's re-escaping). */
const unescapeLiteral = (s: string): string => s.replaceAll('$${', () => '${').replaceAll('%%{', () => '%{');

/** A block into hcl2json's nesting: type, then one object level per label, then an array of bodies. */
function addBlock(out: HclBody, type: string, labels: string[], body: HclBody): void {
  let target = out;
  let key = type;
  for (const label of labels) {
    const next = Object.hasOwn(target, key) ? target[key]! : (target[key] = {});
    if (Array.isArray(next) || typeof next !== 'object' || next === null) fail('blocks of one type with and without labels');
    target = next;
    key = label;
  }
  const current = Object.hasOwn(target, key) ? target[key] : undefined;
  if (current === undefined) target[key] = [body];
  else if (Array.isArray(current)) current.push(body);
  else fail('blocks of one type with and without labels');
}

/** Remove the smallest line indentation from every line-leading literal (HCL's `<<-` heredoc rule). */
function flush(tokens: (string | { a: number; b: number })[]): void {
  let min = Infinity;
  let newline = true;
  const adjust: number[] = [];
  for (const [i, t] of tokens.entries()) {
    if (newline) {
      newline = false;
      let spaces = 0;
      if (typeof t === 'string') {
        const lead = /^[ \t]*/.exec(t)![0];
        const rest = t.slice(lead.length);
        // Go's idea of a space (and of a character: combining marks) is not JavaScript's: not in the subset.
        if (/^([^\S\n]|[\p{M}\u0085])/u.test(rest)) fail('unusual indentation in a heredoc');
        // A line of only spaces is blank: it does not count.
        if (rest === '\n') spaces = Infinity;
        else {
          spaces = lead.length;
          adjust.push(i);
        }
      }
      min = Math.min(min, spaces);
    }
    if (typeof t === 'string' && t.endsWith('\n')) newline = true;
  }
  if (Number.isFinite(min)) for (const i of adjust) tokens[i] = (tokens[i] as string).slice(min);
}
