import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLogProjection } from '../../projections/audit-log-projection';
import { changeKey, generateKey, rollKey, verify } from '../support/api-key-operations';
import { tempDatabase } from '../support/temp-database';
import { startTestServer, type TestServer } from '../support/test-server';

// Usage has a log of its own: the audit log shows what people did to keys, and
// nothing of how often keys were verified, whatever a client still asks for.

const REASON = 'Usage is no longer in the audit log; read ApiKey.usage or Project.usage.';
const PROJECT = 'proj_lifecycle_only';

const AUDIT_LOG = `query ($filter: AuditLogFilter) { project(id: "${PROJECT}") {
  auditLog(first: 100, filter: $filter) { edges { node { type keyId reason usage { count } } } pageInfo { hasNextPage } } } }`;
const HISTORY = `query ($id: ID!, $includeUsage: Boolean) { apiKey(id: $id) { usageCount
  auditHistory(first: 100, includeUsage: $includeUsage) { edges { node { type usage { count valid } } } } } }`;

describe('the audit log shows key lifecycle events only', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Usage is written when the test says (flushUsage), and whenever a window ends meanwhile: either way, never to the audit log.
    server = await startTestServer({ actor: 'auditor' });
  });
  afterAll(() => server.close());

  const auditLog = async (filter: Record<string, unknown> | null) => {
    const body = await server.gql(AUDIT_LOG, { filter });
    expect(body.errors).toBeUndefined();
    return body.data.project.auditLog;
  };
  const history = async (id: string, includeUsage?: boolean) => {
    const body = await server.gql(HISTORY, { id, includeUsage });
    expect(body.errors).toBeUndefined();
    return body.data.apiKey;
  };

  it('records verifications as usage, and none of them in the project’s audit log or the key’s history, even with includeUsage', async () => {
    const { secret, apiKey } = await generateKey(server, { projectId: PROJECT, name: 'busy' });
    for (let i = 0; i < 5; i++) expect(await verify(server, secret)).toMatchObject({ valid: true });
    await server.flushUsage();
    await changeKey(server, 'deactivateApiKey', apiKey.id, 'pause');
    for (let i = 0; i < 2; i++) expect(await verify(server, secret)).toMatchObject({ valid: false, code: 'INACTIVE' });
    await server.flushUsage();
    await changeKey(server, 'reactivateApiKey', apiKey.id, 'resume');
    const rolled = await rollKey(server, { id: apiKey.id, gracePeriodSeconds: 3600, reason: 'rotation' });
    expect(await verify(server, secret)).toMatchObject({ valid: true }); // the old secret, in its grace period
    expect(await verify(server, rolled.secret)).toMatchObject({ valid: true });
    await server.flushUsage();
    await changeKey(server, 'deleteApiKey', rolled.apiKey.id, 'done');
    expect(await verify(server, rolled.secret)).toMatchObject({ valid: false, code: 'DELETED' });
    await server.flushUsage();

    // The verifications were recorded (so there was usage to leave out).
    expect((await history(apiKey.id)).usageCount).toBe(8);
    expect((await history(rolled.apiKey.id)).usageCount).toBe(2);

    const lifecycle = [
      ['KeyDeleted', rolled.apiKey.id, 'done'],
      ['KeyGenerated', rolled.apiKey.id, null],
      ['KeyRolled', apiKey.id, 'rotation'],
      ['KeyReactivated', apiKey.id, 'resume'],
      ['KeyDeactivated', apiKey.id, 'pause'],
      ['KeyGenerated', apiKey.id, null],
    ];
    for (const filter of [null, {}, { includeUsage: false }, { includeUsage: true }, { includeUsage: true, actor: 'auditor' }]) {
      const log = await auditLog(filter);
      expect(log.edges.map(({ node }: any) => [node.type, node.keyId, node.reason])).toEqual(lifecycle);
      expect(log.edges.every(({ node }: any) => node.usage === null)).toBe(true);
      expect(log.pageInfo.hasNextPage).toBe(false);
    }
    // Asking for usage by type finds nothing, with or without includeUsage.
    expect((await auditLog({ types: ['KeyUsed'] })).edges).toEqual([]);
    expect((await auditLog({ types: ['KeyUsed'], includeUsage: true })).edges).toEqual([]);
    expect((await auditLog({ types: ['KeyUsed', 'KeyRolled'], includeUsage: true })).edges.map(({ node }: any) => node.type)).toEqual(['KeyRolled']);

    for (const includeUsage of [undefined, false, true]) {
      const old = await history(apiKey.id, includeUsage);
      expect(old.auditHistory.edges.map(({ node }: any) => node)).toEqual(['KeyRolled', 'KeyReactivated', 'KeyDeactivated', 'KeyGenerated'].map((type) => ({ type, usage: null })));
      const successor = await history(rolled.apiKey.id, includeUsage);
      expect(successor.auditHistory.edges.map(({ node }: any) => node.type)).toEqual(['KeyDeleted', 'KeyGenerated']);
    }

    // Nothing but lifecycle rows were written.
    const rows = await server.db.selectFrom('audit_events').select(['type', 'category', 'usage']).where('project_id', '=', PROJECT).execute();
    expect(rows).toHaveLength(lifecycle.length);
    expect(rows.every((row) => row.category === 'lifecycle' && row.usage === null)).toBe(true);
  });

  it('keeps the old usage switches in the schema, deprecated with where to read usage now', async () => {
    const body = await server.gql(`{
      auditEvent: __type(name: "AuditEvent") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } }
      eventType: __type(name: "AuditEventType") { enumValues(includeDeprecated: true) { name isDeprecated deprecationReason } }
      filter: __type(name: "AuditLogFilter") { inputFields(includeDeprecated: true) { name isDeprecated deprecationReason } }
      filterCurrent: __type(name: "AuditLogFilter") { inputFields { name } }
      apiKey: __type(name: "ApiKey") { fields { name args(includeDeprecated: true) { name isDeprecated deprecationReason } } }
      subscription: __type(name: "Subscription") { fields { name args(includeDeprecated: true) { name isDeprecated deprecationReason } } }
    }`);
    expect(body.errors).toBeUndefined();
    const { auditEvent, eventType, filter, filterCurrent, apiKey, subscription } = body.data;
    const deprecated = (items: { name: string; isDeprecated: boolean; deprecationReason: string | null }[]) =>
      items.filter((item) => item.isDeprecated).map((item) => [item.name, item.deprecationReason]);
    const argsOf = (type: { fields: { name: string; args: any[] }[] }, field: string) => type.fields.find((f) => f.name === field)!.args;

    expect(deprecated(auditEvent.fields)).toEqual([['usage', REASON]]);
    expect(deprecated(eventType.enumValues)).toEqual([['KeyUsed', REASON]]);
    expect(deprecated(filter.inputFields)).toEqual([['includeUsage', REASON]]);
    expect(deprecated(argsOf(apiKey, 'auditHistory'))).toEqual([['includeUsage', REASON]]);
    expect(deprecated(argsOf(subscription, 'auditEvents'))).toEqual([['includeUsage', REASON]]);
    // Tools that leave deprecated inputs out no longer offer it.
    expect(filterCurrent.inputFields.map((field: { name: string }) => field.name)).not.toContain('includeUsage');
  });
});

