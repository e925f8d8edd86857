import type { Redis } from 'ioredis';
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
 * count. Both implementations pass the same contract suite (rate-limit.contract.ts).
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
    const now = Date.now();
    this.sweep(now);
    let w = this.windows.get(bucket);
    if (!w || w.resetAt <= now) {
      w = { count: 0, resetAt: now + windowMs };
      this.windows.set(bucket, w);
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

// INCR and set the expiry on the first hit, atomically, so a crash can never leave a key without TTL.
const HIT_SCRIPT = `
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}
`;

/** Cluster-wide limiter: one counter key per bucket, expiring with its window. */
export class RedisRateLimiter implements RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async hit(bucket: string, limit: number, windowMs: number): Promise<RateDecision> {
    const [count, ttl] = (await this.redis.eval(HIT_SCRIPT, 1, this.keys.rateLimit(bucket), windowMs)) as [number, number];
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
