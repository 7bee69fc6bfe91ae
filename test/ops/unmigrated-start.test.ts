import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database';
import { migrateToLatest, pendingMigrations } from '../../src/store/migrations';
import { startTestServer, TEST_JWT_SECRET } from '../support/test-server';

// With MIGRATE_ON_START=false the operator migrates; a server pointed at a database nobody
// migrated must say so in one line, not fail on the first missing table by its name.

describe('a server started with MIGRATE_ON_START=false on a database that lacks migrations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'unmigrated-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = async (file: string) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: '0', DATABASE_URL: file, AUTH_JWT_SECRET: TEST_JWT_SECRET, MIGRATE_ON_START: 'false', LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      if (stderr.includes('GraphQL endpoint:')) child.kill('SIGTERM');
    });
    // A child that hangs is killed, not left behind the test.
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code] = await once(child, 'exit').finally(() => clearTimeout(timer));
    return { code, stderr };
  };

  it('refuses to start with one line that says to run npm run migrate', async () => {
    const file = join(dir, 'fresh.db');
    const { code, stderr } = await start(file);
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Not starting: the database lacks migrations 0001_\S+.* and MIGRATE_ON_START is false: run npm run migrate first/);
    expect(stderr).not.toContain('    at ');
  });

  it('starts once the migrations are applied', async () => {
    const file = join(dir, 'migrated.db');
    const db = await openDatabase(file, { migrate: true });
    expect(await pendingMigrations(db)).toEqual([]);
    await db.destroy();
    const { code, stderr } = await start(file);
    expect(stderr).toContain('GraphQL endpoint:');
    expect(code).toBe(0);
  });

  it('with only newer migrations pending, starts out of rotation: /ready names them until they are applied', async () => {
    const file = join(dir, 'older.db');
    const db = await openDatabase(file, { migrate: false });
    await migrateToLatest(db, '0004_server_secrets');
    const server = await startTestServer({ databaseUrl: file, migrateOnStart: false });
    try {
      const before = await fetch(`${server.url}/ready`);
      expect(before.status).toBe(503);
      expect((await before.json()).problems).toEqual([expect.stringMatching(/^migrations not applied: 0005_usage_log \(run npm run migrate\)$/)]);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);

      await migrateToLatest(db);
      const deadline = Date.now() + 15_000;
      let after = await fetch(`${server.url}/ready`);
      while (after.status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        after = await fetch(`${server.url}/ready`);
      }
      expect(after.status).toBe(200);
    } finally {
      await server.close();
      await db.destroy();
    }
  });
});
