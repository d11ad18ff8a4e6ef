/**
 * One detector per stack: from the files in the target repo, the stack, its variant (package manager /
 * build tool), the language version, how the app starts, and the app name and database where the manifest
 * says. Every value carries the file it came from, which prompts and the summary show as evidence.
 */
import type { StackId, VariantId } from '../catalog/stacks.js';
import { at, list, str, type Json, type RepoFiles } from './read.js';
import { detectedVersion, type DetectedVersion } from './version.js';

export interface Evidenced<T> {
  readonly value: T;
  readonly evidence: string;
}

export interface StackFinding {
  readonly stack: StackId;
  /** The marker file(s) that proposed the stack. */
  readonly evidence: string;
  readonly variant?: Evidenced<VariantId>;
  readonly version?: DetectedVersion;
  /** How the app starts, as far as the repo says (a script, a main package, a jar, an ASGI app…). */
  readonly start?: Evidenced<string>;
  readonly name?: Evidenced<string>;
  readonly postgres?: string;
  readonly port?: Evidenced<number>;
}

export type Detector = (repo: RepoFiles) => StackFinding | undefined;

const first = <T>(...values: (T | undefined)[]): T | undefined => values.find((v) => v !== undefined);
const ev = <T>(value: T | undefined, evidence: string): Evidenced<T> | undefined => (value === undefined ? undefined : { value, evidence });

// ---- Node.js ----
const NODE_CODENAMES: Record<string, string> = { iron: '20', jod: '22', krypton: '24' };

export const detectNode: Detector = (repo) => {
  if (!repo.has('package.json')) return undefined;
  const pkg = repo.json('package.json');
  const manager = str(pkg?.packageManager)?.split('@')[0];
  const byLock: [string, VariantId][] = [['pnpm-lock.yaml', 'pnpm'], ['yarn.lock', 'yarn'], ['package-lock.json', 'npm'], ['npm-shrinkwrap.json', 'npm']];
  const lock = byLock.find(([file]) => repo.has(file));
  const variant = lock
    ? { value: lock[1], evidence: lock[0] }
    : manager === 'pnpm' || manager === 'yarn' || manager === 'npm' ? { value: manager as VariantId, evidence: 'package.json packageManager' } : undefined;
  const nvmrc = ['.nvmrc', '.node-version'].map((f) => ev(repo.text(f)?.trim().split(/\s/)[0], f)).find((v) => v?.value);
  const pin = nvmrc && /^lts\//i.test(nvmrc.value) ? ev(NODE_CODENAMES[nvmrc.value.slice(4).toLowerCase()], nvmrc.evidence) : nvmrc;
  const engines = ev(str(at(pkg, 'engines', 'node')), 'package.json engines.node');
  const version = first(pin, engines);
  const deps = { ...(at(pkg, 'dependencies') as Json | undefined), ...(at(pkg, 'devDependencies') as Json | undefined) };
  const script = str(at(pkg, 'scripts', 'start'));
  return {
    stack: 'node',
    evidence: 'package.json',
    ...(variant ? { variant } : {}),
    ...(version ? { version: detectedVersion('node', version.value, version.evidence) } : {}),
    ...withStart(first(ev(script, 'package.json scripts.start'), ev(str(pkg?.main) && `node ${str(pkg?.main)}`, 'package.json main'))),
    ...withName(ev(str(pkg?.name), 'package.json')),
    ...(['pg', 'postgres', 'pg-promise', 'node-pg-migrate'].some((d) => d in deps) ? { postgres: 'package.json' } : {}),
  };
};

// ---- Python ----
const PY_POSTGRES = ['psycopg', 'psycopg2', 'psycopg2-binary', 'asyncpg', 'pg8000'];
const ASGI = ['fastapi', 'starlette', 'litestar', 'quart'];
/** Files where an app object usually lives, as module paths for uvicorn/gunicorn. */
const APP_FILES: [string, string][] = [['main.py', 'main'], ['app.py', 'app'], ['app/main.py', 'app.main'], ['src/main.py', 'src.main'], ['src/app/main.py', 'src.app.main']];

