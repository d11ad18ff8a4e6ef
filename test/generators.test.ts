import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import helpers from 'yeoman-test';
import { describe, expect, it } from 'vitest';
import AppGenerator from '../generators/app/index.js';
import DockerGenerator from '../generators/docker/index.js';
import { execFileSync } from 'node:child_process';
import { BIN, runCli, snapshotTree } from './helpers/cli.js';
import { tempDir } from './helpers/render.js';

const withoutRecord = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([k]) => !k.startsWith('.infra-kit/')));

describe('Yeoman generators (thin adapters over the engine)', () => {
  it('app: stubbed prompt answers render the same bytes as the non-interactive CLI', async () => {
    const answers = { name: 'shop-api', stack: 'node', cloud: 'aws', region: 'eu-central-1', orchestrator: 'kubernetes', ci: 'github', database: 'postgres', port: '8080', healthPath: '/ready' };
    const result = await helpers.run(AppGenerator).withAnswers(answers);
    const viaYeoman = snapshotTree(result.cwd);
    expect(Object.keys(viaYeoman)).toContain('Dockerfile');
    expect(viaYeoman['Dockerfile']).toContain('EXPOSE 8080');

    const cwd = tempDir();
    const cli = await runCli(['out', '--yes', '--name', 'shop-api', '--region', 'eu-central-1', '--database', 'postgres', '--port', '8080', '--health-path', '/ready'], { cwd });
    expect(cli.exitCode).toBe(0);
    expect(viaYeoman).toEqual(snapshotTree(join(cwd, 'out')));
  });

  it('a prompt answer is validated by the schema like a flag', async () => {
    await expect(helpers.run(DockerGenerator).withAnswers({ name: 'Bad Name' })).rejects.toThrow(/must be 1-38 lowercase/);
  });

  it('docker: asks only its own questions and reuses stored answers', async () => {
    const result = await helpers
      .run(DockerGenerator)
      // Our engine reads the real disk (not yeoman-test's mem-fs): put the stored answers there.
      .inTmpDir((dir) => writeFileSync(join(dir, '.yo-rc.json'), JSON.stringify({ 'create-infra-kit': { version: '0.0.1', answers: { name: 'stored-app', port: 9090 } } })))
      .withAnswers({ stack: 'node', variant: 'npm', languageVersion: '24', healthPath: '/healthz' });
    const asked = (result.askedQuestions as unknown as { name: string }[]).map((q) => q.name);
    // Its own questions, then the one confirmation of the plan before writing.
    expect(asked.sort()).toEqual(['healthPath', 'languageVersion', 'stack', 'variant', 'write']);
    result.assertFileContent('Dockerfile', /EXPOSE 9090/);
    result.assertNoFile('docker-compose.yml');
    expect(withoutRecord(snapshotTree(result.cwd))['.yo-rc.json']).toContain('"name": "stored-app"');
  });
});

describe('upgrade generator', () => {
  it('re-renders with the stored answers and asks no question, only to confirm the plan', async () => {
    const { default: UpgradeGenerator } = await import('../generators/upgrade/index.js');
    const result = await helpers
      .run(UpgradeGenerator)
      .inTmpDir((dir) => {
        // Synchronous: yeoman-test does not wait for an async setup callback.
        execFileSync(process.execPath, [BIN, '.', '--yes', '--name', 'up-app'], { cwd: dir, stdio: 'ignore' });
        writeFileSync(join(dir, 'Dockerfile'), readFileSync(join(dir, 'Dockerfile'), 'utf8').replace('# syntax=docker/dockerfile:1', '# syntax=docker/dockerfile:1\n# mine'));
      })
      // yeoman-test passes Yeoman's own --force by default; an upgrade must run without it.
      .withOptions({ port: '9191', force: false });
    expect(result.askedQuestions).toEqual([{ name: 'write', answer: true }]);
    // Read the disk: the engine writes there, not into yeoman-test's in-memory fs.
    const dockerfile = readFileSync(join(result.cwd, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('# mine');
    expect(dockerfile).toContain('EXPOSE 9191');
  });
});

describe('conflicts in an interactive run: an explicit choice per file', () => {
  const handWritten = 'FROM scratch\n';
  for (const [choice, expected] of [
    ['keep', handWritten],
    ['take', 'AS build'],
  ] as const) {
    it(`${choice}: the person's choice decides the file`, async () => {
      const result = await helpers
        .run(DockerGenerator)
        .inTmpDir((dir) => writeFileSync(join(dir, 'Dockerfile'), handWritten))
        .withOptions({ force: false })
        .withAnswers({ name: 'chooser', choice });
      const dockerfile = readFileSync(join(result.cwd, 'Dockerfile'), 'utf8');
      expect(dockerfile).toContain(expected);
      expect((result.askedQuestions as unknown as { name: string }[]).map((q) => q.name)).toContain('choice');
    });
  }

  it('merge: an edited file merges with the new render', async () => {
    const result = await helpers
      .run(DockerGenerator)
      .inTmpDir((dir) => {
        execFileSync(process.execPath, [BIN, 'docker', '.', '--yes', '--name', 'merger', '--port', '3000'], { cwd: dir, stdio: 'ignore' });
        const path = join(dir, 'Dockerfile');
        writeFileSync(path, readFileSync(path, 'utf8').replace('# syntax=docker/dockerfile:1', '# syntax=docker/dockerfile:1\n# mine'));
      })
      .withOptions({ force: false, port: '5000' })
      .withAnswers({ choice: 'merge' });
    const dockerfile = readFileSync(join(result.cwd, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('# mine');
    expect(dockerfile).toContain('EXPOSE 5000');
  });
});

describe('only the questions that matter', () => {
  for (const database of ['none', 'postgres'] as const) {
    it(`the migration command is asked only with a database (database: ${database})`, async () => {
      const result = await helpers.run(AppGenerator).withAnswers({ name: 'when-app', database });
      const asked = (result.askedQuestions as unknown as { name: string }[]).map((q) => q.name);
      expect(asked.includes('migrateCommand')).toBe(database === 'postgres');
      expect(asked).toContain('port');
    });
  }
});
