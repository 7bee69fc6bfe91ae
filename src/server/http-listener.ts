import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { trackConnections } from './connection-tracker';

export interface HttpListenerOptions {
  port: number;
  host?: string;
  /** How long a request may take to arrive whole (default 30 s). */
  requestTimeoutMs?: number;
  logger: Logger;
}

export interface HttpListener {
  url: string;
  port: number;
  /**
   * Stops accepting, runs `endStreams` (live feeds end, their clients see a normal
   * completion), lets in-flight requests finish, and resolves once every socket is
   * closed; after 5 s the sockets still open are closed regardless.
   */
  close(endStreams?: () => void): Promise<void>;
}

/** Owns the socket side: listening, malformed clients, timeouts and a graceful close. */
export async function listenHttp(handle: RequestListener, options: HttpListenerOptions): Promise<HttpListener> {
  const server = createServer(handle);
  // A client that connects and sends garbage, or nothing, is answered or dropped, never a crash.
  server.on('clientError', (error, socket) => {
    if (socket.writable && !(error as { code?: string }).code?.startsWith('ERR_HTTP_REQUEST_TIMEOUT')) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    socket.destroy();
  });
  // A body that stops arriving ends the request after requestTimeoutMs (readBody then rejects).
  server.requestTimeout = options.requestTimeoutMs ?? 30_000;
  server.headersTimeout = Math.min(10_000, server.requestTimeout);
  const connections = trackConnections(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => resolve());
  });
  // After listening, a server error (say, out of file descriptors) is logged, not thrown.
  server.on('error', (error) => options.logger.error({ err: error }, 'HTTP server error'));
  const { port } = server.address() as AddressInfo;
  const url = `http://${options.host === '0.0.0.0' || !options.host ? 'localhost' : options.host}:${port}`;

  return {
    url,
    port,
    close(endStreams) {
      return new Promise<void>((resolve) => {
        const backstop = setTimeout(() => server.closeAllConnections(), 5000);
        server.close(() => {
          clearTimeout(backstop);
          resolve();
        });
        endStreams?.();
        connections.closeWhenIdle();
      });
    },
  };
}
