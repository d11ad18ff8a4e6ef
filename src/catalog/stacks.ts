/**
 * Language stacks and their package-manager variants. Every image, version and command a Dockerfile or a
 * pipeline uses for a stack lives here, so that one edit (or one Renovate/Dependabot bump) changes it
 * everywhere; templates only read these fields.
 *
 * Image tags were checked against the registries' own tag lists (Docker official images library files,
 * dotnet-docker's README, distroless digests pulled by multi-arch builds): bump tag and comment together.
 */
import type { actions } from './ci.js';


/** The images one language version builds and runs on. */
export interface StackImages {
  /** Builder: the full toolchain. */
  readonly build: string;
  /** Runtime: the smallest image that runs the app. */
  readonly runtime: string;
  /** Builders that differ by variant (java: the Maven and Gradle images), by variant id. */
  readonly buildByVariant?: Readonly<Record<string, string>>;
}

// Debian 13 (trixie) builders with the same glibc as their runtime; distroless has no version tags, so it is
// pinned by the multi-arch index digest of its `nonroot` tag (tag kept for humans and Renovate).
const DISTROLESS_STATIC = 'gcr.io/distroless/static-debian13:nonroot@sha256:f7f8f729987ad0fdf6b05eeeae94b26e6a0f613bdf46feea7fc40f7bd72953e6';
const DISTROLESS_CC = 'gcr.io/distroless/cc-debian13:nonroot@sha256:54df941ed0d06a1bd95ef5e0ce391fd8d9f94b64782dc9a60062727849ee3f97';

const node = {
  '22': { build: 'node:22.23.2-trixie', runtime: 'node:22.23.2-trixie-slim' },
  '24': { build: 'node:24.19.0-trixie', runtime: 'node:24.19.0-trixie-slim' },
} as const satisfies Record<string, StackImages>;

const python = {
  '3.11': { build: 'python:3.11.16-trixie', runtime: 'python:3.11.16-slim-trixie' },
  '3.12': { build: 'python:3.12.14-trixie', runtime: 'python:3.12.14-slim-trixie' },
  '3.13': { build: 'python:3.13.15-trixie', runtime: 'python:3.13.15-slim-trixie' },
  '3.14': { build: 'python:3.14.7-trixie', runtime: 'python:3.14.7-slim-trixie' },
} as const satisfies Record<string, StackImages>;

const go = {
  '1.26': { build: 'golang:1.26.7-trixie', runtime: DISTROLESS_STATIC },
  '1.27': { build: 'golang:1.27.0-trixie', runtime: DISTROLESS_STATIC },
} as const satisfies Record<string, StackImages>;

/** JDK (wrappers download their own Maven/Gradle), Maven and Gradle builders; a JRE-only runtime. */
const javaImages = (jdk: string, temurin: string) => ({
  build: `eclipse-temurin:${temurin}-jdk-noble`,
  runtime: `eclipse-temurin:${temurin}-jre-noble`,
  buildByVariant: { maven: `maven:3.9.16-eclipse-temurin-${jdk}-noble`, gradle: `gradle:9.7.1-jdk${jdk}-noble` },
}) as const;
const java = {
  '17': javaImages('17', '17.0.20_8'),
  '21': javaImages('21', '21.0.12_8'),
  '25': javaImages('25', '25.0.4_7'),
} as const satisfies Record<string, StackImages>;

const rust = {
  '1.98': { build: 'rust:1.98.0-trixie', runtime: DISTROLESS_CC },
} as const satisfies Record<string, StackImages>;

const dotnet = {
  '8.0': { build: 'mcr.microsoft.com/dotnet/sdk:8.0.424-noble', runtime: 'mcr.microsoft.com/dotnet/aspnet:8.0.30-noble-chiseled' },
  '10.0': { build: 'mcr.microsoft.com/dotnet/sdk:10.0.400-noble', runtime: 'mcr.microsoft.com/dotnet/aspnet:10.0.11-noble-chiseled' },
} as const satisfies Record<string, StackImages>;

