import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import WebSocket from 'ws';
import { alignHeartbeats } from './heartbeat.js';

const INTERVAL = 400;
const SLOT = 200;

/** Groups sorted instants into bursts: a gap over `gapMs` starts a new one. */
const bursts = (times: number[], gapMs: number) => times.sort((a, b) => a - b).filter((t, i, all) => i === 0 || t - all[i - 1]! > gapMs).length;

describe('aligned heartbeats', () => {
  let http: HttpServer;
  let io: Server;
  const clients: ClientSocket[] = [];

  async function start(o: { align: boolean; pingTimeout?: number }) {
    http = createServer();
    io = new Server(http, { transports: ['websocket'], pingInterval: INTERVAL, pingTimeout: o.pingTimeout ?? 1_000 });
    const wheel = o.align ? alignHeartbeats(io.engine, INTERVAL, SLOT) : null;
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return { port: (http.address() as AddressInfo).port, wheel };
  }

  /** Connects `n` clients `spacingMs` apart and records when each receives a ping. */
  async function connectSpread(port: number, n: number, spacingMs: number) {
    const pings: number[][] = [];
    for (let i = 0; i < n; i++) {
      const client = connectClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false });
      clients.push(client);
      const mine: number[] = [];
      pings.push(mine);
      client.io.on('ping', () => mine.push(performance.now()));
      await new Promise<void>((resolve) => client.once('connect', () => resolve()));
      await sleep(spacingMs);
    }
    return pings;
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await new Promise<void>((resolve) => io.close(() => resolve()));
  });

  it('pings clients that arrived at different moments in the same few turns, each about once per interval', async () => {
    const { port, wheel } = await start({ align: true });
    const pings = await connectSpread(port, 8, 20);
    await sleep(3 * INTERVAL);
    // Each client still connected, pinged every interval give or take a slot (and the round
    // trip of its pong, on a busy machine).
    for (const [i, mine] of pings.entries()) {
      expect(clients[i]!.connected).toBe(true);
      expect(mine.length).toBeGreaterThanOrEqual(2);
      for (let k = 1; k < mine.length; k++) {
        expect(mine[k]! - mine[k - 1]!).toBeGreaterThan(INTERVAL - SLOT - 20);
        expect(mine[k]! - mine[k - 1]!).toBeLessThan(INTERVAL + SLOT + 250);
      }
    }
    // Eight clients 20 ms apart fall into at most two slots of 200 ms per round.
    const all = pings.flat();
    const rounds = Math.max(...pings.map((p) => p.length));
    expect(bursts(all, 15)).toBeLessThanOrEqual(2 * rounds + 1);
    // All eight are back in the wheel. A socket leaves it when pinged and returns with its pong,
    // so on a busy machine one may still be between the two (CI, 2026-11-25: 7).
    await expect.poll(() => wheel!.waiting, { timeout: 2_000 }).toBe(8);
  });

  it('is what makes the difference: without it, the same clients are pinged at as many moments as they arrived', async () => {
    const { port } = await start({ align: false });
    const pings = await connectSpread(port, 8, 20);
    await sleep(3 * INTERVAL);
    const rounds = Math.min(...pings.map((p) => p.length));
    expect(bursts(pings.flat(), 15)).toBeGreaterThan(2 * rounds + 1);
  });

  it('still closes a client that stops answering, pingTimeout after the ping it left unanswered', async () => {
    const { port, wheel } = await start({ align: true, pingTimeout: 300 });
    const closed = new Promise<{ reason: string; at: number }>((resolve) =>
      io.on('connection', (socket) => socket.on('disconnect', (reason) => resolve({ reason, at: performance.now() }))),
    );
    // A client speaking the wire protocol that never answers a ping.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    let pingedAt = 0;
    ws.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('0')) ws.send('40');
      if (text === '2' && pingedAt === 0) pingedAt = performance.now();
    });
    try {
      const { reason, at } = await closed;
      expect(reason).toBe('ping timeout');
      expect(pingedAt).toBeGreaterThan(0);
      expect(at - pingedAt).toBeGreaterThan(250);
      expect(at - pingedAt).toBeLessThan(1_000);
      expect(wheel!.waiting).toBe(0);
    } finally {
      ws.close();
    }
  });

  it('writes each ping to the TCP socket as one pre-built WebSocket text frame', async () => {
    const { port } = await start({ align: true });
    type EngineSocket = { transport: { socket: { _socket: import('node:net').Socket } } };
    const connected = new Promise<EngineSocket>((resolve) => io.engine.once('connection', (socket: unknown) => resolve(socket as EngineSocket)));
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    const pings: boolean[] = [];
    ws.on('message', (data, isBinary) => {
      if (String(data) === '2') {
        pings.push(isBinary);
        ws.send('3');
      }
    });
    try {
      const tcp = (await connected).transport.socket._socket;
      const writes: string[] = [];
      const write = tcp._write.bind(tcp);
      const writev = tcp._writev!.bind(tcp);
      tcp._write = (chunk: Buffer, encoding, cb) => (writes.push(`write ${Buffer.from(chunk).toString('hex')}`), write(chunk, encoding, cb));
      tcp._writev = (chunks, cb) => (writes.push(`writev ${chunks.length}`), writev(chunks, cb));
      // Two pings come within INTERVAL + SLOT of each other, the first as late.
      await sleep(3.5 * INTERVAL);
      // The client got text pings and kept answering them; each was one write of the whole frame
      // (a last one may still be on its way to the client).
      expect(pings.length).toBeGreaterThanOrEqual(2);
      expect(pings.every((binary) => binary === false)).toBe(true);
      expect(writes.length).toBeGreaterThanOrEqual(pings.length);
      expect(new Set(writes)).toEqual(new Set(['write 810132']));
      expect(io.engine.clientsCount).toBe(1);
    } finally {
      ws.close();
    }
  });

  it('lets go of clients that leave', async () => {
    const { port, wheel } = await start({ align: true });
    await connectSpread(port, 5, 0);
    expect(wheel!.waiting).toBe(5);
    for (const c of clients.splice(0)) c.disconnect();
    // The Socket.IO sockets go first; the connections under them close a moment later.
    for (let i = 0; i < 100 && io.engine.clientsCount > 0; i++) await sleep(20);
    expect(io.engine.clientsCount).toBe(0);
    expect(wheel!.waiting).toBe(0);
  });
});
