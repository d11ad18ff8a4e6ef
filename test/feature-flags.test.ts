/**
 * Feature flags (FEATURE_<NAME>=on|off): rendered into .env.example, each environment's config (Kubernetes
 * overlays: config.env merged into the hashed ConfigMap; compose: deploy/<env>.env) and docs/feature-flags.md.
 * Built with the real `kubectl kustomize`, linted with markdownlint, merged with the upgrade's 3-way merge.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { diffLines } from 'diff';
import ejs from 'ejs';
import { lint } from 'markdownlint/sync';
import { describe, expect, it } from 'vitest';
import type { Answers } from '../src/answers/schema.js';
import { threeWayMerge } from '../src/merge/three-way.js';
import { buildContext } from '../src/render/context.js';
import { fileTables } from '../src/render/pieces.js';
import { EJS_OPTIONS } from '../src/render/render.js';
import { templatesDir } from '../src/paths.js';
import { answersWith, renderToDir, renderToMemory } from './helpers/render.js';
import { kubectlKustomize, parseYamlDocs } from './helpers/validators.js';

type Obj = Record<string, any>;
type Env = 'staging' | 'production';
const ENVS: readonly Env[] = ['staging', 'production'];
const FLAGS = ['new-checkout', 'dark-mode'];
const N = 'shop-api';
const base = { name: N, database: 'postgres' } as Partial<Answers>;
const kube = (featureFlags: string[]): Partial<Answers> => ({ ...base, orchestrator: 'kubernetes', featureFlags });
const vm = (featureFlags: string[]): Partial<Answers> => ({ ...base, orchestrator: 'compose', featureFlags });

/**
 * The compose piece's files this feature owns (.env.example, deploy/<env>.env), rendered through the piece's
 * file table the way the engine does; the VM deploy script and compose file belong to another piece of work.
 */
function composeEnvFiles(overrides: Partial<Answers>): Map<string, string> {
  const ctx = buildContext(answersWith(overrides), '0.0.0-test');
  const out = new Map<string, string>();
  for (const rule of fileTables.compose) {
    if (!('template' in rule) || typeof rule.template !== 'string' || !/env\.example|\.env$/.test(rule.to)) continue;
    if (rule.when && !rule.when(ctx)) continue;
    const filename = join(templatesDir, rule.template);
    const render = ejs.compile(readFileSync(filename, 'utf8'), { ...EJS_OPTIONS, filename, destructuredLocals: Object.keys(ctx) });
    out.set(rule.to, render(ctx as unknown as ejs.Data));
  }
  return out;
}

/** Every file this feature touches, for one answer set. */
function kit(overrides: Partial<Answers>): Map<string, string> {
  const pieces = overrides.orchestrator === 'compose' ? (['docs'] as const) : (['kustomize', 'docs'] as const);
  return new Map([...renderToMemory(overrides, pieces), ...composeEnvFiles(overrides)]);
}

/** KEY=value lines of an env file (comments and blank lines skipped), in file order. */
function envEntries(text: string): [string, string][] {
  return text.split('\n').filter((l) => l.trim() && !l.startsWith('#')).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]);
}
const flagEntries = (text: string): [string, string][] => envEntries(text).filter(([k]) => k.startsWith('FEATURE_'));

function build(dir: string, env: Env): { configMap: Obj; deployment: Obj; objects: Obj[] } {
  const objects = parseYamlDocs(kubectlKustomize(join(dir, 'kubernetes/overlays', env))) as Obj[];
  const configMaps = objects.filter((o) => o.kind === 'ConfigMap');
  expect(configMaps).toHaveLength(1);
  return { configMap: configMaps[0]!, deployment: objects.find((o) => o.kind === 'Deployment')!, objects };
}
const envFromOf = (deployment: Obj): unknown => deployment.spec.template.spec.containers.find((c: Obj) => c.name === 'app').envFrom;

