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

/**
 * Each SHA is the commit its release tag points to (checked with `git rev-parse <tag>^{commit}` on the action's
 * repository, and that the commit is on the default or a release branch). Bump SHA and version together.
 */
export const actions = {
  checkout: { repo: 'actions/checkout', sha: '3d3c42e5aac5ba805825da76410c181273ba90b1', version: 'v7.0.1' },
  setupNode: { repo: 'actions/setup-node', sha: '820762786026740c76f36085b0efc47a31fe5020', version: 'v7.0.0' },
  uploadArtifact: { repo: 'actions/upload-artifact', sha: 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f', version: 'v7.0.0' },
  downloadArtifact: { repo: 'actions/download-artifact', sha: '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c', version: 'v8.0.1' },
  setupBuildx: { repo: 'docker/setup-buildx-action', sha: '37fe631027851001ddb9b187196cc803df7f5f0e', version: 'v4.3.0' },
  buildPush: { repo: 'docker/build-push-action', sha: '53b7df96c91f9c12dcc8a07bcb9ccacbed38856a', version: 'v7.3.0' },
  awsCredentials: { repo: 'aws-actions/configure-aws-credentials', sha: 'e6de054238d6b7531b4efff3b6587d9aade6a06c', version: 'v6.2.3' },
  ecrLogin: { repo: 'aws-actions/amazon-ecr-login', sha: '03f1aad4c6c7ffd436567f42f9384779290529bd', version: 'v2.1.7' },
  trivy: { repo: 'aquasecurity/trivy-action', sha: 'ed142fd0673e97e23eac54620cfb913e5ce36c25', version: 'v0.36.0' },
  sbom: { repo: 'anchore/sbom-action', sha: 'e22c389904149dbc22b58101806040fa8d37a610', version: 'v0.24.0' },
  cosignInstaller: { repo: 'sigstore/cosign-installer', sha: '6f9f17788090df1f26f669e9d70d6ae9567deba6', version: 'v4.1.2' },
  setupKubectl: { repo: 'azure/setup-kubectl', sha: '829323503d1be3d00ca8346e5391ca0b07a9ab0d', version: 'v5.1.0' },
} as const satisfies Record<string, PinnedAction>;

/** Trivy release the scan step installs: the default of the pinned trivy-action release (v0.36.0). */
export const trivyVersion = 'v0.70.0';
