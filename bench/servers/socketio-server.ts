/**
 * Baseline: bare Socket.IO, the same version and settings as the project (WebSocket first,
 * perMessageDeflate off, the same payload cap and ping timings, passed in by the runner from the
 * project's config), doing nothing but joining the
 * rooms named in the handshake and broadcasting with `io.to(room).emit`. No auth, no validation,
 * no persistence. With REDIS_URL it uses @socket.io/redis-adapter, for the cross-node baseline.
 */
import http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { serveStats } from './stats.js';

const env = process.env;
const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
const io = new Server(httpServer, {
  serveClient: false,
  transports: ['websocket', 'polling'],
  perMessageDeflate: false,
  maxHttpBufferSize: Number(env.MAX_PAYLOAD_BYTES ?? 65_536),
  pingInterval: Number(env.SOCKET_PING_INTERVAL_MS ?? 25_000),
  pingTimeout: Number(env.SOCKET_PING_TIMEOUT_MS ?? 20_000),
});
let redis: Redis[] = [];
if (env.REDIS_URL) {
  const pub = new Redis(env.REDIS_URL);
  const sub = pub.duplicate();
  redis = [pub, sub];
  io.adapter(createAdapter(pub, sub, { key: `${env.REDIS_PREFIX ?? 'bench:'}socket.io` }));
}

io.on('connection', (socket) => {
  const rooms = (socket.handshake.auth as { rooms?: unknown }).rooms;
  if (Array.isArray(rooms)) void socket.join(rooms.filter((r): r is string => typeof r === 'string'));
  socket.on('send', (room: unknown, body: unknown, ack: unknown) => {
    if (typeof room === 'string') io.to(room).emit('msg', room, body);
    if (typeof ack === 'function') ack({ ok: true, data: null });
  });
});

httpServer.listen(Number(env.PORT ?? 0), env.HOST ?? '127.0.0.1', () => {
  serveStats({
    port: (httpServer.address() as { port: number }).port,
    connections: () => io.engine.clientsCount,
    close: async () => {
      await new Promise<void>((resolve) => io.close(() => resolve()));
      for (const r of redis) r.disconnect();
    },
  });
});
