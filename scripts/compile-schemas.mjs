// Part of `npm run build`: each JSON schema `check` validates with (src/check/json-schemas.ts) compiled to a
// standalone ajv validator, dist/src/check/schemas/<name>.validate.cjs. The built bin then loads ~250 KB of
// plain JS instead of running ajv's compiler (~100 ms per schema). Runs after copy-assets (formats.cjs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { SCHEMA_NAMES, standaloneSource } = await import(join(root, 'dist/src/check/json-schemas.js'));
for (const name of SCHEMA_NAMES) writeFileSync(join(root, 'dist/src/check/schemas', `${name}.validate.cjs`), await standaloneSource(name));
