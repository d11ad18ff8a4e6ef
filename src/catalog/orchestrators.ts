export interface Orchestrator {
  readonly id: string;
  readonly label: string;
}

export const orchestrators = {
  kubernetes: { id: 'kubernetes', label: 'Kubernetes (Kustomize base + staging/production overlays)' },
  compose: { id: 'compose', label: 'Docker Compose on one hardened VM per environment (no cluster)' },
} as const satisfies Record<string, Orchestrator>;

export type OrchestratorId = keyof typeof orchestrators;

/**
 * Kubernetes minor for the managed clusters Terraform creates and the kubectl the deploy jobs install
 * (kubectl supports one minor of skew: keep them equal).
 */
export const kubernetesVersion = '1.34';
