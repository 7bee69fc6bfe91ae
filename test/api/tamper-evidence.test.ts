import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebuildProjections } from '../../projections/rebuild';
import { changeKey, generateKey, rollKey, verify } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

const execFileAsync = promisify(execFile);

describe('tamper evidence: a hash chain over the whole log', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    // Commands, a two-stream roll and a usage flush: every way events are appended.
    const a = await generateKey(server, { projectId: 'proj_chain', name: 'a' });
    const b = await generateKey(server, { projectId: 'proj_other', name: 'b' });
    await changeKey(server, 'deactivateApiKey', a.apiKey.id, 'pause');
    await rollKey(server, { id: b.apiKey.id, gracePeriodSeconds: 60 });
    await verify(server, b.secret);
    await server.flushUsage();
    await changeKey(server, 'reactivateApiKey', a.apiKey.id);
  });
  afterAll(() => server.close());

  const integrity = async (token?: string) => {
    const body = await server.gql(`{ auditIntegrity { ok checkedEvents firstBrokenPosition problem headPosition headHash } }`, {}, { token });
    if (body.errors) return body;
    return body.data.auditIntegrity;
  };
  const chain = () => server.db.selectFrom('events').select(['position', 'chain_hash']).orderBy('position').execute();
  const verifyLogCommand = () =>
    execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/verify-log.ts'], { env: { ...process.env, DATABASE_URL: server.databaseUrl } }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error) => ({ code: error.code as number, stdout: error.stdout as string }),
    );

  it('reports an intact log with its head, checked from the first event', async () => {
    const rows = await chain();
    expect(rows.length).toBe(7);
    expect(new Set(rows.map((row) => row.chain_hash)).size).toBe(7);
    expect(await integrity()).toEqual({
      ok: true,
      checkedEvents: 7,
      firstBrokenPosition: null,
      problem: null,
      headPosition: rows.at(-1)!.position,
      headHash: rows.at(-1)!.chain_hash,
    });
    const cli = await verifyLogCommand();
    expect(cli).toMatchObject({ code: 0, stdout: expect.stringContaining('Log intact: 7 events checked') });
  });

  it('finds an altered event, over HTTP and with npm run verify-log; a rebuild neither hides it nor rewrites the chain', async () => {
    const rows = await chain();
    const third = rows[2]!.position;
    const original = await server.db.selectFrom('events').select('data').where('position', '=', third).executeTakeFirstOrThrow();
    await server.db.updateTable('events').set({ data: original.data.replace('pause', 'routine') }).where('position', '=', third).execute();

    expect(await integrity()).toMatchObject({ ok: false, checkedEvents: 3, firstBrokenPosition: third, headPosition: rows[1]!.position, headHash: rows[1]!.chain_hash });
    const cli = await verifyLogCommand();
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`Log BROKEN at position ${third}`);

    await rebuildProjections(server.db);
    expect(await chain()).toEqual(rows);
    expect(await integrity()).toMatchObject({ ok: false, firstBrokenPosition: third });

    // The check is about content: put the fact back and the chain holds again.
    await server.db.updateTable('events').set({ data: original.data }).where('position', '=', third).execute();
    expect(await integrity()).toMatchObject({ ok: true, checkedEvents: 7 });
  });

  it('finds a removed event at the position after it, and keeps chaining new events onto the log', async () => {
    const rows = await chain();
    const removed = await server.db.selectFrom('events').selectAll().where('position', '=', rows[3]!.position).executeTakeFirstOrThrow();
    await server.db.deleteFrom('events').where('position', '=', removed.position).execute();
    expect(await integrity()).toMatchObject({ ok: false, firstBrokenPosition: rows[4]!.position });
    await server.db.insertInto('events').values(removed).execute();

    await generateKey(server, { projectId: 'proj_chain', name: 'later' });
    expect(await integrity()).toMatchObject({ ok: true, checkedEvents: 8 });
  });

  it('answers only principals holding audit:read', async () => {
    const auditor = await server.tokenFor('auditor', { proj_chain: ['audit:read'] });
    const reader = await server.tokenFor('reader', { proj_chain: ['keys:read', 'keys:write'] });
    expect(await integrity(auditor)).toMatchObject({ ok: true });
    const refused = await integrity(reader);
    expect(refused.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(refused.data).toBeNull();
  });
});
