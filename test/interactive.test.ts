/**
 * The interactive flow in a real terminal: tmux runs the built bin in a pseudo-terminal, send-keys types,
 * capture-pane reads the screen (what a person sees).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN } from './helpers/cli.js';
import { tempDir } from './helpers/render.js';
import { hasCommand } from './helpers/validators.js';

let runs = 0;
let session = '';
const tmux = (...args: string[]) => execFileSync('tmux', args, { encoding: 'utf8' });
const screen = () => tmux('capture-pane', '-p', '-J', '-t', session);

async function waitFor(pattern: RegExp, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen();
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; screen:\n${text}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function start(cwd: string, args: string): void {
  runs += 1;
  session = `infra-kit-test-${process.pid}-${runs}`;
  const exitFile = join(cwd, '..', `${session}.exit`);
  const command = `cd '${cwd}' && NO_COLOR=1 '${process.execPath}' '${BIN}' ${args}; echo $? > '${exitFile}'; sleep 60`;
  tmux('new-session', '-d', '-s', session, '-x', '200', '-y', '50', command);
}
async function exitCode(cwd: string): Promise<string> {
  const file = join(cwd, '..', `${session}.exit`);
  for (let i = 0; i < 50 && !existsSync(file); i += 1) await new Promise((r) => setTimeout(r, 100));
  return readFileSync(file, 'utf8').trim();
}

describe.skipIf(!hasCommand('tmux'))('interactive run in a real terminal', () => {
  afterEach(() => {
    spawnSync('tmux', ['kill-session', '-t', session]);
  });

  it('asks with detected defaults, takes arrow keys and Enter, writes the kit and summarises it', async () => {
    const repo = join(tempDir(), 'repo');
    execFileSync('mkdir', ['-p', repo]);
    writeFileSync(join(repo, 'package.json'), JSON.stringify({ name: 'pty-app' }));
    start(repo, 'new .');
    await waitFor(/App name \(detected from package\.json\)/);
    tmux('send-keys', '-t', session, 'Enter');
    // Walk the remaining prompts: accept each default, except the database (arrow down to postgres) and the
    // port (typed).
    for (let i = 0; i < 20; i += 1) {
      const text = await waitFor(/(\? .*$)|(^done: )/m);
      if (/^done: /m.test(text)) break;
      const last = text.trimEnd().split('\n').filter((l) => l.startsWith('? ')).at(-1) ?? '';
      if (/Database/.test(last)) {
        expect(text).toMatch(/❯ none/);
        tmux('send-keys', '-t', session, 'Down');
        await waitFor(/❯ postgres/);
      }
      if (/Port the app listens on/.test(last)) tmux('send-keys', '-t', session, 'C-u', '8088');
      tmux('send-keys', '-t', session, 'Enter');
      await new Promise((r) => setTimeout(r, 150));
    }
    const final = await waitFor(/^Next steps:/m);
    expect(final).toMatch(/\+ create\s+docker\s+.*Dockerfile/);
    expect(await exitCode(repo)).toBe('0');
    expect(readFileSync(join(repo, 'Dockerfile'), 'utf8')).toContain('EXPOSE 8088');
    expect(readFileSync(join(repo, 'docker-compose.yml'), 'utf8')).toContain('postgres');
    const rc = JSON.parse(readFileSync(join(repo, '.yo-rc.json'), 'utf8'));
    expect(rc['create-infra-kit'].answers).toMatchObject({ name: 'pty-app', port: 8088, database: 'postgres' });
  });

  it('Ctrl-C mid-way exits 130, says so, and writes nothing', async () => {
    const repo = join(tempDir(), 'repo');
    execFileSync('mkdir', ['-p', repo]);
    writeFileSync(join(repo, 'package.json'), '{"name":"cancel-me"}');
    start(repo, 'new .');
    await waitFor(/App name/);
    tmux('send-keys', '-t', session, 'Enter');
    await waitFor(/Language stack/);
    tmux('send-keys', '-t', session, 'C-c');
    const text = await waitFor(/cancelled: nothing was written/);
    expect(text).not.toMatch(/\n\s+at /);
    expect(await exitCode(repo)).toBe('130');
    expect(readdirSync(repo)).toEqual(['package.json']);
    expect(existsSync(join(repo, '.yo-rc.json'))).toBe(false);
  });
});
