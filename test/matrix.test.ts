/**
 * The guarantee, in tests: every cell of the answer matrix renders and `infra-kit check` finds no MUST rule
 * broken; random valid answers do too; random invalid and hostile answers are rejected (exit 2, one line,
 * nothing written) or rendered inert, through every entry point; hand-written files are never overwritten.
 * Cells render in-process (renderToDir) and are checked with runChecks; only the CLI properties spawn the bin.
 */
import fc from 'fast-check';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { requireComplete } from '../src/answers/resolve.js';
import { questionOrder, questions, type Answers, type QuestionId } from '../src/answers/schema.js';
import { ciProviders, clouds, databases, orchestrators, stacks, type StackId } from '../src/catalog/index.js';
import { runChecks } from '../src/check/run.js';
import { UsageError } from '../src/errors.js';
import { startSession } from '../src/session.js';
import { PIECES } from '../src/render/table.js';
import { runCli, snapshotTree } from './helpers/cli.js';
import { answersWith, renderToDir, tempDir } from './helpers/render.js';
import { hasCommand } from './helpers/validators.js';

type Cell = Partial<Answers>;
const ids = <T extends object>(table: T) => Object.keys(table) as (keyof T & string)[];
const label = (c: Cell): string => Object.entries(c).map(([k, v]) => (k === 'stack' || k === 'cloud' || k === 'ci' ? v : `${k}=${String(v)}`)).join(' ');

/** The binaries `check` runs that are on this machine: the guarantee means something only if they ran. */
const TOOLS = ['kubectl', 'terraform'].filter(hasCommand);

/** Findings of a MUST rule in a rendered kit, one line each, and any of TOOLS that did not run (both empty when the kit is clean). */
async function mustFindings(cell: Cell): Promise<string[]> {
  const { dir } = renderToDir(cell);
  const report = await runChecks(dir);
  const notRun = (report.skipped ?? []).filter((s) => TOOLS.some((tool) => s.startsWith(tool)));
  return [...notRun.map((s) => `not run: ${s}`), ...report.findings.filter((f) => f.level === 'MUST').map((f) => `${f.file}:${f.line} ${f.rule} ${f.message}`)];
}

// ---------- the matrix ----------

/**
 * Kubernetes: stack × cloud × CI × database, each stack with its default variant and language version.
 * Compose on a VM changes the Terraform, CI deploy, deploy/ and docs, not the stack's files: cloud × CI ×
 * database, with the stack rotating so each appears; plus GitOps (Argo CD) and feature flags per cloud.
 */
const cells: Cell[] = [
  ...ids(stacks).flatMap((stack) =>
    ids(clouds).flatMap((cloud) => ids(ciProviders).flatMap((ci) => ids(databases).map((database): Cell => ({ stack, cloud, orchestrator: 'kubernetes', ci, database })))),
  ),
  ...ids(clouds).flatMap((cloud, i) =>
    ids(ciProviders).flatMap((ci, j) =>
      ids(databases).map((database, k): Cell => ({ stack: ids(stacks)[(i * 4 + j * 2 + k) % 6]!, cloud, orchestrator: 'compose', ci, database })),
    ),
  ),
  // Every stack once on compose with postgres: its migrate service and healthcheck reach deploy/compose.yaml.
  ...ids(stacks).map((stack, i): Cell => ({ stack, cloud: ids(clouds)[i % 3]!, orchestrator: 'compose', ci: ids(ciProviders)[(i + 1) % 2]!, database: 'postgres' })),
  ...ids(clouds).flatMap((cloud, i): Cell[] => [
    { stack: ids(stacks)[i]!, cloud, ci: ids(ciProviders)[i % 2]!, database: 'postgres', gitops: 'argocd', repoUrl: 'https://github.com/acme/shop.git' },
    { stack: ids(stacks)[i + 3]!, cloud, orchestrator: ids(orchestrators)[i % 2]!, featureFlags: ['dark-mode', 'new-checkout'] },
  ]),
];

/**
 * Variants and language versions change the Dockerfile, CI and docs only: each non-default one once per CI
 * provider (rotating cloud and database) instead of multiplying the whole matrix by them.
 */
const perStack = (['variant', 'languageVersion'] as const).filter((id) => id in questions);
const variantCells: Cell[] = ids(stacks).flatMap((stack: StackId) => {
  const defaults = answersWith({ stack });
  return perStack.flatMap((id) => {
    const choices = ('choices' in questions[id] ? questions[id].choices({ stack }) : []).filter((c) => c.value !== String(defaults[id]));
    return choices.flatMap((c, i) => ids(ciProviders).map((ci, j): Cell => ({ stack, [id]: c.value, ci, cloud: ids(clouds)[(i + j) % 3]!, database: ids(databases)[(i + j) % 2]! })));
  });
});

