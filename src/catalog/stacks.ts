/**
 * Language stacks and their package-manager variants. Every image, version and command a Dockerfile or a
 * pipeline uses for a stack lives here, so that one edit (or one Renovate/Dependabot bump) changes it
 * everywhere; templates only read these fields.
 */
import type { actions } from './ci.js';

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
}

export interface Stack {
  readonly id: string;
  readonly label: string;
  /** Builder image: full toolchain. Exact version tag, never `latest`. */
  readonly buildImage: string;
  /** Runtime image: smallest image that can run the app. Exact version tag. */
  readonly runtimeImage: string;
  /** Major version, for setup-* actions in CI. */
  readonly languageVersion: string;
  readonly defaultPort: number;
  /** Files whose presence proposes this stack. */
  readonly markers: readonly string[];
  /** Dependabot `package-ecosystem` for the stack's dependencies. */
  readonly dependabotEcosystem: string;
  readonly variants: Readonly<Record<string, StackVariant>>;
  readonly defaultVariant: string;
}

export const stacks = {
  node: {
    id: 'node',
    label: 'Node.js',
    buildImage: 'node:22.21.1-bookworm-slim',
    runtimeImage: 'node:22.21.1-bookworm-slim',
    languageVersion: '22',
    defaultPort: 3000,
    markers: ['package.json'],
    dependabotEcosystem: 'npm',
    defaultVariant: 'npm',
    variants: {
      npm: {
        id: 'npm',
        label: 'npm',
        lockfiles: ['package-lock.json'],
        ci: {
          setup: { action: 'setupNode', with: { 'node-version': '22', cache: 'npm', 'cache-dependency-path': 'package-lock.json' } },
          image: 'node:22.21.1-bookworm-slim',
          install: 'npm ci',
          lint: 'npm run lint --if-present',
          typecheck: 'npm run typecheck --if-present',
          test: 'npm test',
          cachePaths: ['.npm/'],
        },
      },
    },
  },
} as const satisfies Record<string, Stack>;

export type StackId = keyof typeof stacks;
