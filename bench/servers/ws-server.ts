/**
 * Baseline: the same fan-out hand-rolled with `ws` (the version Socket.IO uses), the practical
 * ceiling for Node. Rooms come in the URL (`?rooms=a,b`); a message `{"r":room,"b":body,"a":id}`
 * is encoded once and written to every member, then acked to the sender with `{"a":id}`. A
 * ping every SOCKET_PING_INTERVAL_MS drops dead peers, as Socket.IO's heartbeat does.
 */
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveStats } from './stats.js';

const env = process.env;
const httpServer = http.createServer((_req, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false, maxPayload: Number(env.MAX_PAYLOAD_BYTES ?? 65_536) });
const rooms = new Map<string, Set<WebSocket>>();
const alive = new WeakSet<WebSocket>();

wss.on('connection', (ws, req) => {
  const mine = new URL(req.url ?? '/', 'http://bench').searchParams.get('rooms')?.split(',').filter(Boolean) ?? [];
  for (const r of mine) {
    let set = rooms.get(r);
    if (!set) rooms.set(r, (set = new Set()));
    set.add(ws);
  }
  alive.add(ws);
  ws.on('pong', () => alive.add(ws));
  ws.on('message', (data) => {
    let m: { r?: unknown; b?: unknown; a?: unknown };
    try {
      m = JSON.parse((data as Buffer).toString()) as typeof m;
    } catch {
      return;
    }
    const members = typeof m.r === 'string' ? rooms.get(m.r) : undefined;
    if (members) {
      const out = Buffer.from(JSON.stringify({ r: m.r, b: m.b }));
      for (const peer of members) peer.send(out, { binary: false });
    }
    if (typeof m.a === 'number') ws.send(`{"a":${m.a}}`);
  });
  ws.on('close', () => {
    for (const r of mine) {
      const set = rooms.get(r);
      set?.delete(ws);
      if (set?.size === 0) rooms.delete(r);
    }
  });
});

const heartbeat = setInterval(() => {
  for (const ws of wss.clients) {
    if (!alive.has(ws)) {
      ws.terminate();
      continue;
    }
    alive.delete(ws);
    ws.ping();
  }
}, Number(env.SOCKET_PING_INTERVAL_MS ?? 25_000));

httpServer.listen(Number(env.PORT ?? 0), env.HOST ?? '127.0.0.1', () => {
  serveStats({
    port: (httpServer.address() as { port: number }).port,
    connections: () => wss.clients.size,
    close: async () => {
      clearInterval(heartbeat);
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => httpServer.close(() => resolve()));
    },
  });
});
