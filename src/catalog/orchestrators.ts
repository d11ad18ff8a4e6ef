export interface Orchestrator {
  readonly id: string;
  readonly label: string;
}

export const orchestrators = {
  kubernetes: { id: 'kubernetes', label: 'Kubernetes (Kustomize base + staging/production overlays)' },
} as const satisfies Record<string, Orchestrator>;

export type OrchestratorId = keyof typeof orchestrators;
