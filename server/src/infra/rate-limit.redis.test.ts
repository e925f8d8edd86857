import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { deleteKeys } from '../test/harness.js';
import { serviceAvailable, TEST_REDIS_URL } from '../test/services.js';
import { redisKeys } from './keys.js';
import { rateLimiterContract } from './rate-limit.contract.js';
import { RedisRateLimiter, SharedCountRateLimiter, type UnsharedReason } from './rate-limit.js';
import { connectRedis, type RedisConnections } from './redis.js';

const available = await serviceAvailable('redis');
const prefix = `hmtest:${randomBytes(4).toString('hex')}:`;
const keys = redisKeys(prefix);
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  if (available) await deleteKeys(prefix);
});

/** A node's Redis connections, configured as the app configures them. */
function connect(url = TEST_REDIS_URL): RedisConnections {
  const r = connectRedis(url, () => {});
  cleanups.push(() => r.close());
  return r;
}

/** Connections to a port where nothing listens: they stay 'reconnecting'. */
function connectNowhere(): RedisConnections {
  const r = connectRedis('redis://127.0.0.1:1', () => {});
  cleanups.push(() => (r.cmd.disconnect(), r.sub.disconnect()));
  return r;
}

async function ready(r: Redis) {
  if (r.status !== 'ready') await new Promise((resolve) => r.once('ready', resolve));
}

/** One "node": its own connection and limiter over the shared prefix. */
async function node(url = TEST_REDIS_URL) {
  const r = connect(url);
  await ready(r.cmd);
  const unshared: UnsharedReason[] = [];
  const rl = new SharedCountRateLimiter(r.cmd, keys, { onUnshared: (reason) => unshared.push(reason) });
  return { rl, redis: r.cmd, unshared };
}

/**
 * A TCP relay to the real Redis that can hold client→server traffic: the connection stays
 * 'ready' but no command is answered, as with a stalled Redis. Records what clients sent.
 */
async function pausableRedis() {
  const target = new URL(TEST_REDIS_URL);
  let paused = false;
  const held: (() => void)[] = [];
  const socks = new Set<net.Socket>();
  let sent = '';
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 6379), target.hostname);
    socks.add(client).add(upstream);
    client.on('data', (d) => {
      sent += d.toString('latin1');
      if (paused) held.push(() => upstream.write(d));
      else upstream.write(d);
    });
    upstream.pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of socks) s.destroy();
        server.close(() => resolve());
      }),
  );
  return {
    url: `redis://127.0.0.1:${port}`,
    pause: () => void (paused = true),
    resume: () => {
      paused = false;
      for (const f of held.splice(0)) f();
    },
    sent: () => sent,
  };
}

const bucket = () => `b-${Math.random().toString(36).slice(2)}`;
const allowedOf = (ds: { allowed: boolean }[]) => ds.filter((d) => d.allowed).length;

