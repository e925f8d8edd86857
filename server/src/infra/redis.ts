import { Redis } from 'ioredis';

/** The Redis connections a node needs: one for commands and publishing, one for subscribing. */
export interface RedisConnections {
  cmd: Redis;
  sub: Redis;
  close(): Promise<void>;
}

/**
 * Connects to Redis. ioredis reconnects by itself; commands issued while it is down fail fast
 * (no offline queue) so callers can degrade instead of hanging.
 */
export function connectRedis(url: string, onError: (err: Error) => void): RedisConnections {
  const opts = {
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    enableAutoPipelining: true,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
  };
  const cmd = new Redis(url, opts);
  // The subscriber gains nothing from pipelining, and its (un)subscribe calls must not be
  // reordered behind QUIT on close. No ready check either: the adapter subscribes at once, and a
  // SUBSCRIBE that overtakes the check's INFO puts the connection in subscriber mode, the check
  // fails, ioredis reconnects, and the node silently hears nothing from the others.
  const sub = new Redis(url, { ...opts, enableAutoPipelining: false, enableReadyCheck: false });
  cmd.on('error', onError);
  sub.on('error', onError);
  return {
    cmd,
    sub,
    async close() {
      // Auto-pipelined commands are sent on the next tick; let them go out before QUIT.
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.allSettled([cmd.quit(), sub.quit()]);
      cmd.disconnect();
      sub.disconnect();
    },
  };
}
