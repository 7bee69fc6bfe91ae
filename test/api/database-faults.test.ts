import { Writable } from 'node:stream';
import { sql } from 'kysely';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../support/api-key-operations';
import { TEST_DIALECT } from '../support/test-database';
import { startTestServer, type TestServer } from '../support/test-server';

// A database that fails under the running server: verification must fail closed,
// fast and typed, on both paths; writes that fail must say so (503, the cause in
// the log with the request id, /ready), and everything must come back by itself.

const VERIFY = `mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { valid code } }`;
// A selection the fast path does not compile, so the general (yoga) path answers.
const VERIFY_GENERAL = `mutation ($s: String!) { verifyApiKey(input: {secret: $s}) { valid code ... on VerifyApiKeyPayload { valid } } }`;

describe.runIf(TEST_DIALECT === 'sqlite')('database faults (SQLite)', () => {
  let server: TestServer;
  const logLines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line));
        done();
      },
    });
    server = await startTestServer({ logger: pino({ level: 'warn' }, sink), usageRecording: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  const verifyOver = async (query: string, secret: string) => {
    const started = performance.now();
    const response = await server.post({ query, variables: { s: secret } });
    const body = (await response.json()) as { data?: { verifyApiKey?: { code: string } } | null; errors?: { message: string; extensions?: { code?: string } }[] };
    return { status: response.status, retryAfter: response.headers.get('retry-after'), body, ms: performance.now() - started };
  };

  it('a verification that cannot read its key answers UNAVAILABLE with 503 on both paths, and serves again once the database does', async () => {
    const { secret } = await generateKey(server, { projectId: 'proj_fault' });
    // The key table becomes unreadable (as a corrupted page would make it); the key is not cached.
    await sql`alter table api_keys rename to api_keys_away`.execute(server.db);
    try {
      const answeredBefore = server.fastPathAnswers;
      for (const query of [VERIFY, VERIFY_GENERAL]) {
        const answer = await verifyOver(query, secret);
        expect(answer.status).toBe(503);
        expect(answer.retryAfter).toBe('1');
        expect(answer.body.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
        expect(answer.body.data?.verifyApiKey ?? null).toBeNull();
        expect(JSON.stringify(answer.body)).not.toMatch(/api_keys|sqlite|select/i);
        expect(answer.ms).toBeLessThan(1500);
      }
      expect(server.fastPathAnswers).toBe(answeredBefore); // the fast path handed the failure on, it did not guess
    } finally {
      await sql`alter table api_keys_away rename to api_keys`.execute(server.db);
    }
    await new Promise((resolve) => setTimeout(resolve, 600)); // the verifier's back-off after a failed read
    for (const query of [VERIFY, VERIFY_GENERAL]) expect((await verifyOver(query, secret)).body.data?.verifyApiKey).toEqual({ valid: true, code: 'VALID' });
  });

  it('a full disk gives 503 UNAVAILABLE, logs SQLITE_FULL once with the request id, and makes /ready say so', async () => {
    const pageCount = Number((await sql<{ page_count: number }>`pragma page_count`.execute(server.db)).rows[0]!.page_count);
    // The file may not grow: the next writes fail as on a full disk.
    await sql.raw(`pragma max_page_count = ${pageCount}`).execute(server.db);
    let failed: Response | null = null;
    try {
      for (let i = 0; i < 200 && !failed; i++) {
        const response = await server.post(
          { query: `mutation { generateApiKey(input: {projectId: "proj_full", name: "${'n'.repeat(90)}${i}", environment: "live"}) { __typename } }` },
          { headers: { 'x-request-id': `full-${i}` } },
        );
        if (response.status !== 200) failed = response;
      }
      expect(failed).not.toBeNull();
      expect(failed!.status).toBe(503);
      const body = (await failed!.json()) as { errors: { extensions: { code: string } }[] };
      expect(body.errors[0]!.extensions.code).toBe('UNAVAILABLE');
      const requestId = failed!.headers.get('x-request-id');
      const logged = logLines.filter((line) => line.requestId === requestId);
      expect(logged).toHaveLength(1);
      expect(JSON.stringify(logged[0])).toContain('SQLITE_FULL');
      expect(JSON.stringify(logLines)).not.toContain('no transaction is active');
      const ready = await fetch(`${server.url}/ready`);
      expect(ready.status).toBe(503);
      expect(JSON.stringify(await ready.json())).toContain('SQLITE_FULL');
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    } finally {
      await sql.raw('pragma max_page_count = 1073741823').execute(server.db);
    }
    const after = await server.gql(`mutation { generateApiKey(input: {projectId: "proj_full", name: "after", environment: "live"}) { __typename } }`);
    expect(after.data.generateApiKey.__typename).toBe('GenerateApiKeyPayload');
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);
  });
});
