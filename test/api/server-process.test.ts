import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the service as `npm start` runs it', () => {
  it('starts on a fresh data folder, serves health, GraphQL and GraphiQL, and stops cleanly on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'apikeys-start-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: { ...process.env, PORT: '0', DATABASE_URL: join(dataDir, 'nested', 'apikeys.db'), LOG_LEVEL: 'trace' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      // stdout is the JSON log; the endpoint and the development token are lines on stderr.
      let output = '';
      let stderr = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      const [url, token] = await new Promise<[string, string]>((resolve, reject) => {
        child.stderr.on('data', (chunk) => {
          stderr += chunk;
          const url = /^GraphQL endpoint: (\S+)$/m.exec(stderr)?.[1];
          const token = /^TOKEN=(\S+)$/m.exec(stderr)?.[1];
          if (url && token) resolve([url, token]);
        });
        child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${output}${stderr}`)));
      });

      const health = await fetch(url.replace('/graphql', '/health'));
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ status: 'ok' });

      const graphiql = await fetch(url, { headers: { accept: 'text/html' } });
      const page = await graphiql.text();
      expect(page).toContain('GraphiQL');
      expect(page).toContain(token); // prefilled Authorization header, development only

      const generate = (bearer: string | null, projectId: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(bearer ? { authorization: `Bearer ${bearer}` } : {}) },
          body: JSON.stringify({
            query: `mutation { generateApiKey(input: {projectId: "${projectId}", name: "n", environment: "live"}) { __typename ... on GenerateApiKeyPayload { secret apiKey { createdBy } } } }`,
          }),
        });
      const generated = (await (await generate(token, 'demo')).json()).data.generateApiKey;
      expect(generated).toMatchObject({ __typename: 'GenerateApiKeyPayload', apiKey: { createdBy: 'developer' } });
      const verified = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: `mutation { verifyApiKey(input: {secret: "${generated.secret}"}) { code } }` }),
      });
      expect((await verified.json()).data.verifyApiKey.code).toBe('VALID');
      expect((await generate(token, 'other')).status).toBe(200); // answered, but denied below
      expect((await (await generate(token, 'other')).json()).errors[0].extensions.code).toBe('FORBIDDEN');
      expect((await generate(null, 'demo')).status).toBe(401);

      const notFound = await fetch(url.replace('/graphql', '/elsewhere'));
      expect(notFound.status).toBe(404);

      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      expect(code).toBe(0);

      // The secret was shown once, in the answer: not in the server's output, not on disk.
      const randomPart = generated.secret.slice(8, -6);
      expect(output + stderr).not.toContain(randomPart);
      expect(output).toContain('"msg":"stopping"');
      for (const line of output.split('\n').filter(Boolean)) expect(() => JSON.parse(line), line).not.toThrow();
      for (const name of readdirSync(join(dataDir, 'nested'))) {
        expect(readFileSync(join(dataDir, 'nested', name)).includes(randomPart)).toBe(false);
      }
    } finally {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('exits with status 1 and one "Not starting" line when it cannot listen', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'apikeys-busy-'));
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        env: { ...process.env, PORT: String(port), DATABASE_URL: join(dataDir, 'apikeys.db'), LOG_LEVEL: 'silent' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let errors = '';
      child.stderr.on('data', (chunk) => (errors += chunk));
      const [code] = await once(child, 'exit');
      expect(code).toBe(1);
      expect(errors).toBe(`Not starting: port ${port} on 127.0.0.1 is already in use (PORT=${port}, HOST=127.0.0.1): stop what listens there, or set another PORT\n`);
    } finally {
      taken.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
