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

  /** Incremental by default (from the server's last intact check); full walks from the first event. */
  const integrity = async (options: { token?: string; full?: boolean } = {}) => {
    const body = await server.gql(
      `query ($full: Boolean) { auditIntegrity(full: $full) { ok full fromPosition checkedEvents firstBrokenPosition problem headPosition headHash } }`,
      { full: options.full ?? false },
      { token: options.token },
    );
    if (body.errors) return body;
    return body.data.auditIntegrity;
  };
  const chain = () => server.db.selectFrom('events').select(['position', 'chain_hash']).orderBy('position').execute();
  const verifyLogCommand = () =>
    execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/verify-log.ts'], { env: { ...process.env, DATABASE_URL: server.databaseUrl } }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error) => ({ code: error.code as number, stdout: error.stdout as string }),
    );

  it('reports an intact log with its head, checked from the first event the first time', async () => {
    const rows = await chain();
    expect(rows.length).toBe(7);
    expect(new Set(rows.map((row) => row.chain_hash)).size).toBe(7);
    expect(await integrity()).toEqual({
      ok: true,
      full: true,
      fromPosition: 0,
      checkedEvents: 7,
      firstBrokenPosition: null,
      problem: null,
      headPosition: rows.at(-1)!.position,
      headHash: rows.at(-1)!.chain_hash,
    });
    const cli = await verifyLogCommand();
    expect(cli).toMatchObject({ code: 0, stdout: expect.stringContaining('Log intact: 7 events checked') });
  });

  it('checks incrementally: a repeated check reads only what was appended since the last intact one', async () => {
    const rows = await chain();
    expect(await integrity()).toMatchObject({ ok: true, full: false, fromPosition: rows.at(-1)!.position, checkedEvents: 0, headHash: rows.at(-1)!.chain_hash });
    await generateKey(server, { projectId: 'proj_chain', name: 'incremental' });
    const grown = await chain();
    expect(await integrity()).toMatchObject({ ok: true, full: false, fromPosition: rows.at(-1)!.position, checkedEvents: 1, headPosition: grown.at(-1)!.position });
  });

  it('an incremental check does not re-read verified events; full: true finds an altered one, over HTTP and with npm run verify-log; a rebuild neither hides it nor rewrites the chain', async () => {
    const rows = await chain();
    await integrity(); // everything verified: the checkpoint is the head
    const third = rows[2]!.position;
    const original = await server.db.selectFrom('events').select('data').where('position', '=', third).executeTakeFirstOrThrow();
    await server.db.updateTable('events').set({ data: original.data.replace('pause', 'routine') }).where('position', '=', third).execute();

    // Documented: the incremental check starts after the checkpoint and does not see it.
    expect(await integrity()).toMatchObject({ ok: true, full: false, checkedEvents: 0 });
    expect(await integrity({ full: true })).toMatchObject({
      ok: false,
      full: true,
      fromPosition: 0,
      checkedEvents: 3,
      firstBrokenPosition: third,
      headPosition: rows[1]!.position,
      headHash: rows[1]!.chain_hash,
    });
    // Once a full check has found a break, incremental checks walk from the first event again.
    expect(await integrity()).toMatchObject({ ok: false, full: true, firstBrokenPosition: third });
    const cli = await verifyLogCommand();
    expect(cli.code).toBe(1);
    expect(cli.stdout).toContain(`Log BROKEN at position ${third}`);

    await rebuildProjections(server.db);
    expect(await chain()).toEqual(rows);
    expect(await integrity({ full: true })).toMatchObject({ ok: false, firstBrokenPosition: third });

    // The check is about content: put the fact back and the chain holds again.
    await server.db.updateTable('events').set({ data: original.data }).where('position', '=', third).execute();
    expect(await integrity({ full: true })).toMatchObject({ ok: true, checkedEvents: rows.length });
  });

  it('an incremental check finds an event altered after its checkpoint', async () => {
    const before = await chain();
    expect(await integrity()).toMatchObject({ ok: true, headPosition: before.at(-1)!.position });
    const { apiKey } = await generateKey(server, { projectId: 'proj_chain', name: 'after the checkpoint' });
    await changeKey(server, 'deactivateApiKey', apiKey.id, 'pause');
    const rows = await chain();
    const altered = rows.at(-1)!.position;
    const original = await server.db.selectFrom('events').select('data').where('position', '=', altered).executeTakeFirstOrThrow();
    await server.db.updateTable('events').set({ data: original.data.replace('pause', 'routine') }).where('position', '=', altered).execute();
    expect(await integrity()).toMatchObject({
      ok: false,
      full: false,
      fromPosition: before.at(-1)!.position,
      checkedEvents: 2,
      firstBrokenPosition: altered,
      headPosition: rows.at(-2)!.position,
    });
    // A broken incremental check keeps its checkpoint: the next one reports the same break.
    expect(await integrity()).toMatchObject({ ok: false, firstBrokenPosition: altered });
    await server.db.updateTable('events').set({ data: original.data }).where('position', '=', altered).execute();
    expect(await integrity()).toMatchObject({ ok: true, full: false, fromPosition: before.at(-1)!.position, checkedEvents: 2 });
  });

  it('an incremental check finds its checkpoint cut off the end of the log', async () => {
    const rows = await chain();
    expect(await integrity()).toMatchObject({ ok: true, headPosition: rows.at(-1)!.position });
    const head = await server.db.selectFrom('events').selectAll().where('position', '=', rows.at(-1)!.position).executeTakeFirstOrThrow();
    await server.db.deleteFrom('events').where('position', '=', head.position).execute();
    expect(await integrity()).toMatchObject({ ok: false, full: false, firstBrokenPosition: head.position });
    await server.db.insertInto('events').values(head).execute();
    expect(await integrity()).toMatchObject({ ok: true, full: false });
  });

  it('a full check finds a removed event at the position after it, and new events keep chaining onto the log', async () => {
    const rows = await chain();
    const removed = await server.db.selectFrom('events').selectAll().where('position', '=', rows[3]!.position).executeTakeFirstOrThrow();
    await server.db.deleteFrom('events').where('position', '=', removed.position).execute();
    expect(await integrity({ full: true })).toMatchObject({ ok: false, firstBrokenPosition: rows[4]!.position });
    await server.db.insertInto('events').values(removed).execute();

    await generateKey(server, { projectId: 'proj_chain', name: 'later' });
    expect(await integrity({ full: true })).toMatchObject({ ok: true, checkedEvents: rows.length + 1 });
    expect(await integrity()).toMatchObject({ ok: true, full: false, checkedEvents: 0 });
  });

  it('answers only operators (the operator permission on "*"): audit:read is not enough', async () => {
    const operator = await server.tokenFor('ops', { '*': ['operator'] });
    const auditor = await server.tokenFor('auditor', { proj_chain: ['audit:read'], '*': ['audit:read'] });
    const projectOperator = await server.tokenFor('tenant-ops', { proj_chain: ['operator', 'audit:read'] });
    const reader = await server.tokenFor('reader', { proj_chain: ['keys:read', 'keys:write'] });
    expect(await integrity({ token: operator })).toMatchObject({ ok: true });
    expect(await integrity({ token: operator, full: true })).toMatchObject({ ok: true, full: true });
    for (const token of [auditor, projectOperator, reader]) {
      for (const full of [false, true]) {
        const refused = await integrity({ token, full });
        expect(refused.errors[0].extensions.code).toBe('FORBIDDEN');
        expect(refused.data).toBeNull();
      }
    }
  });

  it('a walk runs in slices: the event loop turns while a long log is checked', async () => {
    // Enough rows for several slices, appended raw (each chained onto the last).
    const { chainHash } = await import('../../src/store/event-chain');
    const last = await server.db.selectFrom('events').selectAll().orderBy('position', 'desc').limit(1).executeTakeFirstOrThrow();
    let hash = last.chain_hash;
    const metadata = JSON.stringify({ actor: 'bulk', requestId: 'bulk', causationId: 'bulk', correlationId: 'bulk', clientAddress: null, userAgent: null });
    for (let batch = 0; batch < 5; batch++) {
      const values = [];
      for (let i = 0; i < 500; i++) {
        const n = batch * 500 + i;
        const data = JSON.stringify({ keyId: 'bulk', projectId: 'proj_bulk', count: 1, firstAt: last.recorded_at, lastAt: last.recorded_at, outcomes: { VALID: 1 }, lastValidAt: last.recorded_at, lastRejectedAt: null, lastRejectedCode: null });
        const row = { stream_id: 'bulk:usage', stream_version: n + 1, type: 'KeyUsed', schema_version: 1, data, metadata, recorded_at: last.recorded_at };
        hash = chainHash(hash, row);
        values.push({ ...row, chain_hash: hash });
      }
      await server.db.insertInto('events').values(values).execute();
    }
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    const report = await integrity({ full: true });
    clearInterval(ticker);
    expect(report).toMatchObject({ ok: true, full: true });
    expect(report.checkedEvents).toBeGreaterThan(2500);
    // Timers fire between slices (three or more of them); a walk in one piece would allow none.
    expect(turns).toBeGreaterThanOrEqual(2);
  });
});
