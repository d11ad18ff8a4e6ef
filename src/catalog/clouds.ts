/** Clouds: provider versions, default region and the per-cloud names other pieces share (contract.md). */
export interface Cloud {
  readonly id: string;
  readonly label: string;
  readonly defaultRegion: string;
  /** Region names we accept: a strict shape, because the value reaches HCL, YAML and shell. */
  readonly regionPattern: RegExp;
  /** The one provider every root and module of this cloud requires (local name `terraformProvider.name`). */
  readonly terraformProvider: { readonly name: string; readonly source: string; readonly version: string };
  /**
   * Annotation on the Kubernetes ServiceAccount binding the app to its cloud identity; its value (role ARN,
   * service account e-mail, client ID) is the environment root's Terraform output `app_identity`.
   */
  readonly workloadIdentityAnnotation: string;
}

export const clouds = {
  aws: {
    id: 'aws',
    label: 'Amazon Web Services (EKS, ECR, RDS)',
    defaultRegion: 'eu-west-1',
    regionPattern: /^[a-z]{2}(-gov)?-[a-z]+-\d$/,
    terraformProvider: { name: 'aws', source: 'hashicorp/aws', version: '~> 6.0' },
    workloadIdentityAnnotation: 'eks.amazonaws.com/role-arn',
  },
  gcp: {
    id: 'gcp',
    label: 'Google Cloud (GKE, Artifact Registry, Cloud SQL)',
    defaultRegion: 'europe-west1',
    regionPattern: /^[a-z]+-[a-z]+[1-9][0-9]?$/,
    // 7.x: the current major; nothing below needs a later minor.
    terraformProvider: { name: 'google', source: 'hashicorp/google', version: '~> 7.0' },
    workloadIdentityAnnotation: 'iam.gke.io/gcp-service-account',
  },
  azure: {
    id: 'azure',
    label: 'Microsoft Azure (AKS, ACR, PostgreSQL flexible server)',
    defaultRegion: 'westeurope',
    regionPattern: /^[a-z]{4,30}[1-9]?$/,
    // 4.65: federated identity credentials take user_assigned_identity_id (parent_id is deprecated).
    terraformProvider: { name: 'azurerm', source: 'hashicorp/azurerm', version: '~> 4.65' },
    workloadIdentityAnnotation: 'azure.workload.identity/client-id',
  },
} as const satisfies Record<string, Cloud>;

export type CloudId = keyof typeof clouds;

/** Terraform CLI constraint used by every root and module. */
export const terraformVersion = '>= 1.10, < 2.0';