/** The shell commands and tooling a pipeline uses for one variant (e.g. node + npm). */
export interface StackCi {
  /** GitHub setup step: a key of `actions` in catalog/ci.ts and its `with:` inputs. */
  readonly setup: { readonly action: keyof typeof actions; readonly with: Readonly<Record<string, string>> };
  /** Pinned image for GitLab jobs that run the stack's tools. */
  readonly image: string;
  readonly install: string;
  readonly lint: string;
  /** Omitted when the stack has no separate type-check step (the compiler runs in `test`/build). */
  readonly typecheck?: string;
  readonly test: string;
  /** Directories worth caching between runs (GitLab `cache:paths`). */
  readonly cachePaths: readonly string[];
}

export interface StackVariant {
  readonly id: string;
  readonly label: string;
  /** Files whose presence proposes this variant; the first is the lockfile used for cache keys. */
  readonly lockfiles: readonly string[];
  readonly ci: StackCi;
  /** Dependabot ecosystem when it differs from the stack's (uv, gradle). */
  readonly dependabotEcosystem?: string;
  /** Build-tool wrapper committed to the repo (./mvnw, ./gradlew): the Dockerfile copies it before resolving. */
  readonly wrapper?: { readonly script: string; readonly dir: string };
  /** How the Dockerfile runs the variant's build tool, flags included (java: `./mvnw -B -ntp`). */
  readonly command?: string;
  /** The pinned tool the Dockerfile installs: a pip requirement (`poetry==…`) or an image to copy it from (uv). */
  readonly pin?: string;
}

/** argv run inside the runtime image to probe `http://127.0.0.1:<port><path>` (exit 0 = healthy). */
export type HealthcheckArgv = (port: number, path: string) => readonly string[];

/**
 * The stack's usual database migration tool. `command` is the default `--migrate-command`: an argv run from
 * the app image's working directory (Kubernetes Job, compose `migrate`) with DATABASE_URL set; the image
 * must ship what `requires` says, since infra-kit cannot see the app's code.
 */
export interface StackMigration {
  readonly tool: string;
  readonly docs: string;
  readonly command: string;
  readonly requires: string;
  /** Where the tool records applied migrations: the runbook's restore check counts its rows. */
  readonly historyTable: string;
  /**
   * The same argv run from a CI checkout after the variant's install (CI's test job migrates its throwaway
   * database): the image's program becomes the stack's source runner; any other command runs as it is.
   */
  readonly fromCheckout: (argv: readonly string[], variant: StackVariant) => readonly string[];
}

/** `argv` without the image program `program` (a prefix of words), or undefined when it does not start so. */
const after = (argv: readonly string[], program: readonly string[]): readonly string[] | undefined =>
  program.every((word, i) => argv[i] === word) ? argv.slice(program.length) : undefined;

export interface Stack {
  readonly id: string;
  readonly label: string;
  /** Builder image of the default language version: full toolchain. Exact version tag, never `latest`. */
  readonly buildImage: string;
  /** Runtime image of the default language version: smallest image that can run the app. */
  readonly runtimeImage: string;
  /** Default language version: a key of `versions` (and the version setup-* actions install in CI). */
  readonly languageVersion: string;
  /** Every language version the catalog can pin, by the key detection normalises to ('22', '3.13', '1.27'…). */
  readonly versions: Readonly<Record<string, StackImages>>;
  /** Where a repo pins its language version (what detection reads), for comments and the README. */
  readonly pinnedIn: string;
  readonly defaultPort: number;
  /** Files whose presence proposes this stack. */
  readonly markers: readonly string[];
  /** Dependabot `package-ecosystem` for the stack's dependencies (a variant may override it). */
  readonly dependabotEcosystem: string;
  readonly variants: Readonly<Record<string, StackVariant>>;
  readonly defaultVariant: string;
  /**
   * HEALTHCHECK / compose healthcheck, exec form, or null when the runtime image has no shell and no HTTP
   * client (distroless, chiseled): then the orchestrator probes over HTTP instead.
   */
  readonly healthcheck: HealthcheckArgv | null;
  /** The runtime image has /bin/sh and coreutils: exec probes and `preStop: exec: sleep` work in it. */
  readonly runtimeShell: boolean;
  /** Database migrations when the app has a database (`--migrate-command` defaults to `migration.command`). */
  readonly migration: StackMigration;
}

/** Run a package.json script only when it exists (yarn 2+ fails on a missing script). */
const ifScript = (script: string, run: string) =>
  `if node -e "process.exit(require('./package.json').scripts?.${script} ? 0 : 1)"; then ${run}; fi`;

