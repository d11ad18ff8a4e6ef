/**
 * The scanner under hcl-fast.ts: where things end in Terraform source (comments, strings with their `${}`
 * sequences, heredocs, bracketed groups) and the pieces between commas, without interpreting them. Anything
 * outside the subset hcl-fast reads throws Unsupported.
 */

/** Not (certainly) in the subset: ask HashiCorp's parser. */
export class Unsupported extends Error {}

export function fail(why: string): never {
  throw new Unsupported(why);
}

export const IDENT = /[A-Za-z_][A-Za-z0-9_-]*/y;
/** The `for` keyword opening a for expression (then its head must parse). */
export const FOR = /^[ \t\n]*for(?![\w-])/;
/** A heredoc's opening: `<<` or `<<-`, its marker, then the end of the line. */
const HEREDOC = /<<(-?)([A-Za-z_][A-Za-z0-9_-]*)\n/y;
/** Whitespace as HCL's scanner sees it between tokens (JS's \s is wider). */
export const BLANK = /[ \t\n]/;
export const OPEN: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

export class HclScanner {
  protected i = 0;
  /** Where each bracket and string closes: nested values are looked at several times (convert, plausible). */
  protected readonly closings = new Map<number, number>();
  protected readonly quoteEnds = new Map<number, number>();
  constructor(protected readonly s: string) {}

  protected spaces(): void {
    while (this.s[this.i] === ' ' || this.s[this.i] === '\t') this.i++;
  }

  /** The index after a comment starting at i (`#`, `//`, `/* *\/`), else undefined. A line comment ends before its newline. */
  protected commentEnd(i: number): number | undefined {
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
  protected comment(): boolean {
    const end = this.commentEnd(this.i);
    if (end === undefined) return false;
    this.i = end;
    return true;
  }

  /** The opening `<<EOT` / `<<-EOT` line at i: [whole, '-' or '', marker]. */
  protected heredocHead(i: number): RegExpExecArray {
    HEREDOC.lastIndex = i;
    return HEREDOC.exec(this.s) ?? fail('heredoc');
  }

  /** A heredoc seems to start at i (heredocHead then reads it exactly). */
  protected isHeredoc(i: number): boolean {
    return this.s[i] === '<' && this.s[i + 1] === '<' && /[-A-Za-z_]/.test(this.s[i + 2] ?? '');
  }

  /** Spaces, comments and (when allowed) newlines. */
  protected trivia(newlines: boolean): void {
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
  protected endOfLine(): void {
    this.spaces();
    const start = this.i;
    if (this.comment() && this.s.slice(start, this.i).includes('\n')) fail('a block comment running past the line');
    this.spaces();
    if (this.i < this.s.length && this.s[this.i] !== '\n') fail(`unexpected ${JSON.stringify(this.s[this.i])} after an item`);
  }

  protected ident(): string | undefined {
    IDENT.lastIndex = this.i;
    const m = IDENT.exec(this.s);
    if (!m) return undefined;
    this.i += m[0].length;
    return m[0];
  }

  /** Where the expression starting at i ends (exclusive), skipping nested brackets, strings, heredocs and comments. */
  protected scan(context: 'line' | 'brace' | 'tuple' | 'object'): number {
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
  protected atomEnd(i: number): number | undefined {
    const c = this.s[i]!;
    if (c === '"') return this.quotedEnd(i);
    if (this.isHeredoc(i)) return this.heredocEnd(i);
    return OPEN[c] ? this.closing(i) + 1 : undefined;
  }

  /** Index after the closing quote of the quoted template starting at `start`. */
  protected quotedEnd(start: number): number {
    let end = this.quoteEnds.get(start);
    if (end === undefined) this.quoteEnds.set(start, (end = this.findQuoteEnd(start)));
    return end;
  }

  protected findQuoteEnd(start: number): number {
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
  protected sequenceEnd(from: number): number {
    const save = this.i;
    this.i = from;
    const end = this.scan('brace');
    this.i = save;
    if (this.s[end] !== '}') fail('unclosed interpolation');
    return end + 1;
  }

  /** Index after the closing marker line of the heredoc starting at `start` (`<<EOT` or `<<-EOT`). */
  protected heredocEnd(start: number): number {
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

  /** Index of the bracket closing the one at `a` (nested groups are found once, then looked up). */
  protected closing(a: number): number {
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

  /** Each position outside brackets, strings, heredocs and comments in [a, b), until `visit` returns true. */
  protected topLevel(a: number, b: number, visit: (i: number) => boolean | void): void {
    for (let i = a; i < b; ) {
      const next = this.commentEnd(i) ?? this.atomEnd(i);
      if (next !== undefined) i = next;
      else if (visit(i)) return;
      else i++;
    }
  }

  /** Ranges of [a, b) between top-level commas (and newlines, for object items), trimmed of whitespace. */
  protected pieces(a: number, b: number, newlines: boolean): [number, number, string][] {
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
  protected blank(a: number, b: number): boolean {
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
}
