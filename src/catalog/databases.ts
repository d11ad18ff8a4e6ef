export interface Database {
  readonly id: string;
  readonly label: string;
  /** Image for local development (compose) and CI service containers. Exact version tag. */
  readonly image?: string;
  readonly port?: number;
  /** Major version for the managed cloud database. */
  readonly engineVersion?: string;
}

export const databases = {
  none: { id: 'none', label: 'No database' },
  postgres: {
    id: 'postgres',
    label: 'PostgreSQL',
    image: 'postgres:17.6-bookworm',
    port: 5432,
    engineVersion: '17',
  },
} as const satisfies Record<string, Database>;

export type DatabaseId = keyof typeof databases;
