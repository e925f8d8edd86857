import type { Redis, Result } from 'ioredis';
import type { RedisKeys } from './keys.js';

/** Outcome of counting one hit. */
export interface RateDecision {
  allowed: boolean;
  /** Hits counted in the current window, including this one. */
  count: number;
  /** Milliseconds until the window resets (when a refused caller may retry). */
  retryAfterMs: number;
}

/**
 * Fixed-window rate limiting. In-process on one node; in Redis when several nodes must share the
 * count. The implementations pass the same contract suite (rate-limit.contract.ts).
 */
export interface RateLimiter {
  hit(bucket: string, limit: number, windowMs: number): Promise<RateDecision>;
  reset(bucket: string): Promise<void>;
}

/** Single-node limiter. Expired windows are swept lazily so memory stays bounded by active buckets. */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();
  private lastSweep = 0;

  async hit(bucket: string, limit: number, windowMs: number): Promise<RateDecision> {
    return this.hitNow(bucket, limit, windowMs);
  }

  /** The decision, synchronously, as `SharedCountRateLimiter.hitNow`: for per-socket guards on every event. */
  hitNow(bucket: string, limit: number, windowMs: number): RateDecision {
    const now = Date.now();
    this.sweep(now);
    let w = this.windows.get(bucket);
    if (!w) {
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(bucket, w);
    } else if (w.resetAt <= now) {
      // The next window reuses the bucket's object: one object per bucket for its whole life,
      // not a fresh one per window for the garbage collector to copy and promote.
      w.count = 0;
      w.resetAt = now + windowMs;
    }
    w.count += 1;
    return { allowed: w.count <= limit, count: w.count, retryAfterMs: Math.max(0, w.resetAt - now) };
  }

  async reset(bucket: string) {
    this.windows.delete(bucket);
  }

  private sweep(now: number) {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }
}

// INCR and set the expiry on the first hit, atomically, so a crash can never leave a key without
// TTL. Returns {count, pttl}.
const HIT_SCRIPT = `
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}
`;
const HIT_COMMAND = 'hmRateLimitHit';
const hitCommandDefined = new WeakSet<Redis>();

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** Counts one hit on a rate-limit key (HIT_SCRIPT): [hits in the key's window, ms until it expires]. */
    hmRateLimitHit(key: string, windowMs: number): Result<[number, number], Context>;
  }
}

/**
 * Registers the hit script on a connection once. ioredis then sends EVALSHA, shipping the script
 * text only the first time on each socket (and again after a NOSCRIPT, e.g. a restarted Redis).
 */
function withHitCommand(redis: Redis): Redis {
  if (!hitCommandDefined.has(redis)) redis.defineCommand(HIT_COMMAND, { numberOfKeys: 1, lua: HIT_SCRIPT });
  hitCommandDefined.add(redis);
  return redis;
}

/** Cluster-wide limiter that waits for Redis on every hit: one counter key per bucket, expiring with its window. */
export class RedisRateLimiter implements RateLimiter {
  private readonly redis: Redis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
  ) {
    this.redis = withHitCommand(redis);
  }

  async hit(bucket: string, limit: number, windowMs: number): Promise<RateDecision> {
    const [count, ttl] = await this.redis.hmRateLimitHit(this.keys.rateLimit(bucket), windowMs);
    return { allowed: count <= limit, count, retryAfterMs: Math.max(0, ttl) };
  }

  async reset(bucket: string) {
    await this.redis.del(this.keys.rateLimit(bucket));
  }
}

/**
 * Rate limits that survive a Redis outage: while Redis is unreachable, counts are kept per node
 * (each node enforces the limit on its own share), so chat keeps working instead of failing on
 * a dependency that only coordinates. Shared counting resumes when Redis is back.
 */
export class FailoverRateLimiter implements RateLimiter {
  constructor(
    private readonly shared: RateLimiter,
    private readonly local: RateLimiter,
    private readonly sharedUp: () => boolean,
  ) {}

