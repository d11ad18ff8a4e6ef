import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { dockerfileChecker } from '../src/check/dockerfile.js';
import { openRepo, runChecks } from '../src/check/run.js';
import { runCli } from './helpers/cli.js';
import { renderToDir, tempDir } from './helpers/render.js';
import { repoWith } from './helpers/rule-samples.js';


const GOOD = `# syntax=docker/dockerfile:1
FROM node:22.21.1-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci
COPY . .
FROM node:22.21.1-bookworm-slim
LABEL org.opencontainers.image.source="x"
COPY --from=build /app /app
USER 10001
HEALTHCHECK CMD ["node", "-e", "1"]
CMD ["node", "/app"]
`;
const IGNORE = '.git\n.env\n.env.*\nnode_modules\n';

/** One failing sample per Dockerfile rule: the GOOD file with one thing broken. */
const failing: [string, Record<string, string>][] = [
  ['DF-SYNTAX', { Dockerfile: GOOD.replace('HEALTHCHECK CMD', 'HEALTHCHECK --interval=abc CMD'), '.dockerignore': IGNORE }],
  ['DF01', { Dockerfile: GOOD.replace('FROM node:22.21.1-bookworm-slim\n', '').replace('COPY --from=build /app /app\n', ''), '.dockerignore': IGNORE }],
  ['DF02', { Dockerfile: GOOD.replace('FROM node:22.21.1-bookworm-slim\n', 'FROM node:latest\n'), '.dockerignore': IGNORE }],
  ['DF03', { Dockerfile: GOOD.replace('USER 10001', 'USER root'), '.dockerignore': IGNORE }],
  ['DF04', { Dockerfile: GOOD.replace(/HEALTHCHECK.*\n/, ''), '.dockerignore': IGNORE }],
  ['DF05', { Dockerfile: GOOD.replace('COPY . .', 'ADD . .'), '.dockerignore': IGNORE }],
  ['DF06', { Dockerfile: GOOD.replace('CMD ["node", "/app"]', 'CMD node /app'), '.dockerignore': IGNORE }],
  ['DF07', { Dockerfile: GOOD.replace('USER 10001', 'ENV DB_PASSWORD=hunter2\nUSER 10001'), '.dockerignore': IGNORE }],
  ['DF09', { Dockerfile: GOOD }],
  ['DF10', { Dockerfile: GOOD.replace('# syntax=docker/dockerfile:1\n', ''), '.dockerignore': IGNORE }],
  ['DF13', { Dockerfile: GOOD.replace(/LABEL.*\n/, ''), '.dockerignore': IGNORE }],
];

describe('infra-kit check: Dockerfile rules', () => {
  it('a good Dockerfile has no finding', async () => {
    expect(await dockerfileChecker.check(openRepo(repoWith({ Dockerfile: GOOD, '.dockerignore': IGNORE })))).toEqual([]);
  });
  for (const [rule, files] of failing) {
    it(`${rule}: flags its failing sample, and only that rule`, async () => {
      const findings = await dockerfileChecker.check(openRepo(repoWith(files)));
      expect(findings.map((f) => f.rule)).toEqual([rule]);
    });
  }
  it('every rule the checker declares has a failing sample here', () => {
    expect(Object.keys(dockerfileChecker.rules).sort()).toEqual(failing.map(([r]) => r).sort());
  });
});

describe('infra-kit check, the command', () => {
  it('passes on a freshly rendered kit', async () => {
    const { dir } = renderToDir({ database: 'postgres' });
    const report = await runChecks(dir);
    expect(report.findings.filter((f) => f.level === 'MUST')).toEqual([]);
  });

  it('audits a hand-written repo: one line per finding with file:line, level, rule, fix; exit 1', async () => {
    const root = repoWith({ 'services/api/Dockerfile': 'FROM node\nCMD node index.js\n' });
    const res = await runCli(['check', root]);
    expect(res.exitCode).toBe(1);
    expect(res.stdout).toMatch(/^services\/api\/Dockerfile:1 MUST DF02 FROM node is not pinned to a version \(fix: /m);
    const json = await runCli(['check', root, '--format', 'json']);
    const report = JSON.parse(json.stdout);
    expect(report.must).toBeGreaterThan(0);
    expect(report.findings[0]).toMatchObject({ file: 'services/api/Dockerfile', level: 'MUST' });
  });

  it('--drift exits 1 when an upgrade would change files', async () => {
    const cwd = tempDir();
    await runCli(['.', '--yes', '--name', 'drifty'], { cwd });
    expect((await runCli(['check', '.', '--drift'], { cwd })).exitCode).toBe(0);
    writeFileSync(join(cwd, '.yo-rc.json'), JSON.stringify({ 'create-infra-kit': { version: '0.0.1', answers: { name: 'drifty', port: 4444 } } }));
    const drift = await runCli(['check', '.', '--drift'], { cwd });
    expect(drift.exitCode).toBe(1);
    expect(drift.stdout).toMatch(/drift: the repo differs/);
  });

  it('remembers a clean report until a file changes; --no-cache runs the validators again', async () => {
    const cwd = tempDir();
    expect((await runCli(['.', '--yes', '-q', '--name', 'cached-api'], { cwd })).exitCode).toBe(0);
    const first = await runCli(['check', '.', '--format', 'json'], { cwd });
    expect(first.exitCode).toBe(0);
    const second = await runCli(['check', '.', '--format', 'json'], { cwd });
    const { cached, ...again } = JSON.parse(second.stdout);
    expect(cached).toBe(true);
    expect(again).toEqual(JSON.parse(first.stdout));
    expect((await runCli(['check', '.'], { cwd })).stdout).toMatch(/\(cached: no file changed/);
    expect((await runCli(['check', '.', '--no-cache'], { cwd })).stdout).not.toMatch(/\(cached:/);
    // One byte anywhere invalidates it: the Dockerfile now runs as root, and the next check says so.
    const dockerfile = join(cwd, 'Dockerfile');
    writeFileSync(dockerfile, readFileSync(dockerfile, 'utf8').replace('USER 10001:10001', 'USER root'));
    const edited = await runCli(['check', '.'], { cwd });
    expect(edited.exitCode).toBe(1);
    expect(edited.stdout).toMatch(/^Dockerfile:\d+ MUST DF03 /m);
    expect(edited.stdout).not.toMatch(/\(cached:/);
  });

  it('never remembers a report with a validator that did not run (installing it must count at once)', async () => {
    const cwd = tempDir();
    expect((await runCli(['.', '--yes', '-q', '--name', 'no-tools', '--database', 'postgres'], { cwd })).exitCode).toBe(0);
    const bare = { PATH: dirname(process.execPath) }; // node only: no kubectl, terraform, shellcheck
    const first = await runCli(['check', '.'], { cwd, env: bare });
    expect(first.stdout).toMatch(/not run: /);
    const second = await runCli(['check', '.'], { cwd, env: bare });
    expect(second.stdout).toMatch(/not run: /);
    expect(second.stdout).not.toMatch(/\(cached:/);
  });

  it('bad usage: exit 2', async () => {
    expect((await runCli(['check', '--format', 'xml'])).exitCode).toBe(2);
    expect((await runCli(['check', '/nonexistent/dir'])).exitCode).toBe(2);
  });
});
