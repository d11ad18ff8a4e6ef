/**
 * CI providers and every third-party action the pipelines use, pinned to a full commit SHA (HARDENING CI02).
 * The `version` is what the SHA was tagged as; it is rendered as a trailing comment for humans and Dependabot.
 */
export interface CiProvider {
  readonly id: string;
  readonly label: string;
}

export const ciProviders = {
  github: { id: 'github', label: 'GitHub Actions' },
} as const satisfies Record<string, CiProvider>;

export type CiId = keyof typeof ciProviders;

export interface PinnedAction {
  readonly repo: string;
  readonly sha: string;
  readonly version: string;
}

export const actions = {
  checkout: { repo: 'actions/checkout', sha: '08c6903cd8c0fde910a37f88322edcfb5dd907a8', version: 'v5.0.0' },
  setupNode: { repo: 'actions/setup-node', sha: '49933ea5288caeca8642d1e84afbd3f7d6820020', version: 'v4.4.0' },
  setupBuildx: { repo: 'docker/setup-buildx-action', sha: 'e468171a9de216ec08956ac3ada2f0791b6bd435', version: 'v3.11.1' },
  buildPush: { repo: 'docker/build-push-action', sha: '263435318d21b8e681c14492fe198d362a7d2c83', version: 'v6.18.0' },
  awsCredentials: { repo: 'aws-actions/configure-aws-credentials', sha: 'b47578312673ae6fa5b5096b330d9fbac3d116df', version: 'v4.2.1' },
  ecrLogin: { repo: 'aws-actions/amazon-ecr-login', sha: '062b18b96a7aff071d4dc91bc00c4c1a7945b076', version: 'v2.0.1' },
  trivy: { repo: 'aquasecurity/trivy-action', sha: 'ed142fd0673e97e23eac54620cfb913e5ce36c25', version: 'v0.36.0' },
  setupKubectl: { repo: 'azure/setup-kubectl', sha: '776406bce94f63e41d621b960d78ee25c8b76ede', version: 'v4.0.1' },
} as const satisfies Record<string, PinnedAction>;

/** Trivy scanner image version used by the scan step (the action downloads this release). */
export const trivyVersion = 'v0.67.2';
