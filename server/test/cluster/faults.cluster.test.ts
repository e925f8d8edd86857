import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@hackmeshi/shared';
import { TEST_DATABASE_URL, serviceAvailable } from '../../src/test/services.js';
import {
  countChannels,
  countKeys,
  eventually,
  matchedPair,
  metricValue,
  nonce,
  postgresProxy,
  privateRedis,
  signUp,
  sleep,
  startCluster,
  type Cluster,
  type ServerNode,
} from './cluster.js';
import { FailoverChat } from './failover-client.js';

/**
 * The faults issue 6 names, each against real server processes sharing real Postgres and Redis:
 * a node killed under traffic, a node drained, Redis restarted, Postgres cut off, and a client
 * flapping. The users here run the browser's own chat client (outbox, sync) in Node.
 */

const services = (await serviceAvailable('postgres')) && (await serviceAvailable('redis'));

const live = (c: Cluster) => () => c.nodes.filter((n) => n.alive()).map((n) => n.url);

/** Rows of a conversation as stored: the truth every client must end up showing. */
async function stored(schema: string, conversationId: string) {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    const { rows } = await c.query<{ seq: number; body: string; sender_id: string; nonce: string }>(
      `SELECT seq, body, sender_id, nonce FROM ${schema}.messages WHERE conversation_id = $1 ORDER BY seq`,
      [conversationId],
    );
    return rows.map((r) => ({ ...r, seq: Number(r.seq) }));
  } finally {
    await c.end();
  }
}

/** Every written body exists exactly once, seqs have no holes, and each sender's order is kept. */
function expectExactlyOnceInOrder(rows: Awaited<ReturnType<typeof stored>>, written: Map<string, string[]>) {
  expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1));
  const all = [...written.values()].flat();
  expect(new Set(rows.map((r) => r.body)).size).toBe(rows.length);
  expect(rows.map((r) => r.body).sort()).toEqual([...all].sort());
  for (const [sender, bodies] of written) {
    expect(rows.filter((r) => r.sender_id === sender).map((r) => r.body)).toEqual(bodies);
  }
}

/** Both members of a pair running the chat client, connected to nodes `ia` and `ib`, with the chat open. */
async function chatting(cluster: Cluster, p: Awaited<ReturnType<typeof matchedPair>>, ia: number, ib: number) {
  const ca = new FailoverChat(live(cluster), p.a.cookie, p.a.id, ia);
  const cb = new FailoverChat(live(cluster), p.b.cookie, p.b.id, ib);
  await Promise.all([ca.start(), cb.start()]);
  await Promise.all([ca.open(p.conversationId), cb.open(p.conversationId)]);
  return { ca, cb };
}

/** What a client shows as sent (confirmed), as seq → body. */
const shown = (c: FailoverChat, conversationId: string) => c.snapshot(conversationId).messages.map((m) => ({ seq: m.seq, body: m.body }));

