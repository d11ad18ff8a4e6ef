/**
 * Serializers for values that reach a generated file. Templates never print a user-influenced value raw:
 * each goes through the quoter of the file's format, so even a value that slipped past validation stays
 * inert (a string, not syntax).
 */

/** A YAML scalar. JSON is a subset of YAML 1.2, so a JSON string is always a valid double-quoted scalar. */
export function yaml(value: string | number | boolean): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

/** An HCL string literal: JSON escapes plus HCL's own template sequences `${` and `%{`. */
export function hcl(value: string | number | boolean): string {
  if (typeof value !== 'string') return String(value);
  return JSON.stringify(value).replace(/\$\{/g, '$${').replace(/%\{/g, '%%{');
}

/** A POSIX shell word: single-quoted, with embedded single quotes closed and escaped. */
export function sh(value: string | number): string {
  const text = String(value);
  return /^[A-Za-z0-9_./:@=+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A JSON value (e.g. a Dockerfile exec-form argument). */
export function json(value: unknown): string {
  return JSON.stringify(value);
}

export const quote = { yaml, hcl, sh, json } as const;
export type Quote = typeof quote;
