/** Dockerfile rules (HARDENING DF*), on the parsed file: dockerfile-utils for syntax, dockerfile-ast for structure. */
import { posix } from 'node:path';
import { SYNTAX_RULE, type Checker, type Finding, type Repo, type Rule } from './types.js';

const rules: Record<string, Rule> = {
  'DF-SYNTAX': SYNTAX_RULE,
  DF01: { level: 'MUST', why: 'build tools in the final image grow its attack surface', fix: 'build in a named builder stage; copy only artifacts into the final stage' },
  DF02: { level: 'MUST', why: 'an unpinned base image changes under you', fix: 'pin every FROM to an exact version tag (or a digest)' },
  DF03: { level: 'MUST', why: 'a root process turns any container escape into host root', fix: 'end the final stage with `USER <numeric uid>` (e.g. USER 10001)' },
  DF04: { level: 'MUST', why: 'without a health check a hung process keeps receiving traffic', fix: 'add HEALTHCHECK, or a comment saying the orchestrator probes instead' },
  DF05: { level: 'MUST', why: 'ADD fetches URLs and auto-extracts archives', fix: 'use COPY' },
  DF06: { level: 'MUST', why: 'shell-form CMD/ENTRYPOINT runs under /bin/sh, which does not forward SIGTERM', fix: 'use the exec form: CMD ["executable", "arg"]' },
  DF07: { level: 'MUST', why: 'ENV and ARG values are baked into image layers and history', fix: 'pass secrets with RUN --mount=type=secret' },
  DF09: { level: 'MUST', why: 'without it the build context ships .git, .env files and keys', fix: 'add a .dockerignore excluding .git, .env*, keys, build output and dependency dirs' },
  DF10: { level: 'SHOULD', why: 'BuildKit cache mounts keep rebuilds fast', fix: 'start with `# syntax=docker/dockerfile:1` and use RUN --mount=type=cache for the package manager' },
  DF13: { level: 'SHOULD', why: 'OCI labels link an image to its source and revision', fix: 'add LABEL org.opencontainers.image.source, .revision and .version' },
};

const SECRETISH = /(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|PRIVATE_KEY|ACCESS_KEY)/i;
const DOCKERIGNORE_MUST = ['.git', '.env'];

export const dockerfileChecker: Checker = {
  name: 'dockerfile',
  rules,
  async check(repo: Repo): Promise<Finding[]> {
    const paths = repo.files.filter((f) => /(^|\/)(Dockerfile|[^/]+\.Dockerfile|Dockerfile\.[^/]+)$/.test(f) && !f.endsWith('.ejs'));
    if (paths.length === 0) return [];
    const [{ DockerfileParser }, { validate }] = await Promise.all([import('dockerfile-ast'), import('dockerfile-utils')]);
    const findings: Finding[] = [];
    for (const file of paths) {
      const src = repo.read(file);
      const at = (line: number, rule: string, message: string) => findings.push({ file, line, rule, message });
      for (const d of validate(src).filter((x) => x.severity === 1)) at(d.range.start.line + 1, 'DF-SYNTAX', String(d.message));
      const df = DockerfileParser.parse(src);
      const froms = df.getFROMs();
      if (froms.length === 0) continue;
      if (froms.length < 2) at(1, 'DF01', 'single-stage build: the final image carries the build toolchain');
      const stageNames = new Set(froms.map((f) => f.getBuildStage()).filter((n): n is string => Boolean(n)));
      for (const from of froms) {
        const image = from.getImageName() ?? '';
        if (stageNames.has(image) || image === 'scratch') continue;
        const tag = from.getImageTag();
        if (!from.getImageDigest() && (!tag || tag === 'latest')) at(from.getRange().start.line + 1, 'DF02', `FROM ${from.getImage() ?? ''} is not pinned to a version`);
      }
      const finalStart = froms.at(-1)!.getRange().start.line;
      const instructions = df.getInstructions();
      const final = instructions.filter((i) => i.getRange().start.line >= finalStart);
      const user = final.filter((i) => i.getKeyword() === 'USER').at(-1);
      const uid = user?.getArgumentsContent()?.split(':')[0] ?? '';
      if (!/^[1-9]\d*$/.test(uid)) at(user ? user.getRange().start.line + 1 : finalStart + 1, 'DF03', user ? `USER ${user.getArgumentsContent()} is not a numeric non-root UID` : 'the final stage runs as root (no USER)');
      const probesElsewhere = df.getComments().some((c) => c.getRange().start.line >= finalStart && /orchestrator|probe/i.test(c.getContent()));
      if (!final.some((i) => i.getKeyword() === 'HEALTHCHECK') && !probesElsewhere) at(finalStart + 1, 'DF04', 'the final stage has no HEALTHCHECK');
      for (const i of instructions) {
        const line = i.getRange().start.line + 1;
        const args = i.getArgumentsContent() ?? '';
        if (i.getKeyword() === 'ADD') at(line, 'DF05', 'ADD instead of COPY');
        if ((i.getKeyword() === 'CMD' || i.getKeyword() === 'ENTRYPOINT') && i.getRange().start.line >= finalStart && !args.trim().startsWith('[')) at(line, 'DF06', `${i.getKeyword()} in shell form`);
        if ((i.getKeyword() === 'ENV' || i.getKeyword() === 'ARG') && SECRETISH.test(args.split(/[=\s]/)[0] ?? '')) at(line, 'DF07', `${i.getKeyword()} ${args.split(/[=\s]/)[0]} looks like a secret`);
      }
      if (!src.startsWith('# syntax=docker/dockerfile:1') || !/--mount=type=cache/.test(src)) at(1, 'DF10', 'no BuildKit syntax line or cache mount');
      if (!final.some((i) => i.getKeyword() === 'LABEL' && (i.getArgumentsContent() ?? '').includes('org.opencontainers.image.source'))) at(finalStart + 1, 'DF13', 'no OCI source label');
      const ignore = posix.join(posix.dirname(file), '.dockerignore');
      if (!repo.files.includes(ignore)) at(0, 'DF09', `no ${ignore} next to it`);
      else {
        const entries = repo.read(ignore).split('\n').map((l) => l.trim());
        const missing = DOCKERIGNORE_MUST.filter((e) => !entries.includes(e));
        if (missing.length > 0) findings.push({ file: ignore, line: 0, rule: 'DF09', message: `does not exclude ${missing.join(', ')}` });
      }
    }
    return findings;
  },
};
