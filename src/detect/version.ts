/**
 * Language versions as repos declare them — an exact pin (".nvmrc: v22.3.0", "go 1.26") or a range
 * ("engines: >=20", "requires-python: >=3.11,<3.14", "^3.12") — mapped to a version the catalog pins.
 */
import { stacks, type StackId } from '../catalog/stacks.js';

export interface DetectedVersion {
  /** As the repo wrote it. */
  readonly value: string;
  /** The file (and key) it came from, e.g. "go.mod". */
  readonly evidence: string;
  /** The catalog version it maps to (a key of the stack's `versions`), when the catalog can pin it. */
  readonly catalogVersion?: string;
}

type Version = number[];

function parse(text: string): Version | undefined {
  const m = /^v?(\d+)(?:\.(\d+|x|\*))?(?:\.(\d+|x|\*))?/i.exec(text.trim());
  if (!m) return undefined;
  return [m[1], m[2], m[3]].filter((p): p is string => p !== undefined && /^\d+$/.test(p)).map(Number);
}

function compare(a: Version, b: Version): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** Equal on the components both have: 22 matches 22.3, 3.12 matches 3.12.4 and 3.12.*. */
const samePrefix = (a: Version, b: Version) => a.every((p, i) => i >= b.length || b[i] === p);

/**
 * One comparator (>=3.11, <4, ^22.1, ~1.2, ~=3.12, ==3.12.*, 22.x, 3.12) tested against a catalog version
 * such as "3.12": that is a release line (its image carries the latest patch), so the bound is compared
 * only on the components the line has (>=3.12.4 fits 3.12; <3.13 does not fit 3.13).
 */
function comparator(op: string, bound: Version): (v: Version) => boolean {
  const cmp = (v: Version, b: Version) => compare(v, b.slice(0, v.length));
  const bump = (i: number) => [...bound.slice(0, i), (bound[i] ?? 0) + 1];
  switch (op) {
    case '>=': return (v) => cmp(v, bound) >= 0;
    case '>': return (v) => cmp(v, bound) > 0 || (v.length < bound.length && cmp(v, bound) === 0);
    case '<=': return (v) => cmp(v, bound) <= 0;
    case '<': return (v) => cmp(v, bound) < 0;
    case '^': return (v) => cmp(v, bound) >= 0 && cmp(v, bump(bound[0] === 0 ? 1 : 0)) < 0;
    case '~': return (v) => cmp(v, bound) >= 0 && cmp(v, bump(bound.length > 1 ? 1 : 0)) < 0;
    case '~=': return (v) => cmp(v, bound) >= 0 && samePrefix(v, bound.slice(0, Math.max(1, bound.length - 1)));
    case '!=': return (v) => !(v.length >= bound.length && samePrefix(v, bound));
    default: return (v) => samePrefix(v, bound); // '', '=', '==': an exact pin or a prefix (3.12, 3.12.*)
  }
}

/** A range: `||` alternatives of comparators joined by commas or spaces. Undefined when unreadable. */
export function rangeTest(range: string): ((version: string) => boolean) | undefined {
  const alternatives = range.split('||').map((alt) => {
    const parts = alt.trim().replace(/([<>=!~^]+)\s+/g, '$1').split(/[\s,]+/).filter(Boolean);
    const tests = parts.map((part) => {
      const m = /^([<>=!~^]*)(.*)$/.exec(part)!;
      const bound = parse(m[2]!);
      return bound && bound.length > 0 ? comparator(m[1]!, bound) : undefined;
    });
    return tests.length > 0 && tests.every(Boolean) ? (tests as ((v: Version) => boolean)[]) : undefined;
  });
  if (alternatives.some((a) => a === undefined)) return undefined;
  return (version) => {
    const v = parse(version);
    return v !== undefined && alternatives.some((tests) => tests!.every((t) => t(v)));
  };
}

/**
 * The catalog version for what a repo declares: the stack's default when it fits (a range like ">=20"),
 * else the newest pinned version that fits. Undefined when none does or the text is unreadable.
 */
export function catalogVersion(stack: StackId, declared: string): string | undefined {
  const entry = stacks[stack];
  const fits = rangeTest(declared);
  if (!fits) return undefined;
  if (fits(entry.languageVersion)) return entry.languageVersion;
  const keys = Object.keys(entry.versions).sort((a, b) => compare(parse(b)!, parse(a)!));
  return keys.find((key) => fits(key));
}

export function detectedVersion(stack: StackId, value: string, evidence: string): DetectedVersion {
  const mapped = catalogVersion(stack, value);
  return { value, evidence, ...(mapped ? { catalogVersion: mapped } : {}) };
}
