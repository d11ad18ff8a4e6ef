/** Feature flag names and their env vars: shared by the answers schema, the render context and the CLI. */

/** A feature flag name: lowercase letters, digits and "-", 1-40 chars, starting with a letter. */
export const FLAG_NAME = /^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/;

/** `new-checkout` → `FEATURE_NEW_CHECKOUT`. */
export function flagEnv(name: string): string {
  return `FEATURE_${name.toUpperCase().replace(/-/g, '_')}`;
}
