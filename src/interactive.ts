/**
 * Interactive runs go through our Yeoman generators, run by yeoman-environment from our own bin (no `yo`
 * needed). Loaded lazily: only a run that prompts pays for Yeoman's imports.
 */
import { fileURLToPath } from 'node:url';
import type { Outcome, RunOptions } from './session.js';

export async function runGenerator(name: string, options: RunOptions): Promise<Outcome> {
  const { createEnv } = await import('yeoman-environment');
  const env = createEnv({ skipInstall: true });
  const path = fileURLToPath(new URL(`../generators/${name}/index.js`, import.meta.url));
  const namespace = `infra-kit:${name}`;
  env.register(path, { namespace });
  let outcome: Outcome | undefined;
  await env.run([namespace], { infraKit: options, onOutcome: (o: Outcome) => (outcome = o), skipInstall: true });
  if (!outcome) throw new Error(`generator ${namespace} finished without writing`);
  return outcome;
}
