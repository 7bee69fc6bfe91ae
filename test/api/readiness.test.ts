import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../support/test-server';

// /ready and /health need no token, so anyone can call them as often as they like.

describe('liveness and readiness', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.close());

  it('answers ready, and a flood of /ready costs the database one check a second, not one per call', async () => {
    const first = await fetch(`${server.url}/ready`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ status: 'ready' });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // the first check is no longer reused
    server.statements.length = 0;
    const flood = await Promise.all(Array.from({ length: 100 }, () => fetch(`${server.url}/ready`)));
    expect(flood.every((response) => response.status === 200)).toBe(true);
    const perCheck = server.statements.length;
    expect(perCheck).toBeGreaterThan(0);
    expect(perCheck).toBeLessThanOrEqual(10);
  });

  it('answers /health without touching the database', async () => {
    server.statements.length = 0;
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    expect(server.statements).toEqual([]);
  });
});