export const detectPython: Detector = (repo) => {
  const markers = ['pyproject.toml', 'requirements.txt', 'uv.lock', 'poetry.lock'].filter((f) => repo.has(f));
  if (markers.length === 0) return undefined;
  const pyproject = repo.toml('pyproject.toml');
  const variant: Evidenced<VariantId> | undefined = repo.has('uv.lock')
    ? { value: 'uv', evidence: 'uv.lock' }
    : repo.has('poetry.lock') ? { value: 'poetry', evidence: 'poetry.lock' }
    : at(pyproject, 'tool', 'poetry') !== undefined ? { value: 'poetry', evidence: 'pyproject.toml [tool.poetry]' }
    : repo.has('requirements.txt') ? { value: 'pip', evidence: 'requirements.txt' }
    : at(pyproject, 'tool', 'uv') !== undefined ? { value: 'uv', evidence: 'pyproject.toml [tool.uv]' }
    : undefined;
  const pinned = ev(repo.text('.python-version')?.trim().split(/\s/)[0], '.python-version');
  const requires = first(
    ev(str(at(pyproject, 'project', 'requires-python')), 'pyproject.toml requires-python'),
    ev(str(at(pyproject, 'tool', 'poetry', 'dependencies', 'python')), 'pyproject.toml [tool.poetry.dependencies] python'),
  );
  const version = pinned?.value && /^\d/.test(pinned.value) ? pinned : requires;
  const deps = [
    ...(repo.text('requirements.txt') ?? '').split('\n'),
    ...list(at(pyproject, 'project', 'dependencies')).map(String),
    ...Object.keys((at(pyproject, 'tool', 'poetry', 'dependencies') as Json | undefined) ?? {}),
  ].map((d) => /^\s*([A-Za-z0-9_.-]+)/.exec(d)?.[1]?.toLowerCase().replace(/_/g, '-')).filter((d): d is string => Boolean(d));
  const asgi = deps.some((d) => ASGI.includes(d));
  const app = APP_FILES.map(([file, mod]) => {
    const m = /^(\w+)\s*=\s*(FastAPI|Starlette|Litestar|Quart|Flask)\(/m.exec(repo.text(file) ?? '');
    return m ? { value: `${mod}:${m[1]}`, evidence: file, asgi: m[2] !== 'Flask' } : undefined;
  }).find(Boolean);
  const procfile = /^web:\s*(.+)$/m.exec(repo.text('Procfile') ?? '')?.[1]?.trim();
  const start = procfile
    ? { value: procfile, evidence: 'Procfile' }
    : app ? { value: `${app.asgi || asgi ? 'uvicorn' : 'gunicorn'} ${app.value}`, evidence: app.evidence } : undefined;
  return {
    stack: 'python',
    evidence: markers.join(', '),
    ...(variant ? { variant } : {}),
    ...(version ? { version: detectedVersion('python', version.value, version.evidence) } : {}),
    ...withStart(start),
    ...withName(ev(str(at(pyproject, 'project', 'name')) ?? str(at(pyproject, 'tool', 'poetry', 'name')), 'pyproject.toml')),
    ...(deps.some((d) => PY_POSTGRES.includes(d)) ? { postgres: markers.join(', ') } : {}),
  };
};

// ---- Go ----
export const detectGo: Detector = (repo) => {
  if (!repo.has('go.mod')) return undefined;
  const mod = repo.text('go.mod') ?? '';
  // go.mod is line-oriented: `go 1.26` is the minimum version, `toolchain go1.27.0` the preferred one.
  const toolchain = /^toolchain\s+go(\d+\.\d+(?:\.\d+)?)\s*$/m.exec(mod)?.[1];
  const go = /^go\s+(\d+\.\d+(?:\.\d+)?)\s*$/m.exec(mod)?.[1];
  const version = toolchain ? detectedVersion('go', toolchain, 'go.mod toolchain') : go ? detectedVersion('go', `>=${go}`, 'go.mod go') : undefined;
  const module = /^module\s+(\S+)/m.exec(mod)?.[1];
  const hasMain = (dir: string) => /^package main\b/m.test(repo.text(`${dir}/main.go`) ?? '');
  const cmds = repo.dirs('cmd').filter((d) => hasMain(`cmd/${d}`));
  const main = hasMain('.') ? '.' : cmds.length === 1 ? `./cmd/${cmds[0]}` : undefined;
  return {
    stack: 'go',
    evidence: 'go.mod',
    variant: { value: 'gomod', evidence: 'go.mod' },
    ...(version ? { version } : {}),
    ...withStart(ev(main, main === '.' ? 'main.go' : `cmd/${cmds[0]}/main.go`)),
    ...withName(ev(module?.split('/').at(-1), 'go.mod module')),
    ...(/^\s*(?:require\s+)?(?:github\.com\/jackc\/pgx|github\.com\/lib\/pq)\S*\s/m.test(mod) ? { postgres: 'go.mod' } : {}),
  };
};

/** The finding's start command, when there is one. */
function withStart(start: Evidenced<string> | undefined): { start?: Evidenced<string> } {
  return start ? { start } : {};
}

function withName(name: Evidenced<string> | undefined): { name?: Evidenced<string> } {
  return name ? { name } : {};
}

export { withName, withStart, first, ev };
