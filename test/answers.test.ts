import { describe, expect, it } from 'vitest';
import { requireComplete, resolveAnswers, sourceFromObject, type AnswerSource } from '../src/answers/resolve.js';
import { questionOrder, questions, toAppName } from '../src/answers/schema.js';
import { UsageError } from '../src/errors.js';

const flags = (values: Record<string, unknown>): AnswerSource => ({ name: 'flag', label: (id) => `--${questions[id].flag}`, values });

describe('answers precedence: flags > answers file > stored > detected > defaults', () => {
  const file = sourceFromObject('answers.yml', { port: 4000, name: 'from-file' });
  const stored = sourceFromObject('.yo-rc.json', { port: 5000, name: 'from-store', database: 'postgres' });

  it('takes each answer from the first source that has it', () => {
    const r = resolveAnswers({ sources: [flags({ port: '3001' }), file, stored], detected: { name: 'detected' }, dirName: 'dir-name' });
    expect(r.answers.port).toBe(3001);
    expect(r.origin.port).toBe('flag');
    expect(r.answers.name).toBe('from-file');
    expect(r.answers.database).toBe('postgres');
    expect(r.origin.database).toBe('.yo-rc.json');
    expect(r.answers.healthPath).toBe('/healthz');
    expect(r.origin.healthPath).toBe('default');
  });

  it('prefers detected values over defaults and says so', () => {
    const r = resolveAnswers({ sources: [], detected: { name: 'detected-name', database: 'postgres' }, dirName: 'dir-name' });
    expect(r.answers.name).toBe('detected-name');
    expect(r.origin.name).toBe('detected');
    expect(r.answers.database).toBe('postgres');
  });

  it('falls back to the directory name, and reports a question with no answer at all', () => {
    expect(resolveAnswers({ sources: [], detected: {}, dirName: 'My Service' }).answers.name).toBe('my-service');
    const r = resolveAnswers({ sources: [], detected: {}, dirName: '123' });
    expect(r.missing).toEqual(['name']);
    expect(() => requireComplete(r)).toThrow(/pass --name <app>/);
  });

  it('derives later defaults from earlier answers (region from cloud, port from stack)', () => {
    const r = resolveAnswers({ sources: [], detected: {}, dirName: 'x' });
    expect(r.answers.region).toBe('eu-west-1');
    expect(r.answers.port).toBe(3000);
  });

  it('resolves every question declared in the schema', () => {
    const r = resolveAnswers({ sources: [], detected: {}, dirName: 'x' });
    expect(Object.keys(r.answers).sort()).toEqual([...questionOrder].sort());
  });
});

describe('validation: one clear line naming the value and what is allowed', () => {
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ name: 'Bad_Name' }, /^--name 'Bad_Name' must be 1-38 lowercase letters/],
    [{ name: 'a'.repeat(39) }, /^--name 'a{39}' must be/],
    [{ name: 'x\n: y' }, /^--name 'x\\n: y' must be/],
    [{ port: '80' }, /^--port '80' must be an integer from 1024 to 65535/],
    [{ port: 'abc' }, /^--port 'abc'/],
    [{ cloud: 'ibm' }, /^--cloud 'ibm' must be one of: aws/],
    [{ stack: 'cobol' }, /^--stack 'cobol' must be one of: node/],
    [{ healthPath: 'healthz' }, /^--health-path 'healthz' must be a URL path/],
    [{ healthPath: '/${{ github.token }}' }, /^--health-path/],
    [{ region: 'eu-west-1; rm -rf /' }, /^--region/],
  ];
  for (const [values, message] of bad) {
    it(`rejects ${JSON.stringify(values)}`, () => {
      const run = () => resolveAnswers({ sources: [flags(values)], detected: {}, dirName: 'x' });
      expect(run).toThrow(UsageError);
      expect(run).toThrow(message);
    });
  }

  it('rejects unknown keys in an answers file, naming the allowed ones', () => {
    expect(() => sourceFromObject('answers.yml', { prot: 3000 })).toThrow(/answers.yml: unknown answer 'prot'; allowed: name, stack/);
    expect(() => sourceFromObject('answers.yml', ['name'])).toThrow(/expected a mapping/);
  });

  it('names the file a bad stored answer came from', () => {
    const stored = sourceFromObject('.yo-rc.json', { port: 'x' });
    expect(() => resolveAnswers({ sources: [stored], detected: {}, dirName: 'x' })).toThrow(/^\.yo-rc\.json: port 'x'/);
  });
});

describe('toAppName', () => {
  it.each([
    ['@scope/My_App', 'my-app'],
    ['service', 'service'],
    ['9lives', 'lives'],
    ['---', undefined],
  ])('%s → %s', (raw, expected) => {
    expect(toAppName(raw)).toBe(expected);
  });
});
