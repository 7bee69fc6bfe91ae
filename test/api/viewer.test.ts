import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKey } from '../support/api-key-operations';
import { startTestServer, TEST_JWT_SECRET, type TestServer } from '../support/test-server';

// Query.viewer feeds a console's project switcher: what the token says about its
// caller, read back over HTTP exactly as a console would ask for it.

const VIEWER = `{ viewer { subject tokenExpiresAt allProjects operator projects { projectId permissions project { projectId } } } }`;

describe('viewer: who the token is and which projects it may use', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  async function viewer(token: string) {
    const body = await server.gql(VIEWER, {}, { token });
    expect(body.errors).toBeUndefined();
    return body.data.viewer;
  }

  it('lists the projects the token names, sorted by id, with their effective permissions', async () => {
    const token = await server.tokenFor('alice', {
      proj_b: ['keys:write', 'keys:read', 'keys:read'],
      Zeta: ['audit:read'],
      proj_a: ['keys:read', 'audit:read'],
      proj_verify: ['keys:verify'],
      proj_nothing: [],
    });
    expect(await viewer(token)).toEqual({
      subject: 'alice',
      tokenExpiresAt: expect.any(String),
      allProjects: false,
      operator: false,
      // Code-unit order: capitals before lower case, the same on every server.
      projects: [
        { projectId: 'Zeta', permissions: ['audit:read'], project: { projectId: 'Zeta' } },
        { projectId: 'proj_a', permissions: ['keys:read', 'audit:read'], project: { projectId: 'proj_a' } },
        // Deduplicated and in the order of PERMISSIONS, whatever the token's order.
        { projectId: 'proj_b', permissions: ['keys:read', 'keys:write'], project: { projectId: 'proj_b' } },
        // Named, but granting nothing known: listed, and not visible.
        { projectId: 'proj_nothing', permissions: [], project: null },
        // keys:verify alone does not make a project's keys visible.
        { projectId: 'proj_verify', permissions: ['keys:verify'], project: null },
      ],
    });
  });

  it('merges what "*" grants into every listed project without listing "*" itself', async () => {
    const token = await server.tokenFor('gateway', { proj_a: ['keys:read'], proj_verify: [], '*': ['keys:verify', 'operator'] });
    expect(await viewer(token)).toMatchObject({
      subject: 'gateway',
      // keys:verify on "*" opens no project; operator is not a project permission.
      allProjects: false,
      operator: true,
      projects: [
        { projectId: 'proj_a', permissions: ['keys:read', 'keys:verify'], project: { projectId: 'proj_a' } },
        { projectId: 'proj_verify', permissions: ['keys:verify'], project: null },
      ],
    });
  });

  it('says allProjects when "*" grants a management permission, and a project named only for verifying becomes visible', async () => {
    for (const permission of ['keys:read', 'keys:write', 'audit:read'] as const) {
      const token = await server.tokenFor('admin', { '*': [permission], proj_verify: ['keys:verify'] });
      expect(await viewer(token), permission).toMatchObject({
        allProjects: true,
        operator: false,
        projects: [{ projectId: 'proj_verify', permissions: [permission, 'keys:verify'], project: { projectId: 'proj_verify' } }],
      });
    }
    // The test server's own token: everything on "*", so nothing to list.
    expect(await viewer(server.token)).toMatchObject({ subject: 'tester', allProjects: true, operator: true, projects: [] });
    // "operator" named on a project grants nothing there (it counts only on "*").
    const notOperator = await server.tokenFor('bob', { proj_a: ['operator', 'keys:read'] });
    expect(await viewer(notOperator)).toMatchObject({ operator: false, projects: [{ projectId: 'proj_a', permissions: ['keys:read'] }] });
  });

  it('gives the Project itself, whose fields keep their own permission checks', async () => {
    await generateKey(server, { projectId: 'proj_keys', name: 'listed' });
    const token = await server.tokenFor('carol', { proj_keys: ['keys:read'] });
    const body = await server.gql(`{ viewer { projects { project { id projectId apiKeys { edges { node { name } } } } } } }`, {}, { token });
    expect(body.errors).toBeUndefined();
    expect(body.data.viewer.projects).toEqual([{ project: { id: expect.any(String), projectId: 'proj_keys', apiKeys: { edges: [{ node: { name: 'listed' } }] } } }]);
    // Its id is the same Relay id Query.project answers.
    const direct = await server.gql(`{ project(id: "proj_keys") { id } }`, {}, { token });
    expect(body.data.viewer.projects[0].project.id).toBe(direct.data.project.id);

    const writer = await server.tokenFor('dave', { proj_keys: ['keys:write'] });
    const denied = await server.gql(`{ viewer { projects { project { projectId apiKeys { edges { node { name } } } } } } }`, {}, { token: writer });
    expect(denied.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('lists an id the projectId rule refuses, with project null rather than an error', async () => {
    const token = await server.tokenFor('erin', { 'has space': ['keys:read'], proj_a: ['keys:read'] });
    expect((await viewer(token)).projects).toEqual([
      { projectId: 'has space', permissions: ['keys:read'], project: null },
      { projectId: 'proj_a', permissions: ['keys:read'], project: { projectId: 'proj_a' } },
    ]);
  });

  it('treats project ids named like Object.prototype members as plain names', async () => {
    // Raw JSON, so "__proto__" is an ordinary key of the claim, as an attacker would send it.
    const payload = JSON.parse(`{"perms":{"__proto__":["keys:read"],"constructor":["keys:read","keys:write"],"toString":["keys:verify"],"hasOwnProperty":[]}}`);
    const token = await new SignJWT(payload).setProtectedHeader({ alg: 'HS256' }).setSubject('mallory').setExpirationTime('10m').sign(new TextEncoder().encode(TEST_JWT_SECRET));
    expect(Buffer.from(token.split('.')[1]!, 'base64url').toString()).toContain('"__proto__":[');
    expect(await viewer(token)).toEqual({
      subject: 'mallory',
      tokenExpiresAt: expect.any(String),
      allProjects: false,
      operator: false,
      // "__proto__" is dropped when the claims are read (it grants nothing anywhere), so it is not listed either.
      projects: [
        { projectId: 'constructor', permissions: ['keys:read', 'keys:write'], project: { projectId: 'constructor' } },
        { projectId: 'hasOwnProperty', permissions: [], project: null },
        { projectId: 'toString', permissions: ['keys:verify'], project: null },
      ],
    });
  });

  it('gives the moment the server stops accepting the token: its exp plus the tolerated skew', async () => {
    const token = await server.tokenFor('frank', {}, 600);
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as { exp: number };
    expect(await viewer(token)).toEqual({
      subject: 'frank',
      tokenExpiresAt: new Date((exp + 30) * 1000).toISOString(),
      allProjects: false,
      operator: false,
      projects: [],
    });
  });

  it('answers 401 without a valid token, as every query does', async () => {
    for (const token of [null, 'not-a-jwt']) {
      const response = await server.post({ query: VIEWER }, { token });
      expect(response.status).toBe(401);
      const body = await response.json();
      expect(body.data).toBeUndefined();
      expect(body.errors).toEqual([expect.objectContaining({ extensions: { code: 'UNAUTHENTICATED' } })]);
    }
  });
});
