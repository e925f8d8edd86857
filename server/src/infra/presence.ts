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
  /** Takes or renews the lease of one connection for `ttlMs`. True when the user was offline until now. */
  refresh(userId: string, connId: string, ttlMs: number): Promise<boolean>;
  /**
   * The heartbeat: extends the leases of every live connection on this node (user → connection
   * ids). However many there are, it must not hold the event loop for long.
   */
  renewAll(leases: Map<string, string[]>, ttlMs: number): Promise<void>;
  /** Ends a connection's lease now (clean disconnect). True when that was the user's last one. */
  release(userId: string, connId: string): Promise<boolean>;
  /**
   * Users whose every lease has lapsed (their node died) since the last sweep. Each such user is
   * returned by exactly one call, whichever node makes it, so one node tells the others.
   */
  sweep(): Promise<string[]>;
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
    const wasOnline = this.prune(conns, now) > 0;
    conns.set(connId, now + ttlMs);
    this.seen.set(userId, now);
    return !wasOnline;
  }

  async renewAll(leases: Map<string, string[]>, ttlMs: number) {
    const now = Date.now();
    for (const [userId, connIds] of leases) {
      let conns = this.leases.get(userId);
      if (!conns) this.leases.set(userId, (conns = new Map()));
      for (const c of connIds) conns.set(c, now + ttlMs);
      this.seen.set(userId, now);
    }
  }

  async release(userId: string, connId: string) {
    const conns = this.leases.get(userId);
    if (!conns) return false;
    conns.delete(connId);
    this.seen.set(userId, Date.now());
    if (this.prune(conns, Date.now()) > 0) return false;
    this.leases.delete(userId);
    return true;
  }

  async sweep() {
    const now = Date.now();
    const gone: string[] = [];
    for (const [userId, conns] of this.leases) {
      if (this.prune(conns, now) > 0) continue;
      this.leases.delete(userId);
      gone.push(userId);
    }
    return gone;
  }

  /** Drops lapsed leases; returns how many live ones remain. */
  private prune(conns: Map<string, number>, now: number) {
    for (const [c, exp] of conns) if (exp <= now) conns.delete(c);
    return conns.size;
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

// Claims users whose index entry is due: drops their lapsed leases and, if none is left, removes
// and returns them; otherwise moves their entry to their latest lease. Atomic, so every lapsed
// user is returned to exactly one caller. (Touches per-user keys it is not given, so on a Redis
// Cluster the keys need a common hash tag; see docs/scaling.md.)
const SWEEP_SCRIPT = `
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local gone = {}
for _, uid in ipairs(due) do
  local key = ARGV[3] .. uid
  redis.call('ZREMRANGEBYSCORE', key, '-inf', ARGV[1])
  local top = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
  if #top == 0 then
    redis.call('ZREM', KEYS[1], uid)
    table.insert(gone, uid)
  else
    redis.call('ZADD', KEYS[1], top[2], uid)
  end
end
return gone
`;

/** Users per pipeline in RedisPresence.renewAll. */
const RENEW_SLICE = 100;

export class RedisPresence implements PresenceStore {
  /**
   * `onReadError`: reads never fail the request they serve. With Redis down, people read as
   * offline with no last seen until it is back, and the room or match list that asked still
   * loads. Lease writes still reject; their callers log and carry on.
   */
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly onReadError: (err: unknown) => void = () => {},
  ) {}

  async refresh(userId: string, connId: string, ttlMs: number) {
    const now = Date.now();
    const key = this.keys.presence(userId);
    const res = await this.redis
      .multi()
      .zremrangebyscore(key, '-inf', now)
      .zcard(key)
      .zadd(key, now + ttlMs, connId)
      .pexpire(key, ttlMs)
      .zadd(this.keys.presenceIndex, 'GT', now + ttlMs, userId)
      .set(this.keys.lastSeen(userId), now, 'PX', 30 * 24 * 3600 * 1000)
      .exec();
    return Number(res?.[1]?.[1] ?? 0) === 0;
  }

  async touch(userId: string) {
    await this.redis.set(this.keys.lastActive(userId), Date.now(), 'PX', IDLE_AFTER_MS * 2);
  }

  /**
   * One turn of the event loop per slice of RENEW_SLICE users, the loop free between slices:
   * building every user's commands in one go held a node with 4,000 connections for ~0.4 s every
   * third of LEASE_TTL_MS (250 per slice still ~40 ms), and everything else on the node waited it
   * out. A slice's commands leave in one write (connectRedis), without an ioredis Pipeline, whose
   * objects young collections keep (writePerTurn in redis.ts).
   */
  async renewAll(leases: Map<string, string[]>, ttlMs: number) {
    const entries = [...leases].filter(([, connIds]) => connIds.length > 0);
    for (let i = 0; i < entries.length; i += RENEW_SLICE) {
      if (i > 0) await new Promise((resolve) => setImmediate(resolve));
      const now = Date.now();
      const slice = entries.slice(i, i + RENEW_SLICE);
      const sent: Promise<unknown>[] = [];
      for (const [userId, connIds] of slice) {
        const key = this.keys.presence(userId);
        sent.push(
          this.redis.zadd(key, ...connIds.flatMap((c) => [now + ttlMs, c])),
          this.redis.pexpire(key, ttlMs),
          this.redis.set(this.keys.lastSeen(userId), now, 'PX', 30 * 24 * 3600 * 1000),
        );
      }
      sent.push(this.redis.zadd(this.keys.presenceIndex, 'GT', ...slice.flatMap(([userId]) => [now + ttlMs, userId])));
      // Every command settles before the slice's first failure is thrown.
      const failed = (await Promise.allSettled(sent)).find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  async release(userId: string, connId: string) {
    const now = Date.now();
    const key = this.keys.presence(userId);
    const res = await this.redis
      .multi()
      .zrem(key, connId)
      .zremrangebyscore(key, '-inf', now)
      .zcard(key)
      .set(this.keys.lastSeen(userId), now, 'PX', 30 * 24 * 3600 * 1000)
      .exec();
    const offline = Number(res?.[2]?.[1] ?? 0) === 0;
    // A refresh racing in between re-adds the index entry, so removing it here loses nothing.
    if (offline) await this.redis.zrem(this.keys.presenceIndex, userId);
    return offline;
  }

  async sweep() {
    const prefix = this.keys.presence('');
    return (await this.redis.eval(SWEEP_SCRIPT, 1, this.keys.presenceIndex, Date.now(), 200, prefix)) as string[];
  }

  async status(userIds: string[]) {
    try {
      return await this.readStatus(userIds);
    } catch (err) {
      this.onReadError(err);
      return new Map<string, PresenceStatus>();
    }
  }

  private async readStatus(userIds: string[]) {
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

/** A user's presence moved between online and offline, as every node should tell their contacts. */
export type PresenceListener = (userId: string, presence: Presence) => void;

/**
 * Where presence transitions are announced inside one node: the connection layer reports them,
 * features (matches) tell the people who see that user. Transitions come from whichever node saw
 * them (a connect, a last disconnect, or the sweep that found a dead node's leases lapsed).
 */
export class PresenceFeed {
  private readonly listeners = new Set<PresenceListener>();

  on(listener: PresenceListener) {
    this.listeners.add(listener);
  }

  emit(userId: string, presence: Presence) {
    for (const l of this.listeners) l(userId, presence);
  }
}
