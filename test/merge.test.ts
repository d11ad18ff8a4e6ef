import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readStored } from '../src/answers/store.js';
import { commitKit, planKit, type KitPlan } from '../src/kit.js';
import { ensureLines } from '../src/merge/lines.js';
import { MANIFEST_PATH } from '../src/merge/manifest.js';
import type { Answers } from '../src/answers/schema.js';
import type { Piece } from '../src/render/table.js';
import { answersWith, tempDir } from './helpers/render.js';

function run(root: string, answers: Answers, opts: { force?: boolean; pieces?: Piece[] } = {}): KitPlan {
  const plan = planKit({
    root,
    pieces: opts.pieces ?? ['docker', 'compose'],
    answers,
    store: ['name', 'port'],
    stored: readStored(root),
    version: '1.0.0',
    force: opts.force ?? false,
    mode: 'write',
    restore: false,
    conflict: 'markers',
  });
  commitKit(plan);
  return plan;
}
const actionOf = (plan: KitPlan, path: string) => plan.files.find((f) => f.path === path)?.action;

describe('writing policy: never lose a user edit', () => {
  it('creates, then a rerun is a no-op that rewrites nothing', () => {
    const root = tempDir();
    const first = run(root, answersWith());
    expect(actionOf(first, 'Dockerfile')).toBe('create');
    const manifestBefore = readFileSync(join(root, MANIFEST_PATH), 'utf8');
    const second = run(root, answersWith());
    expect(second.files.every((f) => f.action === 'unchanged')).toBe(true);
    expect(readFileSync(join(root, MANIFEST_PATH), 'utf8')).toBe(manifestBefore);
  });

  it('updates a file the user never touched when the answers change', () => {
    const root = tempDir();
    run(root, answersWith({ port: 3000 }));
    const plan = run(root, answersWith({ port: 8080 }));
    expect(actionOf(plan, 'Dockerfile')).toBe('update');
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toContain('EXPOSE 8080');
  });

  it('leaves an edited file alone and reports a conflict; --force overwrites it', () => {
    const root = tempDir();
    run(root, answersWith({ port: 3000 }));
    const edited = `${readFileSync(join(root, 'Dockerfile'), 'utf8')}# my edit\n`;
    writeFileSync(join(root, 'Dockerfile'), edited);
    const plan = run(root, answersWith({ port: 8080 }));
    expect(actionOf(plan, 'Dockerfile')).toBe('conflict');
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toBe(edited);
    run(root, answersWith({ port: 8080 }), { force: true });
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).not.toContain('# my edit');
  });

  it('never overwrites a hand-written file it did not create', () => {
    const root = tempDir();
    writeFileSync(join(root, 'Dockerfile'), 'FROM scratch\n');
    const plan = run(root, answersWith());
    expect(actionOf(plan, 'Dockerfile')).toBe('conflict');
    expect(plan.files.find((f) => f.path === 'Dockerfile')?.reason).toMatch(/not written by infra-kit/);
    expect(readFileSync(join(root, 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
  });

  it('keeps a deleted file deleted unless --force', () => {
    const root = tempDir();
    run(root, answersWith());
    rmSync(join(root, '.dockerignore'));
    expect(actionOf(run(root, answersWith()), '.dockerignore')).toBe('kept-deleted');
    expect(existsSync(join(root, '.dockerignore'))).toBe(false);
    run(root, answersWith(), { force: true });
    expect(existsSync(join(root, '.dockerignore'))).toBe(true);
  });

  it('adds its .gitignore lines to the user’s file without touching theirs', () => {
    const root = tempDir();
    writeFileSync(join(root, '.gitignore'), 'node_modules\n.env\n');
    run(root, answersWith());
    const lines = readFileSync(join(root, '.gitignore'), 'utf8').split('\n');
    expect(lines.slice(0, 2)).toEqual(['node_modules', '.env']);
    expect(lines.filter((l) => l === '.env')).toHaveLength(1);
    expect(lines).toContain('*.tfstate');
    expect(actionOf(run(root, answersWith()), '.gitignore')).toBe('unchanged');
  });

  it('keeps other generators’ keys in .yo-rc.json and stores only the answers it decided', () => {
    const root = tempDir();
    writeFileSync(join(root, '.yo-rc.json'), JSON.stringify({ 'generator-other': { x: 1 } }));
    run(root, answersWith({ name: 'shop-api' }));
    const rc = JSON.parse(readFileSync(join(root, '.yo-rc.json'), 'utf8'));
    expect(rc['generator-other']).toEqual({ x: 1 });
    expect(rc['create-infra-kit']).toEqual({ version: '1.0.0', answers: { name: 'shop-api', port: 3000 } });
  });

  it('leaves no temp files behind and records a base for every rendered file', () => {
    const root = tempDir();
    const plan = run(root, answersWith());
    const all = readdirSync(root, { recursive: true }) as string[];
    expect(all.filter((f) => f.includes('.infra-kit-') && f.endsWith('.tmp'))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(root, MANIFEST_PATH), 'utf8'));
    const recorded = plan.files.filter((f) => f.rendered !== undefined).map((f) => f.path).sort();
    expect(Object.keys(manifest.files).sort()).toEqual(recorded);
    const bases = JSON.parse(readFileSync(join(root, '.infra-kit/base.json'), 'utf8'));
    expect(Object.keys(bases).sort()).toEqual(recorded);
    for (const path of recorded) expect(bases[path]).toBe(readFileSync(join(root, path), 'utf8'));
  });
});

describe('ensureLines', () => {
  it('appends only missing lines, under our header', () => {
    expect(ensureLines('a\n', '# ours\na\nb\n')).toBe('a\n\n# ours\nb\n');
    expect(ensureLines('a', '# ours\nb\n')).toBe('a\n\n# ours\nb\n');
    expect(ensureLines(undefined, '# ours\nb\n')).toBe('# ours\nb\n');
    expect(ensureLines('b\n', '# ours\nb\n')).toBe('b\n');
  });
});
