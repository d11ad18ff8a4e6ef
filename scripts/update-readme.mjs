// `npm run readme`: regenerate the README's flag table from the answers schema (built dist/).
import { readFileSync, writeFileSync } from 'node:fs';
import { flagsMarkdownTable } from '../dist/src/cli/help.js';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const updated = readme.replace(/(<!-- flags:start[^\n]*-->\n)[\s\S]*?(<!-- flags:end -->)/, `$1${flagsMarkdownTable()}\n$2`);
writeFileSync(file, updated);
