import type { Presence } from '@hackmeshi/shared';
import type { Redis } from 'ioredis';
import type { RedisKeys } from './keys.js';

/** A user's presence as others see it. */
export interface PresenceStatus {
  online: boolean;
  /** Last moment a live connection was seen, in ms since epoch; null if never. */
  lastSeen: number | null;
  /** Last time the user did something (connected, clicked, typed), in ms since epoch; null if never. */
  lastActive: number | null;
}

/** No activity for this long while connected shows as idle. */
export const IDLE_AFTER_MS = 5 * 60_000;

/** The wire form: online, idle (connected but inactive for 5 minutes) or offline since last seen. */
export function toPresence(s: PresenceStatus | undefined, now = Date.now()): Presence {
  const lastSeen = s?.lastSeen ? new Date(s.lastSeen).toISOString() : null;
  if (!s?.online) return { state: 'offline', lastSeen };
  const idle = s.lastActive === null || now - s.lastActive > IDLE_AFTER_MS;
  return { state: idle ? 'idle' : 'online', lastSeen };
}

/**
 * Presence as leases: each live connection holds a lease that its node refreshes on a heartbeat.
 * When a node dies its leases simply run out, so nobody stays "online" forever. In-process on one
 * node, Redis sorted sets (scored by expiry) when nodes share state. One contract suite runs
 * against both (presence.contract.ts).
 */
export interface PresenceStore {
  /** Takes or renews the lease of one connection for `ttlMs`. */
  refresh(userId: string, connId: string, ttlMs: number): Promise<void>;
  /** Ends a connection's lease now (clean disconnect). */
  release(userId: string, connId: string): Promise<void>;
  /** Records that the user did something just now (not idle). */
  touch(userId: string): Promise<void>;
  status(userIds: string[]): Promise<Map<string, PresenceStatus>>;
}

export class MemoryPresence implements PresenceStore {
  private readonly leases = new Map<string, Map<string, number>>();
  private readonly seen = new Map<string, number>();
  private readonly active = new Map<string, number>();

  async touch(userId: string) {
    this.active.set(userId, Date.now());
  }

  async refresh(userId: string, connId: string, ttlMs: number) {
    const now = Date.now();
    let conns = this.leases.get(userId);
    if (!conns) this.leases.set(userId, (conns = new Map()));
    conns.set(connId, now + ttlMs);
    this.seen.set(userId, now);
  }

  async release(userId: string, connId: string) {
    const conns = this.leases.get(userId);
    if (!conns) return;
    conns.delete(connId);
    this.seen.set(userId, Date.now());
    if (conns.size === 0) this.leases.delete(userId);
  }

  async status(userIds: string[]) {
    const now = Date.now();
    const out = new Map<string, PresenceStatus>();
    for (const id of userIds) {
      const conns = this.leases.get(id);
      let online = false;
      if (conns) {
        for (const [c, exp] of conns) if (exp <= now) conns.delete(c);
        online = conns.size > 0;
        if (!online) this.leases.delete(id);
      }
      out.set(id, { online, lastSeen: this.seen.get(id) ?? null, lastActive: this.active.get(id) ?? null });
    }
    return out;
  }
}

export class RedisPresence implements PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async refresh(userId: string, connId: string, ttlMs: number) {
    const now = Date.now();
    const key = this.keys.presence(userId);
    await this.redis
      .multi()
      .zadd(key, now + ttlMs, connId)
      .pexpire(key, ttlMs)
      .set(this.keys.lastSeen(userId), now, 'PX', 30 * 24 * 3600 * 1000)
      .exec();
  }

  async touch(userId: string) {
    await this.redis.set(this.keys.lastActive(userId), Date.now(), 'PX', IDLE_AFTER_MS * 2);
  }

  async release(userId: string, connId: string) {
    await this.redis
      .multi()
      .zrem(this.keys.presence(userId), connId)
      .set(this.keys.lastSeen(userId), Date.now(), 'PX', 30 * 24 * 3600 * 1000)
      .exec();
  }

  async status(userIds: string[]) {
    const now = Date.now();
    const out = new Map<string, PresenceStatus>();
    if (userIds.length === 0) return out;
    const m = this.redis.multi();
    for (const id of userIds) {
      m.zremrangebyscore(this.keys.presence(id), '-inf', now);
      m.zcard(this.keys.presence(id));
      m.get(this.keys.lastSeen(id));
      m.get(this.keys.lastActive(id));
    }
    const res = (await m.exec()) ?? [];
    userIds.forEach((id, i) => {
      const card = Number(res[i * 4 + 1]?.[1] ?? 0);
      const seen = res[i * 4 + 2]?.[1];
      const active = res[i * 4 + 3]?.[1];
      out.set(id, {
        online: card > 0,
        lastSeen: seen == null ? null : Number(seen),
        lastActive: active == null ? null : Number(active),
      });
    });
    return out;
  }
}

/**
 * Presence that never fails the request it decorates: if the store cannot be read (Redis down),
 * people read as offline with no last-seen until it is back, and the room or match list that
 * asked still loads. Lease writes still reject, and their callers log and carry on.
 */
export class TolerantPresence implements PresenceStore {
  constructor(
    private readonly inner: PresenceStore,
    private readonly onError: (err: unknown) => void,
  ) {}

  refresh(userId: string, connId: string, ttlMs: number) {
    return this.inner.refresh(userId, connId, ttlMs);
  }

  release(userId: string, connId: string) {
    return this.inner.release(userId, connId);
  }

  touch(userId: string) {
    return this.inner.touch(userId);
  }

  async status(userIds: string[]) {
    try {
      return await this.inner.status(userIds);
    } catch (err) {
      this.onError(err);
      return new Map<string, PresenceStatus>();
    }
  }
}
