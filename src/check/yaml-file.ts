/**
 * YAML for checkers that report file:line: the parsed value plus the source line of any key, from yaml's own
 * AST (never a regex over the text). Shared by the compose, GitHub Actions and GitLab CI checkers.
 */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document } from 'yaml';

export type YamlPath = readonly (string | number)[];

export interface YamlFile {
  /** The document as plain JS (`<<` merge keys applied); undefined when it does not parse. */
  readonly value: unknown;
  readonly errors: readonly { line: number; message: string }[];
  /** 1-based line of the key (or sequence item) at `path`, else of its nearest ancestor; 1 for the root. */
  line(path: YamlPath): number;
}

/**
 * Parsed documents by source text: several checkers read one file (compose, CI and consistency), and the tests
 * check many copies of one kit. Callers get their own `toJS()` value; the shared document is only read.
 */
const documents = new Map<string, { doc: Document.Parsed; counter: LineCounter }>();
function parsed(src: string): { doc: Document.Parsed; counter: LineCounter } {
  let entry = documents.get(src);
  if (!entry) {
    const counter = new LineCounter();
    // merge: compose files and pipelines use YAML 1.1 `<<: *anchor` merge keys.
    documents.set(src, (entry = { doc: parseDocument(src, { lineCounter: counter, merge: true, prettyErrors: false }), counter }));
    if (documents.size > 500) documents.delete(documents.keys().next().value!);
  }
  return entry;
}

export function parseYamlFile(src: string): YamlFile {
  const { doc, counter } = parsed(src);
  const at = (offset: number) => counter.linePos(offset).line;
  const errors = doc.errors.map((e) => ({ line: at(e.pos[0]), message: e.message.split('\n')[0]! }));
  let value: unknown;
  if (errors.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 10_000 });
    } catch (error) {
      errors.push({ line: 1, message: (error as Error).message });
    }
  }
  return {
    value,
    errors,
    line(path) {
      for (let n = path.length; n > 0; n--) {
        const parent = n === 1 ? doc.contents : doc.getIn(path.slice(0, n - 1), true);
        const key = path[n - 1];
        if (isMap(parent)) {
          const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
          if (pair && isNode(pair.key) && pair.key.range) return at(pair.key.range[0]);
        } else if (isSeq(parent)) {
          const item = parent.items[Number(key)];
          if (isNode(item) && item.range) return at(item.range[0]);
        }
      }
      return 1;
    },
  };
}

/** A JSON pointer (ajv's `instancePath`) as a YAML path. */
export function pointerPath(pointer: string): string[] {
  return pointer === '' ? [] : pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/**
 * Schema errors worth reporting: an error at a path that has a deeper error is the noise of an anyOf/oneOf
 * branch (`must be string`, `must match a schema in anyOf`) around the real one.
 */
export function deepestErrors<E extends { instancePath: string }>(errors: readonly E[]): E[] {
  return errors.filter((e) => !errors.some((o) => o.instancePath.startsWith(`${e.instancePath}/`)));
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An image reference pinned to an exact version: a digest, or a tag that has a digit and is not `latest`
 * (`node:22.21.1-bookworm-slim`, `registry:5000/app:1.2`); `node`, `node:latest`, `node:lts` are not.
 */
export function isPinnedImage(ref: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(ref)) return true;
  const tag = /:([^:/@]+)$/.exec(ref)?.[1];
  return tag !== undefined && tag !== 'latest' && /\d/.test(tag);
}
