import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Server, type Socket } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { coalesceQueuedWrites } from './coalesce.js';

/** TCP writes (system calls) the server's side of one connection makes. */
function countWrites(socket: Socket) {
  const transport = socket.conn.transport as unknown as { name: string; socket?: { _socket?: Record<string, unknown> } };
  const tcp = transport.socket?._socket;
  if (!tcp) throw new Error(`no TCP socket under the ${transport.name} transport`);
  const counts = { writes: 0 };
  for (const name of ['_write', '_writev'] as const) {
    const original = tcp[name] as (...args: unknown[]) => unknown;
    tcp[name] = function (this: unknown, ...args: unknown[]) {
      counts.writes++;
      return original.apply(this, args);
    };
  }
  return counts;
}

describe('coalescing queued writes', () => {
  let http: HttpServer;
  let io: Server;
  const clients: ClientSocket[] = [];

  async function start(coalesce: boolean) {
    http = createServer();
    io = new Server(http, { transports: ['websocket', 'polling'], perMessageDeflate: false });
    if (coalesce) coalesceQueuedWrites(io.engine);
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  }

  /** Connects a client, sends it `n` events in one burst, and returns what it got and the writes. */
  async function burst(url: string, n: number, transports: ('websocket' | 'polling')[], upgrade = true) {
    const serverSide = new Promise<Socket>((resolve) => io.once('connection', resolve));
    const client = connectClient(url, { transports, upgrade, forceNew: true });
    clients.push(client);
    const socket = await serverSide;
    if (transports[0] === 'polling' && upgrade) {
      await new Promise<void>((resolve) => (socket.conn.transport.name === 'websocket' ? resolve() : socket.conn.once('upgrade', () => resolve())));
    }
    const got: number[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('n', (i: number) => {
        got.push(i);
        if (got.length === n) resolve();
      }),
    );
    const counts = socket.conn.transport.name === 'websocket' ? countWrites(socket) : null;
    for (let i = 0; i < n; i++) socket.emit('n', i);
    await all;
    return { got, writes: counts?.writes ?? null };
  }

  afterEach(async () => {
    for (const c of clients.splice(0)) c.disconnect();
    await new Promise<void>((resolve) => io.close(() => resolve()));
  });

  const inOrder = (n: number) => Array.from({ length: n }, (_, i) => i);

  it('sends a burst of packets to one client in a few TCP writes instead of one each, in order', async () => {
    const url = await start(true);
    const { got, writes } = await burst(url, 200, ['websocket']);
    expect(got).toEqual(inOrder(200));
    // Emitted in one tick, so the flush at its end sends all 200 in one writev.
    expect(writes).toBe(1);
  });

  it.each([
    ['with it', 1, true],
    ['without it', 2, false],
  ])("%s, a broadcast that reaches the sender and the sender's ack, microtasks apart, take %i write(s)", async (_, expected, coalesce) => {
    const url = await start(coalesce);
    // What chat:send does: persist (here: an await), emit to the room, then ack.
    io.on('connection', (socket) => {
      void socket.join('room');
      socket.on('say', async (text: string, ack: (reply: string) => void) => {
        await Promise.resolve();
        io.to('room').emit('said', text);
        await Promise.resolve();
        ack('stored');
      });
    });
    const serverSide = new Promise<Socket>((resolve) => io.once('connection', resolve));
    const client = connectClient(url, { transports: ['websocket'], forceNew: true });
    clients.push(client);
    const socket = await serverSide;
    await new Promise<void>((resolve) => (client.connected ? resolve() : client.once('connect', () => resolve())));
    const counts = countWrites(socket);
    const said = new Promise<string>((resolve) => client.once('said', resolve));
    const acked = (await client.emitWithAck('say', 'hi')) as string;
    expect([acked, await said]).toEqual(['stored', 'hi']);
    expect(counts.writes).toBe(expected);
  });

  it('makes one write per packet without it (what the test above guards against)', async () => {
    const url = await start(false);
    const { got, writes } = await burst(url, 200, ['websocket']);
    expect(got).toEqual(inOrder(200));
    expect(writes).toBeGreaterThanOrEqual(199);
  });

  it.each([
    ['with it', 'emptied', true],
    ['without it', 'left full', false],
  ])('%s, each batch of packets handed to the transport is %s once sent', async (_, __, coalesce) => {
    const url = await start(coalesce);
    const serverSide = new Promise<Socket>((resolve) => io.once('connection', resolve));
    const client = connectClient(url, { transports: ['websocket'], forceNew: true });
    clients.push(client);
    const socket = await serverSide;
    await new Promise<void>((resolve) => (client.connected ? resolve() : client.once('connect', () => resolve())));
    // Every array Engine.IO hands to the transport, kept to look at after the sends.
    const transport = socket.conn.transport as unknown as { send(packets: unknown[]): void };
    const own = transport.send;
    const batches: unknown[][] = [];
    transport.send = function (this: unknown, packets: unknown[]) {
      batches.push(packets);
      own.call(this, packets);
    };
    const got: number[] = [];
    const all = new Promise<void>((resolve) =>
      client.on('n', (i: number) => {
        got.push(i);
        if (got.length === 30) resolve();
      }),
    );
    // One packet, a burst, then one more: batches of one and of many.
    socket.emit('n', 0);
    await new Promise((resolve) => setTimeout(resolve, 20));
    for (let i = 1; i < 29; i++) socket.emit('n', i);
    await new Promise((resolve) => setTimeout(resolve, 20));
    socket.emit('n', 29);
    await all;
    expect(got).toEqual(inOrder(30));
    expect(batches.length).toBeGreaterThanOrEqual(3);
    expect(batches.map((b) => b.length).every((n) => n === 0)).toBe(coalesce);
  });

  it('also coalesces after an upgrade from long-polling, and leaves long-polling itself alone', async () => {
    const url = await start(true);
    const upgraded = await burst(url, 100, ['polling', 'websocket']);
    expect(upgraded.got).toEqual(inOrder(100));
    expect(upgraded.writes).toBe(1);
    const polling = await burst(url, 100, ['polling'], false);
    expect(polling.got).toEqual(inOrder(100));
  });

  it('sends what was emitted before the server closes in the same tick', async () => {
    const url = await start(true);
    const serverSide = new Promise<Socket>((resolve) => io.once('connection', resolve));
    const client = connectClient(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    clients.push(client);
    await serverSide;
    await new Promise<void>((resolve) => (client.connected ? resolve() : client.once('connect', () => resolve())));
    const bye = new Promise<string>((resolve) => client.once('bye', resolve));
    // What the app's drain does: tell everyone, disconnect them, close the engine, all from a
    // microtask (so before any nextTick queued meanwhile).
    setTimeout(() => {
      void Promise.resolve().then(() => {
        io.local.emit('bye', 'reconnect elsewhere');
        io.local.disconnectSockets(true);
        io.engine.close();
      });
    }, 0);
    expect(await bye).toBe('reconnect elsewhere');
  });
});
