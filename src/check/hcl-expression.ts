/**
 * What hcl-fast.ts keeps as source (`${<source>}`) is checked here first, lightly but strictly: outside brackets
 * operands and operators alternate, calls follow root names, for expressions have their keywords, objects their
 * `=`, and each bracketed group is checked the same way. Whatever might be invalid throws Unsupported, and
 * HashiCorp's parser decides.
 */
import { BLANK, fail, FOR, HclScanner, IDENT } from './hcl-scan.js';

export class HclExpressionChecker extends HclScanner {
  /**
   * A light check of an expression kept as source: outside brackets, two operands never touch without an
   * operator or accessor between them (`"${x}" b = 1` is two items on one line, not an expression).
   */
  protected plausible(a: number, b: number): void {
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

  /** Tuple items or call arguments: expressions between commas, maybe a trailing one. */
  protected items(a: number, b: number): void {
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
  protected objectItems(a: number, b: number): void {
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
  protected forExpression(a: number, b: number, object: boolean): void {
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
}
