import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * The connections an HTTP server has handed over to WebSocket, so that a shutdown can end them.
 * Closing Socket.IO starts each WebSocket's closing handshake, and a peer that has gone silent (a
 * phone that lost its network) never answers it. `ws` then keeps that socket open for 30 s, and
 * the HTTP server's close waits for it, past main.ts's forced exit. `end(ms)` gives the handshakes
 * `ms` to finish and then cuts whatever is still open.
 */
export function trackUpgraded(server: Server) {
  const open = new Set<Duplex>();
  server.on('upgrade', (_req, socket: Duplex) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return {
    /** Resolves with how many sockets had to be cut once `ms` had passed. */
    async end(ms: number): Promise<number> {
      if (open.size === 0) return 0;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        const check = () => {
          if (open.size > 0) return;
          clearTimeout(timer);
          resolve();
        };
        for (const socket of open) socket.once('close', check);
      });
      const cut = open.size;
      for (const socket of open) socket.destroy();
      return cut;
    },
  };
}
