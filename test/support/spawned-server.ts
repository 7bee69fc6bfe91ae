import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { TEST_JWT_SECRET } from './test-server';

export interface SpawnedServer {
  url: string;
  child: ChildProcess;
  /** SIGTERM, and wait for a clean exit (buffered usage is written first). */
  stop(): Promise<number | null>;
}

/** The real server as a separate process, as one of several instances would run. */
export async function spawnServer(databaseUrl: string, env: Record<string, string> = {}): Promise<SpawnedServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, PORT: '0', DATABASE_URL: databaseUrl, AUTH_JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // stdout is the JSON log: read on (so the pipe never fills) and dropped.
  child.stdout!.resume();
  // The endpoint line is on stderr; what else comes there is passed through, as before.
  const url = await new Promise<string>((resolve, reject) => {
    let output = '';
    child.stderr!.on('data', (chunk) => {
      process.stderr.write(chunk);
      output += chunk;
      const match = /^GraphQL endpoint: (\S+)$/m.exec(output);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited early (${code}): ${output}`)));
  });
  return {
    url,
    child,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code as number | null;
    },
  };
}

export async function gqlAt(url: string, token: string, query: string, variables?: Record<string, unknown>) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return (await response.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] };
}
