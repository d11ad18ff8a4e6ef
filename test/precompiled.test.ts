/**
 * The built bin renders with templates compiled at build time (dist/src/templates.cjs); tests from src/
 * compile them at run time. Both must give the same bytes, and the bundle must fit the render context
 * (else the bin would quietly fall back to the slower run-time compiler).
 */
import { cpSync, existsSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { questions, type Answers, type QuestionId } from '../src/answers/schema.js';
import { buildContext } from '../src/render/context.js';
import { runCli } from './helpers/cli.js';
import type { ValidateFunction } from 'ajv';
import YAML from 'yaml';
import { currentStamp, SCHEMA_NAMES, schemaValidator, type SchemaName } from '../src/check/json-schemas.js';
import { answersWith, renderToMemory, tempDir } from './helpers/render.js';
import { renderPieces } from '../src/render/render.js';
import { PIECES } from '../src/render/table.js';
import { packageVersion } from '../src/paths.js';

const BUNDLE = new URL('../dist/src/templates.cjs', import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('build-time compiled templates', () => {
  it('exist for every template and were compiled for exactly the render context keys', () => {
    expect(existsSync(BUNDLE), 'npm run build makes dist/src/templates.cjs').toBe(true);
    const bundle = createRequire(import.meta.url)(BUNDLE.pathname) as { keys: string[]; templates: Record<string, unknown> };
    expect(bundle.keys).toEqual(Object.keys(buildContext(answersWith(), '0.0.0')));
    expect(Object.keys(bundle.templates).length).toBeGreaterThan(100);
  });

  const cells: Partial<Answers>[] = [
    {},
    { cloud: 'gcp', ci: 'gitlab', database: 'postgres', orchestrator: 'compose', stack: 'python' },
    { cloud: 'azure', stack: 'java', variant: 'gradle', database: 'postgres', featureFlags: ['dark-mode', 'new-checkout'] },
    { cloud: 'aws', stack: 'go', ci: 'gitlab', orchestrator: 'compose', featureFlags: ['beta'] },
  ];
  it.each(cells.map((c) => [JSON.stringify(c), c] as const))('the built bin writes the same bytes as the run-time compiler: %s', async (_label, cell) => {
    const expected = new Map(renderPieces(PIECES, buildContext(answersWith(cell), packageVersion())).map((f) => [f.path, f.content]));
    const root = tempDir();
    const flags = Object.entries(answersWith(cell)).flatMap(([id, value]) => [
      `--${questions[id as QuestionId].flag}`,
      Array.isArray(value) ? value.join(',') : String(value),
    ]);
    const res = await runCli(['.', '--yes', '-q', ...flags], { cwd: root });
    expect(res.stderr).toBe('');
    expect(res.exitCode).toBe(0);
    for (const [path, content] of expected) expect(readFileSync(join(root, path), 'utf8'), path).toBe(content);
  });

  it('serve an installed copy (fresh mtimes, as npm extracts it) without the run-time compiler; an edited template is compiled from disk', async () => {
    const copy = tempDir();
    for (const part of ['dist', 'templates', 'package.json']) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const bin = join(copy, 'dist/src/bin.js');
    const strict = { ...process.env, NO_COLOR: '1', INFRA_KIT_REQUIRE_BUNDLE: '1' };
    const out = tempDir();
    const served = await execa(process.execPath, [bin, out, '--yes', '-q', '--name', 'shop-api'], { env: strict, reject: false });
    expect(served.stderr).toBe('');
    expect(served.exitCode).toBe(0);
    const expected = renderPieces(PIECES, buildContext(answersWith({ name: 'shop-api' }), packageVersion()));
    for (const f of expected) expect(readFileSync(join(out, f.path), 'utf8'), f.path).toBe(f.content);

    // `check` validates with the build's JSON-schema validators (a GitLab kit has both compose and GitLab CI).
    const gitlab = tempDir();
    expect((await execa(process.execPath, [bin, gitlab, '--yes', '-q', '--ci', 'gitlab'], { env: strict, reject: false })).exitCode).toBe(0);
    const checked = await execa(process.execPath, [bin, 'check', gitlab, '--no-cache'], { env: strict, reject: false });
    expect(checked.stderr).toBe('');
    expect(checked.stdout).toMatch(/^ok: \d+ files checked/m);
    // A schema changed after the build: its validator is stale, and the strict run says so.
    const schema = join(copy, 'dist/src/check/schemas/gitlab-ci.json');
    writeFileSync(schema, readFileSync(schema, 'utf8').replace('{', '{"$comment": "edited after the build",'));
    const staleSchema = await execa(process.execPath, [bin, 'check', gitlab, '--no-cache'], { env: strict, reject: false });
    expect(staleSchema.stdout).toMatch(/not run: .*gitlab-ci: no current build-time validator/);
    expect((await execa(process.execPath, [bin, 'check', gitlab, '--no-cache'], { env: { ...process.env, NO_COLOR: '1' }, reject: false })).stdout).toMatch(/^ok: /m);

    // Edit one template after the build: the strict run refuses the stale function, a normal run renders the edit.
    const dockerfile = join(copy, 'templates/docker/node/Dockerfile.ejs');
    writeFileSync(dockerfile, `${readFileSync(dockerfile, 'utf8')}# edited after the build\n`);
    const stale = await execa(process.execPath, [bin, tempDir(), '--yes', '-q'], { env: strict, reject: false });
    expect(stale.stderr).toMatch(/docker\/node\/Dockerfile\.ejs: not served by/);
    const edited = tempDir();
    expect((await execa(process.execPath, [bin, edited, '--yes', '-q'], { env: { ...process.env, NO_COLOR: '1' }, reject: false })).exitCode).toBe(0);
    expect(readFileSync(join(edited, 'Dockerfile'), 'utf8')).toMatch(/# edited after the build\n$/);
  });
});

describe('build-time compiled JSON-schema validators', () => {
  const require = createRequire(import.meta.url);
  const built = (name: SchemaName) => require(join(ROOT, `dist/src/check/schemas/${name}.validate.cjs`)) as ValidateFunction;
  const kit = renderToMemory({ ci: 'gitlab', database: 'postgres' });
  const compose = YAML.parse(kit.get('docker-compose.yml')!) as Record<string, Record<string, Record<string, unknown>>>;
  const gitlab = YAML.parse(kit.get('.gitlab-ci.yml')!) as Record<string, unknown>;
  const app = Object.keys(compose.services!)[0]!;
  const docs: Record<SchemaName, unknown[]> = {
    compose: [
      compose,
      { ...compose, services: { ...compose.services, [app]: { ...compose.services![app], healthcheck: { test: ['CMD', 'true'], interval: '3 weeks' } } } },
      { ...compose, services: { ...compose.services, [app]: { ...compose.services![app], restrat: 'always', ports: 8080 } } },
      { services: [] },
    ],
    'gitlab-ci': [gitlab, { ...gitlab, stages: 'build' }, { ...gitlab, build: { script: 1, when: 'sometimes' } }, { include: [{ remote: 'not a uri' }] }],
  };

  it.each(SCHEMA_NAMES.map((n) => [n]))('%s: the build wrote a current validator that gives the run-time compiler\'s verdicts', (name) => {
    const validate = built(name);
    expect((validate as ValidateFunction & { stamp: string }).stamp).toBe(currentStamp(name));
    const runtime = schemaValidator(name);
    expect(runtime).not.toBe(validate);
    const verdicts = docs[name].map((doc) => [validate(doc), validate.errors] as const);
    expect(verdicts.map(([ok]) => ok)).toEqual([true, false, false, false]);
    expect(verdicts).toEqual(docs[name].map((doc) => [runtime(doc), runtime.errors] as const));
  });
});