describe.runIf(services)('faults across nodes', () => {
  it(
    'a node killed under traffic: clients move to the others, and every acked message exists once, in order, for everyone',
    async () => {
      const cluster = await startCluster({ nodes: 3, env: process.env.XENV ? JSON.parse(process.env.XENV) : {} });
      const [n0, n1, n2] = cluster.nodes as [ServerNode, ServerNode, ServerNode];
      // Three pairs, each split across two nodes; node 0 carries one side of two pairs.
      const layout: [ServerNode, ServerNode, number, number][] = [
        [n0, n1, 0, 1],
        [n1, n2, 1, 2],
        [n2, n0, 2, 0],
      ];
      const pairs: (Awaited<ReturnType<typeof matchedPair>> & { ca: FailoverChat; cb: FailoverChat; written: Map<string, string[]> })[] = [];
      for (const [na, nb, ia, ib] of layout) {
        const p = await matchedPair(na, nb);
        const { ca, cb } = await chatting(cluster, p, ia, ib);
        pairs.push({ ...p, ca, cb, written: new Map<string, string[]>([[p.a.id, []], [p.b.id, []]]) });
      }

      let sending = true;
      const writers = pairs.flatMap((p) =>
        [
          [p.ca, p.a.id],
          [p.cb, p.b.id],
        ].map(async ([client, id]) => {
          for (let i = 0; sending; i++) {
            const body = `${id as string}#${i}`;
            (client as FailoverChat).chat.send(p.conversationId, body);
            p.written.get(id as string)!.push(body);
            await sleep(120);
          }
        }),
      );

      await sleep(1_500);
      // What each client shows as sent at the moment of the crash must survive it unchanged.
      const before = pairs.map((p) => [shown(p.ca, p.conversationId), shown(p.cb, p.conversationId)]);
      await n0.kill();
      await sleep(2_500);
      sending = false;
      await Promise.all(writers);

      for (const p of pairs) {
        const total = [...p.written.values()].flat().length;
        await eventually(
          () =>
            [p.ca, p.cb].every((c) => c.snapshot(p.conversationId).pending.length === 0 && c.snapshot(p.conversationId).lastSeq === total),
          30_000,
          'every message confirmed and seen by both members',
        ).catch(async (err: Error) => {
          const state = [p.ca, p.cb].map((c) => {
            const snap = c.snapshot(p.conversationId);
            return { url: c.currentUrl, connections: c.connections, pending: snap.pending.map((m) => `${m.body}:${m.state}:${m.error?.code ?? ''}`), lastSeq: snap.lastSeq, shown: snap.messages.length };
          });
          const db = await stored(cluster.schema, p.conversationId);
          const tails = [p.ca, p.cb].map((c) => c.snapshot(p.conversationId).messages.slice(-3).map((m) => `${m.seq}:${m.body}`));
          throw new Error(`${err.message}; total ${total}; ${JSON.stringify(state)} db tail ${JSON.stringify(db.slice(-3))} client tails ${JSON.stringify(tails)}`);
        });
        const rows = await stored(cluster.schema, p.conversationId);
        expectExactlyOnceInOrder(rows, p.written);
        const truth = rows.map((r) => ({ seq: r.seq, body: r.body }));
        expect(shown(p.ca, p.conversationId)).toEqual(truth);
        expect(shown(p.cb, p.conversationId)).toEqual(truth);
      }
      before.forEach((views, i) => {
        const truth = shown(pairs[i]!.ca, pairs[i]!.conversationId);
        // (A view may have a hole that a sync was about to fill; what it did show must stand.)
        for (const view of views) for (const m of view) expect(truth[m.seq - 1]).toEqual(m);
      });
      // The clients that were on node 0 are on a survivor now.
      expect(pairs[0]!.ca.currentUrl).not.toBe(n0.url);
      expect(pairs[2]!.cb.currentUrl).not.toBe(n0.url);
    },
    120_000,
  );

  it(
    'a drained node (SIGTERM) exits cleanly after its clients moved, and they resume through sync with nothing missed',
    async () => {
      const cluster = await startCluster({ nodes: 2 });
      const [a, b] = cluster.nodes as [ServerNode, ServerNode];
      const p = await matchedPair(a, b);
      const { ca, cb } = await chatting(cluster, p, 0, 1);
      const written = new Map<string, string[]>([
        [p.a.id, []],
        [p.b.id, []],
      ]);
      const write = (c: FailoverChat, id: string, body: string) => {
        c.chat.send(p.conversationId, body);
        written.get(id)!.push(body);
      };
      for (let i = 0; i < 5; i++) write(ca, p.a.id, `before ${i}`);

      const exit = a.terminate();
      // While A drains and its client moves, both keep writing.
      for (let i = 0; i < 10; i++) {
        write(ca, p.a.id, `during ${i}`);
        write(cb, p.b.id, `reply ${i}`);
        await sleep(100);
      }
      expect(await exit).toBe(0);
      const total = 25;
      await eventually(
        () => [ca, cb].every((c) => c.snapshot(p.conversationId).pending.length === 0 && c.snapshot(p.conversationId).lastSeq === total),
        20_000,
        'both members see all 25 messages',
      );
      expect(ca.currentUrl).toBe(b.url);
      expect(ca.connections).toBe(2);
      const rows = await stored(cluster.schema, p.conversationId);
      expectExactlyOnceInOrder(rows, written);
      expect(shown(ca, p.conversationId)).toEqual(rows.map((r) => ({ seq: r.seq, body: r.body })));
      // A draining node turns new connections away rather than accepting work it will drop.
      expect(a.output.join('')).not.toMatch(/"level":50/);
    },
    60_000,
  );

  it(
    'Redis restarted: chat still persists and acks, /readyz says Redis is down, and other nodes catch up by sync afterwards',
    async () => {
      const redis = await privateRedis();
      const cluster = await startCluster({ nodes: 2, redisUrl: redis.url });
      const [a, b] = cluster.nodes as [ServerNode, ServerNode];
      const p = await matchedPair(a, b);
      const { ca, cb } = await chatting(cluster, p, 0, 1);

      // Live across nodes first.
      ca.chat.send(p.conversationId, 'hello over redis');
      await eventually(() => cb.snapshot(p.conversationId).lastSeq === 1, 5_000, 'live cross-node delivery');

      await redis.stop();
      await eventually(
        async () => (await fetch(`${a.url}/readyz`)).status === 503,
        10_000,
        '/readyz to report Redis down',
      );
      const ready = await (await fetch(`${a.url}/readyz`)).json();
      expect(ready.error.details).toMatchObject({ db: 'up', redis: 'down' });

      for (let i = 0; i < 5; i++) ca.chat.send(p.conversationId, `while redis is down ${i}`);
      await eventually(() => ca.snapshot(p.conversationId).pending.length === 0, 15_000, 'acks while Redis is down');
      expect(ca.snapshot(p.conversationId).lastSeq).toBe(6);
      expect((await stored(cluster.schema, p.conversationId)).length).toBe(6);

      await redis.start();
      await eventually(async () => (await fetch(`${a.url}/readyz`)).status === 200, 15_000, '/readyz to recover');
      // B's client never disconnected: the node's resync notice is what brings the five over.
      await eventually(() => cb.snapshot(p.conversationId).lastSeq === 6, 15_000, 'catch-up through sync').catch((err: Error) => {
        throw new Error(`${err.message}: ${b.output.join('').split('\n').filter((l) => /redis|resync/i.test(l)).slice(-10).join('\n')}`);
      });
      expect(cb.connections).toBe(1);
      // Whatever ioredis still had queued may arrive late; the resync notice comes regardless.
      await eventually(() => cb.resyncs >= 1, 10_000, 'the node to tell its clients to resync');

      // And live delivery works again.
      await eventually(
        async () => {
          const mark = `after ${Date.now()}`;
          ca.chat.send(p.conversationId, mark);
          await sleep(700);
          return cb.snapshot(p.conversationId).messages.some((m) => m.body === mark);
        },
        15_000,
        'live delivery after Redis returned',
      );
    },
    90_000,
  );

  it(
    'Postgres cut off: sends get a retryable UNAVAILABLE (never a false ack), and retries with the same nonce store each message once',
    async () => {
      const proxy = await postgresProxy();
      const cluster = await startCluster({ nodes: 2, databaseUrl: proxy.url });
      const [a, b] = cluster.nodes as [ServerNode, ServerNode];
      const p = await matchedPair(a, b);
      const raw = await p.a.socket(a);
      const { ca, cb } = await chatting(cluster, p, 0, 1);

      proxy.cut();
      const fixed = nonce();
      const refused = await raw.timeout(15_000).emitWithAck('chat:send', { conversationId: p.conversationId, nonce: fixed, body: 'first try' });
      expect(refused).toMatchObject({ ok: false, error: { code: ErrorCode.UNAVAILABLE } });
      const written = ['queued 1', 'queued 2', 'queued 3'];
      for (const body of written) ca.chat.send(p.conversationId, body);
      await sleep(2_000);
      // Nothing is shown as sent while the store is away.
      expect(ca.snapshot(p.conversationId).messages).toHaveLength(0);
      expect(ca.snapshot(p.conversationId).pending.map((m) => m.body)).toEqual(written);
      expect((await fetch(`${b.url}/readyz`)).status).toBe(503);

      proxy.restore();
      const first = await raw.timeout(15_000).emitWithAck('chat:send', { conversationId: p.conversationId, nonce: fixed, body: 'first try' });
      expect(first.ok).toBe(true);
      const again = await raw.timeout(5_000).emitWithAck('chat:send', { conversationId: p.conversationId, nonce: fixed, body: 'first try' });
      expect(again.ok && first.ok && again.data.id === first.data.id).toBe(true);

      await eventually(
        () => [ca, cb].every((c) => c.snapshot(p.conversationId).pending.length === 0 && c.snapshot(p.conversationId).lastSeq === 4),
        30_000,
        'the queued messages to be stored and seen by both',
      );
      const rows = await stored(cluster.schema, p.conversationId);
      expect(rows.map((r) => r.body)).toEqual(['first try', ...written]);
      expect(rows.filter((r) => r.nonce === fixed)).toHaveLength(1);
      expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
      expect(a.alive() && b.alive()).toBe(true);
    },
    90_000,
  );

  it(
    'a flapping client leaks no sockets, Socket.IO rooms, seats, Redis keys or memory',
    async () => {
      const cluster = await startCluster({ nodes: 1 });
      const [node] = cluster.nodes as [ServerNode];
      const p = await matchedPair(node, node);
      const host = await signUp(node);
      const room = (await host.call(node, 'POST', '/api/rooms', { title: 'Flap test', visibility: 'open', capacity: 20 })).body.data;
      const hostSocket = await host.socket(node);
      await hostSocket.timeout(5_000).emitWithAck('room:join', { roomId: room.id });

      const flap = async (times: number) => {
        for (let i = 0; i < times; i++) {
          const s = await p.a.socket(node);
          if (i % 2 === 0) {
            const joined = await s.timeout(5_000).emitWithAck('room:join', { roomId: room.id });
            if (!joined.ok && joined.error.code !== ErrorCode.RATE_LIMITED) throw new Error(JSON.stringify(joined));
            await s.timeout(5_000).emitWithAck('chat:typing', { conversationId: p.conversationId, typing: true });
          }
          s.disconnect();
        }
      };
      const measure = async () => {
        await sleep(1_500);
        // Heap in use swings with garbage not yet collected: take the lowest of a few samples.
        let heap = Infinity;
        for (let i = 0; i < 6; i++) {
          heap = Math.min(heap, metricValue(await node.metrics(), 'nodejs_heap_size_used_bytes'));
          await sleep(400);
        }
        const text = await node.metrics();
        const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await c.connect();
        const seats = Number((await c.query(`SELECT count(*) AS n FROM ${cluster.schema}.room_participants`)).rows[0].n);
        await c.end();
        return {
          sockets: metricValue(text, 'hm_connected_sockets'),
          rooms: metricValue(text, 'hm_socketio_rooms'),
          heap,
          rss: metricValue(text, 'process_resident_memory_bytes'),
          // Rate-limit counters expire with their window by design; everything else must not grow.
          keys: await countKeys(cluster.env.REDIS_URL!, cluster.prefix, /:rl:/),
          channels: await countChannels(cluster.env.REDIS_URL!, cluster.prefix),
          seats,
        };
      };

      await flap(100); // warm-up: code paths compiled, pools filled
      const before = await measure();
      await flap(400);
      const after = await measure();
      console.info('flapping: before', before, 'after', after);
      expect(after.sockets).toBe(before.sockets);
      expect(after.rooms).toBe(before.rooms);
      expect(after.keys).toBe(before.keys);
      expect(after.channels).toBe(before.channels);
      expect(after.seats).toBe(before.seats);
      expect(before.seats).toBe(1); // the host's
      // 400 leaked sockets would hold tens of MB; noise from garbage not yet collected stays well under this.
      expect(after.heap - before.heap).toBeLessThan(24 * 1024 * 1024);
      expect(after.rss - before.rss).toBeLessThan(64 * 1024 * 1024);
      hostSocket.disconnect();
    },
    120_000,
  );
});
