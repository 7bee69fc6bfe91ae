import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeKey, generateKey } from '../support/api-key-operations';
import { startTestServer, type TestServer } from '../support/test-server';

// Audit event ids and list cursors must not reveal the global log position: with
// it, a tenant paging its own log could count every other tenant's activity.

const AUDIT_PAGE = `query ($project: String!, $first: Int, $after: String) {
  project(id: $project) { auditLog(first: $first, after: $after) {
    edges { cursor node { id type reason } } pageInfo { hasNextPage endCursor } } } }`;

/** Every way the old formats (`AuditEvent:<position>`, `kind:position`) or a plain binary counter would give the number away. */
function revealsPosition(token: string, position: number): boolean {
  const text = Buffer.from(token, 'base64').toString('latin1');
  const asCursor = Buffer.from(token, 'base64url').toString('latin1');
  if ([text, asCursor].some((decoded) => decoded.split(':').some((part) => Number(part) === position))) return true;
  const inner = text.includes(':') ? Buffer.from(text.slice(text.indexOf(':') + 1), 'base64url') : Buffer.from(token, 'base64url');
  for (const bytes of [inner, Buffer.from(token, 'base64url')]) {
    for (let offset = 0; offset + 4 <= bytes.length; offset++) {
      if (bytes.readUInt32BE(offset) === position || bytes.readUInt32LE(offset) === position) return true;
    }
  }
  return false;
}

/** Bits that differ between the binary bodies of two ids or cursors. */
function bitsApart(a: string, b: string): number {
  const body = (token: string) => {
    const text = Buffer.from(token, 'base64').toString('latin1');
    return Buffer.from(text.includes(':') ? text.slice(text.indexOf(':') + 1) : token, 'base64url');
  };
  const [x, y] = [body(a), body(b)];
  let bits = 0;
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    let diff = (x[i] ?? 0) ^ (y[i] ?? 0);
    for (; diff; diff >>= 1) bits += diff & 1;
  }
  return bits;
}

async function positionsOf(server: TestServer, projectId: string): Promise<number[]> {
  const rows = await server.db.selectFrom('audit_events').select('position').where('project_id', '=', projectId).orderBy('position', 'desc').execute();
  return rows.map((row) => Number(row.position));
}