  async hit(bucket: string, limit: number, windowMs: number): Promise<RateDecision> {
    if (!this.sharedUp()) return this.local.hit(bucket, limit, windowMs);
    try {
      return await this.shared.hit(bucket, limit, windowMs);
    } catch {
      return this.local.hit(bucket, limit, windowMs);
    }
  }

  async reset(bucket: string) {
    await Promise.allSettled([this.shared.reset(bucket), this.local.reset(bucket)]);
  }
}

/** Why a hit was decided without being counted in Redis. */
export type UnsharedReason = 'down' | 'backlog' | 'error';

export interface SharedCountOptions {
  /** Called for each hit not counted in Redis (the decision stands; it was local anyway). */
  onUnshared?: (reason: UnsharedReason, err?: unknown) => void;
  /** Background calls allowed in flight before further hits stop being sent (a stalled Redis). */
  maxInFlight?: number;
}

/** One bucket's window on this node, and what this node has learned about its Redis key. */
interface SharedWindow {
  /** When the window ends: provisional (first local hit + windowMs) until a reply gives the key's PTTL. */
  resetAt: number;
  /** Whether resetAt comes from the Redis key. */
  aligned: boolean;
  /** Bumped when a new local window starts, so late replies about an older window are not applied to it. */
  epoch: number;
  /** This node's hits in the window. */
  local: number;
  /** Other nodes' hits in the window, as last learned from Redis. */
  others: number;
  // The Redis key's current life (from INCR on an empty key to its expiry), as seen in replies.
  /** Estimated expiry (reply time + PTTL); 0 before the first reply. */
  keyExpireAt: number;
  /** The key's count in the latest reply. */
  keyCount: number;
  /** This node's hits the key has counted in its current life. */
  keyMine: number;
  /** Background calls in flight for this bucket (a window is never swept under them). */
  pending: number;
}

/**
 * Cluster-wide limiter that never makes a caller wait for Redis. It decides at once from this
 * node's own hits in the window plus the hits other nodes have made, as last learned from Redis;
 * each hit is also counted in the shared Redis key (HIT_SCRIPT, the same keys RedisRateLimiter
 * uses) in the background, and the reply ({count, pttl}) updates what this node knows.
 *
 * Replies on one connection come back in the order Redis ran the commands, so the k-th reply
 * within a key's life has counted exactly k of this node's hits: others = count - k. The key's
 * life is told apart from the next one by its expiry (a new life expires at least a window
 * later) or by a count that did not grow.
 *
 * Consequences: a user whose sockets are all on one node is limited exactly. Hits spread over
 * nodes are limited with a lag: a node's decision misses the other nodes' hits since its own last
 * reply, so N nodes taking turns admit at most limit + N - 1, and a burst landing on every node
 * within one round trip can pass up to the limit on each before they hear of each other. While
 * Redis is down or stalled each node limits on its own count, as FailoverRateLimiter does. The
 * local window follows the key's expiry once a reply arrives, so retryAfterMs is the shared
 * window's.
 */
