/**
 * Every Redis key and channel name, built in one place from the configured prefix, so deployments
 * sharing a Redis never collide and nothing builds a key by hand elsewhere.
 */
export function redisKeys(prefix: string) {
  return {
    /** Socket.IO adapter channel prefix. */
    adapter: `${prefix}socket.io`,
    /** Fixed-window rate-limit counter for a bucket. */
    rateLimit: (bucket: string) => `${prefix}rl:${bucket}`,
    /** Sorted set of a user's live connections, scored by lease expiry (ms since epoch). */
    presence: (userId: string) => `${prefix}presence:${userId}`,
    /** Every user holding a lease, scored by their latest lease expiry: what the sweep scans. */
    presenceIndex: `${prefix}presence-index`,
    /** When the user was last seen (ms since epoch). */
    lastSeen: (userId: string) => `${prefix}seen:${userId}`,
    /** When the user last did something (ms since epoch); expires when long idle. */
    lastActive: (userId: string) => `${prefix}active:${userId}`,
  };
}
export type RedisKeys = ReturnType<typeof redisKeys>;

/** Socket.IO room names, shared by every feature. */
export const rooms = {
  /** Every socket of one user, on any node. */
  user: (userId: string) => `user:${userId}`,
  /** Every socket of every member of one conversation (match, room, meetup or community chat). */
  conversation: (conversationId: string) => `conv:${conversationId}`,
  /** Every socket seated in one voice room. */
  voiceRoom: (roomId: string) => `room:${roomId}`,
};
