import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { resolveAnswers } from '../src/answers/resolve.js';
import { detect } from '../src/detect/index.js';
import { catalogVersion } from '../src/detect/version.js';
import { runCli } from './helpers/cli.js';
import { tempDir } from './helpers/render.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/stacks/', import.meta.url));

function repoWith(files: Record<string, string>): string {
  const root = tempDir('infra-kit-detect-');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

/** What each fixture repo must yield: answers, the catalog version its declared version maps to, the start. */
const expected: Record<string, { answers: Record<string, unknown>; version?: [string, string, string | undefined]; start?: string }> = {
  'node-npm': { answers: { stack: 'node', variant: 'npm', name: 'orders-api', database: 'postgres' }, version: ['>=22', 'package.json engines.node', '24'], start: 'node index.js' },
  'node-pnpm': { answers: { stack: 'node', variant: 'pnpm', name: 'catalog-service' }, version: ['v22.19.0', '.nvmrc', '22'], start: 'node dist/server.js' },
  'node-yarn': { answers: { stack: 'node', variant: 'yarn', name: 'web-gateway', port: 4000 }, version: ['24', '.nvmrc', '24'], start: 'node server.js' },
  'python-pip': { answers: { stack: 'python', variant: 'pip', database: 'postgres' }, version: ['3.12.11', '.python-version', '3.12'], start: 'uvicorn main:app' },
  'python-poetry': { answers: { stack: 'python', variant: 'poetry', name: 'invoice-worker' }, version: ['^3.11', 'pyproject.toml [tool.poetry.dependencies] python', '3.13'] },
  'python-uv': { answers: { stack: 'python', variant: 'uv', name: 'billing' }, version: ['>=3.13', 'pyproject.toml requires-python', '3.13'] },
  go: { answers: { stack: 'go', variant: 'gomod', name: 'ledger-api' }, version: ['1.26.7', 'go.mod toolchain', '1.26'], start: './cmd/api' },
  'java-maven': { answers: { stack: 'java', variant: 'maven', name: 'shipping-service', database: 'postgres', port: 8081 }, version: ['17', 'pom.xml java.version', '17'], start: 'java -jar application.jar (Spring Boot)' },
  'java-mvnw': { answers: { stack: 'java', variant: 'mvnw', name: 'audit-log' }, version: ['21', 'pom.xml maven.compiler.release', '21'] },
  'java-gradle': { answers: { stack: 'java', variant: 'gradle', name: 'pricing-engine' }, version: ['25', 'build.gradle.kts toolchain / compatibility', '25'], start: 'java -jar application.jar (Spring Boot)' },
  'java-gradlew': { answers: { stack: 'java', variant: 'gradlew', name: 'search-indexer' }, version: ['17', 'build.gradle toolchain / compatibility', '17'] },
  rust: { answers: { stack: 'rust', variant: 'cargo', name: 'telemetry-ingest' }, version: ['1.98.0', 'rust-toolchain.toml', '1.98'], start: 'ingest' },
  dotnet: { answers: { stack: 'dotnet', variant: 'dotnet', name: 'inventory-api', database: 'postgres' }, version: ['8.0', 'Inventory.Api.csproj TargetFramework', '8.0'], start: 'dotnet Inventory.Api.dll' },
};

describe('detection on real repo layouts (test/fixtures/stacks)', () => {
  it.each(Object.keys(expected))('%s', (fixture) => {
    const want = expected[fixture]!;
    const found = detect(join(FIXTURES, fixture));
    const [value, evidence, mapped] = want.version ?? [];
    // A version the catalog pins becomes the languageVersion answer (the images and CI follow it).
    const answers = { ...want.answers, ...(mapped ? { languageVersion: mapped } : {}) };
    expect(found.answers).toEqual(answers);
    for (const key of Object.keys(answers)) expect(found.evidence[key as keyof typeof found.evidence], key).toBeTruthy();
    expect(found.facts.languageVersion).toEqual(value ? { value, evidence, ...(mapped ? { catalogVersion: mapped } : {}) } : undefined);
    expect(found.facts.start?.value).toBe(want.start);
  });

  it('detected values become the defaults, marked "detected"; flags still win', () => {
    const detected = detect(join(FIXTURES, 'java-maven')).answers;
    const r = resolveAnswers({ sources: [], detected, dirName: 'x' });
    expect(r.answers).toMatchObject({ stack: 'java', variant: 'maven', name: 'shipping-service', port: 8081, database: 'postgres' });
    expect(r.origin).toMatchObject({ stack: 'detected', variant: 'detected', port: 'detected' });
    const flagged = resolveAnswers({ sources: [{ name: 'flag', label: (id) => id, values: { variant: 'gradle', port: '9000' } }], detected, dirName: 'x' });
    expect(flagged.answers).toMatchObject({ variant: 'gradle', port: 9000 });
  });
});

describe('detection falls back cleanly', () => {
  it('an empty dir, or one that does not exist yet, proposes nothing: every answer is the catalog default', () => {
    for (const root of [tempDir(), join(tempDir(), 'not-yet')]) {
      const found = detect(root);
      expect(found).toEqual({ answers: {}, evidence: {}, facts: {} });
      const r = resolveAnswers({ sources: [], detected: found.answers, dirName: 'svc' });
      expect(r.answers).toMatchObject({ stack: 'node', variant: 'npm', port: 3000 });
      expect(r.origin).toMatchObject({ stack: 'default', variant: 'default' });
    }
  });

  it.each([
    ['package.json', '{"name": "svc", "engines": {"node": "22"', 'node', undefined],
    ['Cargo.toml', '[package\nname = "svc"\nrust-version = "1.90"', 'rust', undefined],
    ['pom.xml', '<project><artifactId>svc</artifactId><properties><java.version>21', 'java', undefined],
    // The project file's own name still names the app; its content is not read.
    ['Api.csproj', '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net8.0', 'dotnet', 'api'],
    ['pyproject.toml', '[project]\nname = "svc"\nrequires-python = ">=3.12', 'python', undefined],
  ])('a broken %s: no crash; the stack its name says, nothing read from it', (file, content, stack, name) => {
    const found = detect(repoWith({ [file]: content }));
    expect(found.answers.stack).toBe(stack);
    expect(found.answers.name).toBe(name);
    expect(found.facts.languageVersion).toBeUndefined();
  });

  it('unreadable version pins and ports outside 1024-65535 are not proposed', () => {
    const found = detect(repoWith({ 'package.json': '{"name":"svc","engines":{"node":"latest"}}', '.nvmrc': 'lts/*', '.env.example': 'PORT=80\n' }));
    expect(found.answers).toEqual({ stack: 'node', name: 'svc' });
    expect(found.facts.languageVersion).toEqual({ value: 'latest', evidence: 'package.json engines.node' });
  });

  it('a version the catalog cannot pin is reported without a catalog version', () => {
    expect(detect(repoWith({ 'go.mod': 'module example.com/x\n\ngo 1.21\n\ntoolchain go1.21.5\n' })).facts.languageVersion).toEqual({ value: '1.21.5', evidence: 'go.mod toolchain' });
    expect(detect(repoWith({ 'App.csproj': '<Project Sdk="Microsoft.NET.Sdk.Web"><PropertyGroup><TargetFramework>net6.0</TargetFramework></PropertyGroup></Project>' })).facts.languageVersion).toEqual({ value: '6.0', evidence: 'App.csproj TargetFramework' });
  });
});

describe('detection: precedence and details', () => {
  it('a backend manifest wins over a package.json used for front-end tooling', () => {
    expect(detect(repoWith({ 'go.mod': 'module example.com/api\n\ngo 1.27\n', 'package.json': '{"name":"tooling"}' })).answers).toMatchObject({ stack: 'go', name: 'api' });
    expect(detect(repoWith({ 'requirements.txt': 'flask==3.1.0\n', 'package.json': '{}' })).answers.stack).toBe('python');
  });

  it('python: uv.lock beats poetry beats requirements.txt; a Flask app starts with gunicorn', () => {
    expect(detect(repoWith({ 'pyproject.toml': '[project]\nname="a"\n', 'uv.lock': 'version = 1\n', 'requirements.txt': '' })).answers.variant).toBe('uv');
    expect(detect(repoWith({ 'pyproject.toml': '[tool.poetry]\nname="a"\n', 'requirements.txt': '' })).answers.variant).toBe('poetry');
    const flask = detect(repoWith({ 'requirements.txt': 'Flask==3.1.0\npsycopg2-binary==2.9.10\n', 'app.py': 'from flask import Flask\napp = Flask(__name__)\n' }));
    expect(flask.facts.start).toEqual({ value: 'gunicorn app:app', evidence: 'app.py' });
    expect(flask.answers.database).toBe('postgres');
  });

  it('node: the packageManager field when there is no lockfile; an LTS codename in .nvmrc', () => {
    const found = detect(repoWith({ 'package.json': '{"name":"x","packageManager":"pnpm@10.14.0"}', '.nvmrc': 'lts/jod' }));
    expect(found.answers.variant).toBe('pnpm');
    expect(found.evidence.variant).toBe('package.json packageManager');
    expect(found.facts.languageVersion).toEqual({ value: '22', evidence: '.nvmrc', catalogVersion: '22' });
  });

  it('rust: MSRV is a minimum (newest pinned toolchain), postgres from sqlx features; go: pgx', () => {
    const rust = detect(repoWith({ 'Cargo.toml': '[package]\nname = "svc"\nrust-version = "1.80"\n\n[dependencies]\nsqlx = { version = "0.8", features = ["postgres"] }\n' }));
    expect(rust.facts.languageVersion).toEqual({ value: '>=1.80', evidence: 'Cargo.toml rust-version', catalogVersion: '1.98' });
    expect(rust.answers.database).toBe('postgres');
    expect(detect(repoWith({ 'go.mod': 'module x\n\ngo 1.26\n\nrequire github.com/jackc/pgx/v5 v5.7.5\n' })).answers.database).toBe('postgres');
  });
});

describe('language version ranges → catalog versions', () => {
  it.each([
    ['node', '>=20', '24'],
    ['node', '^22.0.0', '22'],
    ['node', '20 || 22', '22'],
    ['node', '>=18 <23', '22'],
    ['node', '18', undefined],
    ['python', '>=3.10,<3.13', '3.12'],
    ['python', '>= 3.11, < 3.14', '3.13'],
    ['python', '~=3.12', '3.13'],
    ['python', '==3.14.*', '3.14'],
    ['python', '>=3.15', undefined],
    ['go', '>=1.25', '1.27'],
    ['java', '11', undefined],
    ['dotnet', '8.0', '8.0'],
    ['dotnet', 'not-a-version', undefined],
  ] as const)('%s %s → %s', (stack, range, want) => {
    expect(catalogVersion(stack, range)).toBe(want);
  });
});

describe('the CLI renders what it detects (--yes uses detected values as they are)', () => {
  it.each(['python-uv', 'java-gradlew', 'dotnet'])('%s', async (fixture) => {
    const repo = tempDir();
    cpSync(join(FIXTURES, fixture), repo, { recursive: true });
    const res = await runCli(['docker', '.', '--yes', '--dry-run', '--json'], { cwd: repo });
    expect(res.exitCode, String(res.stderr)).toBe(0);
    const out = JSON.parse(String(res.stdout)) as { answers: Record<string, unknown> };
    expect(out.answers).toMatchObject(expected[fixture]!.answers);
  });
});

describe('the detected language version picks the images and what CI installs', () => {
  it('node engines >=22 <23 → node 22 images and setup-node 22; a flag wins', async () => {
    const { renderToMemory } = await import('./helpers/render.js');
    const files = renderToMemory({ languageVersion: '22' }, ['docker', 'ci']);
    expect(files.get('Dockerfile')).toMatch(/^FROM node:22\.[\d.]+-trixie AS build$/m);
    expect(files.get('.github/workflows/ci.yml')).toContain('node-version: "22"');
    const other = renderToMemory({ stack: 'python', variant: 'uv', languageVersion: '3.12' }, ['docker', 'ci']);
    expect(other.get('Dockerfile')).toMatch(/FROM python:3\.12\.[\d]+-slim-trixie/);
    expect(other.get('.github/workflows/ci.yml')).toContain('python-version: "3.12"');
  });

  it('a version the stack does not pin is rejected with the allowed ones', () => {
    expect(() => resolveAnswers({ sources: [{ name: 'flag', label: (id) => `--${id}`, values: { stack: 'go', languageVersion: '1.19' } }], detected: {}, dirName: 'x' })).toThrow(
      /--languageVersion '1.19' must be one of: 1.26, 1.27 \(stack go\)/,
    );
  });
});