describe.skipIf(!available)('SharedCountRateLimiter (real Redis)', () => {
  rateLimiterContract('shared count, Redis up', async () => (await node()).rl);
  rateLimiterContract('shared count, Redis unreachable', async () => {
    return new SharedCountRateLimiter(connectNowhere().cmd, keys);
  });

  it('limits a user on one node exactly, even when hits outrun the replies', async () => {
    const { rl } = await node();
    const b = bucket();
    // 25 hits in one tick: no reply can have arrived between them.
    const burst = await Promise.all(Array.from({ length: 25 }, () => rl.hit(b, 10, 10_000)));
    expect(allowedOf(burst)).toBe(10);
    expect(burst.map((d) => d.count)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    await rl.settled();
    // Its own hits, once Redis has answered for them, are not mistaken for another node's.
    const after = await rl.hit(b, 100, 10_000);
    expect(after).toMatchObject({ allowed: true, count: 26 });
    await rl.reset(b);
    const paced = [];
    for (let i = 0; i < 15; i++) {
      paced.push(await rl.hit(b, 10, 10_000));
      await rl.settled();
    }
    expect(allowedOf(paced)).toBe(10);
  });

  it('holds two nodes sharing one prefix to the limit, within one hit per other node', async () => {
    const a = await node();
    const b = await node();
    const key = bucket();
    const decisions = [];
    // Hits alternate between the nodes; each node has its own reply before its next hit, but
    // not the other node's latest hit: the lag this limiter accepts.
    for (let i = 0; i < 30; i++) {
      const n = i % 2 === 0 ? a : b;
      decisions.push(await n.rl.hit(key, 10, 10_000));
      await n.rl.settled();
    }
    // Per-node counting alone would allow 20. Bound: limit + (nodes - 1) = 11.
    const allowed = allowedOf(decisions);
    expect(allowed).toBeGreaterThanOrEqual(10);
    expect(allowed).toBeLessThanOrEqual(11);
    expect(a.unshared).toEqual([]);
    expect(b.unshared).toEqual([]);
  });

  it('lets a burst on two nodes within one round trip through, then refuses on both once they have heard', async () => {
    const a = await node();
    const b = await node();
    const key = bucket();
    const burst = await Promise.all([
      ...Array.from({ length: 8 }, () => a.rl.hit(key, 10, 10_000)),
      ...Array.from({ length: 8 }, () => b.rl.hit(key, 10, 10_000)),
    ]);
    // Neither node knew of the other's hits yet: each decided on its own 8.
    expect(allowedOf(burst)).toBe(16);
    await Promise.all([a.rl.settled(), b.rl.settled()]);
    // One more hit each (sent only if a node still thought itself under the limit) teaches each
    // node what it had missed; from then on both refuse.
    await a.rl.hit(key, 10, 10_000);
    await b.rl.hit(key, 10, 10_000);
    await Promise.all([a.rl.settled(), b.rl.settled()]);
    const next = [await a.rl.hit(key, 10, 10_000), await b.rl.hit(key, 10, 10_000)];
    expect(next.map((d) => d.allowed)).toEqual([false, false]);
    expect(next[0]!.count).toBeGreaterThanOrEqual(18);
  });

  it('follows the shared window: retryAfterMs counts down to the Redis key expiry set by the first node', async () => {
    const a = await node();
    const b = await node();
    const key = bucket();
    await b.rl.hit(key, 2, 1_000);
    await b.rl.settled();
    await new Promise((r) => setTimeout(r, 400));
    const first = await a.rl.hit(key, 2, 1_000);
    expect(first.allowed).toBe(true); // a knew nothing of b yet; its window is provisional
    await a.rl.settled();
    const refused = await a.rl.hit(key, 2, 1_000);
    expect(refused).toMatchObject({ allowed: false, count: 3 });
    const pttl = await a.redis.pttl(keys.rateLimit(key));
    expect(refused.retryAfterMs).toBeLessThan(700);
    expect(refused.retryAfterMs).toBeGreaterThanOrEqual(pttl - 5);
    // When the shared key has expired, a's window has too.
    await new Promise((r) => setTimeout(r, refused.retryAfterMs + 20));
    expect(await a.rl.hit(key, 2, 1_000)).toMatchObject({ allowed: true, count: 1 });
  });

  it('counts into keys that always carry a TTL, the shared RedisRateLimiter keys', async () => {
    const { rl, redis } = await node();
    const key = bucket();
    for (let i = 0; i < 5; i++) await rl.hit(key, 10, 5_000);
    await rl.settled();
    expect(Number(await redis.get(keys.rateLimit(key)))).toBe(5);
    const ttl = await redis.pttl(keys.rateLimit(key));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5_000);
    // The awaited limiter (HTTP routes) reads and adds to the same count.
    expect(await new RedisRateLimiter(redis, keys).hit(key, 10, 5_000)).toMatchObject({ count: 6 });
    // Refusals past the first this node sees are decided locally and not sent: a flood costs no
    // Redis traffic. (The hit it allows is sent, and so is the next, as it does not yet know of
    // the awaited hit: 6 + 2.)
    for (let i = 0; i < 20; i++) await rl.hit(key, 6, 5_000);
    await rl.settled();
    expect(Number(await redis.get(keys.rateLimit(key)))).toBe(8);
    // reset clears both this node's window and the key.
    await rl.reset(key);
    expect(await redis.exists(keys.rateLimit(key))).toBe(0);
    expect(await rl.hit(key, 6, 5_000)).toMatchObject({ allowed: true, count: 1 });
  });

  it('never makes the caller wait for Redis: a stalled Redis still gets prompt, local decisions', async () => {
    const relay = await pausableRedis();
    const a = await node(relay.url);
    const observer = await node();
    const key = bucket();
    relay.pause();
    const t0 = performance.now();
    const stalled = [];
    for (let i = 0; i < 15; i++) stalled.push(await a.rl.hit(key, 10, 10_000));
    expect(performance.now() - t0).toBeLessThan(50);
    expect(allowedOf(stalled)).toBe(10);
    expect(await observer.redis.get(keys.rateLimit(key))).toBeNull(); // nothing reached Redis
    relay.resume();
    await a.rl.settled();
    // Redis got the hits up to the first refusal, so other nodes learn this user is over the limit.
    expect(Number(await observer.redis.get(keys.rateLimit(key)))).toBe(11);
    await observer.rl.hit(key, 10, 10_000);
    await observer.rl.settled();
    expect(await observer.rl.hit(key, 10, 10_000)).toMatchObject({ allowed: false, count: 13 });
  });

  it('decides locally and counts what it could not share while Redis is unreachable or fails', async () => {
    const r = connectNowhere();
    const unshared: UnsharedReason[] = [];
    const rl = new SharedCountRateLimiter(r.cmd, keys, { onUnshared: (reason) => unshared.push(reason) });
    const t0 = performance.now();
    const ds = [];
    for (let i = 0; i < 5; i++) ds.push(await rl.hit(bucket(), 1, 1_000));
    expect(performance.now() - t0).toBeLessThan(50);
    expect(ds.every((d) => d.allowed)).toBe(true);
    expect(unshared).toEqual(['down', 'down', 'down', 'down', 'down']);

    // A connection that drops with hits in flight: the calls fail in the background, no
    // unhandled rejection, and the decisions stood.
    const relay = await pausableRedis();
    const b = await node(relay.url);
    relay.pause();
    const key = bucket();
    for (let i = 0; i < 3; i++) expect((await b.rl.hit(key, 10, 10_000)).allowed).toBe(true);
    b.redis.disconnect();
    await b.rl.settled();
    expect(b.unshared).toEqual(['error', 'error', 'error']);
    expect((await b.rl.hit(key, 3, 10_000)).allowed).toBe(false);
    relay.resume(); // let the subscriber connection's QUIT through at cleanup
  });

  it('sends the hits of one turn of the event loop to Redis in one write, and counts every one', async () => {
    const { rl, redis } = await node();
    type Handle = { _write(chunk: unknown, encoding: string, cb: () => void): void; _writev(chunks: unknown[], cb: () => void): void };
    const stream = (redis as unknown as { stream: Handle }).stream;
    // What reaches the socket's handle: one call per system call (a writev for several chunks).
    const write = vi.spyOn(stream, '_write');
    const writev = vi.spyOn(stream, '_writev');
    const pipeline = vi.spyOn(redis, 'pipeline');
    const b = bucket();
    // Twelve hits from twelve callbacks of one turn, as when a node reads twelve sockets' messages:
    // one system call for all of them, not one each.
    const decided = await new Promise<{ allowed: boolean }[]>((resolve) => {
      const out: { allowed: boolean }[] = [];
      for (let i = 0; i < 12; i++) setImmediate(() => out.push(rl.hitNow(b, 10, 10_000)) === 12 && resolve(out));
    });
    await rl.settled();
    expect(write.mock.calls.length + writev.mock.calls.length).toBe(1);
    expect(writev.mock.calls[0]?.[0]).toHaveLength(11); // eleven counted (below)
    // ...and without ioredis's auto-pipelining, whose Pipelines young collections keep (redis.ts).
    expect(pipeline).not.toHaveBeenCalled();
    for (const spy of [write, writev, pipeline]) spy.mockRestore();
    expect(allowedOf(decided)).toBe(10);
    // The first refusal is shared, the second is not: Redis counted eleven.
    expect(Number(await redis.get(keys.rateLimit(b)))).toBe(11);
    expect(await rl.hit(b, 100, 10_000)).toMatchObject({ count: 13 });
  });

  it('sends the script text once per connection, then EVALSHA', async () => {
    const relay = await pausableRedis();
    const { rl } = await node(relay.url);
    for (let i = 0; i < 20; i++) await rl.hit(bucket(), 10, 5_000);
    await rl.settled();
    const sent = relay.sent();
    expect(sent.split("redis.call('INCR'").length - 1).toBe(1);
    expect(sent.match(/evalsha/gi)?.length).toBeGreaterThanOrEqual(19);
  });

  it('keeps memory bounded: windows past their end are swept', async () => {
    const { rl } = await node();
    const windows = (rl as unknown as { windows: Map<string, unknown> }).windows;
    for (let i = 0; i < 50; i++) await rl.hit(bucket(), 10, 100);
    await rl.settled();
    expect(windows.size).toBe(50);
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(Date.now() + 11_000);
      await rl.hit(bucket(), 10, 100);
      expect(windows.size).toBe(1);
    } finally {
      vi.useRealTimers();
    }
    await rl.settled();
  });
});
