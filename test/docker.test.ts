import { DockerfileParser, type Dockerfile } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { renderToMemory } from './helpers/render.js';

/** The MUST rules of HARDENING.md for Dockerfiles, on the parsed file (returns rule ids that fail). */
function dockerfileFindings(src: string): string[] {
  const df: Dockerfile = DockerfileParser.parse(src);
  const findings: string[] = [];
  const froms = df.getFROMs();
  if (froms.length < 2) findings.push('DF01');
  for (const from of froms) {
    const tag = from.getImageTag();
    if (!tag || tag === 'latest') findings.push('DF02');
  }
  const finalStart = froms.at(-1)!.getRange().start.line;
  const final = df.getInstructions().filter((i) => i.getRange().start.line >= finalStart);
  const user = final.filter((i) => i.getKeyword() === 'USER').at(-1)?.getArgumentsContent() ?? '';
  if (!/^[1-9]\d*(:\d+)?$/.test(user)) findings.push('DF03');
  if (!final.some((i) => i.getKeyword() === 'HEALTHCHECK')) findings.push('DF04');
  if (df.getInstructions().some((i) => i.getKeyword() === 'ADD')) findings.push('DF05');
  for (const i of final.filter((x) => ['CMD', 'ENTRYPOINT'].includes(x.getKeyword()))) {
    if (!(i.getArgumentsContent() ?? '').trim().startsWith('[')) findings.push('DF06');
  }
  const secretish = /(PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY)/i;
  for (const i of df.getInstructions().filter((x) => ['ENV', 'ARG'].includes(x.getKeyword()))) {
    if (secretish.test(i.getArgumentsContent() ?? '')) findings.push('DF07');
  }
  // DF08: in the stage that installs, the lockfile is copied before the source and `npm ci` runs between.
  const keywords = df.getInstructions().map((i) => `${i.getKeyword()} ${i.getArgumentsContent() ?? ''}`);
  const lockCopy = keywords.findIndex((k) => k.startsWith('COPY') && k.includes('package-lock.json'));
  const install = keywords.findIndex((k) => k.startsWith('RUN') && /\bnpm ci\b/.test(k));
  const source = keywords.findIndex((k) => /^COPY \. /.test(k));
  if (!(lockCopy >= 0 && lockCopy < install && install < source)) findings.push('DF08');
  return findings;
}

describe('Dockerfile (node)', () => {
  for (const overrides of [{}, { name: 'shop-api', port: 8080, healthPath: '/health/live' }] as const) {
    const files = renderToMemory(overrides, ['docker']);
    const src = files.get('Dockerfile')!;

    it(`parses without errors (${JSON.stringify(overrides)})`, () => {
      const errors = validate(src).filter((d) => d.severity === 1);
      expect(errors).toEqual([]);
    });

    it('meets every MUST rule of HARDENING.md', () => {
      expect(dockerfileFindings(src)).toEqual([]);
    });

    it('starts with the BuildKit syntax line, uses cache mounts, exposes and probes the answered port and path', () => {
      const df = DockerfileParser.parse(src);
      expect(src.split('\n')[0]).toBe('# syntax=docker/dockerfile:1');
      expect(src).toMatch(/--mount=type=cache,target=\/root\/\.npm/);
      const expose = df.getInstructions().find((i) => i.getKeyword() === 'EXPOSE');
      expect(expose?.getArgumentsContent()).toBe(String('port' in overrides ? overrides.port : 3000));
      const health = df.getInstructions().find((i) => i.getKeyword() === 'HEALTHCHECK')!;
      const cmd = JSON.parse(health.getArgumentsContent()!.replace(/^.*?CMD\s+/s, '')) as string[];
      expect(cmd.at(-1)).toContain('healthPath' in overrides ? overrides.healthPath : '/healthz');
    });
  }

  it('the rule checker catches a root, unpinned, shell-form, single-stage Dockerfile', () => {
    const bad = 'FROM node\nADD . /app\nENV API_TOKEN=abc\nCMD node index.js\n';
    expect(dockerfileFindings(bad)).toEqual(expect.arrayContaining(['DF01', 'DF02', 'DF03', 'DF04', 'DF05', 'DF06', 'DF07', 'DF08']));
  });

  it('.dockerignore keeps git, env files, secrets and dependency dirs out of the context (DF09)', () => {
    const lines = renderToMemory({}, ['docker']).get('.dockerignore')!.split('\n');
    for (const entry of ['.git', '.env', '.env.*', 'node_modules', '*.pem', '*.key']) expect(lines).toContain(entry);
    expect(lines).toContain('!.env.example');
  });

  it('the OCI title label is a quoted JSON string (values go through a serializer)', () => {
    const src = renderToMemory({ name: 'shop-api' }, ['docker']).get('Dockerfile')!;
    expect(src).toContain('org.opencontainers.image.title="shop-api"');
  });
});
