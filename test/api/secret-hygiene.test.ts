import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/secrets/api-key-secret';
import { changeKey, generateKey, rollKey, snapshotTables, verify } from '../support/api-key-operations';
import { capturingLogger } from '../support/captured-log';
import { startTestServer } from '../support/test-server';

describe('a secret is shown once and stored nowhere', () => {
  it('after a full lifecycle, no table row, database file or log line holds the secret; the hash is what is kept', async () => {
    const { logger, raw: logLines } = capturingLogger('trace');
    const server = await startTestServer({ logger });
    try {
      const secrets: string[] = [];
      for (const environment of ['live', 'test']) {
        const { secret, apiKey } = await generateKey(server, { projectId: 'proj_secret', environment });
        secrets.push(secret);
        await verify(server, secret);
        await changeKey(server, 'deactivateApiKey', apiKey.id, 'checking');
        await verify(server, secret);
        await changeKey(server, 'reactivateApiKey', apiKey.id);
        const rolled = await rollKey(server, { id: apiKey.id, gracePeriodSeconds: 60, reason: 'rotation' });
        secrets.push(rolled.secret);
        await verify(server, rolled.secret);
        await changeKey(server, 'deleteApiKey', apiKey.id);
        await changeKey(server, 'deleteApiKey', rolled.apiKey.id);
        await verify(server, secret);
        // A secret sent where it does not belong must not echo back in an error either.
        const misplaced = await server.gql(`mutation { deactivateApiKey(input: { id: "${secret}" }) { ... on Error { message } } }`);
        expect(JSON.stringify(misplaced)).not.toContain(secret);
        const syntax = await server.gql(`{ apiKey(id: ${secret}) { id } }`);
        expect(JSON.stringify(syntax)).not.toContain(secret.slice(8));
      }

      const tables = JSON.stringify(await snapshotTables(server));
      // On SQLite, the database files themselves (WAL included); on PostgreSQL the tables say it all.
      const dir = server.dataDir;
      const files = dir ? readdirSync(dir).map((name) => readFileSync(join(dir, name))) : [];
      if (dir) expect(files.length).toBeGreaterThan(0);
      for (const secret of secrets) {
        const randomPart = secret.slice(8, -6);
        expect(tables).not.toContain(randomPart);
        for (const file of files) expect(file.includes(randomPart)).toBe(false);
        for (const line of logLines) expect(line).not.toContain(randomPart);
        // What is kept is the SHA-256, in the event and in the projection.
        expect(tables).toContain(hashSecret(secret));
      }
    } finally {
      await server.close();
    }
  });
});
