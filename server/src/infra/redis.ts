import type { Writable } from 'node:stream';
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
    // Not ioredis's auto-pipelining: writePerTurn gives the same single write per turn without
    // its per-turn Pipeline objects, which every young collection kept alive (docs/decisions.md).
    enableAutoPipelining: false,
    retryStrategy: (times: number) => Math.min(times * 200, 2_000),
  };
  const cmd = writePerTurn(new Redis(url, opts));
  // The subscriber writes little, and its (un)subscribe calls go out at once. No ready check:
  // the adapter subscribes at once, and a SUBSCRIBE that overtakes the check's INFO puts the
  // connection in subscriber mode, the check fails, ioredis reconnects, and the node silently
  // hears nothing from the others.
  const sub = new Redis(url, { ...opts, enableReadyCheck: false });
  cmd.on('error', onError);
  sub.on('error', onError);
  return {
    cmd,
    sub,
    async close() {
      // This turn's commands leave at writePerTurn's setImmediate, queued before this one: let
      // them go out before QUIT.
      await new Promise((resolve) => setImmediate(resolve));
      await Promise.allSettled([cmd.quit(), sub.quit()]);
      cmd.disconnect();
      sub.disconnect();
    },
  };
}

/**
 * Sends the commands one turn of the event loop issues on `redis` in one write: the first of them
 * corks the socket, and a `setImmediate` (after the turn's I/O callbacks) uncorks it, so Node hands
 * them all to the kernel in one `writev`. That is what ioredis's auto-pipelining is for, but it
 * builds a Pipeline per turn, and each Pipeline defines a `length` accessor of its own
 * (`Object.defineProperty` with a new getter). Objects built that way outlive young collections
 * (most likely each gets a hidden class of its own, which its old parent class keeps reachable),
 * so every Pipeline, with the commands, arguments and replies it holds, was copied and promoted:
 * with Redis configured, most of what a node's scavenges copied (fourteenth round in
 * docs/benchmarks.md). Commands sent this way are ioredis's ordinary ones, in the same order.
 */
export function writePerTurn(redis: Redis): Redis {
  const send = redis.sendCommand.bind(redis);
  let corked: Writable | null = null;
  const uncork = () => {
    const socket = corked;
    corked = null;
    socket?.uncork();
  };
  redis.sendCommand = (command, stream) => {
    const socket = (redis as unknown as { stream?: Writable }).stream;
    // A command with a stream of its own (an explicit pipeline's) is written by that stream.
    if (!stream && !corked && socket?.writable && redis.status === 'ready') {
      socket.cork();
      corked = socket;
      setImmediate(uncork);
    }
    return send(command, stream);
  };
  return redis;
}