describe('the answer matrix: renders, and check finds no MUST rule broken', () => {
  it.each([...cells, ...variantCells].map((c) => [label(c), c] as const))('%s', async (_label, cell) => {
    expect(await mustFindings(cell)).toEqual([]);
  });

  it('is not vacuous: a rendered kit with hardening settings undone fails check', async () => {
    const { dir } = renderToDir({});
    const edit = (path: string, from: string, to: string) => writeFileSync(join(dir, path), readFileSync(join(dir, path), 'utf8').replace(from, to));
    edit('Dockerfile', 'USER 10001:10001', 'USER root');
    edit('kubernetes/base/deployment.yaml', 'allowPrivilegeEscalation: false', 'allowPrivilegeEscalation: true');
    const report = await runChecks(dir);
    expect(report.findings.filter((f) => f.level === 'MUST').map((f) => f.rule)).toEqual(['DF03', ...(TOOLS.includes('kubectl') ? ['K02', 'K02'] : [])]);
  });
});

// ---------- random answers ----------

/**
 * Names that are Kubernetes system namespaces: rejected (the kit would deploy into the namespace and use the
 * ServiceAccount `default`, failing K06; `kube-system` would get the restricted label).
 */
const RESERVED = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];
const valid = <T,>(id: QuestionId, arb: fc.Arbitrary<T>, ctx: Cell = {}) => arb.filter((v) => questions[id].parse(v, ctx).ok);

const validAnswers: fc.Arbitrary<Cell> = fc
  .record({
    name: valid('name', fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,36}[a-z0-9])?$/)).filter((n) => !RESERVED.includes(n)),
    stack: fc.constantFrom(...ids(stacks)),
    cloud: fc.constantFrom(...ids(clouds)),
    orchestrator: fc.constantFrom(...ids(orchestrators)),
    ci: fc.constantFrom(...ids(ciProviders)),
    database: fc.constantFrom(...ids(databases)),
    port: fc.integer({ min: 1024, max: 65535 }),
    healthPath: valid('healthPath', fc.stringMatching(/^\/[A-Za-z0-9._~/-]{0,100}$/)),
    featureFlags: fc.uniqueArray(valid('featureFlags', fc.stringMatching(/^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/)), { maxLength: 3 }),
  })
  .chain((a) =>
    fc.record({
      region: valid('region', fc.stringMatching(clouds[a.cloud].regionPattern), a),
      ...Object.fromEntries(perStack.map((id) => [id, fc.constantFrom(...('choices' in questions[id] ? questions[id].choices(a) : []).map((c) => c.value))])),
    }).map((more) => ({ ...a, ...more }) as Cell),
  );

/** One question answered with a value its own parser rejects (the schema is the oracle for "invalid"). */
const invalidAnswer: fc.Arbitrary<[flag: string, value: string]> = fc
  .constantFrom(...questionOrder)
  .chain((id) =>
    fc
      .oneof(fc.string(), fc.string({ unit: 'binary' }), fc.integer().map(String), fc.constantFrom('', ' ', '-1', '0', '65536', '/a b', 'latest', 'aws ', 'Node'))
      .filter((v) => !v.includes('\0') && !questions[id].parse(v, {}).ok)
      .map((v): [string, string] => [questions[id].flag, v]),
  );

describe('random answers (fast-check)', () => {
  it('valid answers: the kit renders and check finds no MUST rule broken', async () => {
    await fc.assert(
      fc.asyncProperty(validAnswers, async (cell) => {
        expect(await mustFindings(cell), JSON.stringify(cell)).toEqual([]);
      }),
      { numRuns: 10 },
    );
  });

  it('invalid answers: the CLI exits 2 with one line naming the flag, and writes nothing', async () => {
    await fc.assert(
      fc.asyncProperty(invalidAnswer, async ([flag, value]) => {
        const cwd = tempDir();
        const res = await runCli(['out', '--yes', `--${flag}=${value}`], { cwd });
        expect(res.exitCode, res.stderr).toBe(2);
        expect(res.stderr.trim().split('\n')).toEqual([expect.stringMatching(new RegExp(`^infra-kit: --${flag} `))]);
        expect(existsSync(join(cwd, 'out'))).toBe(false);
      }),
      { numRuns: 25 },
    );
  });

  it('an app name that is a Kubernetes system namespace is rejected', () => {
    for (const name of RESERVED) expect(() => answersWith({ name })).toThrow(UsageError);
  });
});