describe('the audit log projection', () => {
  let store: Awaited<ReturnType<typeof tempDatabase>>;
  beforeAll(async () => {
    store = await tempDatabase();
  });
  afterAll(() => store.cleanup());

  it('writes lifecycle events and skips legacy KeyUsed and any event that is not a key lifecycle event', async () => {
    const metadata = { actor: 'legacy', requestId: 'r', causationId: 'r', correlationId: 'r', clientAddress: null, userAgent: null };
    const at = '2026-01-01T00:00:00.000Z';
    const envelope = (position: number, type: string, data: Record<string, unknown>) =>
      // Typed as lifecycle events, as the projection's callers promise: it must not trust that.
      ({ position, streamId: `s${position}`, streamVersion: 1, schemaVersion: 1, metadata, recordedAt: at, type, data }) as never;
    const keyId = 'key-legacy';
    await auditLogProjection.project(store.db, [
      envelope(1, 'KeyGenerated', { keyId, projectId: 'p', name: 'old', environment: 'live', secretHash: 'h', maskedKey: 'm', expiresAt: null, rotatedFrom: null }),
      // Version 1 usage, as older servers wrote it into the chained log.
      envelope(2, 'KeyUsed', { keyId, projectId: 'p', count: 3, firstAt: at, lastAt: at, outcomes: { VALID: 3 }, lastValidAt: at, lastRejectedAt: null, lastRejectedCode: null }),
      // The usage log's books: in the chained log, about no key.
      envelope(3, 'UsageHourClosed', { from: at, to: '2026-01-01T01:00:00.000Z', totals: { total: 3, valid: 3, inactive: 0, expired: 0, deleted: 0 } }),
      envelope(4, 'UsagePruned', { resolution: 'MINUTE', before: at, retentionDays: 2 }),
      envelope(5, 'SomethingNew', { keyId, projectId: 'p' }),
      envelope(6, 'KeyDeactivated', { keyId, projectId: 'p', reason: 'legacy' }),
    ]);
    const rows = await store.db.selectFrom('audit_events').select(['position', 'type', 'category', 'usage', 'reason']).orderBy('position').execute();
    expect(rows.map((row) => ({ ...row, position: Number(row.position) }))).toEqual([
      { position: 1, type: 'KeyGenerated', category: 'lifecycle', usage: null, reason: null },
      { position: 6, type: 'KeyDeactivated', category: 'lifecycle', usage: null, reason: 'legacy' },
    ]);
    // A batch with nothing to show writes nothing (and does not fail).
    await auditLogProjection.project(store.db, [envelope(7, 'UsagePruned', { resolution: 'HOUR', before: at, retentionDays: 90 })]);
    expect(await store.db.selectFrom('audit_events').select('position').execute()).toHaveLength(2);
  });
});
