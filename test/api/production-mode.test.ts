import { spawnSync } from 'node:child_process';
import { getIntrospectionQuery } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config';
import { startTestServer, type TestServer } from '../support/test-server';

describe('production mode', () => {
  it('refuses to start without AUTH_JWT_SECRET or AUTH_JWKS_URL', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, NODE_ENV: 'production', PORT: '0', AUTH_JWT_SECRET: '', AUTH_JWKS_URL: '', DATABASE_URL: '/tmp/never-created/apikeys.db' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('refusing to start without authentication');
  });

  it('turns introspection off unless configured, and rejects short secrets', () => {
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32) }).introspection).toBe(false);
    expect(loadConfig({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(32), GRAPHQL_INTROSPECTION: 'true' }).introspection).toBe(true);
    expect(loadConfig({}).introspection).toBe(true);
    expect(() => loadConfig({ AUTH_JWT_SECRET: 'short' })).toThrow(/at least 32/);
  });

  describe('a production server', () => {
    let server: TestServer;
    let open: TestServer;
    beforeAll(async () => {
      server = await startTestServer({ production: true, introspection: false });
      open = await startTestServer({ production: true, introspection: true });
    });
    afterAll(async () => {
      await server.close();
      await open.close();
    });

    it('serves no GraphiQL', async () => {
      const response = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(await response.text()).not.toContain('GraphiQL');
    });

    it('refuses introspection unless allowed, and gives no field suggestions', async () => {
      const denied = await server.gql(getIntrospectionQuery());
      expect(denied.data).toBeUndefined();
      expect(denied.errors?.[0]?.message).toMatch(/introspection/i);
      const allowed = await open.gql(getIntrospectionQuery());
      expect(allowed.data.__schema.queryType.name).toBe('Query');
      const typo = await server.gql(`{ project(id: "p") { projectI } }`);
      expect(JSON.stringify(typo)).not.toContain('Did you mean');
    });
  });
});
