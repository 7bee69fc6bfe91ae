import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Counts requests in flight per socket, so shutdown can close each socket as soon
 * as it is idle. Node 20's closeIdleConnections() skips a socket that never sent a
 * request, and fetch clients leave such sockets behind after an aborted stream.
 */
export function trackConnections(server: Server) {
  const busy = new Map<Socket, number>();
  let closing = false;
  const closeIfIdle = (socket: Socket) => {
    if (closing && !busy.get(socket)) socket.destroy();
  };
  server.on('connection', (socket: Socket) => {
    busy.set(socket, 0);
    socket.once('close', () => busy.delete(socket));
    closeIfIdle(socket);
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    busy.set(req.socket, (busy.get(req.socket) ?? 0) + 1);
    res.once('close', () => {
      busy.set(req.socket, (busy.get(req.socket) ?? 1) - 1);
      closeIfIdle(req.socket);
    });
  });
  return {
    closeWhenIdle() {
      closing = true;
      for (const socket of busy.keys()) closeIfIdle(socket);
    },
  };
}