/** Rows of the table under "## Current flags": cells without backticks. */
function flagTable(md: string): string[][] {
  const section = md.split('\n## ').find((s) => s.startsWith('Current flags'))!;
  return section.split('\n').filter((l) => l.startsWith('| ')).slice(2).map((l) => l.split('|').slice(1, -1).map((c) => c.trim().replace(/`/g, '')));
}

const MARKDOWNLINT = { default: true, MD013: { line_length: 160, code_blocks: false, tables: false } };
const markdownProblems = (md: string): string[] =>
  (lint({ strings: { doc: md }, config: MARKDOWNLINT }).doc ?? []).map((e) => `${e.lineNumber} ${e.ruleNames.join('/')} ${e.errorDetail ?? ''}`);

describe('Kubernetes: each overlay merges its config.env into the hashed ConfigMap the Deployment reads', () => {
  it.each([[FLAGS], [[]]])('flags %j: staging on, production off, PORT from the base, envFrom names exactly that ConfigMap', (flags) => {
    const { dir } = renderToDir(kube(flags), ['kustomize']);
    for (const env of ENVS) {
      const { configMap, deployment, objects } = build(dir, env);
      const value = env === 'production' ? 'off' : 'on';
      const expected = Object.fromEntries([['PORT', '3000'], ...[...flags].sort().map((f) => [`FEATURE_${f.toUpperCase().replace(/-/g, '_')}`, value])]);
      expect(configMap.data, env).toEqual(expected);
      // The content hash in the name is what rolls the pods when a value changes.
      expect(configMap.metadata.name).toMatch(new RegExp(`^${N}-config-[a-z0-9]{10}$`));
      expect(configMap.metadata.namespace).toBe(N);
      expect(envFromOf(deployment)).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
      expect(objects.filter((o) => JSON.stringify(o).includes(`"${N}-config"`)), 'an unhashed reference').toEqual([]);
    }
  });

  it('flipping a flag by hand changes the ConfigMap name and the Deployment follows it (a rollout)', () => {
    const { dir } = renderToDir(kube(FLAGS), ['kustomize']);
    const before = build(dir, 'production');
    const file = join(dir, 'kubernetes/overlays/production/config.env');
    writeFileSync(file, readFileSync(file, 'utf8').replace('FEATURE_NEW_CHECKOUT=off', 'FEATURE_NEW_CHECKOUT=on'));
    const after = build(dir, 'production');
    expect(after.configMap.data.FEATURE_NEW_CHECKOUT).toBe('on');
    expect(after.configMap.metadata.name).not.toBe(before.configMap.metadata.name);
    expect(envFromOf(after.deployment)).toEqual([{ configMapRef: { name: after.configMap.metadata.name } }]);
    // Only the Deployment's pod template moved with it: a new ReplicaSet, nothing else changed.
    const strip = (o: Obj[]): string => JSON.stringify(o.filter((x) => x.kind !== 'ConfigMap' && x.kind !== 'Deployment'));
    expect(strip(after.objects)).toBe(strip(before.objects));
  });

  it('the deploy-time migration Job (a component added on top of the overlay) reads the same hashed ConfigMap', () => {
    const { dir } = renderToDir(kube(FLAGS), ['kustomize']);
    writeFileSync(join(dir, 'kustomization.yaml'), 'resources:\n  - kubernetes/overlays/staging\ncomponents:\n  - kubernetes/components/migrate\n');
    const objects = parseYamlDocs(kubectlKustomize(dir)) as Obj[];
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    const job = objects.find((o) => o.kind === 'Job')!;
    expect(job.spec.template.spec.containers[0].envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }]);
  });
});

describe.each([
  { orchestrator: 'kubernetes', render: kube, files: (env: Env) => `kubernetes/overlays/${env}/config.env` },
  { orchestrator: 'compose', render: vm, files: (env: Env) => `deploy/${env}.env` },
])('$orchestrator: the flag files', ({ render, files }) => {
  const flagged = kit(render(FLAGS));
  const none = kit(render([]));

  it('.env.example and each environment carry one sorted FEATURE_ line per flag: on locally and in staging, off in production', () => {
    const want = (v: string): [string, string][] => [['FEATURE_DARK_MODE', v], ['FEATURE_NEW_CHECKOUT', v]];
    expect(flagEntries(flagged.get('.env.example')!)).toEqual(want('on'));
    expect(flagEntries(flagged.get(files('staging'))!)).toEqual(want('on'));
    expect(flagEntries(flagged.get(files('production'))!)).toEqual(want('off'));
    for (const env of ENVS) expect(flagEntries(none.get(files(env))!)).toEqual([]);
  });

  it('the environment files hold no secret and say so', () => {
    for (const env of ENVS) {
      const text = flagged.get(files(env))!;
      expect(text).toMatch(/NEVER put a secret here/);
      for (const [key, value] of envEntries(text)) {
        expect(key).toMatch(/^[A-Z][A-Z0-9_]*$/);
        expect(key).not.toMatch(/PASSWORD|SECRET|TOKEN|DATABASE_URL|API_KEY|PRIVATE_KEY/);
        expect(value).not.toMatch(/:\/\//);
      }
    }
  });

  it('docs/feature-flags.md lists the flags with their defaults and passes markdownlint', () => {
    expect(flagTable(flagged.get('docs/feature-flags.md')!)).toEqual([
      ['dark-mode', 'FEATURE_DARK_MODE', 'on', 'on', 'off'],
      ['new-checkout', 'FEATURE_NEW_CHECKOUT', 'on', 'on', 'off'],
    ]);
    expect(flagTable(none.get('docs/feature-flags.md')!)).toEqual([]);
    for (const env of ENVS) expect(flagged.get('docs/feature-flags.md')).toContain(files(env));
    for (const md of [flagged, none].map((k) => k.get('docs/feature-flags.md')!)) expect(markdownProblems(md)).toEqual([]);
    // Its one cross-link lands on a heading of the runbook.
    expect(flagged.get('docs/feature-flags.md')).toContain('(runbook.md#rollback)');
    expect(flagged.get('docs/runbook.md')).toMatch(/^## Rollback$/m);
  });

  it('adding a flag changes only lines about it, in exactly the files that configure it', () => {
    for (const [from, to, flag] of [[[], ['new-checkout'], 'new-checkout'], [['new-checkout'], FLAGS, 'dark-mode']] as const) {
      const before = kit(render([...from]));
      const after = kit(render([...to]));
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      const changed = [...after.keys()].filter((p) => after.get(p) !== before.get(p)).sort();
      expect(changed).toEqual(['.env.example', 'docs/feature-flags.md', files('production'), files('staging')].sort());
      const mention = new RegExp(`${flag}|FEATURE_${flag.toUpperCase().replace(/-/g, '_')}`);
      for (const path of changed) {
        const parts = diffLines(before.get(path)!, after.get(path)!).filter((p) => p.added || p.removed);
        expect(parts.every((p) => p.added), `${path}: nothing removed`).toBe(true);
        // Each added line names the flag, except the blank line that closes its block.
        for (const line of parts.flatMap((p) => p.value.split('\n')).filter(Boolean)) expect(line, path).toMatch(mention);
      }
    }
  });

  it('without flags, .env.example has nothing about flags, and every file is the flagged one minus the flag blocks', () => {
    expect(none.get('.env.example')).not.toMatch(/feature|flag/i);
    const flagBlock = /^# (?:Feature flag )?(?:dark-mode|new-checkout)\b.*\nFEATURE_\w+=\w+\n\n/gm;
    const tableRow = /^\| `(?:dark-mode|new-checkout)` .*\n/gm;
    for (const [path, text] of flagged) expect(text.replace(flagBlock, '').replace(tableRow, ''), path).toBe(none.get(path));
  });

  it('values flipped by hand in production survive adding and removing other flags (3-way merge)', () => {
    const prod = files('production');
    const at = (flags: readonly string[]): string => kit(render([...flags])).get(prod)!;
    const env = (f: string): string => `FEATURE_${f.toUpperCase().replace(/-/g, '_')}`;
    // The user rolled out flags by hand, and added a setting of their own at the end.
    const mine = (text: string, flipped: readonly string[]): string =>
      `${flipped.reduce((t, f) => t.replace(`${env(f)}=off`, `${env(f)}=on`), text)}MY_SETTING=1\n`;
    // Flags land before, after and between others: each insertion or removal sits right next to a flipped line.
    const moves: [string[], string[]][] = [[['new-checkout'], FLAGS], [FLAGS, ['new-checkout']], [['new-checkout'], ['new-checkout', 'zebra']],
      [['new-checkout', 'zebra'], ['new-checkout']], [['alpha', 'zebra'], ['alpha', 'new-checkout', 'zebra']], [[], ['new-checkout']]];
    for (const [before, after] of moves) {
      const kept = before.filter((f) => after.includes(f));
      const merged = threeWayMerge(at(before), mine(at(before), kept), at(after), 'test');
      expect(merged.clean, `${before} → ${after}`).toBe(true);
      expect(merged.text).toBe(mine(at(after), kept));
    }
    // Removing the very flag the user flipped is a real conflict (docs/feature-flags.md says how to resolve it).
    expect(threeWayMerge(at(FLAGS), mine(at(FLAGS), FLAGS), at(['new-checkout']), 'test').clean).toBe(false);
  });
});
