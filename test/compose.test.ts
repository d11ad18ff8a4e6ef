import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderToDir, renderToMemory } from './helpers/render.js';
import { dockerComposeConfig, hasCommand, parseYamlDocs, validateComposeSchema } from './helpers/validators.js';

type Service = {
  image?: string;
  healthcheck?: { test: unknown };
  depends_on?: Record<string, { condition: string }>;
  security_opt?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  ports?: string[];
  environment?: Record<string, string>;
  deploy?: { resources?: { limits?: { memory?: string } } };
};
type Compose = { services: Record<string, Service>; volumes?: Record<string, unknown> };

const cells = [{ database: 'none' as const }, { database: 'postgres' as const, name: 'shop-api', port: 8080 }];

describe('docker-compose.yml', () => {
  for (const overrides of cells) {
    const label = JSON.stringify(overrides);
    const files = renderToMemory(overrides, ['compose']);
    const compose = parseYamlDocs(files.get('docker-compose.yml')!)[0] as Compose;

    it(`validates against the compose-spec schema ${label}`, () => {
      expect(validateComposeSchema(compose)).toEqual([]);
    });

    it(`passes docker-compose config ${label}`, { skip: !hasCommand('docker-compose') }, () => {
      const { dir } = renderToDir(overrides, ['compose']);
      writeFileSync(join(dir, '.env'), 'POSTGRES_USER=app\nPOSTGRES_PASSWORD=local-only\nPOSTGRES_DB=app\n');
      expect(dockerComposeConfig(dir)).toBe('');
    });

    it(`meets DC01-DC05 ${label}`, () => {
      const services = Object.entries(compose.services);
      for (const [name, svc] of services) {
        expect(svc.healthcheck, `${name} healthcheck`).toBeDefined();
        expect(svc.security_opt, `${name} no-new-privileges`).toContain('no-new-privileges:true');
        expect(svc.cap_drop, `${name} cap_drop`).toContain('ALL');
        expect(svc.deploy?.resources?.limits?.memory, `${name} memory limit`).toBeDefined();
        if (svc.image && name !== 'app') expect(svc.image).toMatch(/^[\w./-]+:\d[\w.-]*$/);
        for (const port of svc.ports ?? []) expect(port.startsWith('127.0.0.1:'), `${name} binds loopback`).toBe(true);
        for (const [key, value] of Object.entries(svc.environment ?? {})) {
          if (/PASSWORD|SECRET|TOKEN|DATABASE_URL/.test(key)) expect(value, `${name}.${key} comes from .env`).toMatch(/\$\{[A-Z_]+:\?/);
        }
      }
      expect(compose.services.app!.read_only).toBe(true);
      expect(compose.services.app!.ports).toEqual([`127.0.0.1:${overrides.port ?? 3000}:${overrides.port ?? 3000}`]);
      if (overrides.database === 'postgres') {
        expect(compose.services.app!.depends_on).toEqual({ db: { condition: 'service_healthy' }, migrate: { condition: 'service_completed_successfully' } });
        expect(Object.keys(compose.volumes ?? {})).toEqual(['db-data']);
      } else {
        expect(Object.keys(compose.services)).toEqual(['app']);
      }
    });

    it(`.env.example holds no secret value and .gitignore ignores .env ${label}`, () => {
      const env = files.get('.env.example')!;
      for (const line of env.split('\n').filter((l) => /PASSWORD|SECRET|TOKEN/.test(l) && !l.startsWith('#'))) {
        expect(line).toMatch(/=$/);
      }
      expect(files.get('.gitignore')!.split('\n')).toContain('.env');
    });
  }

  it('the schema validator rejects an unknown key (so the assertion above can fail)', () => {
    expect(validateComposeSchema({ services: { app: { image: 'x:1', helthcheck: {} } } })).not.toEqual([]);
  });
});
