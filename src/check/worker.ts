/**
 * The check worker thread (see checkRepo in run.ts): runs the named checkers over the repo the main thread listed
 * and replies once, with their findings and what they could not check, or with the message of the first that threw.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { repoOf } from './run.js';
import type { Checker, Finding } from './types.js';

export interface WorkerInput {
  readonly root: string;
  /** The main thread's listing (relative, sorted): the worker does not walk the repo again. */
  readonly files: readonly string[];
  readonly names: readonly string[];
}

export type WorkerReply =
  | { readonly results: readonly { readonly name: string; readonly findings: readonly Finding[] }[]; readonly skipped: readonly string[] }
  | { readonly error: string };

/** Only the checkers a worker may run are loaded here: the registry would load (and compile) every one of them. */
const LOADERS: Readonly<Record<string, () => Promise<Checker>>> = {
  terraform: () => import('./terraform.js').then((m) => m.terraformChecker),
  'github-actions': () => import('./github.js').then((m) => m.githubChecker),
};

/** The findings of the checkers it knows by name; one it does not know gets no result (checkRepo then runs them in-process). */
async function run({ root, files, names }: WorkerInput): Promise<WorkerReply> {
  const repo = repoOf(root, files);
  try {
    const mine = names.filter((name) => LOADERS[name] !== undefined);
    const results = await Promise.all(mine.map(async (name) => ({ name, findings: await (await LOADERS[name]!()).check(repo) })));
    return { results, skipped: [...repo.skipped] };
  } catch (error) {
    return { error: error instanceof Error ? error.message : String(error) };
  }
}

// Imported anywhere but the worker checkRepo starts (a test, a tool's own thread), it does nothing.
const input = workerData as Partial<WorkerInput> | null;
if (parentPort && Array.isArray(input?.names)) parentPort.postMessage(await run(input as WorkerInput));
