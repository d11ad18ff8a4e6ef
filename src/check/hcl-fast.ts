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
 * Layers: hcl-scan.ts finds where things end, hcl-expression.ts vets what is kept as source, this reads values.
 */
import { HclExpressionChecker } from './hcl-expression.js';
import { BLANK, fail, FOR, Unsupported } from './hcl-scan.js';

export { Unsupported };

export type HclValue = string | number | boolean | null | HclValue[] | { [key: string]: HclValue };
export type HclBody = { [key: string]: HclValue };

const NUMBER = /^\d+(\.\d+)?$/;
/** A quoted string's one-character escapes. */
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };

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

class FastParser extends HclExpressionChecker {

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
