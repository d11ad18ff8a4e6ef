import { DockerfileParser, type Dockerfile, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { resolveVariant, stacks, type StackId, type VariantId } from '../src/catalog/stacks.js';
import { renderToMemory } from './helpers/render.js';

/** Every stack × variant of the catalog: the matrix each Dockerfile rule must hold in. */
const cells = (Object.keys(stacks) as StackId[]).flatMap((stack) =>
  Object.keys(stacks[stack].variants).map((variant) => ({ stack, variant: variant as VariantId })),
);

/** DF08 per variant: which COPY brings the lockfile, which RUN installs from it. */
const LOCKED_INSTALL: Record<VariantId, { lock: RegExp; install: RegExp }> = {
  npm: { lock: /\bpackage-lock\.json\b/, install: /\bnpm ci\b/ },
  pnpm: { lock: /\bpnpm-lock\.yaml\b/, install: /\bpnpm install --frozen-lockfile\b/ },
  yarn: { lock: /\byarn\.lock\b/, install: /\byarn install --immutable\b/ },
  pip: { lock: /\brequirements\.txt\b/, install: /\bpip install -r requirements\.txt\b/ },
  poetry: { lock: /\bpoetry\.lock\b/, install: /\bpoetry install\b/ },
  uv: { lock: /\buv\.lock\b/, install: /\buv sync --locked\b/ },
  gomod: { lock: /\bgo\.sum\b/, install: /\bgo mod download\b/ },
  maven: { lock: /\bpom\.xml\b/, install: /\bdependency:go-offline\b/ },
  mvnw: { lock: /\bpom\.xml\b/, install: /\.\/mvnw .*dependency:go-offline\b/ },
  gradle: { lock: /\bbuild\.gradle\*/, install: /\bgradle --no-daemon dependencies\b/ },
  gradlew: { lock: /\bbuild\.gradle\*/, install: /\.\/gradlew --no-daemon dependencies\b/ },
  cargo: { lock: /\bCargo\.lock\b/, install: /\bcargo fetch --locked\b/ },
  dotnet: { lock: /\*\.csproj .*packages\.lock\.json/, install: /\bdotnet restore\b.*--locked-mode/ },
};

/** An exact version tag (node:24.19.0-trixie-slim) or a digest; never latest, never untagged. */
function pinned(image: string): boolean {
  const m = /^(?<name>[^@\s]+?)(?::(?<tag>[\w][\w.-]*))?(?:@sha256:(?<digest>[0-9a-f]{64}))?$/.exec(image);
  const tag = m?.groups?.tag;
  return Boolean(m?.groups?.digest || (tag && tag !== 'latest' && /\d+\.\d+/.test(tag)));
}

const text = (i: Instruction) => `${i.getKeyword()} ${i.getArgumentsContent() ?? ''}`;

/** The MUST rules of HARDENING.md for Dockerfiles, on the parsed file (returns rule ids that fail). */
function dockerfileFindings(src: string, variant?: VariantId): string[] {
  const df: Dockerfile = DockerfileParser.parse(src);
  const findings = new Set<string>();
  const froms = df.getFROMs();
  if (froms.length < 2) findings.add('DF01');
  const stages = new Set(froms.map((f) => f.getBuildStage()).filter(Boolean));
  for (const from of froms) if (!stages.has(from.getImageName()) && !pinned(from.getImage() ?? '')) findings.add('DF02');
  // COPY --from=<image> pulls an image too (uv's binary): pinned like a FROM.
  for (const copy of df.getCOPYs()) {
    const source = copy.getFromFlag()?.getValue() ?? '';
    if (/[/:]/.test(source) && !pinned(source)) findings.add('DF02');
  }
  const finalStart = froms.at(-1)!.getRange().start.line;
  const all = df.getInstructions();
  const final = all.filter((i) => i.getRange().start.line >= finalStart);
  const user = final.filter((i) => i.getKeyword() === 'USER').at(-1)?.getArgumentsContent() ?? '';
  if (!/^[1-9]\d*(:[1-9]\d*)?$/.test(user)) findings.add('DF03');
  const probesElsewhere = df.getComments().some((c) => c.getRange().start.line >= finalStart && /orchestrator probes/i.test(c.getContent()));
  if (!final.some((i) => i.getKeyword() === 'HEALTHCHECK') && !probesElsewhere) findings.add('DF04');
  if (all.some((i) => i.getKeyword() === 'ADD')) findings.add('DF05');
  for (const i of final.filter((x) => ['CMD', 'ENTRYPOINT'].includes(x.getKeyword()))) {
    try {
      if (!Array.isArray(JSON.parse(i.getArgumentsContent() ?? ''))) findings.add('DF06');
    } catch {
      findings.add('DF06');
    }
  }
  for (const i of all.filter((x) => ['ENV', 'ARG'].includes(x.getKeyword()))) {
    if (/(PASSWORD|SECRET|TOKEN|API_KEY|PRIVATE_KEY)/i.test(i.getArgumentsContent() ?? '')) findings.add('DF07');
  }
  // DF08: in the build stage, the lockfile is copied before the source, and the locked install runs between.
  const rule = variant ? LOCKED_INSTALL[variant] : LOCKED_INSTALL.npm;
  const lines = all.filter((i) => i.getRange().start.line < finalStart).map(text);
  const lockCopy = lines.findIndex((l) => l.startsWith('COPY') && rule.lock.test(l));
  const install = lines.findIndex((l, n) => n > lockCopy && l.startsWith('RUN') && rule.install.test(l.replace(/\\\n/g, ' ')));
  const source = lines.findIndex((l) => /^COPY \. /.test(l));
  if (!(lockCopy >= 0 && lockCopy < install && install < source)) findings.add('DF08');
  return [...findings];
}

function render(overrides: Partial<Answers>) {
  const files = renderToMemory(overrides, ['docker']);
  return { src: files.get('Dockerfile')!, ignore: files.get('.dockerignore')!.split('\n') };
}

describe.each(cells)('Dockerfile $stack / $variant', ({ stack, variant }) => {
  const { src, ignore } = render({ stack, variant });
  const df = DockerfileParser.parse(src);
  const catalog = stacks[stack];
  const resolved = resolveVariant(catalog, catalog.variants[variant as keyof typeof catalog.variants]);

  it('parses without errors (dockerfile-utils)', () => {
    expect(validate(src).filter((d) => d.severity === 1)).toEqual([]);
  });

  it('meets every MUST rule of HARDENING.md', () => {
    expect(dockerfileFindings(src, variant)).toEqual([]);
  });

  it('builds on the catalog images of the variant and runs on the runtime image', () => {
    const froms = df.getFROMs().map((f) => f.getImage());
    expect(froms[0]).toBe(resolved.images.build);
    expect(froms.at(-1)).toBe(resolved.images.runtime);
  });

  it('SHOULD rules: BuildKit syntax line and cache mounts, OCI labels, no cd, EXPOSE = the app port', () => {
    expect(src.split('\n')[0]).toBe('# syntax=docker/dockerfile:1');
    expect(df.getInstructions().some((i) => i.getKeyword() === 'RUN' && /--mount=type=cache,/.test(i.getTextContent()))).toBe(true);
    const labels = df.getInstructions().filter((i) => i.getKeyword() === 'LABEL').map((i) => i.getArgumentsContent() ?? '').join(' ');
    for (const key of ['source', 'revision', 'version']) expect(labels).toContain(`org.opencontainers.image.${key}=`);
    expect(df.getInstructions().filter((i) => i.getKeyword() === 'RUN').map(text).join('\n')).not.toMatch(/(^|&&|;)\s*cd /m);
    expect(df.getInstructions().filter((i) => i.getKeyword() === 'EXPOSE').map((i) => i.getArgumentsContent())).toEqual([String(catalog.defaultPort)]);
    for (const w of df.getInstructions().filter((i) => i.getKeyword() === 'WORKDIR')) expect(w.getArgumentsContent()).toMatch(/^\//);
  });

  it('HEALTHCHECK runs the catalog probe when the runtime image can, else says the orchestrator probes', () => {
    const health = df.getInstructions().find((i) => i.getKeyword() === 'HEALTHCHECK');
    if (catalog.healthcheck) {
      const cmd = JSON.parse(health!.getArgumentsContent()!.replace(/^.*?CMD\s+/s, '')) as string[];
      expect(cmd).toEqual(catalog.healthcheck(catalog.defaultPort, '/healthz'));
    } else {
      expect(health).toBeUndefined();
      expect(src).toMatch(/orchestrator probes\n# \/healthz on port \d+/);
    }
  });

  it('.dockerignore keeps git, env files, secrets and the stack\'s local build output out (DF09)', () => {
    for (const entry of ['.git', '.env', '.env.*', '*.pem', '*.key', '!.env.example']) expect(ignore).toContain(entry);
    const local: Record<StackId, string> = { node: 'node_modules', python: '.venv', go: 'bin', java: 'target', rust: 'target', dotnet: '**/obj' };
    expect(ignore).toContain(local[stack]);
  });
});

describe('Dockerfile answers', () => {
  it.each(cells)('$stack / $variant exposes, sets and probes the answered port and path', ({ stack, variant }) => {
    const { src } = render({ stack, variant, name: 'shop-api', port: 9090, healthPath: '/health/live' });
    const df = DockerfileParser.parse(src);
    expect(df.getInstructions().find((i) => i.getKeyword() === 'EXPOSE')?.getArgumentsContent()).toBe('9090');
    expect(src).toMatch(/(PORT|SERVER_PORT|UVICORN_PORT|ASPNETCORE_HTTP_PORTS)=9090\b/);
    expect(src).toContain('/health/live');
    expect(src).toContain('org.opencontainers.image.title="shop-api"');
  });

  it('the rule checker catches a root, unpinned, shell-form, single-stage Dockerfile', () => {
    const bad = 'FROM node\nADD . /app\nENV API_TOKEN=abc\nCMD node index.js\n';
    expect(dockerfileFindings(bad)).toEqual(expect.arrayContaining(['DF01', 'DF02', 'DF03', 'DF04', 'DF05', 'DF06', 'DF07', 'DF08']));
  });

  it('the rule checker catches a floating tag, an unpinned COPY --from image and a source copied before the lockfile', () => {
    const src = [
      'FROM python:3.13 AS build',
      'COPY --from=ghcr.io/astral-sh/uv:latest /uv /bin/',
      'COPY . .',
      'COPY pyproject.toml uv.lock ./',
      'RUN uv sync --locked',
      'FROM gcr.io/distroless/static-debian13:nonroot',
      'USER 10001',
      '# the orchestrator probes /healthz',
      'ENTRYPOINT ["/app/server"]',
    ].join('\n');
    expect(dockerfileFindings(src, 'uv').sort()).toEqual(['DF02', 'DF08']);
  });
});
