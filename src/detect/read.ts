/**
 * Readers for a target repo's manifests. Each returns undefined for a missing or unparsable file: a broken
 * manifest proposes nothing, and it is not ours to judge or to crash on.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { readOptional } from '../merge/manifest.js';

// The TOML and XML parsers load on first use (synchronously, from their CommonJS builds): most repos have
// neither a pyproject.toml/Cargo.toml nor a pom.xml/*.csproj, and a render should not pay ~10 ms for them.
const load = createRequire(import.meta.url);
const toml = (): typeof import('smol-toml') => load('smol-toml') as typeof import('smol-toml');
const xml = (): typeof import('fast-xml-parser') => load('fast-xml-parser') as typeof import('fast-xml-parser');

export type Json = Record<string, unknown>;

/** A view of one directory: which files exist, and their content parsed once. */
export class RepoFiles {
  private readonly names: readonly string[];

  constructor(readonly root: string) {
    let names: string[] = [];
    try {
      names = statSync(root).isDirectory() ? readdirSync(root) : [];
    } catch {
      names = []; // a target dir that does not exist yet: nothing to detect
    }
    this.names = names.sort();
  }

  has(name: string): boolean {
    return this.names.includes(name);
  }

  /** Top-level names matching a glob-free test, e.g. (n) => n.endsWith('.csproj'). */
  list(test: (name: string) => boolean): string[] {
    return this.names.filter(test);
  }

  /** Sub-directories of `dir` (relative to the root), sorted. */
  dirs(dir: string): string[] {
    try {
      return readdirSync(join(this.root, dir), { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  }

  text(path: string): string | undefined {
    try {
      return readOptional(join(this.root, path));
    } catch {
      return undefined; // a directory or an unreadable file
    }
  }

  json(path: string): Json | undefined {
    const text = this.text(path);
    if (text === undefined) return undefined;
    try {
      return asObject(JSON.parse(text));
    } catch {
      return undefined;
    }
  }

  toml(path: string): Json | undefined {
    const text = this.text(path);
    if (text === undefined) return undefined;
    try {
      return asObject(toml().parse(text));
    } catch {
      return undefined;
    }
  }

  /** XML (pom.xml, *.csproj) as plain objects; attributes under `@_name`. */
  xml(path: string): Json | undefined {
    const text = this.text(path);
    if (text === undefined || xml().XMLValidator.validate(text) !== true) return undefined;
    try {
      return asObject(new (xml().XMLParser)({ ignoreAttributes: false, parseTagValue: false, trimValues: true }).parse(text));
    } catch {
      return undefined;
    }
  }
}

export function asObject(value: unknown): Json | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

/** Walk a parsed document by keys: at(pom, 'project', 'properties') → object, string… or undefined. */
export function at(value: unknown, ...keys: string[]): unknown {
  let node = value;
  for (const key of keys) node = asObject(node)?.[key];
  return node;
}

export function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : undefined;
}

/** A repeated XML/TOML element is an array, a single one is not: always an array. */
export function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined ? [] : [value];
}
