#!/usr/bin/env node
// `npm run bench`: start-up and render timings as ratios to bare `node -e ''`, plus install footprint.
// Everything is measured in this one run on this machine; ratios are the headline, not absolute times.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bin = join(root, 'dist/src/bin.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const tmp = () => mkdtempSync(join(tmpdir(), 'infra-kit-bench-'));

function time(cmd, args, opts = {}) {
  const start = process.hrtime.bigint();
  const res = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' }, ...opts });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  return ms;
}

/** Median/min/max of RUNS timed runs after one warm-up; `prepare` runs untimed before each. */
function measure(label, makeRun) {
  makeRun()();
  const samples = [];
  for (let i = 0; i < RUNS; i += 1) samples.push(makeRun()());
  samples.sort((a, b) => a - b);
  return { label, median: samples[Math.floor(samples.length / 2)], min: samples[0], max: samples.at(-1), runs: RUNS };
}

const node = process.execPath;
const rows = [];
rows.push(measure("bare node -e ''", () => () => time(node, ['-e', ''])));
rows.push(measure('infra-kit --version', () => () => time(node, [bin, '--version'])));
rows.push(measure('infra-kit --help', () => () => time(node, [bin, '--help'])));
const full = (extra) => () => {
  const dir = join(tmp(), 'kit');
  return () => time(node, [bin, dir, '--yes', ...extra]);
};
rows.push(measure('full kit render (node·aws·kubernetes·github)', full([])));
rows.push(measure('full kit render, largest cell (+postgres)', full(['--database', 'postgres'])));
rows.push(measure('full kit render, compose on a VM (+postgres, gitlab)', full(['--orchestrator', 'compose', '--database', 'postgres', '--ci', 'gitlab'])));
const rendered = join(tmp(), 'kit');
time(node, [bin, rendered, '--yes', '--database', 'postgres']);
rows.push(measure('no-op rerun of a full kit', () => () => time(node, [bin, rendered, '--yes', '--database', 'postgres'])));
rows.push(measure('upgrade with nothing to change', () => () => time(node, [bin, 'upgrade', rendered])));
rows.push(measure('upgrade --check (CI drift gate)', () => () => time(node, [bin, 'upgrade', rendered, '--check'])));
// check keeps its last report per repo (XDG cache): cold = every validator runs, warm = nothing changed.
const cacheHome = tmp();
const withCache = { env: { ...process.env, NO_COLOR: '1', XDG_CACHE_HOME: cacheHome } };
rows.push(measure('infra-kit check over a full kit (cold: --no-cache)', () => () => time(node, [bin, 'check', rendered, '--no-cache'], withCache)));
rows.push(measure('infra-kit check over a full kit (warm: unchanged)', () => () => time(node, [bin, 'check', rendered], withCache)));

// Peer: cookiecutter rendering the same files: our own output as a template, name and port as variables.
if (spawnSync('sh', ['-c', 'command -v cookiecutter']).status === 0) {
  const source = join(tmp(), 'kit');
  time(node, [bin, source, '--yes', '--database', 'postgres', '--name', 'benchapp', '--port', '3456']);
  const template = tmp();
  const slug = '{{cookiecutter.project_dir}}';
  const verbatim = [];
  for (const rel of readdirSync(source, { recursive: true })) {
    const from = join(source, rel);
    if (!statSync(from).isFile() || rel.startsWith('.infra-kit')) continue;
    const text = readFileSync(from, 'utf8');
    // Files with GitHub `${{ }}` expressions are copied unrendered, as a cookiecutter author would.
    if (/\{\{|\{%/.test(text)) verbatim.push(rel);
    const out = verbatim.at(-1) === rel ? text : text.replaceAll('benchapp', '{{cookiecutter.name}}').replaceAll('3456', '{{cookiecutter.port}}');
    mkdirSync(dirname(join(template, slug, rel)), { recursive: true });
    writeFileSync(join(template, slug, rel), out);
  }
  const context = { project_dir: 'kit', name: 'benchapp', port: '3456', _copy_without_render: verbatim };
  writeFileSync(join(template, 'cookiecutter.json'), JSON.stringify(context));
  rows.push(
    measure('peer: cookiecutter --no-input (same files)', () => {
      const out = tmp();
      return () => time('cookiecutter', ['--no-input', '-f', '-o', out, template]);
    }),
  );
} else {
  console.error('cookiecutter not installed (apt-get install -y cookiecutter): peer row skipped');
}

// Install footprint: a production install of the packed package's dependencies.
const footprintDir = tmp();
cpSync(join(root, 'package.json'), join(footprintDir, 'package.json'));
cpSync(join(root, 'package-lock.json'), join(footprintDir, 'package-lock.json'));
spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: footprintDir, stdio: 'ignore' });
const du = spawnSync('du', ['-sk', join(footprintDir, 'node_modules')], { encoding: 'utf8' });
const sizeMb = Number(du.stdout.split('\t')[0]) / 1024;
const packages = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable'], { cwd: footprintDir, encoding: 'utf8' }).stdout.trim().split('\n').length - 1;
rmSync(footprintDir, { recursive: true, force: true });

const floor = rows[0].median;
const table = rows.map((r) => ({ ...r, ratio: r.median / floor }));
const pad = (s, n) => String(s).padEnd(n);
console.log(`${pad('measurement', 56)}${pad('median ms', 11)}${pad('min', 8)}${pad('max', 8)}× node`);
for (const r of table) {
  console.log(`${pad(r.label, 56)}${pad(r.median.toFixed(1), 11)}${pad(r.min.toFixed(0), 8)}${pad(r.max.toFixed(0), 8)}${r.ratio.toFixed(2)}`);
}
console.log(`\nproduction install: ${sizeMb.toFixed(1)} MB of node_modules, ${packages} packages (npm ci --omit=dev)`);
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(
  join(root, 'bench/results.json'),
  `${JSON.stringify({ node: process.version, runs: RUNS, rows: table, footprint: { megabytes: Number(sizeMb.toFixed(1)), packages } }, null, 2)}\n`,
);