describe('audit event ids and cursors are opaque', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  it('ids and cursors of consecutive events do not show their log positions', async () => {
    const { apiKey } = await generateKey(server, { projectId: 'proj_opaque' });
    await changeKey(server, 'deactivateApiKey', apiKey.id);
    await changeKey(server, 'reactivateApiKey', apiKey.id);
    const body = await server.gql(AUDIT_PAGE, { project: 'proj_opaque', first: 3 });
    const edges = body.data.project.auditLog.edges as { cursor: string; node: { id: string } }[];
    const positions = await positionsOf(server, 'proj_opaque');
    expect(positions).toHaveLength(3);
    expect(positions[0]! - positions[2]!).toBe(2); // consecutive in the log

    edges.forEach((edge, i) => {
      expect(revealsPosition(edge.node.id, positions[i]!), edge.node.id).toBe(false);
      expect(revealsPosition(edge.cursor, positions[i]!), edge.cursor).toBe(false);
    });
    // Consecutive positions give unrelated values, not neighbouring ones (a random pair differs in about 64 of 128 bits).
    for (let i = 1; i < edges.length; i++) {
      expect(bitsApart(edges[i - 1]!.node.id, edges[i]!.node.id)).toBeGreaterThan(24);
      expect(bitsApart(edges[i - 1]!.cursor, edges[i]!.cursor)).toBeGreaterThan(24);
    }

    const keys = await server.gql(`{ project(id: "proj_opaque") { apiKeys { edges { cursor } } } }`);
    const [row] = await server.db.selectFrom('api_keys').select('created_position').where('project_id', '=', 'proj_opaque').execute();
    expect(revealsPosition(keys.data.project.apiKeys.edges[0].cursor, Number(row!.created_position))).toBe(false);
  });

  it('pages through a log interleaved with another project’s, every event exactly once', async () => {
    const mine = await generateKey(server, { projectId: 'proj_pages' });
    const theirs = await generateKey(server, { projectId: 'proj_noise' });
    for (let i = 0; i < 7; i++) {
      await changeKey(server, i % 2 ? 'reactivateApiKey' : 'deactivateApiKey', mine.apiKey.id, `mine ${i}`);
      await changeKey(server, i % 2 ? 'reactivateApiKey' : 'deactivateApiKey', theirs.apiKey.id, `theirs ${i}`);
    }
    const seen: { id: string; reason: string | null }[] = [];
    let after: string | null = null;
    for (let pages = 0; pages < 10; pages++) {
      const body: any = await server.gql(AUDIT_PAGE, { project: 'proj_pages', first: 3, after });
      expect(body.errors).toBeUndefined();
      const { edges, pageInfo }: { edges: any[]; pageInfo: any } = body.data.project.auditLog;
      seen.push(...edges.map((edge: any) => ({ id: edge.node.id, reason: edge.node.reason })));
      if (!pageInfo.hasNextPage) break;
      after = pageInfo.endCursor;
    }
    expect(seen.map((event) => event.reason)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i): string | null => `mine ${i}`).concat([null]));
    expect(new Set(seen.map((event) => event.id)).size).toBe(8);

    // A key's own history pages the same way.
    const first = await server.gql(`query ($id: ID!) { apiKey(id: $id) { auditHistory(first: 5) { edges { node { id } } pageInfo { endCursor } } } }`, { id: mine.apiKey.id });
    const rest = await server.gql(
      `query ($id: ID!, $after: String) { apiKey(id: $id) { auditHistory(first: 5, after: $after) { edges { node { id } } pageInfo { hasNextPage } } } }`,
      {
        id: mine.apiKey.id,
        after: first.data.apiKey.auditHistory.pageInfo.endCursor,
      },
    );
    const history = [...first.data.apiKey.auditHistory.edges, ...rest.data.apiKey.auditHistory.edges].map((edge: any) => edge.node.id);
    expect(history).toEqual(seen.map((event) => event.id));
    expect(rest.data.apiKey.auditHistory.pageInfo.hasNextPage).toBe(false);

    // Key lists too.
    for (const name of ['k1', 'k2', 'k3']) await generateKey(server, { projectId: 'proj_pages', name });
    const names: string[] = [];
    after = null;
    for (let pages = 0; pages < 5; pages++) {
      const body: any = await server.gql(
        `query ($after: String) { project(id: "proj_pages") { apiKeys(first: 2, after: $after) { edges { node { name } } pageInfo { hasNextPage endCursor } } } }`,
        { after },
      );
      names.push(...body.data.project.apiKeys.edges.map((edge: any) => edge.node.name));
      if (!body.data.project.apiKeys.pageInfo.hasNextPage) break;
      after = body.data.project.apiKeys.pageInfo.endCursor;
    }
    expect(names).toEqual(['k3', 'k2', 'k1', 'Default key']);
  });

  it('refuses cursors of another list, tampered, forged or random ones as VALIDATION', async () => {
    const { apiKey } = await generateKey(server, { projectId: 'proj_refuse' });
    await changeKey(server, 'deactivateApiKey', apiKey.id);
    const page = await server.gql(`{ project(id: "proj_refuse") { auditLog(first: 1) { edges { cursor node { id } } } apiKeys(first: 1) { edges { cursor } } } }`);
    const auditCursor: string = page.data.project.auditLog.edges[0].cursor;
    const auditId: string = page.data.project.auditLog.edges[0].node.id;
    const keyCursor: string = page.data.project.apiKeys.edges[0].cursor;
    const flipped = (token: string) => {
      const bytes = Buffer.from(token, 'base64url');
      bytes[bytes.length - 1]! ^= 1;
      return bytes.toString('base64url');
    };
    const [position] = await positionsOf(server, 'proj_refuse');

    const auditLog = (after: string) => server.gql(`query ($after: String) { project(id: "proj_refuse") { auditLog(after: $after) { edges { cursor } } } }`, { after });
    const apiKeys = (after: string) => server.gql(`query ($after: String) { project(id: "proj_refuse") { apiKeys(after: $after) { edges { cursor } } } }`, { after });
    const history = (after: string) =>
      server.gql(`query ($id: ID!, $after: String) { apiKey(id: $id) { auditHistory(after: $after) { edges { cursor } } } }`, { id: apiKey.id, after });

    const refused: [string, (after: string) => Promise<any>, string][] = [
      ['a key cursor in the audit log', auditLog, keyCursor],
      ['a key cursor in a key history', history, keyCursor],
      ['an audit cursor in a key list', apiKeys, auditCursor],
      ['an audit event id as a cursor', auditLog, auditId],
      ['a tampered cursor', auditLog, flipped(auditCursor)],
      ['a tampered key cursor', apiKeys, flipped(keyCursor)],
      ['a forged cursor in the old format', auditLog, Buffer.from(`AuditEvent:${position! + 1}`).toString('base64url')],
      ['a forged key cursor in the old format', apiKeys, Buffer.from('ApiKey:999999').toString('base64url')],
      ['16 random bytes', auditLog, randomBytes(16).toString('base64url')],
      ['a random base64 string', apiKeys, randomBytes(40).toString('base64')],
      ['not base64 at all', auditLog, '%%%…'],
      ['an empty string', auditLog, ''],
    ];
    for (const [name, list, after] of refused) {
      const body = await list(after);
      expect(body.errors?.[0]?.extensions?.code, name).toBe('VALIDATION');
    }
    // The genuine ones still work where they belong.
    expect((await auditLog(auditCursor)).errors).toBeUndefined();
    expect((await apiKeys(keyCursor)).errors).toBeUndefined();
  });

  it('node(id) finds an audit event by its new id, and answers null for a forged or tampered one', async () => {
    const { apiKey } = await generateKey(server, { projectId: 'proj_node_ids' });
    await changeKey(server, 'deactivateApiKey', apiKey.id, 'paused');
    const page = await server.gql(`{ project(id: "proj_node_ids") { auditLog(first: 1) { edges { node { id type reason } } } } }`);
    const event = page.data.project.auditLog.edges[0].node;
    const node = await server.gql(`query ($id: ID!) { node(id: $id) { __typename id ... on AuditEvent { type reason } } }`, { id: event.id });
    expect(node).toEqual({ data: { node: { __typename: 'AuditEvent', ...event } } });

    const [position] = await positionsOf(server, 'proj_node_ids');
    const inner = Buffer.from(event.id, 'base64').toString().slice('AuditEvent:'.length);
    const tampered = Buffer.from(inner, 'base64url');
    tampered[0]! ^= 0x80;
    for (const id of [
      Buffer.from(`AuditEvent:${position}`).toString('base64'),
      Buffer.from(`AuditEvent:${tampered.toString('base64url')}`).toString('base64'),
      Buffer.from(`AuditEvent:${randomBytes(16).toString('base64url')}`).toString('base64'),
    ]) {
      // (node and nodes of one id in one request trip over Pothos's request cache: two requests.)
      expect(await server.gql(`query ($id: ID!) { node(id: $id) { id } }`, { id }), id).toEqual({ data: { node: null } });
      expect(await server.gql(`query ($id: ID!) { nodes(ids: [$id]) { id } }`, { id }), id).toEqual({ data: { nodes: [null] } });
    }
  });

  it('gives the same ids on every instance of one database and after a restart, and refuses another database’s cursors', async () => {
    const { apiKey } = await generateKey(server, { projectId: 'proj_instances' });
    await changeKey(server, 'deactivateApiKey', apiKey.id);
    const query = `{ project(id: "proj_instances") { auditLog { edges { cursor node { id } } } } }`;
    const here = (await server.gql(query)).data;

    const second = await startTestServer({ databaseUrl: server.databaseUrl });
    try {
      expect((await second.gql(query)).data).toEqual(here);
    } finally {
      await second.close();
    }
    const restarted = await startTestServer({ databaseUrl: server.databaseUrl });
    try {
      expect((await restarted.gql(query)).data).toEqual(here);
    } finally {
      await restarted.close();
    }

    const elsewhere = await startTestServer();
    try {
      const other = await generateKey(elsewhere, { projectId: 'proj_instances' });
      await changeKey(elsewhere, 'deactivateApiKey', other.apiKey.id);
      const body = await elsewhere.gql(`query ($after: String) { project(id: "proj_instances") { auditLog(after: $after) { edges { cursor } } } }`, {
        after: here.project.auditLog.edges[0].cursor,
      });
      expect(body.errors?.[0]?.extensions?.code).toBe('VALIDATION');
      const node = await elsewhere.gql(`query ($id: ID!) { node(id: $id) { id } }`, { id: here.project.auditLog.edges[0].node.id });
      expect(node).toEqual({ data: { node: null } });
    } finally {
      await elsewhere.close();
    }
  });
});
