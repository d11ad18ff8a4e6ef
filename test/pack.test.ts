import { execa } from 'execa';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from './helpers/render.js';

const repo = fileURLToPath(new URL('..', import.meta.url));

describe('npm create infra-kit', () => {
  it('the packed tarball runs the way npm create runs it', { timeout: 240_000 }, async () => {
    const packDir = tempDir('infra-kit-pack-');
    // dist/ is built by `npm test` before vitest runs; --ignore-scripts skips a second build in prepack.
    const packed = await execa('npm', ['pack', '--ignore-scripts', '--pack-destination', packDir, '--json'], { cwd: repo });
    const [{ filename, files }] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    const paths = files.map((f) => f.path);
    expect(paths).toContain('dist/src/bin.js');
    expect(paths).toContain('templates/docker/node/Dockerfile.ejs');
    expect(paths.filter((p) => p.startsWith('test/') || p.startsWith('src/'))).toEqual([]);

    const cwd = tempDir('infra-kit-npx-');
    const tarball = join(packDir, filename.split('/').pop()!);
    const res = await execa('npm', ['exec', '--yes', '--prefer-offline', '--package', tarball, '--', 'create-infra-kit', 'my-app', '--yes'], {
      cwd,
      env: { NO_COLOR: '1', npm_config_update_notifier: 'false' },
      reject: false,
      stdin: 'ignore',
    });
    expect(res.stderr).not.toMatch(/Error|error:/);
    expect(res.exitCode).toBe(0);
    expect(existsSync(join(cwd, 'my-app', 'Dockerfile'))).toBe(true);
    expect(readdirSync(join(cwd, 'my-app', 'kubernetes', 'overlays')).sort()).toEqual(['production', 'staging']);
  });
});
