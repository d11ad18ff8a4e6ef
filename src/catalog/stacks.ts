/**
 * Language stacks. Every image and version a Dockerfile or pipeline uses lives here, so that one edit
 * (or one Renovate/Dependabot bump) changes it everywhere.
 */
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
}

export const stacks = {
  node: {
    id: 'node',
    label: 'Node.js (npm)',
    buildImage: 'node:22.21.1-bookworm-slim',
    runtimeImage: 'node:22.21.1-bookworm-slim',
    languageVersion: '22',
    defaultPort: 3000,
    markers: ['package.json'],
  },
} as const satisfies Record<string, Stack>;

export type StackId = keyof typeof stacks;