// The default language version of each stack: its images, and the version CI's setup step installs.
const NODE = '24';
const PYTHON = '3.13';
const GO = '1.27';
const JAVA = '21';
const RUST = '1.98';
const DOTNET = '10.0';

const RUFF = 'ruff==0.15.18';
const POETRY = 'poetry==2.4.1';
const UV = '0.12.19';
/** uv as a pinned image: the Dockerfile copies its static binary out of it. */
const uvImage = `ghcr.io/astral-sh/uv:${UV}`;

/** A node variant: pnpm and yarn come from Corepack (bundled with Node 22/24) at the version package.json pins. */
function nodeVariant(id: string, label: string, lockfiles: readonly string[], ci: Omit<StackCi, 'setup' | 'image'>): StackVariant {
  // setup-node's `cache:` needs the tool on PATH before `corepack enable` has run: npm only.
  const cache: Record<string, string> = id === 'npm' ? { cache: 'npm', 'cache-dependency-path': lockfiles[0]! } : {};
  return { id, label, lockfiles, ci: { setup: { action: 'setupNode', with: { 'node-version': NODE, ...cache } }, image: node[NODE].build, ...ci } };
}

/** A Python variant: ruff (pinned, run without installing it into the project) lints every one. */
function pythonVariant(id: string, label: string, lockfiles: readonly string[], extra: Partial<StackVariant>, ci: Pick<StackCi, 'setup' | 'install' | 'test'> & Partial<StackCi>): StackVariant {
  return {
    id,
    label,
    lockfiles,
    ...extra,
    ci: { image: python[PYTHON].build, lint: `pipx run --spec ${RUFF} ruff check .`, cachePaths: [`.cache/${id === 'pip' ? 'pip' : id === 'poetry' ? 'pypoetry' : 'uv'}/`], ...ci },
  };
}

/** A Maven or Gradle variant: the same steps, run by the tool or by its committed wrapper. */
function jvmVariant(id: string, label: string, lockfiles: readonly string[], tool: string, image: string, wrapper?: StackVariant['wrapper']): StackVariant {
  const maven = tool.includes('mvn');
  return {
    id,
    label,
    lockfiles,
    ...(maven ? {} : { dependabotEcosystem: 'gradle' }),
    ...(wrapper ? { wrapper } : {}),
    command: tool,
    ci: {
      setup: { action: 'setupJava', with: { distribution: 'temurin', 'java-version': JAVA, cache: maven ? 'maven' : 'gradle' } },
      image,
      install: maven ? `${tool} dependency:go-offline` : `${tool} dependencies`,
      // Maven has no lint phase of its own: validate checks the POM; plugins bound to verify run in test.
      lint: maven ? `${tool} validate` : `${tool} check -x test`,
      test: maven ? `${tool} verify` : `${tool} test`,
      cachePaths: maven ? ['.m2/repository/'] : ['.gradle/caches/', '.gradle/wrapper/'],
    },
  };
}

/** The fields every stack derives from its default version's images. */
const defaults = <V extends Record<string, StackImages>>(versions: V, version: keyof V & string) =>
  ({ buildImage: versions[version]!.build, runtimeImage: versions[version]!.runtime, languageVersion: version, versions }) as const;

