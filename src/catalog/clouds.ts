/** Clouds: provider versions, default region and the container registry host each one uses. */
export interface Cloud {
  readonly id: string;
  readonly label: string;
  readonly defaultRegion: string;
  /** Region names we accept: a strict shape, because the value reaches HCL, YAML and shell. */
  readonly regionPattern: RegExp;
  readonly terraformProvider: { readonly source: string; readonly version: string };
}

export const clouds = {
  aws: {
    id: 'aws',
    label: 'Amazon Web Services (EKS, ECR, RDS)',
    defaultRegion: 'eu-west-1',
    regionPattern: /^[a-z]{2}(-gov)?-[a-z]+-\d$/,
    terraformProvider: { source: 'hashicorp/aws', version: '~> 6.0' },
  },
} as const satisfies Record<string, Cloud>;

export type CloudId = keyof typeof clouds;

/** Terraform CLI constraint used by every root and module. */
export const terraformVersion = '>= 1.10, < 2.0';
