// Part of `npm run build`: non-TypeScript files the built code reads at run time (JSON schemas).
import { cpSync } from 'node:fs';

cpSync(new URL('../src/check/schemas', import.meta.url), new URL('../dist/src/check/schemas', import.meta.url), { recursive: true });