export const stacks = {
  node: {
    id: 'node',
    label: 'Node.js',
    ...defaults(node, NODE),
    pinnedIn: '.nvmrc, .node-version, package.json engines.node',
    defaultPort: 3000,
    markers: ['package.json'],
    dependabotEcosystem: 'npm',
    defaultVariant: 'npm',
    // node:*-slim has no curl/wget: probe with node itself.
    healthcheck: (port, path) => ['node', '-e', `fetch('http://127.0.0.1:${port}${path}').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    runtimeShell: true,
    migration: {
      tool: 'node-pg-migrate',
      docs: 'https://salsita.github.io/node-pg-migrate/',
      // node_modules/.bin exists in the image and after every variant's install (yarn: nodeLinker node-modules).
      command: 'node_modules/.bin/node-pg-migrate up',
      requires: 'node-pg-migrate in "dependencies" (the image prunes devDependencies) and the migrations/ folder; Prisma instead: node_modules/.bin/prisma migrate deploy',
      historyTable: 'pgmigrations',
      fromCheckout: (argv) => argv,
    },
    variants: {
      npm: nodeVariant('npm', 'npm', ['package-lock.json', 'npm-shrinkwrap.json'], {
        install: 'npm ci', lint: 'npm run lint --if-present', typecheck: 'npm run typecheck --if-present', test: 'npm test', cachePaths: ['.npm/'],
      }),
      pnpm: nodeVariant('pnpm', 'pnpm (Corepack)', ['pnpm-lock.yaml'], {
        install: 'corepack enable && pnpm install --frozen-lockfile', lint: 'pnpm run --if-present lint', typecheck: 'pnpm run --if-present typecheck', test: 'pnpm test', cachePaths: ['.pnpm-store/'],
      }),
      yarn: nodeVariant('yarn', 'Yarn 2+ (Corepack)', ['yarn.lock'], {
        install: 'corepack enable && yarn install --immutable', lint: ifScript('lint', 'yarn run lint'), typecheck: ifScript('typecheck', 'yarn run typecheck'), test: 'yarn test', cachePaths: ['.yarn/cache/'],
      }),
    },
  },
  python: {
    id: 'python',
    label: 'Python',
    ...defaults(python, PYTHON),
    pinnedIn: '.python-version, pyproject.toml requires-python',
    defaultPort: 8000,
    markers: ['pyproject.toml', 'requirements.txt', 'uv.lock', 'poetry.lock'],
    dependabotEcosystem: 'pip',
    defaultVariant: 'pip',
    // python:*-slim has no curl: urllib raises on a non-2xx answer or a refused connection, exiting 1.
    healthcheck: (port, path) => ['python', '-c', `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${port}${path}', timeout=4)`],
    runtimeShell: true,
    migration: {
      tool: 'Alembic',
      docs: 'https://alembic.sqlalchemy.org/',
      command: 'alembic upgrade head',
      requires: 'alembic as a dependency, alembic.ini and the migrations folder in the image, and an env.py that reads DATABASE_URL',
      historyTable: 'alembic_version',
      // Poetry and uv install into their own environment: run through it, as the variant's test command does.
      fromCheckout: (argv, variant) => (variant.id === 'poetry' ? ['poetry', 'run', ...argv] : variant.id === 'uv' ? ['uv', 'run', '--locked', ...argv] : argv),
    },
    variants: {
      pip: pythonVariant('pip', 'pip + requirements.txt', ['requirements.txt'], {}, {
        setup: { action: 'setupPython', with: { 'python-version': PYTHON, cache: 'pip', 'cache-dependency-path': 'requirements*.txt' } },
        install: 'python -m pip install -r requirements.txt && if [ -f requirements-dev.txt ]; then python -m pip install -r requirements-dev.txt; fi',
        test: 'python -m pytest',
      }),
      poetry: pythonVariant('poetry', 'Poetry', ['poetry.lock'], { pin: POETRY }, {
        setup: { action: 'setupPython', with: { 'python-version': PYTHON } },
        install: `pipx install ${POETRY} && poetry install --no-interaction`,
        test: 'poetry run pytest',
      }),
      uv: pythonVariant('uv', 'uv', ['uv.lock'], { pin: uvImage, dependabotEcosystem: 'uv' }, {
        setup: { action: 'setupUv', with: { version: UV, 'python-version': PYTHON, 'enable-cache': 'true' } },
        image: `${uvImage}-python${PYTHON}-trixie-slim`,
        install: 'uv sync --locked',
        lint: `uvx ${RUFF.replace('==', '@')} check .`,
        test: 'uv run pytest',
      }),
    },
  },
  go: {
    id: 'go',
    label: 'Go',
    ...defaults(go, GO),
    pinnedIn: 'go.mod go/toolchain directives',
    defaultPort: 8080,
    markers: ['go.mod'],
    dependabotEcosystem: 'gomod',
    defaultVariant: 'gomod',
    healthcheck: null, // distroless static: no shell, no HTTP client
    runtimeShell: false,
    migration: {
      tool: 'golang-migrate',
      docs: 'https://github.com/golang-migrate/migrate',
      // Distroless has no migrate CLI: the binary runs golang-migrate (library, migrations embedded) itself.
      command: '/app/server migrate up',
      requires: 'a `migrate up` subcommand in the binary that runs github.com/golang-migrate/migrate/v4 with its migrations embedded (iofs) against DATABASE_URL',
      historyTable: 'schema_migrations',
      fromCheckout: (argv) => { const rest = after(argv, ['/app/server']); return rest ? ['go', 'run', '.', ...rest] : argv; },
    },
    variants: {
      gomod: {
        id: 'gomod',
        label: 'Go modules',
        lockfiles: ['go.sum', 'go.mod'],
        ci: {
          setup: { action: 'setupGo', with: { 'go-version': GO, 'cache-dependency-path': 'go.sum' } },
          image: go[GO].build,
          install: 'go mod download',
          lint: 'test -z "$(gofmt -l .)" && go vet ./...',
          test: 'go test -race ./...',
          cachePaths: ['.go/pkg/mod/'],
        },
      },
    },
  },
  java: {
    id: 'java',
    label: 'Java',
    ...defaults(java, JAVA),
    pinnedIn: 'pom.xml maven.compiler.release / java.version, Gradle toolchain, .java-version',
    defaultPort: 8080,
    markers: ['pom.xml', 'build.gradle', 'build.gradle.kts', 'settings.gradle', 'settings.gradle.kts'],
    dependabotEcosystem: 'maven',
    defaultVariant: 'maven',
    // The Temurin JRE image (Ubuntu) has bash but no curl/wget: one HTTP/1.0 GET over bash's /dev/tcp.
    healthcheck: (port, path) => ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port} && printf 'GET ${path} HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '`],
    runtimeShell: true,
    migration: {
      tool: 'Flyway',
      docs: 'https://documentation.red-gate.com/flyway',
      // Spring Boot runs Flyway while it starts; without a web server it then exits.
      command: 'java -jar application.jar --spring.main.web-application-type=none',
      requires: 'Spring Boot with flyway-core and flyway-database-postgresql, migrations in db/migration, and a datasource built from DATABASE_URL; no other long-running beans',
      historyTable: 'flyway_schema_history',
      fromCheckout: (argv, variant) => {
        const rest = after(argv, ['java', '-jar', 'application.jar']);
        if (!rest) return argv;
        const tool = (variant.command ?? 'mvn -B -ntp').split(' ');
        return variant.id.startsWith('gradle') ? [...tool, 'bootRun', `--args=${rest.join(' ')}`] : [...tool, 'spring-boot:run', `-Dspring-boot.run.arguments=${rest.join(' ')}`];
      },
    },
    variants: {
      maven: jvmVariant('maven', 'Maven', ['pom.xml'], 'mvn -B -ntp', java[JAVA].buildByVariant.maven),
      mvnw: jvmVariant('mvnw', 'Maven wrapper (./mvnw)', ['pom.xml', 'mvnw'], './mvnw -B -ntp', java[JAVA].build, { script: 'mvnw', dir: '.mvn' }),
      gradle: jvmVariant('gradle', 'Gradle', ['build.gradle.kts', 'build.gradle'], 'gradle --no-daemon', java[JAVA].buildByVariant.gradle),
      gradlew: jvmVariant('gradlew', 'Gradle wrapper (./gradlew)', ['build.gradle.kts', 'build.gradle', 'gradlew'], './gradlew --no-daemon', java[JAVA].build, { script: 'gradlew', dir: 'gradle' }),
    },
  },
  rust: {
    id: 'rust',
    label: 'Rust',
    ...defaults(rust, RUST),
    pinnedIn: 'rust-toolchain.toml, Cargo.toml rust-version',
    defaultPort: 8080,
    markers: ['Cargo.toml'],
    dependabotEcosystem: 'cargo',
    defaultVariant: 'cargo',
    healthcheck: null, // distroless cc: no shell, no HTTP client
    runtimeShell: false,
    migration: {
      tool: 'sqlx',
      docs: 'https://github.com/launchbadge/sqlx/tree/main/sqlx-cli',
      // Distroless has no sqlx CLI: the binary applies sqlx::migrate!() (migrations compiled in) itself.
      command: '/app/server migrate',
      requires: 'a `migrate` subcommand in the binary that runs sqlx::migrate!() against DATABASE_URL',
      historyTable: '_sqlx_migrations',
      fromCheckout: (argv) => { const rest = after(argv, ['/app/server']); return rest ? ['cargo', 'run', '--locked', '--', ...rest] : argv; },
    },
    variants: {
      cargo: {
        id: 'cargo',
        label: 'Cargo',
        lockfiles: ['Cargo.lock'],
        ci: {
          setup: { action: 'setupRust', with: { toolchain: rust[RUST].build.replace(/^rust:([\d.]+)-.*$/, '$1'), components: 'clippy, rustfmt' } },
          image: rust[RUST].build,
          install: 'cargo fetch --locked',
          lint: 'cargo fmt --all --check && cargo clippy --locked --all-targets -- -D warnings',
          test: 'cargo test --locked',
          cachePaths: ['.cargo/registry/', 'target/'],
        },
      },
    },
  },
  dotnet: {
    id: 'dotnet',
    label: '.NET (ASP.NET Core)',
    ...defaults(dotnet, DOTNET),
    pinnedIn: '*.csproj TargetFramework, global.json',
    defaultPort: 8080,
    markers: ['*.csproj'],
    dependabotEcosystem: 'nuget',
    defaultVariant: 'dotnet',
    healthcheck: null, // chiseled: no shell, no HTTP client
    runtimeShell: false,
    migration: {
      tool: 'EF Core migrations bundle',
      docs: 'https://learn.microsoft.com/ef/core/managing-schemas/migrations/applying#bundles',
      command: '/app/efbundle',
      requires: 'a self-contained bundle built with `dotnet ef migrations bundle --self-contained -r linux-x64 -o efbundle` and copied to /app; it uses the connection string the app builds from DATABASE_URL',
      historyTable: '__EFMigrationsHistory',
      // From source the same migrations apply with the dotnet-ef local tool (.config/dotnet-tools.json).
      fromCheckout: (argv) => {
        const rest = after(argv, ['/app/efbundle']);
        return rest ? ['sh', '-c', 'dotnet tool restore && dotnet ef database update "$@"', 'efbundle', ...rest] : argv;
      },
    },
    variants: {
      dotnet: {
        id: 'dotnet',
        label: 'dotnet CLI (NuGet)',
        lockfiles: ['packages.lock.json'],
        ci: {
          setup: { action: 'setupDotnet', with: { 'dotnet-version': `${DOTNET}.x` } },
          image: dotnet[DOTNET].build,
          install: 'dotnet restore',
          lint: 'dotnet format --verify-no-changes --no-restore',
          test: 'dotnet test --no-restore',
          cachePaths: ['.nuget/packages/'],
        },
      },
    },
  },
} as const satisfies Record<string, Stack>;

export type StackId = keyof typeof stacks;
/** Every variant id of every stack (they are unique across stacks: `--variant uv` names one). */
export type VariantId = { [S in StackId]: keyof (typeof stacks)[S]['variants'] & string }[StackId];

/** The variant as a render sees it: the catalog entry plus what it resolves to for one language version. */
export interface ResolvedVariant extends StackVariant {
  readonly dependabotEcosystem: string;
  readonly languageVersion: string;
  readonly images: { readonly build: string; readonly runtime: string };
}

/**
 * The images and ecosystem for a variant at a language version; a version the catalog cannot pin (or none)
 * resolves to the stack's default version.
 */
export function resolveVariant(stack: Stack, variant: StackVariant, languageVersion?: string): ResolvedVariant {
  const version = languageVersion !== undefined && languageVersion in stack.versions ? languageVersion : stack.languageVersion;
  const images = stack.versions[version]!;
  // CI installs the same version the images carry: the catalog writes setup inputs and the GitLab job image
  // for the default version; swap them for the chosen one.
  const defaults = stack.versions[stack.languageVersion]!;
  const build = images.buildByVariant?.[variant.id] ?? images.build;
  const defaultBuild = defaults.buildByVariant?.[variant.id] ?? defaults.build;
  const swap = (value: string) =>
    value === stack.languageVersion ? version : value === `${stack.languageVersion}.x` ? `${version}.x` : value === defaultBuild ? build : value;
  const ci = {
    ...variant.ci,
    image: swap(variant.ci.image),
    setup: { ...variant.ci.setup, with: Object.fromEntries(Object.entries(variant.ci.setup.with).map(([k, v]) => [k, swap(v)])) },
  };
  return {
    ...variant,
    ci,
    dependabotEcosystem: variant.dependabotEcosystem ?? stack.dependabotEcosystem,
    languageVersion: version,
    images: { build, runtime: images.runtime },
  };
}

/** The stack whose variants include `id`, if any. */
export function stackOfVariant(id: string): StackId | undefined {
  return (Object.keys(stacks) as StackId[]).find((s) => id in stacks[s].variants);
}