export class SharedCountRateLimiter implements RateLimiter {
  private readonly redis: Redis;
  private readonly windows = new Map<string, SharedWindow>();
  /**
   * Background calls not yet answered. A count, not a set of their promises: a Set that every hit
   * adds to and removes from is rebuilt as it grows and shrinks, and V8 keeps each replaced table
   * linked to the next, so once one is old, every promise that passed through stayed alive through
   * young collections (fourteenth round in docs/benchmarks.md).
   */
  private inflight = 0;
  /** Callers of `settled` waiting for `inflight` to reach 0. */
  private idleWaiters: (() => void)[] = [];
  private readonly onUnshared: (reason: UnsharedReason, err?: unknown) => void;
  private readonly maxInFlight: number;
  private lastSweep = 0;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    opts: SharedCountOptions = {},
  ) {
    this.redis = withHitCommand(redis);
    this.onUnshared = opts.onUnshared ?? (() => {});
    this.maxInFlight = opts.maxInFlight ?? 10_000;
  }

  async hit(bucket: string, limit: number, windowMs: number): Promise<RateDecision> {
    return this.hitNow(bucket, limit, windowMs);
  }

  /** The decision, synchronously; the Redis count follows in the background. */
  hitNow(bucket: string, limit: number, windowMs: number): RateDecision {
    const now = Date.now();
    this.sweep(now);
    let w = this.windows.get(bucket);
    if (!w) {
      w = { resetAt: 0, aligned: false, epoch: 0, local: 0, others: 0, keyExpireAt: 0, keyCount: 0, keyMine: 0, pending: 0 };
      this.windows.set(bucket, w);
    }
    if (w.resetAt <= now) {
      w.resetAt = now + windowMs;
      w.aligned = false;
      w.epoch += 1;
      w.local = 0;
      w.others = 0;
    }
    w.local += 1;
    const count = w.local + w.others;
    // The first refusal this node sees is sent, so the key (which holds this node's shared hits
    // and the others it counted) passes the limit for every node; later ones would change no
    // decision, so a flooding client costs no Redis traffic.
    if (count <= limit + 1) this.share(bucket, w, windowMs);
    return { allowed: count <= limit, count, retryAfterMs: Math.max(0, w.resetAt - now) };
  }

  async reset(bucket: string) {
    this.windows.delete(bucket);
    if (this.redis.status !== 'ready') return;
    try {
      await this.redis.del(this.keys.rateLimit(bucket));
    } catch (err) {
      this.onUnshared('error', err);
    }
  }

  /** Resolves once every background count sent so far has been answered or has failed (for tests). */
  async settled() {
    if (this.inflight > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private share(bucket: string, w: SharedWindow, windowMs: number) {
    // Commands issued while ioredis reconnects would wait in its offline queue; count locally instead.
    if (this.redis.status !== 'ready') return this.onUnshared('down');
    if (this.inflight >= this.maxInFlight) return this.onUnshared('backlog');
    const epoch = w.epoch;
    let sent: Promise<[number, number]>;
    try {
      sent = this.redis.hmRateLimitHit(this.keys.rateLimit(bucket), windowMs);
    } catch (err) {
      return this.onUnshared('error', err);
    }
    w.pending += 1;
    this.inflight += 1;
    void sent.then(
      ([count, ttl]) => {
        this.answered(w);
        this.learn(w, epoch, count, ttl, windowMs);
      },
      (err: unknown) => {
        this.answered(w);
        this.onUnshared('error', err);
      },
    );
  }

  private answered(w: SharedWindow) {
    w.pending -= 1;
    this.inflight -= 1;
    if (this.inflight > 0 || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private learn(w: SharedWindow, epoch: number, count: number, ttl: number, windowMs: number) {
    const now = Date.now();
    const expireAt = now + Math.max(0, ttl);
    // Replies of one key life estimate the same expiry within their latency; the next life
    // expires at least windowMs later. A count that did not grow means the key was deleted or
    // Redis restarted.
    const tolerance = Math.min(windowMs / 2, 1_000);
    const sameLife = w.keyExpireAt > 0 && count > w.keyCount && Math.abs(expireAt - w.keyExpireAt) <= tolerance;
    w.keyMine = sameLife ? w.keyMine + 1 : 1;
    w.keyCount = count;
    // Every estimate is at or after the true expiry (the reply left Redis after PTTL was read),
    // so the earliest is the closest and the local window never ends before the key does.
    w.keyExpireAt = sameLife ? Math.min(w.keyExpireAt, expireAt) : expireAt;
    if (epoch !== w.epoch) return; // a reply about a window this node has already closed
    const others = Math.max(0, count - w.keyMine);
    if (w.aligned && Math.abs(w.keyExpireAt - w.resetAt) > tolerance) {
      // The key started a new life inside this window (deleted by a reset, Redis restarted):
      // follow it, counting only this node's hits that the new life holds (later ones add up below).
      w.local = w.keyMine;
    }
    w.resetAt = w.keyExpireAt;
    w.aligned = true;
    w.others = others;
    w.local = Math.max(w.local, w.keyMine);
  }

  private sweep(now: number) {
    if (now - this.lastSweep < 10_000) return;
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (w.resetAt <= now && w.pending === 0) this.windows.delete(k);
  }
}
