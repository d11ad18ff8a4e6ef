/**
 * `infra-kit check` for docker-compose, shell scripts and docs: a GOOD sample with no finding, failing samples
 * that trigger one rule only, every declared rule covered (CI checkers: test/check-ci.test.ts).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { composeChecker, HEALTHCHECK_EXEMPT, ignoresDotEnv } from '../src/check/compose.js';
import { docsChecker, headingSections } from '../src/check/docs.js';
import { formatText, runChecks } from '../src/check/run.js';
import { shellChecker } from '../src/check/shell.js';
import { edit, findings, repoWith, ruleTests } from './helpers/rule-samples.js';
import { hasCommand } from './helpers/validators.js';

// ---------- docker-compose ----------

const COMPOSE = `services:
  app:
    build: .
    read_only: true
    tmpfs: [/tmp]
    env_file: [.env]
    environment:
      DATABASE_URL: "postgres://app:\${POSTGRES_PASSWORD:?see .env.example}@db:5432/app"
    depends_on:
      db:
        condition: service_healthy
    ports: ["127.0.0.1:3000:3000"]
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    healthcheck:
      test: ["CMD", "wget", "-qO-", "http://127.0.0.1:3000/healthz"]
      interval: 10s
    deploy:
      resources:
        limits: {memory: 512M}
  worker:
    build: .
    read_only: true
    cap_drop: [ALL]
    security_opt: ["no-new-privileges:true"]
    ${HEALTHCHECK_EXEMPT}: "distroless image: no shell; Kubernetes probes it over HTTP"
    mem_limit: 256m
  db:
    image: postgres:17.6-bookworm
    environment:
      POSTGRES_PASSWORD: "\${POSTGRES_PASSWORD:?see .env.example}"
    ports: ["127.0.0.1:5432:5432"]
    volumes: [db-data:/var/lib/postgresql/data]
    cap_drop: [ALL]
    cap_add: [CHOWN, SETUID, SETGID]
    security_opt: ["no-new-privileges:true"]
    healthcheck:
      test: ["CMD-SHELL", "pg_isready -U \\"$\${POSTGRES_USER}\\""]
      interval: 5s
    mem_limit: 1g
volumes:
  db-data:
`;
const compose = (from: string | RegExp, to: string) => ({ 'docker-compose.yml': edit(COMPOSE, [from, to]), '.gitignore': '.env\n.env.*\n!.env.example\n' });

describe('infra-kit check: docker-compose', () => {
  ruleTests(composeChecker, { 'docker-compose.yml': COMPOSE, '.gitignore': '.env\n' }, [
    ['DC-SYNTAX', 'an unknown service key (compose-spec schema)', compose('    read_only: true\n    tmpfs', '    read_only: true\n    restrat: always\n    tmpfs')],
    ['DC-SYNTAX', 'a YAML syntax error', { 'compose.yaml': 'services:\n  app: [\n' }],
    ['DC01', 'a literal password', compose('"${POSTGRES_PASSWORD:?see .env.example}"', 'hunter2')],
    ['DC01', 'a literal default for a secret', compose('"${POSTGRES_PASSWORD:?see .env.example}"', '"${POSTGRES_PASSWORD:-postgres}"')],
    ['DC01', 'a URL with an inline password', compose('${POSTGRES_PASSWORD:?see .env.example}@db', 'hunter2@db')],
    ['DC01', '.env read but not git-ignored', { 'docker-compose.yml': COMPOSE, '.gitignore': 'node_modules\n' }],
    ['DC02', 'a service without healthcheck', compose(/    healthcheck:\n      test: \["CMD-SHELL".*\n      interval: 5s\n/, '')],
    ['DC02', 'depends on the database without service_healthy', compose('      db:\n        condition: service_healthy', '      - db')],
    ['DC02', 'an exemption without a reason', compose(/"distroless image[^"]*"/, '""')],
    ['DC03', 'an image on latest', compose('postgres:17.6-bookworm', 'postgres:latest')],
    ['DC03', 'an untagged image', compose('postgres:17.6-bookworm', 'postgres')],
    ['DC04', 'no no-new-privileges', compose(/(  db:[\s\S]*?)    security_opt: \["no-new-privileges:true"\]\n/, '$1')],
    ['DC04', 'capabilities kept', compose(/(  db:[\s\S]*?)    cap_drop: \[ALL\]\n/, '$1')],
    ['DC04', 'the app filesystem writable', compose('    build: .\n    read_only: true\n    tmpfs', '    build: .\n    tmpfs')],
    ['DC04', 'privileged', compose('    mem_limit: 256m', '    mem_limit: 256m\n    privileged: true')],
    ['DC05', 'no memory limit', compose('    mem_limit: 1g\n', '')],
    ['DC05', 'a database port on every interface', compose('"127.0.0.1:5432:5432"', '"5432:5432"')],
    ['DC05', 'database data in a bind mount', compose('db-data:/var/lib/postgresql/data', './data:/var/lib/postgresql/data')],
  ]);

  it('reports file:line of the offending key', async () => {
    const [f] = await findings(composeChecker, compose('postgres:17.6-bookworm', 'postgres:latest'));
    expect(f).toMatchObject({ file: 'docker-compose.yml', rule: 'DC03', line: COMPOSE.split('\n').findIndex((l) => l.includes('postgres:17.6')) + 1 });
  });

  it('an override file is judged for what it sets, not for what it leaves to the base file', async () => {
    const base = { 'docker-compose.yml': COMPOSE, '.gitignore': '.env\n' };
    const dev = 'services:\n  app:\n    ports: ["127.0.0.1:9229:9229"]\n  db:\n    mem_limit: 2g\n';
    expect(await findings(composeChecker, { ...base, 'docker-compose.override.yml': dev })).toEqual([]);
    const prod = 'services:\n  app:\n    image: app:1.0.0\n    read_only: false\n  db:\n    ports: ["5432:5432"]\n  cache:\n    image: redis:7.4.1\n';
    const found = await findings(composeChecker, { ...base, 'docker-compose.prod.yml': prod });
    expect(found.map((f) => `${f.line} ${f.rule} ${f.message}`)).toEqual([
      '4 DC04 app: built here but its filesystem is writable (read_only: true)',
      '6 DC05 db: database port 5432:5432 is published on every interface',
      '7 DC02 cache: no healthcheck (nor x-healthcheck-exempt: "<reason>")',
      '7 DC04 cache: no security_opt no-new-privileges:true',
      '7 DC04 cache: capabilities not dropped (cap_drop: [ALL])',
      '7 DC05 cache: no memory limit',
    ]);
  });

  it('reads .gitignore patterns the way git does for `.env`', () => {
    for (const yes of ['.env', '/.env', '.env*', '*.env', '.env\n!.env.example']) expect(ignoresDotEnv(yes), yes).toBe(true);
    for (const no of ['.env.*', '.env.local', 'config/.env', '.env\n!.env', '# .env']) expect(ignoresDotEnv(no), no).toBe(false);
  });
});

// ---------- shell scripts ----------

describe.skipIf(!hasCommand('shellcheck'))('infra-kit check: shell scripts (ShellCheck)', () => {
  ruleTests(shellChecker, { 'scripts/ok.sh': '#!/bin/sh\nset -eu\nprintf "%s\\n" "$1"\n' }, [
    ['SH01', 'a syntax error', { 'scripts/bad.sh': '#!/bin/sh\nif [ -f x ]; then\n  echo x\n' }],
    ['SH02', 'a warning (cd without a fallback)', { 'scripts/cd.sh': '#!/bin/sh\ncd "$1"\nls\n' }],
  ]);

  it('names the file and line', async () => {
    const [f] = await findings(shellChecker, { 'a b/cd.sh': '#!/bin/sh\n\ncd "$1"\nls\n' });
    expect(f).toMatchObject({ file: 'a b/cd.sh', line: 3, rule: 'SH02', message: expect.stringMatching(/^SC2164: /) });
  });
});

describe('infra-kit check: a validator that is not installed', () => {
  it('without shellcheck on PATH the scripts are skipped and the summary says so', async () => {
    const root = repoWith({ 'run.sh': '#!/bin/sh\ncd $1\n' });
    const path = process.env.PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), 'infra-kit-empty-path-'));
    try {
      const report = await runChecks(root);
      expect(report.findings).toEqual([]);
      expect(report.skipped).toEqual(['shellcheck (not on PATH: 1 shell script not checked)']);
      expect(formatText(report)).toBe('ok: 1 files checked, no findings; not run: shellcheck (not on PATH: 1 shell script not checked)');
    } finally {
      process.env.PATH = path;
    }
  });
});

// ---------- docs ----------

const RUNBOOK = `# Runbook

## Deploy

\`\`\`sh
kubectl apply -k kubernetes/overlays/staging
\`\`\`

## Rollback

\`\`\`sh
kubectl rollout undo deployment/app
\`\`\`

## Scaling

### By hand

\`\`\`bash
kubectl scale deployment/app --replicas 4
\`\`\`

## Incident response

\`\`\`sh
# ## not a heading: inside a code block
kubectl get events
\`\`\`
`;
const BACKUP = '\n## Backup and restore\n\n```sh\npg_dump "$DATABASE_URL" > backup.sql\n```\n';
const POSTMORTEM = `# Postmortem: <title>

This postmortem is blameless.

## Summary

## Impact

## Timeline

| Time (UTC) | Event |
| --- | --- |

## Root cause and trigger

## Action items

| Action | Owner | Due |
| --- | --- | --- |
`;
const WITH_DB = { 'docker-compose.yml': 'services:\n  db:\n    image: postgres:17.6-bookworm\n' };

describe('infra-kit check: docs', () => {
  ruleTests(docsChecker, { 'docs/runbook.md': RUNBOOK, 'docs/postmortem-template.md': POSTMORTEM }, [
    ['DOC01', 'no rollback section', { 'docs/runbook.md': RUNBOOK.replace('## Rollback', '## Notes') }],
    ['DOC01', 'a section without commands', { 'docs/runbook.md': RUNBOOK.replace('```bash\nkubectl scale deployment/app --replicas 4\n```\n', 'Ask the platform team.\n') }],
    ['DOC01', 'a heading inside a code block does not count', { 'docs/runbook.md': RUNBOOK.replace(/## Incident response\n\n/, '```sh\n') }],
    ['DOC01', 'a database but no backup section', { 'docs/runbook.md': RUNBOOK, ...WITH_DB }],
    ['DOC02', 'no timeline', { 'docs/postmortem-template.md': POSTMORTEM.replace('## Timeline', '## Events') }],
    ['DOC02', 'action items without owner and due', { 'docs/postmortem-template.md': POSTMORTEM.replace('| Action | Owner | Due |', '| Action | Ticket | Status |') }],
    ['DOC02', 'not blameless', { 'docs/postmortem-template.md': POSTMORTEM.replace('This postmortem is blameless.', 'Find who did it.') }],
  ]);

  it('with a database, a runbook with a backup section passes', async () => {
    expect(await findings(docsChecker, { 'docs/runbook.md': RUNBOOK + BACKUP, ...WITH_DB })).toEqual([]);
  });

  it('splits sections by heading level, ignoring code blocks', () => {
    expect(headingSections(RUNBOOK).map((s) => `${s.level} ${s.title} @${s.line}`)).toEqual(['1 Runbook @1', '2 Deploy @3', '2 Rollback @9', '2 Scaling @15', '3 By hand @17', '2 Incident response @23']);
    expect(headingSections(RUNBOOK).find((s) => s.title === 'Scaling')!.body).toContain('--replicas 4');
  });
});
