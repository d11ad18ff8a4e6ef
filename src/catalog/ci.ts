/**
 * CI providers, every third-party action the GitHub workflows use (pinned to a full commit SHA, HARDENING
 * CI02) and every image and tool the GitLab pipeline uses (pinned to an exact version).
 * The `version` is what the SHA was tagged as; it is rendered as a trailing comment for humans and Dependabot.
 */
export interface CiProvider {
  readonly id: string;
  readonly label: string;
}

export const ciProviders = {
  github: { id: 'github', label: 'GitHub Actions' },
  gitlab: { id: 'gitlab', label: 'GitLab CI/CD' },
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
 * `setup*` entries are the stacks' setup steps (catalog/stacks.ts `ci.setup.action` names one of them).
 */
export const actions = {
  checkout: { repo: 'actions/checkout', sha: '3d3c42e5aac5ba805825da76410c181273ba90b1', version: 'v7.0.1' },
  setupNode: { repo: 'actions/setup-node', sha: '820762786026740c76f36085b0efc47a31fe5020', version: 'v7.0.0' },
  setupPython: { repo: 'actions/setup-python', sha: '5fda3b95a4ea91299a34e894583c3862153e4b97', version: 'v7.0.0' },
  setupUv: { repo: 'astral-sh/setup-uv', sha: '20cfd1bf945f4377ade1205e4dbc17946fc9a30d', version: 'v10.0.1' },
  setupGo: { repo: 'actions/setup-go', sha: 'b7ad1dad31e06c5925ef5d2fc7ad053ef454303e', version: 'v7.0.0' },
  setupJava: { repo: 'actions/setup-java', sha: 'b6effb05e454b25005698d916606bdc6ffcbf961', version: 'v5.7.0' },
  setupDotnet: { repo: 'actions/setup-dotnet', sha: 'a98b56852c35b8e3190ac28c8c2271da59106c68', version: 'v6.0.0' },
  setupRust: { repo: 'actions-rust-lang/setup-rust-toolchain', sha: '166cdcfd11aee3cb47222f9ddb555ce30ddb9659', version: 'v1.17.0' },
  uploadArtifact: { repo: 'actions/upload-artifact', sha: 'bbbca2ddaa5d8feaa63e36b76fdaad77386f024f', version: 'v7.0.0' },
  downloadArtifact: { repo: 'actions/download-artifact', sha: '3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c', version: 'v8.0.1' },
  setupBuildx: { repo: 'docker/setup-buildx-action', sha: '37fe631027851001ddb9b187196cc803df7f5f0e', version: 'v4.3.0' },
  buildPush: { repo: 'docker/build-push-action', sha: '53b7df96c91f9c12dcc8a07bcb9ccacbed38856a', version: 'v7.3.0' },
  awsCredentials: { repo: 'aws-actions/configure-aws-credentials', sha: 'e6de054238d6b7531b4efff3b6587d9aade6a06c', version: 'v6.2.3' },
  ecrLogin: { repo: 'aws-actions/amazon-ecr-login', sha: '03f1aad4c6c7ffd436567f42f9384779290529bd', version: 'v2.1.7' },
  gcpAuth: { repo: 'google-github-actions/auth', sha: '7c6bc770dae815cd3e89ee6cdf493a5fab2cc093', version: 'v3.0.0' },
  gkeCredentials: { repo: 'google-github-actions/get-gke-credentials', sha: '3da1e46a907576cefaa90c484278bb5b259dd395', version: 'v3.0.0' },
  azureLogin: { repo: 'azure/login', sha: 'f5d393ae46f8fde4be8b75f32e3fc50e654ad0ca', version: 'v3.0.1' },
  useKubelogin: { repo: 'azure/use-kubelogin', sha: '0ce7c36141aa27d4934872cf00b0120804c98a29', version: 'v1.3' },
  aksSetContext: { repo: 'azure/aks-set-context', sha: '60623acbdcbbdcf799ad50a1adf8703874339f8b', version: 'v5.0.0' },
  trivy: { repo: 'aquasecurity/trivy-action', sha: 'ed142fd0673e97e23eac54620cfb913e5ce36c25', version: 'v0.36.0' },
  sbom: { repo: 'anchore/sbom-action', sha: 'e22c389904149dbc22b58101806040fa8d37a610', version: 'v0.24.0' },
  cosignInstaller: { repo: 'sigstore/cosign-installer', sha: '6f9f17788090df1f26f669e9d70d6ae9567deba6', version: 'v4.1.2' },
  setupKubectl: { repo: 'azure/setup-kubectl', sha: '829323503d1be3d00ca8346e5391ca0b07a9ab0d', version: 'v5.1.0' },
} as const satisfies Record<string, PinnedAction>;

/** Trivy release the scan step installs: the default of the pinned trivy-action release (v0.36.0). */
export const trivyVersion = 'v0.70.0';

/**
 * Images and tools of the GitLab pipeline (and the kubelogin release both providers install on Azure), each an
 * exact version checked against its source (see the report of issue 7 for the table). Templates read this as
 * `ciTooling`; Renovate bumps the copies in a generated `.gitlab-ci.yml`, this is where infra-kit bumps them.
 */
export const ciTooling = {
  images: {
    /** docker-library/official-images `library/docker`: 29.7.2-cli and 29.7.2-dind. */
    docker: 'docker:29.7.2-cli',
    dind: 'docker:29.7.2-dind',
    /** The same Trivy release as `trivyVersion`; aquasecurity/trivy goreleaser publishes `aquasec/trivy:<version>`. */
    trivy: 'aquasec/trivy:0.70.0',
    /** Tag = aws/aws-cli release tag 2.36.7 (docker/Dockerfile: Amazon Linux 2023, entrypoint `aws`). */
    awsCli: 'amazon/aws-cli:2.36.7',
    /** GoogleCloudPlatform/cloud-sdk-docker README: 573.0.0; `-stable` is gcloud only, the full image adds kubectl and gke-gcloud-auth-plugin. */
    gcloud: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:573.0.0-stable',
    gcloudKubectl: 'gcr.io/google.com/cloudsdktool/google-cloud-cli:573.0.0',
    /** Azure/azure-cli release 2.76.0 (src/azure-cli/HISTORY.rst); the image has no curl, `az aks install-cli` fetches kubectl. */
    azureCli: 'mcr.microsoft.com/azure-cli:2.76.0',
  },
  /** sigstore/cosign v3.0.6: SHA-256 of `cosign-linux-amd64`, as pinned by sigstore/cosign-installer v4.1.2 (bootstrap). */
  cosign: { version: 'v3.0.6', sha256: 'c956e5dfcac53d52bcf058360d579472f0c1d2d9b69f55209e256fe7783f4c74' },
  /** Exact kubectl for GitLab deploy jobs: a v1.34 patch (kubernetes CHANGELOG-1.34.md); keep its minor = kubernetesVersion. */
  kubectl: 'v1.34.7',
  /** Azure/kubelogin release: converts AKS kubeconfigs to Entra ID tokens (local accounts are disabled). */
  kubelogin: 'v0.2.19',
  /** Renovate manager of each stack variant's dependencies (renovate.json groups the stack's updates). */
  renovateManagers: {
    npm: 'npm',
    pnpm: 'npm',
    yarn: 'npm',
    pip: 'pip_requirements',
    poetry: 'poetry',
    uv: 'pep621',
    gomod: 'gomod',
    maven: 'maven',
    mvnw: 'maven',
    gradle: 'gradle',
    gradlew: 'gradle',
    cargo: 'cargo',
    dotnet: 'nuget',
  } as Readonly<Record<string, string>>,
  /**
   * Environment that points each tool's cache at a stack's `ci.cachePaths` entry inside the project dir, where
   * GitLab's `cache:` can keep it (paths already in the project, like `target/`, need none). Keyed by path.
   */
  cacheEnv: {
    '.npm/': { npm_config_cache: '$CI_PROJECT_DIR/.npm' },
    '.pnpm-store/': { npm_config_store_dir: '$CI_PROJECT_DIR/.pnpm-store' },
    '.yarn/cache/': { YARN_ENABLE_GLOBAL_CACHE: 'false', YARN_CACHE_FOLDER: '$CI_PROJECT_DIR/.yarn/cache' },
    '.cache/pip/': { PIP_CACHE_DIR: '$CI_PROJECT_DIR/.cache/pip' },
    '.cache/pypoetry/': { POETRY_CACHE_DIR: '$CI_PROJECT_DIR/.cache/pypoetry' },
    '.cache/uv/': { UV_CACHE_DIR: '$CI_PROJECT_DIR/.cache/uv' },
    '.go/pkg/mod/': { GOMODCACHE: '$CI_PROJECT_DIR/.go/pkg/mod' },
    '.m2/repository/': { MAVEN_OPTS: '-Dmaven.repo.local=$CI_PROJECT_DIR/.m2/repository' },
    '.gradle/caches/': { GRADLE_USER_HOME: '$CI_PROJECT_DIR/.gradle' },
    '.gradle/wrapper/': { GRADLE_USER_HOME: '$CI_PROJECT_DIR/.gradle' },
    '.cargo/registry/': { CARGO_HOME: '$CI_PROJECT_DIR/.cargo' },
    'target/': {},
    '.nuget/packages/': { NUGET_PACKAGES: '$CI_PROJECT_DIR/.nuget/packages' },
  } as Readonly<Record<string, Readonly<Record<string, string>>>>,
} as const;
