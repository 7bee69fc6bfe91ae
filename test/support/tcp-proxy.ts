import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy of the test's own between the service and PostgreSQL, to make
 * outages without touching the shared server: it can cut every connection,
 * refuse new ones, or silently stop forwarding on some (a NAT dropping a flow).
 */
export interface TcpProxy {
  port: number;
  /** The database URL with its host and port replaced by the proxy's. */
  urlFor(databaseUrl: string): string;
  /** Destroy every open connection (as a restarting server does). */
  cutAll(): void;
  /** While true, new connections are closed at once (the server is down). */
  refusing: boolean;
  /** Stop forwarding, without closing, on connections whose client has sent text matching `pattern`. */
  freezeWhere(pattern: RegExp): number;
  close(): Promise<void>;
}

interface Pair {
  client: Socket;
  upstream: Socket;
  sent: string;
  frozen: boolean;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  let refusing = false;
  const server: Server = createServer((client) => {
    client.on('error', () => undefined);
    if (refusing) return void client.destroy();
    const upstream = connect(target.port, target.host);
    upstream.on('error', () => client.destroy());
    const pair: Pair = { client, upstream, sent: '', frozen: false };
    pairs.add(pair);
    client.on('data', (chunk) => {
      // Keep what the client said (bounded) so connections can be told apart, e.g. the one that LISTENs.
      if (pair.sent.length < 10_000) pair.sent += chunk.toString('latin1');
      if (!pair.frozen) upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (!pair.frozen) client.write(chunk);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    urlFor(databaseUrl) {
      const url = new URL(databaseUrl);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      return url.toString();
    },
    cutAll() {
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
    },
    get refusing() {
      return refusing;
    },
    set refusing(value: boolean) {
      refusing = value;
    },
    freezeWhere(pattern) {
      let frozen = 0;
      for (const pair of pairs) {
        if (pattern.test(pair.sent)) {
          pair.frozen = true;
          frozen++;
        }
      }
      return frozen;
    },
    async close() {
      refusing = true;
      for (const pair of [...pairs]) {
        pair.client.destroy();
        pair.upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