// ---------- hostile input ----------

const HOSTILE = [
  'a"b', "a'b", 'a\nb', 'x\nkind: Secret', 'a\r\nb', '${{ secrets.AWS_SECRET }}', '$(touch /tmp/pwned)', '`id`', '../../etc/passwd', '..',
  'ünïcødé', '名前', '\u202Eevil', 'a'.repeat(5000), 'key: value', '- item', '{a: 1}', '[1, 2]', '&anchor', '*alias', '!!binary x', '# c',
  '${var.secret}', '%{ if true }x%{ endif }', 'a\tb', '\u001b[2J', ' padded ', 'null', 'true', '8080; rm -rf /', '0x1F90',
];
type Entry = 'flag' | 'answers.yml' | 'answers.json' | '.yo-rc.json';
const ENTRIES: Entry[] = ['flag', 'answers.yml', 'answers.json', '.yo-rc.json'];
/** Every question typed as text (no list of choices), and one with choices for contrast. */
const FREE_TEXT: QuestionId[] = [...questionOrder.filter((id) => !('choices' in questions[id])), 'stack'];

/** Write one answer through an entry point into a fresh repo; return what the CLI or startSession needs. */
function viaEntry(entry: Entry, id: QuestionId, value: string): { root: string; args: string[]; flags: Partial<Record<QuestionId, unknown>>; answersFile?: string } {
  const root = tempDir();
  if (entry === 'flag') return { root, args: [`--${questions[id].flag}=${value}`], flags: { [id]: value } };
  if (entry === '.yo-rc.json') {
    writeFileSync(join(root, '.yo-rc.json'), JSON.stringify({ 'create-infra-kit': { answers: { [id]: value } } }));
    return { root, args: [], flags: {} };
  }
  writeFileSync(join(root, entry), entry === 'answers.yml' ? YAML.stringify({ [id]: value }) : JSON.stringify({ [id]: value }));
  return { root, args: ['--answers', entry], flags: {}, answersFile: entry };
}

/** Hostile values some entry point accepted (they fit the schema, e.g. `/../../etc/passwd`, `null`): rendered below. */
const acceptedHostile = new Map<QuestionId, Set<unknown>>();

