import { execa } from 'execa';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promptQuestions } from '../src/answers/prompts.js';
import { resolveAnswers } from '../src/answers/resolve.js';
import { questions } from '../src/answers/schema.js';
import { actions } from '../src/catalog/ci.js';
import { resolveVariant, stackOfVariant, stacks, type StackId } from '../src/catalog/stacks.js';
import { buildContext } from '../src/render/context.js';
import { UsageError } from '../src/errors.js';
import { answersWith, renderToMemory } from './helpers/render.js';
import { hasCommand } from './helpers/validators.js';

const stackIds = Object.keys(stacks) as StackId[];
const variantsOf = (s: StackId) => Object.values(stacks[s].variants) as { id: string; lockfiles: readonly string[]; ci: { setup: { action: string }; image: string }; pin?: string }[];

/** An exact version tag or a sha256 digest: never latest, never a floating major. */
const PINNED = /^[^\s@]+:(?:[\w.-]*\d+\.\d+[\w.-]*|[\w.-]+@sha256:[0-9a-f]{64})$/;

describe('stack catalog', () => {
  it('has node, python, go, java, rust and dotnet, each with variants, a dependabot ecosystem and a port', () => {
    expect(stackIds).toEqual(['node', 'python', 'go', 'java', 'rust', 'dotnet']);
    for (const s of stackIds) {
      const stack = stacks[s];
      expect(stack.variants[stack.defaultVariant as keyof typeof stack.variants]).toBeDefined();
      expect(stack.dependabotEcosystem).toMatch(/^[a-z]+$/);
      expect(stack.defaultPort).toBeGreaterThanOrEqual(1024);
    }
  });

  it('pins every image to an exact version tag or a digest (DF02, DC03)', () => {
    const images = stackIds.flatMap((s) => [
      ...Object.values(stacks[s].versions).flatMap((v) => [v.build, v.runtime, ...Object.values('buildByVariant' in v ? v.buildByVariant : {})]),
      ...variantsOf(s).flatMap((v) => [v.ci.image, ...(v.pin?.includes('/') ? [v.pin] : [])]),
    ]);
    expect(images.length).toBeGreaterThan(30);
    for (const image of images) expect(image, image).toMatch(PINNED);
  });

  it('the default version is in the versions map and gives the stack\'s buildImage and runtimeImage', () => {
    for (const s of stackIds) {
      const stack = stacks[s];
      const images = stack.versions[stack.languageVersion as keyof typeof stack.versions] as { build: string; runtime: string };
      expect(images).toBeDefined();
      expect([stack.buildImage, stack.runtimeImage]).toEqual([images.build, images.runtime]);
    }
  });

  it('variant ids are unique across stacks (so --variant names one), and lockfiles are plain file names', () => {
    const ids = stackIds.flatMap((s) => variantsOf(s).map((v) => v.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(stackOfVariant(id)).toBeDefined();
    for (const v of stackIds.flatMap(variantsOf)) for (const f of v.lockfiles) expect(f).toMatch(/^[\w.-]+$/);
  });

  it('every CI setup action is one of the actions ci.ts pins to a full commit SHA', () => {
    for (const v of stackIds.flatMap(variantsOf)) {
      expect((actions as Record<string, { sha: string }>)[v.ci.setup.action]?.sha, `${v.id}: ${v.ci.setup.action}`).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  it('resolves a variant at a pinned language version, and falls back to the default for one it cannot pin', () => {
    const java = stacks.java;
    expect(resolveVariant(java, java.variants.gradle, '17').images).toEqual({ build: 'gradle:9.7.1-jdk17-noble', runtime: 'eclipse-temurin:17.0.20_8-jre-noble' });
    expect(resolveVariant(java, java.variants.gradlew, '17').images.build).toBe('eclipse-temurin:17.0.20_8-jdk-noble');
    expect(resolveVariant(java, java.variants.maven, '11').languageVersion).toBe('21');
    expect(resolveVariant(stacks.python, stacks.python.variants.uv).dependabotEcosystem).toBe('uv');
    expect(resolveVariant(stacks.python, stacks.python.variants.pip).dependabotEcosystem).toBe('pip');
  });
});

describe('the variant question', () => {
  it('lists the chosen stack\'s variants, or every variant before a stack is chosen', () => {
    expect(questions.variant.choices({ stack: 'python' }).map((c) => c.value)).toEqual(['pip', 'poetry', 'uv']);
    expect(questions.variant.choices({ stack: 'java' }).map((c) => c.value)).toEqual(['maven', 'mvnw', 'gradle', 'gradlew']);
    expect(questions.variant.choices().length).toBe(stackIds.flatMap(variantsOf).length);
  });

  it('defaults to the detected variant for the detected stack, else to the stack\'s default', () => {
    const r = (flags: Record<string, unknown>, detected = {}) =>
      resolveAnswers({ sources: [{ name: 'flag', label: (id) => `--${id}`, values: flags }], detected, dirName: 'x' });
    expect(r({}).answers.variant).toBe('npm');
    expect(r({ stack: 'rust' }).answers.variant).toBe('cargo');
    const pnpmRepo = { stack: 'node', variant: 'pnpm' } as const;
    expect(r({}, pnpmRepo).answers).toMatchObject({ stack: 'node', variant: 'pnpm' });
    expect(r({}, pnpmRepo).origin.variant).toBe('detected');
    // --stack python in a pnpm repo: pnpm is no python variant, so python's default.
    expect(r({ stack: 'python' }, pnpmRepo).answers.variant).toBe('pip');
  });

  it('rejects an unknown variant, and (given the stack) one of another stack', () => {
    expect(questions.variant.parse('bun')).toEqual({ ok: false, error: expect.stringMatching(/^must be one of: npm, pnpm, yarn, pip/) });
    expect(questions.variant.parse('poetry', { stack: 'node' })).toEqual({ ok: false, error: 'must be one of: npm, pnpm, yarn (stack node)' });
    expect(questions.variant.parse('poetry', { stack: 'python' })).toEqual({ ok: true, value: 'poetry' });
  });

  it('a variant of another stack is a usage error before anything renders', () => {
    const answers = { ...answersWith({ stack: 'python' }), variant: 'pnpm' as const };
    expect(() => buildContext(answers, '0.0.0')).toThrow(UsageError);
    expect(() => buildContext(answers, '0.0.0')).toThrow("variant 'pnpm' is not a python variant; pass --variant pip|poetry|uv");
  });

  it('prompts: the variant list and default follow the stack, whether decided before or asked in the same session', () => {
    const ctx = { detected: {}, evidence: {}, dirName: 'x' };
    const narrowed = promptQuestions({ ...ctx, open: ['variant'], decided: { stack: 'go', variant: 'gomod' } })[0]!;
    expect(narrowed.choices?.().map((c) => c.value)).toEqual(['gomod']);
    const [stack, variant] = promptQuestions({ ...ctx, open: ['stack', 'variant'], decided: { stack: 'node', variant: 'npm' } });
    expect(stack!.name).toBe('stack');
    expect(variant!.choices?.({ stack: 'java' }).map((c) => c.value)).toEqual(['maven', 'mvnw', 'gradle', 'gradlew']);
    expect(variant!.choices?.().map((c) => c.value)).toContain('uv');
    expect(variant!.default({ stack: 'java' })).toBe('maven');
  });
});

describe('every stack renders the whole kit', () => {
  it.each(stackIds)('%s: every piece renders, the Dockerfile and .dockerignore are the stack\'s own', (stack) => {
    const files = renderToMemory({ stack, database: 'postgres' });
    expect(files.get('Dockerfile')).toContain(`(${stacks[stack].label} / `);
    expect(files.size).toBeGreaterThan(20);
    for (const [path, content] of files) expect(content, path).not.toMatch(/\bundefined\b|\[object Object\]/);
  });
});

/** Run a catalog healthcheck argv on this machine against a local HTTP server: exit 0 only on a 200. */
describe('healthcheck commands behave (run here against a real HTTP server)', () => {
  let server: Server;
  let port = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      res.statusCode = req.url === '/healthz' ? 200 : 503;
      res.end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const runnable = stackIds.filter((s) => stacks[s].healthcheck);
  it.each(runnable)('%s: healthy on 200, unhealthy on 503 and on a closed port', async (s) => {
    const [cmd] = stacks[s].healthcheck!(port, '/');
    // The images name it `python`; a Debian host may only have `python3`.
    const bin = cmd === 'python' && !hasCommand('python') ? 'python3' : cmd!;
    if (!hasCommand(bin)) return; // the tool is not on this machine: nothing to run it with
    // Async: the server answers from this same process while the probe runs.
    const probe = async (p: number, path: string) => {
      const [, ...args] = stacks[s].healthcheck!(p, path);
      return (await execa(bin, args, { reject: false, timeout: 10_000 })).exitCode;
    };
    expect(await probe(port, '/healthz')).toBe(0);
    expect(await probe(port, '/broken')).not.toBe(0);
    expect(await probe(1, '/healthz')).not.toBe(0);
  });

  it('stacks without a probe are exactly those whose runtime image has no shell', () => {
    for (const s of stackIds) expect(stacks[s].healthcheck === null).toBe(!stacks[s].runtimeShell);
  });
});
