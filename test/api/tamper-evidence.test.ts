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
    // Commands and a two-stream roll: every way a request appends events. The verification
    // and usage flush between them append nothing: usage has a log of its own (the books'
    // closings, which do append, are checked below).
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
    // Two keys, a deactivation, a roll (two events), a reactivation: the verification added nothing.
    expect(rows.length).toBe(6);
    expect(await server.db.selectFrom('events').select('type').where('type', 'not in', ['KeyGenerated', 'KeyDeactivated', 'KeyReactivated', 'KeyRolled']).execute()).toEqual([]);
    expect(new Set(rows.map((row) => row.chain_hash)).size).toBe(6);
    expect(await integrity()).toEqual({
      ok: true,
      full: true,
      fromPosition: 0,
      checkedEvents: 6,
      firstBrokenPosition: null,
      problem: null,
      headPosition: rows.at(-1)!.position,
      headHash: rows.at(-1)!.chain_hash,
    });
    const cli = await verifyLogCommand();
    expect(cli).toMatchObject({ code: 0, stdout: expect.stringContaining('Log intact: 6 events checked') });
    expect(cli.stdout).toContain('Usage books intact: 0 closed hours');
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
    await server.db
      .updateTable('events')
      .set({ data: original.data.replace('pause', 'routine') })
      .where('position', '=', third)
      .execute();

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
    await server.db
      .updateTable('events')
      .set({ data: original.data.replace('pause', 'routine') })
      .where('position', '=', altered)
      .execute();
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
        const data = JSON.stringify({
          keyId: 'bulk',
          projectId: 'proj_bulk',
          count: 1,
          firstAt: last.recorded_at,
          lastAt: last.recorded_at,
          outcomes: { VALID: 1 },
          lastValidAt: last.recorded_at,
          lastRejectedAt: null,
          lastRejectedCode: null,
        });
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

describe('tamper evidence: the usage kept, against the digests the books recorded in the chain', () => {
  let server: TestServer;
  // A day ahead of the machine's clock: on PostgreSQL no other test's server can move this
  // one's clock (they announce their events' times on channels every schema hears, and
  // a time ahead of the machine's clock is not believed).
  const day = Math.floor(Date.now() / 86_400_000) * 86_400_000 + 10 * 86_400_000;
  const at = (time: string) => day + Date.parse(`1970-01-01T${time}Z`);
  const iso = (time: string) => new Date(at(time)).toISOString();
  let clock = at('09:00:00');
  const HOUR_CLOSED = `usage closed ${iso('09:00:00')} to ${iso('10:00:00')}`;
  const window = at('09:10:00');

  beforeAll(async () => {
    server = await startTestServer({ now: () => new Date(clock) });
    const { secret } = await generateKey(server, { projectId: 'proj_books', name: 'counted' });
    clock = at('09:10:30');
    for (let i = 0; i < 3; i++) expect((await verify(server, secret)).code).toBe('VALID');
    clock = at('09:40:00');
    expect((await verify(server, secret)).code).toBe('VALID');
    clock = at('10:02:00');
    expect((await verify(server, secret)).code).toBe('VALID'); // the hour from 10:00 stays open
    await server.flushUsage();
    // Five minutes after the hour from 9:00 ended, the books close it: its windows are
    // summed into hourly summaries, and the digests of both go into the chained log.
    clock = at('10:06:00');
    await server.runUsageBooks(clock);
  });
  afterAll(() => server.close());

  const verifyLogCommand = () =>
    execFileAsync(process.execPath, ['--import', 'tsx', 'src/cli/verify-log.ts'], { env: { ...process.env, DATABASE_URL: server.databaseUrl } }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error) => ({ code: error.code as number, stdout: error.stdout as string }),
    );

  it('an untampered database: the chain and the usage books are intact', async () => {
    const closings = await server.db.selectFrom('events').select(['type', 'data']).where('stream_id', '=', 'usage-books').execute();
    expect(closings.map((event) => event.type)).toEqual(['UsageHourClosed']);
    expect(JSON.parse(closings[0]!.data)).toMatchObject({ from: iso('09:00:00'), to: iso('10:00:00'), totals: { total: 4 } });
    const cli = await verifyLogCommand();
    expect(cli.code).toBe(0);
    expect(cli.stdout).toContain('Log intact: 2 events checked');
    expect(cli.stdout).toMatch(/Usage books intact: 1 closed hours, [1-9]\d* kept usage rows checked/);
    expect(cli.stdout).toContain('1 windows since the last closing');
    expect(cli.stdout).not.toContain('BROKEN');
  });

  it('a kept window changed in a closed hour: the usage books are broken, though the chain is intact', async () => {
    const changed = await server.db
      .updateTable('usage_windows')
      .set((eb) => ({ total: eb('total', '+', 1) }))
      .where('window_start', '=', window)
      .executeTakeFirst();
    expect(Number(changed.numUpdatedRows)).toBe(1);
    try {
      const cli = await verifyLogCommand();
      expect(cli.code).toBe(1);
      expect(cli.stdout).toContain('Log intact: 2 events checked');
      expect(cli.stdout).toContain(`Usage BROKEN: ${HOUR_CLOSED}: usage_windows holds 2 rows that do not match the 2 recorded`);
      expect(cli.stdout).not.toContain('Usage books intact');
    } finally {
      await server.db
        .updateTable('usage_windows')
        .set((eb) => ({ total: eb('total', '-', 1) }))
        .where('window_start', '=', window)
        .execute();
    }
    // Put back as it was, the usage agrees with its digests again.
    expect(await verifyLogCommand()).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage books intact') });
  });

  it('an hourly summary removed: the usage books are broken', async () => {
    const summary = await server.db.selectFrom('usage_key_hours').selectAll().executeTakeFirstOrThrow();
    await server.db.deleteFrom('usage_key_hours').where('key_id', '=', summary.key_id).execute();
    try {
      const cli = await verifyLogCommand();
      expect(cli.code).toBe(1);
      expect(cli.stdout).toContain(`Usage BROKEN: ${HOUR_CLOSED}: usage_key_hours holds 0 rows that do not match the 1 recorded`);
    } finally {
      await server.db.insertInto('usage_key_hours').values(summary).execute();
    }
    expect(await verifyLogCommand()).toMatchObject({ code: 0, stdout: expect.stringContaining('Usage books intact') });
  });
});