describe('hostile input: rejected with one clear line, or rendered inert', () => {
  it.each(ENTRIES)('through %s: every value is a one-line usage error naming where it came from, or accepted', async (entry) => {
    for (const id of FREE_TEXT) {
      for (const value of [...HOSTILE, ...HOSTILE.map((h) => `/${h}`)]) {
        const { root, flags, answersFile } = viaEntry(entry, id, value);
        const options = { root, pieces: PIECES, flags, ...(answersFile ? { answersFile } : {}), cwd: root, force: false, dryRun: true };
        const outcome = await startSession(options).then((s) => requireComplete(s.resolution), (error: unknown) => error);
        if (outcome instanceof UsageError) {
          expect(outcome.message, value).not.toMatch(/[\r\n]/);
          expect(outcome.message.length, value).toBeLessThan(400);
          expect(outcome.message).toContain(entry === 'flag' ? `--${questions[id].flag}` : `${entry}: ${id}`);
        } else {
          expect(outcome, `${id} ${JSON.stringify(value)}`).not.toBeInstanceOf(Error);
          acceptedHostile.set(id, (acceptedHostile.get(id) ?? new Set()).add((outcome as Answers)[id]));
        }
      }
    }
  });

  it('what gets through renders inert: no quote, newline or expansion character; the exact value in the manifests; check finds no MUST', async () => {
    // e.g. name `null`, health path `/../../etc/passwd`: never a character that ends a quoted scalar or starts an expansion.
    const values = [...acceptedHostile].map(([id, set]) => [id, [...set]] as const);
    expect(values.length).toBeGreaterThan(0);
    for (const [id, list] of values) for (const v of list) expect(String(v), id).not.toMatch(/["'`$\\\r\n{}]/);
    // Few kits carry them all: kit i gets the i-th accepted value of each question. With postgres every answer
    // reaches a file (the migration command only exists with a database).
    const kits = Array.from({ length: Math.max(...values.map(([, list]) => list.length)) }, (_, i): Cell =>
      ({ database: 'postgres', ...Object.fromEntries(values.filter(([, list]) => i < list.length).map(([id, list]) => [id, list[i]])) }));
    for (const cell of kits) {
      expect(await mustFindings(cell), JSON.stringify(cell)).toEqual([]);
      const { files } = renderToDir(cell, ['kustomize', 'compose']);
      const deployment = YAML.parse(files.get('kubernetes/base/deployment.yaml')!);
      const app = deployment.spec.template.spec.containers[0];
      if (cell.name) expect([deployment.metadata.name, app.image]).toEqual([cell.name, cell.name]);
      if (cell.healthPath) expect(app.readinessProbe.httpGet.path).toBe(cell.healthPath);
    }
  });

  // A hostile .yo-rc.json in a cloned repo must not put terminal escape sequences or bidi overrides on screen.
  it('the error line never echoes control or bidi characters', async () => {
    for (const value of ['a\u001b[2Jx', 'a\u202eb', 'a\tb']) {
      const { root, flags } = viaEntry('.yo-rc.json', 'name', value);
      const error = await startSession({ root, pieces: PIECES, flags, cwd: root, force: false, dryRun: true }).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(UsageError);
      expect((error as Error).message).not.toMatch(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/);
    }
  });

  const CLI_CASES: [Entry, QuestionId, string][] = [
    ['flag', 'name', 'x\nkind: Secret'], ['flag', 'healthPath', '/$(touch pwned)'], ['flag', 'region', '${{ secrets.AWS_SECRET }}'],
    ['answers.yml', 'name', '../../etc'], ['answers.yml', 'port', '8080; rm -rf /'], ['answers.json', 'name', 'a"b'], ['answers.json', 'healthPath', '/ok\n'],
    ['.yo-rc.json', 'name', '`id`'], ['.yo-rc.json', 'region', 'a'.repeat(5000)],
  ];
  it.each(CLI_CASES.map(([entry, id, value]) => [`${entry} ${id}=${JSON.stringify(value).slice(0, 40)}`, entry, id, value] as const))('the built CLI, %s: exit 2, one line, the repo untouched', async (_label, entry, id, value) => {
    const { root, args } = viaEntry(entry, id, value);
    const before = snapshotTree(root);
    const res = await runCli(['.', '--yes', ...args], { cwd: root });
    expect(res.exitCode, res.stderr).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).not.toMatch(/\n\s+at /);
    expect(snapshotTree(root)).toEqual(before);
  });

  /** An answers file through the built CLI: exit 2, one line, nothing written. */
  async function rejected(file: string, text: string): Promise<void> {
    const cwd = tempDir();
    writeFileSync(join(cwd, file), text);
    const res = await runCli(['out', '--yes', '--answers', file], { cwd });
    expect(res.exitCode, res.stderr).toBe(2);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  }

  it('the built CLI: a YAML alias bomb is rejected the same way', async () => {
    const levels = 'abcdefghij';
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', ...[...levels.slice(1)].map((l, i) => `${l}: &${l} [${Array(9).fill(`*${levels[i]}`).join(', ')}]`), 'name: *j'];
    await rejected('answers.yml', bomb.join('\n'));
  });

  // Object.prototype names are not questions.
  it('the built CLI rejects `__proto__` and `constructor` keys as unknown answers', async () => {
    await rejected('answers.json', '{"constructor": "x", "name": "ok"}');
    await rejected('answers.json', '{"__proto__": {"name": "x"}, "name": "ok"}');
  });
});

// ---------- existing files ----------

describe('existing hand-written files are never overwritten silently', () => {
  it('a hand-written Dockerfile and workflow: conflicts reported, exit 1, both byte-identical', async () => {
    const repo = tempDir();
    const workflow = 'name: mine\non: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test  # ours\n';
    mkdirSync(join(repo, '.github/workflows'), { recursive: true });
    writeFileSync(join(repo, '.github/workflows/ci.yml'), workflow);
    writeFileSync(join(repo, 'Dockerfile'), 'FROM alpine:3.20\n');
    const res = await runCli(['.', '--yes', '--name', 'svc'], { cwd: repo });
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/! conflict\s+\.github\/workflows\/ci\.yml\s+\(exists and was not written by infra-kit/);
    expect(res.stdout).toMatch(/! conflict\s+Dockerfile\s/);
    expect(readFileSync(join(repo, '.github/workflows/ci.yml'), 'utf8')).toBe(workflow);
    expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).toBe('FROM alpine:3.20\n');
    const again = await runCli(['ci', '.', '--yes'], { cwd: repo });
    expect(again.exitCode).toBe(1);
    expect(readFileSync(join(repo, '.github/workflows/ci.yml'), 'utf8')).toBe(workflow);
  });
});
