import { createAdapter as createPubSubAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import { createAdapter as createStreamsAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import type { Server } from 'socket.io';
import type { Config } from '../config.js';
import type { RedisKeys } from '../infra/keys.js';
import type { RedisConnections } from '../infra/redis.js';

/** What Socket.IO's `io.adapter()` accepts. */
type AdapterFactory = Parameters<Server['adapter']>[0];

/**
 * The adapters publish fire-and-forget and never catch: with Redis down, every broadcast would
 * become an unhandled rejection. Local delivery has already happened by then, and clients on
 * other nodes catch up through `chat:sync`, so a failed publish is counted and logged, not fatal.
 */
function guardPublishes(client: Redis, onError: (err: unknown) => void): Redis {
  for (const method of ['publish', 'spublish', 'xadd'] as const) {
    const original = client[method].bind(client) as (...args: unknown[]) => Promise<unknown>;
    (client as unknown as Record<string, unknown>)[method] = (...args: unknown[]) =>
      original(...args).catch((err: unknown) => {
        onError(err);
        return null;
      });
  }
  return client;
}

/**
 * Builds the Socket.IO adapter that carries broadcasts between nodes, as REDIS_ADAPTER chooses.
 * docs/scaling.md records why `sharded` is the default.
 */
export function redisAdapter(
  kind: Config['REDIS_ADAPTER'],
  redis: RedisConnections,
  keys: RedisKeys,
  onPublishError: (err: unknown) => void,
): AdapterFactory {
  const pub = guardPublishes(redis.cmd, onPublishError);
  switch (kind) {
    case 'pubsub':
      return createPubSubAdapter(pub, redis.sub, { key: keys.adapter });
    case 'sharded':
      // One channel per Socket.IO room, subscribed only by nodes that hold a member: suits many
      // small conversations (1:1 match chats) better than every node hearing every broadcast.
      return createShardedAdapter(pub, redis.sub, { channelPrefix: keys.adapter, subscriptionMode: 'dynamic' });
    case 'streams':
      return createStreamsAdapter(pub, { streamName: keys.adapter, maxLen: 10_000 });
  }
}
